// Which users hold each volume's shared FUSE mount on this host: Docker's mount request
// IDs (the volume plugin), or the CSI driver's staging and publish paths. The mount is
// made for the first and released after the last. The table is saved to disk after
// every change so a restarted plugin or driver knows which mounts are still in use (the
// mount daemons themselves keep running across such a restart).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ChalkError } from '../util/chalk-error.js';

export interface VolumeRefs {
  mountpoint: string;
  /** The users' IDs, in the order they arrived. */
  ids: string[];
  /** The `chalkfs mount` flags the mount was made with (to make it again after a crash). */
  mountFlags?: string[];
}

interface RefsFile {
  version: 1;
  volumes: Record<string, VolumeRefs>;
}

export class MountRefs {
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly volumes: Map<string, VolumeRefs>,
  ) {}

  static async load(path: string): Promise<MountRefs> {
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text === undefined) return new MountRefs(path, new Map());
    let parsed: RefsFile;
    try {
      parsed = JSON.parse(text) as RefsFile;
    } catch (err) {
      throw new ChalkError('corrupt', `mount reference table ${path} is not valid JSON; move it away to start afresh`, { cause: err });
    }
    if (parsed.version !== 1) throw new ChalkError('corrupt', `mount reference table ${path} has unknown version ${String(parsed.version)}`);
    return new MountRefs(path, new Map(Object.entries(parsed.volumes)));
  }

  get(volume: string): VolumeRefs | undefined {
    return this.volumes.get(volume);
  }

  count(volume: string): number {
    return this.volumes.get(volume)?.ids.length ?? 0;
  }

  entries(): Array<[string, VolumeRefs]> {
    return [...this.volumes.entries()];
  }

  /** Adds a request ID (again is a no-op); returns the volume's reference count. */
  add(volume: string, id: string, mountpoint: string, mountFlags: string[]): number {
    const refs = this.volumes.get(volume) ?? { mountpoint, ids: [], mountFlags };
    if (!refs.ids.includes(id)) refs.ids.push(id);
    this.volumes.set(volume, refs);
    return refs.ids.length;
  }

  /** Drops a request ID (an unknown one is a no-op); returns the remaining count. */
  remove(volume: string, id: string): number {
    const refs = this.volumes.get(volume);
    if (!refs) return 0;
    refs.ids = refs.ids.filter((x) => x !== id);
    return refs.ids.length;
  }

  forget(volume: string): void {
    this.volumes.delete(volume);
  }

  /** Writes the table atomically (temp file + rename); saves are serialised. */
  async save(): Promise<void> {
    const snapshot: RefsFile = { version: 1, volumes: Object.fromEntries(this.volumes) };
    const text = JSON.stringify(snapshot, null, 2);
    const next = this.saving.then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      await writeFile(`${this.path}.tmp`, text);
      await rename(`${this.path}.tmp`, this.path);
    });
    this.saving = next.catch(() => undefined);
    return next;
  }
}
