/*
 * What every mount serves the same way, writer or reader: the namespace of a version and
 * its files' contents (FileData over the block cache), the open handles, and the read
 * path (getattr, readdir, readlink, statfs, read, release). No mode flag: what differs
 * lives in WriterVolume (writer-volume.ts) and ReaderVolume (reader-volume.ts), each made
 * of its own parts, and each answers the rest of VolumeView itself.
 */
import { ChalkError, isChalkError } from '../util/chalk-error.js';
import { storeKeys } from '../meta/store-keys.js';
import { Namespace } from '../meta/namespace.js';
import type { FileInode, Inode, VersionRecord } from '../meta/format.js';
import { FileData } from './file-data.js';
import { totalLength } from './block-math.js';
import { attributesOf, type Attributes } from './attributes.js';
import { HandleTable, type Handle } from './handle-table.js';
import { PeriodicTask } from './periodic-task.js';
import { VolumeExistence } from './volume-existence.js';
import { withoutHostLocalFiles } from './sqlite/sqlite-files.js';
import { withSharedMemoryFiles } from './sqlite/wal-shared-memory.js';
import type { VolumeOptions } from './volume-options.js';
import type { FileSystemStats, Invalidator, VolumeStatus } from './volume-view.js';

export abstract class ServedVolume {
  /** Whether the volume is still in the store (volume rm --force may delete it under us). */
  readonly existence: VolumeExistence;
  protected readonly clock: () => number;
  protected readonly data: FileData;
  protected readonly handles: HandleTable;
  protected invalidator: Invalidator = { attributesMayChange: () => undefined };
  protected closed = false;
  protected readonly fetchBlock: (hash: string) => Promise<Buffer>;
  private periodic: PeriodicTask | undefined;

  protected constructor(
    protected readonly options: VolumeOptions,
    protected ns: Namespace,
  ) {
    const { repo, config } = options;
    this.clock = options.clock ?? Date.now;
    this.existence = new VolumeExistence(repo, config.name, options.logger);
    this.handles = new HandleTable(config.blockSizeBytes);
    this.fetchBlock = async (hash) => {
      try {
        return (await repo.store.get(storeKeys.block(config.name, hash))).body;
      } catch (err) {
        throw isChalkError(err, 'not-found') ? await this.existence.missingBlock(hash, err) : err;
      }
    };
    this.data = new FileData(config.blockSizeBytes, options.cache, this.fetchBlock, options.maxPatchBytesPerBlock ?? 0);
  }

  abstract get versionSeq(): number;

  get blockSizeBytes(): number {
    return this.options.config.blockSizeBytes;
  }

  setInvalidator(invalidator: Invalidator): void {
    this.invalidator = invalidator;
  }

  getattr(path: string): Attributes {
    const { ino, inode } = this.resolve(path);
    if (inode.type === 'file') this.reportedToKernel(ino, inode);
    return attributesOf(ino, inode, this.ns.nlink(ino), this.blockSizeBytes);
  }

  /**
   * fstat(2) through a descriptor whose name the version served no longer gives: a
   * follower adopted a version that deleted or replaced the file (a WAL its writer's last
   * connection deleted, sqlite/live-databases.ts). Its handles still serve an inode, so
   * that is what it answers, with no name left (nlink 0) unless it has another one.
   */
  openFileAttributes(ino: number, generation = 0): Attributes | undefined {
    const inode = this.handles.heldContent(ino, generation);
    return inode && attributesOf(ino, inode, this.ns.nlink(ino), this.blockSizeBytes);
  }

  readdir(path: string): string[] {
    const { inode } = this.resolve(path);
    if (inode.type !== 'dir') throw new ChalkError('not-a-directory', `${path}: not a directory`);
    return ['.', '..', ...Object.keys(inode.entries)];
  }

  readlink(path: string): string {
    const { inode } = this.resolve(path);
    if (inode.type !== 'symlink') throw new ChalkError('invalid', `${path}: not a symbolic link`);
    return inode.target;
  }

  statfs(): FileSystemStats {
    // An object store has no fixed capacity: report a large, constant one.
    const blocks = 0xffffffff;
    const used = Math.ceil(this.ns.stats().sizeBytes / 4096);
    return { bsize: 4096, frsize: 4096, blocks, bfree: blocks - used, bavail: blocks - used, files: 1e9, ffree: 1e9 - this.ns.inodes.size, favail: 1e9 - this.ns.inodes.size, namemax: 255 };
  }

