/*
 * Builds a Debian image without a registry: debootstrap a minbase rootfs from the host's
 * own Debian mirror, trim what a "slim" image leaves out, and `docker import` it.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Transform } from 'node:stream';
import { promisify } from 'node:util';
import { debianMirror } from './apt-sources.js';
import type { BuildProgress } from './build-progress.js';
import type { DockerEngine } from './docker-engine.js';
import { OrchestratorError } from './orchestrator-error.js';
import { mountPointsUnder, readMountTable } from '../chalkfs/index.js';

const execFileAsync = promisify(execFile);

/** What to build: the Debian suite, packages on top of minbase, and the repository and tag to import as. */
export interface DebianImageRecipe {
  suite: string;
  /** Packages on top of minbase, e.g. python3 (which brings the sqlite3 module). */
  packages: string[];
  repo: string;
  tag: string;
  /** Dockerfile instructions for the import (ENV, CMD, LABEL). */
  changes: string[];
}

/**
 * debootstrap --debian-installer reports `P: now end PHASE` on fd 3. Weights are each
 * phase's rough share of a build's wall time (measured on a 2-core VM), so the bar
 * moves at a roughly even pace; the import into Docker is the last 10%.
 */
const PHASE_WEIGHTS: Array<[string, number, string]> = [
  ['DOWNREL', 1, 'downloading Release'],
  ['DOWNRELSIG', 1, 'checking Release signature'],
  ['DOWNPKGS', 6, 'downloading package lists'],
  ['SIZEDEBS', 1, 'sizing packages'],
  ['DOWNDEBS', 22, 'downloading packages'],
  ['EXTRACTPKGS', 8, 'extracting packages'],
  ['INSTCORE', 4, 'installing core packages'],
  ['UNPACKREQ', 14, 'unpacking required packages'],
  ['CONFREQ', 14, 'configuring required packages'],
  ['UNPACKBASE', 10, 'unpacking python3'],
  ['CONFBASE', 9, 'configuring python3'],
  ['IMPORT', 10, 'importing into Docker'],
];
const TOTAL_WEIGHT = PHASE_WEIGHTS.reduce((sum, [, w]) => sum + w, 0);

function overallFraction(phase: string, now: number, end: number): number {
  let before = 0;
  for (const [name, weight] of PHASE_WEIGHTS) {
    if (name === phase) return (before + weight * (end > 0 ? Math.min(1, now / end) : 0)) / TOTAL_WEIGHT;
    before += weight;
  }
  return -1;
}

function phaseLabel(phase: string): string {
  return PHASE_WEIGHTS.find(([name]) => name === phase)?.[2] ?? phase.toLowerCase();
}

