/*
 * `docker volume create -d chalkfs -o KEY=VALUE` options (pure): checked when Docker
 * sends Create, so a bad value is a one-line error at `docker volume create` time, and
 * turned into `chalkfs volume create` and `chalkfs mount` flags.
 *
 *   block-size=SIZE       the new volume's block size (chalkfs volume create --block-size)
 *   read-only=true|false  mount read-only: a follower of the writer, never the writer lease
 *   version=N             mount version N, read-only (chalkfs mount NAME@N)
 *   cache-size=SIZE       disk cache capacity of the mount (chalkfs mount --cache-size)
 *   writer=required|fallback
 *                         a read-write mount while another mount holds the writer lease:
 *                         `required` (default) fails the container's mount and says who
 *                         holds it; `fallback` mounts read-only instead
 *
 * Docker sends options only to Create, never to Mount, and nothing at all for
 * `-v NAME:/data:ro` (its Mount request is {Name, ID}: the `ro` is applied by Docker to
 * the bind mount into the container, after the plugin mounted). So the plugin keeps each
 * volume's options, and a read-only mount is asked for with `-o read-only=true`.
 */
import { ChalkError } from '../util/chalk-error.js';
import { parseSize } from '../util/size.js';

export type WriterPolicy = 'required' | 'fallback';

export interface DriverOptions {
  blockSize?: string;
  readOnly: boolean;
  version?: number;
  cacheSize?: string;
  writer: WriterPolicy;
}

const KNOWN = ['block-size', 'read-only', 'version', 'cache-size', 'writer'] as const;

function invalid(key: string, value: string, expected: string): ChalkError {
  return new ChalkError('config', `invalid volume option ${key}="${value}": expected ${expected}`);
}

/** Checks Docker's `Opts` map; throws a `config` ChalkError naming the first bad option. */
export function parseDriverOptions(opts: Record<string, string> | null | undefined): DriverOptions {
  const options: DriverOptions = { readOnly: false, writer: 'required' };
  const given = opts ?? {};
  for (const [key, value] of Object.entries(given)) {
    switch (key) {
      case 'block-size':
        // Checked by `chalkfs volume create` (power of two, range), at Create too.
        options.blockSize = value;
        break;
      case 'read-only':
        if (value !== 'true' && value !== 'false') throw invalid(key, value, 'true or false');
        options.readOnly = value === 'true';
        break;
      case 'version':
        if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < 1) throw invalid(key, value, 'a version number (see `chalkfs volume versions NAME`)');
        options.version = Number(value);
        break;
      case 'cache-size':
        if (parseSize(value, 'volume option cache-size') <= 0) throw invalid(key, value, 'a size above zero, such as 512MiB');
        options.cacheSize = value;
        break;
      case 'writer':
        if (value !== 'required' && value !== 'fallback') throw invalid(key, value, 'required or fallback');
        options.writer = value;
        break;
      default:
        throw new ChalkError('config', `unknown volume option "${key}" (known: ${KNOWN.join(', ')})`);
    }
  }
  if (options.version !== undefined && given['read-only'] === 'false') {
    throw new ChalkError('config', 'volume options version and read-only=false contradict: a pinned version is read-only');
  }
  if ((options.readOnly || options.version !== undefined) && given.writer !== undefined) {
    throw new ChalkError('config', 'volume option writer is for read-write mounts: leave it out with read-only=true or version');
  }
  return options;
}

/** Whether the mounts of the volume are read-only (asked for, or a pinned version). */
export function mountsReadOnly(options: DriverOptions): boolean {
  return options.readOnly || options.version !== undefined;
}

/** Flags of `chalkfs volume create`. */
export function createFlags(options: DriverOptions): string[] {
  return options.blockSize === undefined ? [] : ['--block-size', options.blockSize];
}

/** What `chalkfs mount` is given: the volume reference (NAME or NAME@VERSION) and flags. */
export function mountArgs(name: string, options: DriverOptions): { ref: string; flags: string[] } {
  const flags: string[] = [];
  // A pinned version is read-only by itself; `chalkfs mount NAME@N` takes no --read-only.
  if (options.readOnly && options.version === undefined) flags.push('--read-only');
  if (!mountsReadOnly(options) && options.writer === 'fallback') flags.push('--fallback-read-only');
  if (options.cacheSize !== undefined) flags.push('--cache-size', options.cacheSize);
  return { ref: options.version === undefined ? name : `${name}@${options.version}`, flags };
}