  async read(fh: number, target: Buffer, length: number, offset: number): Promise<number> {
    const handle = this.handles.get(fh);
    const count = await this.data.read(handle.ino, handle.inode, target, length, offset);
    this.readDone(handle, offset, count);
    return count;
  }

  async readBytes(fh: number, length: number, offset: number): Promise<Buffer[]> {
    const handle = this.handles.get(fh);
    const bytes = await this.data.readBytes(handle.ino, handle.inode, length, offset);
    this.readDone(handle, offset, totalLength(bytes));
    return bytes;
  }

  private readDone(handle: Handle, offset: number, count: number): void {
    if (handle.reads.observe(offset, count) && this.options.readaheadBlocks > 0) {
      // The kernel's own readahead already asks for the block after the frontier.
      const nextBlock = Math.floor(handle.reads.nextOffset / this.blockSizeBytes) + 1;
      this.data.prefetch(handle.inode, nextBlock, this.options.readaheadBlocks);
    }
  }

  release(fh: number): void {
    const released = this.handles.release(fh, () => this.invalidator.attributesMayChange(), (ino) => this.keepsPin(ino));
    if (released?.lastClose && !this.ns.inodes.has(released.ino)) this.data.discard(released.ino);
  }

  /** Whether file `ino` stays pinned after its last handle is released (a follower's WAL pairs). */
  protected keepsPin(_ino: number): boolean {
    return false;
  }

  /** getattr told the kernel `inode` for file `ino` (a follower remembers it). */
  protected reportedToKernel(_ino: number, _inode: FileInode): void {}

  /** The path's inode as served: a pinned file's pinned inode. */
  protected resolve(path: string): { ino: number; inode: Inode } {
    return this.handles.served(this.ns.resolve(path));
  }

  /** The regular file at `path`, for open. */
  protected regularFile(path: string): { ino: number; inode: FileInode } {
    const { ino, inode } = this.resolve(path);
    if (inode.type === 'dir') throw new ChalkError('is-a-directory', `${path}: is a directory`);
    if (inode.type !== 'file') throw new ChalkError('invalid', `${path}: not a regular file`);
    return { ino, inode };
  }

  /** The handle `fh`, which must be open for writing. */
  protected writableHandle(fh: number): Handle {
    const handle = this.handles.get(fh);
    if (!handle.writable) throw new ChalkError('bad-handle', `handle ${fh} is not open for writing`);
    return handle;
  }

  /** The status fields every mount reports. */
  protected commonStatus(): Pick<VolumeStatus, 'seq' | 'openHandles' | 'dirtyBytes' | 'unuploadedBytes' | 'leaseHeld' | 'volumeState'> {
    return {
      seq: this.versionSeq,
      openHandles: this.handles.size,
      dirtyBytes: this.data.dirtyBytes,
      unuploadedBytes: this.data.unuploadedBytes,
      leaseHeld: this.options.lease?.held(),
      volumeState: this.existence.state,
    };
  }

  /** Runs `work` every `delayMs()` until close; failures are logged as `failed`. */
  protected startPeriodic(failed: string, delayMs: () => number, work: () => Promise<unknown>): void {
    this.periodic = new PeriodicTask(async () => {
      try {
        await work();
      } catch (err) {
        this.options.logger.warn({ err }, failed);
        // A version listed a moment ago and gone now: maybe the whole volume is.
        if (isChalkError(err, 'not-found')) void this.existence.check().catch(() => undefined);
      }
    }, delayMs);
    this.periodic.start();
  }

  /** Marks the volume closed and stops its background work; false if it already was. */
  protected beginClose(): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.periodic?.stop();
    return true;
  }
}

/**
 * A version's namespace as a mount serves it: without host-local files older releases
 * stored; a read-only mount also serves its own empty `-shm` beside each WAL database,
 * and keeps serving one that a connection still holds open (`openShm`;
 * sqlite/wal-shared-memory.ts).
 */
export function servedNamespace(record: VersionRecord, readOnly = false, openShm?: (shmIno: number) => FileInode | undefined): Namespace {
  const inodes = withoutHostLocalFiles(record.inodes).inodes;
  return Namespace.fromRecord({ nextIno: record.nextIno, inodes: readOnly ? withSharedMemoryFiles(inodes, openShm) : inodes });
}