export async function buildDebianImage(
  recipe: DebianImageRecipe,
  options: { engine: DockerEngine; progress: BuildProgress; env?: NodeJS.ProcessEnv; workDir?: string },
): Promise<void> {
  const { engine, progress } = options;
  const mirror = await debianMirror(recipe.suite, { env: options.env });
  await requireDebootstrap();
  const dir = await mkdtemp(join(options.workDir ?? '/var/tmp', `chalkfs-rootfs-${recipe.suite}-`));
  const image = `${recipe.repo}:${recipe.tag}`;
  progress.start(`Building ${image}`);
  let fraction = 0;
  const report = (phase: string, now = 0, end = 0): void => {
    const f = overallFraction(phase, now, end);
    if (f >= fraction) fraction = f;
    progress.update(fraction, phase === 'IMPORT' || f >= 0 ? phaseLabel(phase) : phase);
  };
  try {
    await runDebootstrap(recipe, dir, mirror, report);
    await trimRootfs(dir);
    await importRootfs(dir, recipe, engine, report);
    progress.stop(`Built ${image} (Debian ${recipe.suite} from ${mirror})`);
  } catch (err) {
    progress.stop(`Building ${image} failed`);
    throw err instanceof OrchestratorError ? err : new OrchestratorError('image-build-failed', `building ${image} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    await removeRootfs(dir);
  }
}

async function requireDebootstrap(): Promise<void> {
  try {
    await execFileAsync('debootstrap', ['--version']);
  } catch (err) {
    throw new OrchestratorError('image-build-failed', 'debootstrap is not installed; run scripts/provision.sh (Debian package debootstrap)', { cause: err });
  }
  if (process.getuid && process.getuid() !== 0) {
    throw new OrchestratorError('image-build-failed', 'building an image with debootstrap needs root');
  }
}

async function runDebootstrap(
  recipe: DebianImageRecipe,
  dir: string,
  mirror: string,
  report: (phase: string, now?: number, end?: number) => void,
): Promise<void> {
  const args = ['--debian-installer', '--variant=minbase', `--include=${recipe.packages.join(',')}`, recipe.suite, dir, mirror];
  const child = spawn('debootstrap', args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const keep = (line: string): void => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
  };
  const errors: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => chunk.split('\n').filter(Boolean).forEach(keep));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => chunk.split('\n').filter(Boolean).forEach(keep));
  // fd 3: the debian-installer protocol. `P: now end [NAME]` moves progress; `E:`/`EA:`/
  // `EF:` spell an error as a printf format with its arguments.
  let phase = '';
  let errorArgs: string[] = [];
  const protocol = createInterface({ input: child.stdio[3] as NodeJS.ReadableStream });
  protocol.on('line', (line) => {
    const m = /^([A-Z]+): ?(.*)$/.exec(line);
    if (!m) return;
    const [, code, rest] = m as unknown as [string, string, string];
    if (code === 'P') {
      const [now, end, name] = rest.split(' ');
      if (name) phase = name;
      if (phase) report(phase, Number(now), Number(end));
    } else if (code === 'E') {
      errorArgs = [];
    } else if (code === 'EA') {
      errorArgs.push(rest);
    } else if (code === 'EF') {
      let i = 0;
      errors.push(rest.replace(/%s/g, () => errorArgs[i++] ?? ''));
    }
  });
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  if (exitCode !== 0) {
    const why = errors.length > 0 ? errors.join('; ') : tail.slice(-5).join(' | ');
    throw new OrchestratorError('image-build-failed', `debootstrap ${recipe.suite} from ${mirror} failed (exit ${exitCode}): ${why}`);
  }
}

/** What a slim image leaves out: apt's caches and lists, manuals, docs, translations. */
async function trimRootfs(dir: string): Promise<void> {
  const emptyDir = async (path: string, keep: (name: string) => boolean = () => false): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(join(dir, path));
    } catch {
      return;
    }
    await Promise.all(names.filter((n) => !keep(n)).map((n) => rm(join(dir, path, n), { recursive: true, force: true })));
  };
  await emptyDir('var/cache/apt/archives', (n) => n === 'partial' || n === 'lock');
  await Promise.all(['var/cache/apt/pkgcache.bin', 'var/cache/apt/srcpkgcache.bin'].map((p) => rm(join(dir, p), { force: true })));
  await emptyDir('var/lib/apt/lists', (n) => n === 'partial' || n === 'lock');
  await emptyDir('usr/share/man');
  await emptyDir('usr/share/locale');
  await emptyDir('usr/share/info');
  // Copyright files stay: they are the licence notices of what the image ships.
  const docs = await readdir(join(dir, 'usr/share/doc')).catch(() => [] as string[]);
  await Promise.all(
    docs.map(async (pkg) => {
      const entries = await readdir(join(dir, 'usr/share/doc', pkg)).catch(() => [] as string[]);
      await Promise.all(entries.filter((e) => e !== 'copyright').map((e) => rm(join(dir, 'usr/share/doc', pkg, e), { recursive: true, force: true })));
    }),
  );
}

async function importRootfs(
  dir: string,
  recipe: DebianImageRecipe,
  engine: DockerEngine,
  report: (phase: string, now?: number, end?: number) => void,
): Promise<void> {
  const { stdout } = await execFileAsync('du', ['-sb', dir]);
  const totalBytes = Number(stdout.split(/\s/)[0]) || 1;
  report('IMPORT', 0, totalBytes);
  const tar = spawn('tar', ['--numeric-owner', '--xattrs', '-C', dir, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  tar.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  let sentBytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sentBytes += chunk.length;
      report('IMPORT', sentBytes, totalBytes);
      callback(null, chunk);
    },
  });
  const tarExit = new Promise<number | null>((resolve, reject) => {
    tar.once('error', reject);
    tar.once('close', resolve);
  });
  await engine.importImage(tar.stdout!.pipe(counter), { repo: recipe.repo, tag: recipe.tag, changes: recipe.changes });
  const code = await tarExit;
  if (code !== 0) throw new OrchestratorError('image-build-failed', `tar of the rootfs failed (exit ${code}): ${stderr.trim()}`);
  report('IMPORT', totalBytes, totalBytes);
}

/**
 * debootstrap mounts /proc and /sys inside the target and may leave them mounted when it
 * fails; a recursive delete must never walk into them.
 */
async function removeRootfs(dir: string): Promise<void> {
  for (const mountPoint of mountPointsUnder(dir, await readMountTable())) {
    await execFileAsync('umount', ['-l', mountPoint]).catch(() => undefined);
  }
  await rm(dir, { recursive: true, force: true });
}
