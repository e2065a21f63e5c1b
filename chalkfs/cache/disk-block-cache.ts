/*
 * The disk tier of the block cache: one file per block, named by its content hash, under
 * `dir/blocks/xx/`. Any number of volumes and daemons on a host may share the directory:
 * names are content hashes, so a file is never stale, only present or not. Files are
 * written to a temporary name and renamed, and verified against their name when read; a
 * mismatch is deleted and reported as a miss. They are written around the page cache
 * (O_DIRECT, host/uncached-file-write.ts) where the filesystem allows: the memory tier
 * holds a block already when it is written here, and with buffered writes the disk tier
 * cost the daemon 0.5-1.9 ms of CPU per MB in cold reads and copies (docs/BENCHMARKS.md,
 * part 9). Eviction is LRU by this daemon's own use,
 * bounded by `capacityBytes`; a block another daemon evicted is simply a miss. A full disk
 * (ENOSPC, whoever filled it) first makes this cache evict its oldest blocks to fit the
 * new one; if the disk is still full, puts skip the disk tier for FULL_DISK_BYPASS_MS.
 * Reads never depend on the disk tier: a block it lacks comes from memory or the store.
 * A block its index does not name is a miss without looking at the disk: a cold read
 * paid a failed open (and its error) per block, 1.5 ms of the event loop each in the
 * profile of docs/BENCHMARKS.md. So a block another daemon sharing the directory wrote
 * after this one started is fetched from the store (then written here, a no-op rename).
 */
import { mkdir, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { blockHash } from '../meta/format.js';
import { UncachedFileWriter } from '../host/uncached-file-write.js';

export interface DiskCacheEvents {
  onEvict?: () => void;
  onCorrupt?: (hash: string) => void;
  /** The cache disk is full even after evicting: the disk tier is skipped for a while. */
  onBypass?: () => void;
}

/** How long puts skip a disk that stayed full after this cache made room on it. */
export const FULL_DISK_BYPASS_MS = 30_000;

const isNoSpace = (err: unknown) => ['ENOSPC', 'EDQUOT'].includes((err as NodeJS.ErrnoException).code ?? '');

function blockFilePath(dir: string, hash: string): string {
  return join(dir, 'blocks', hash.slice(0, 2), hash);
}

/**
 * Deletes the files of these blocks from a cache directory (`volume rm`), without opening
 * it as a cache. A daemon that still lists one in its index takes its absence as a miss;
 * a block another volume shares (same content, same name) is fetched again when read.
 */
export async function removeCachedBlocks(dir: string, hashes: Iterable<string>): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const hash of hashes) {
    if (!/^[0-9a-f]{64}$/.test(hash)) continue;
    const path = blockFilePath(dir, hash);
    const st = await stat(path).catch(() => undefined);
    const removed = st !== undefined && (await unlink(path).then(() => true, () => false));
    if (!removed) continue;
    files++;
    bytes += st.size;
  }
  return { files, bytes };
}

/** A block's bytes from a cache directory, only if they hash to its name (`fsck --repair`). */
export async function readCachedBlock(dir: string, hash: string): Promise<Buffer | undefined> {
  if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
  const data = await readFile(blockFilePath(dir, hash)).catch(() => undefined);
  return data && blockHash(data) === hash ? data : undefined;
}

/** One directory of block files, bounded by `capacityBytes`, LRU by this daemon's use. */
export class DiskBlockCache {
  private readonly index = new Map<string, number>(); // hash -> size, in LRU order (oldest first)
  private totalBytes = 0;
  private readonly madeDirs = new Set<string>();
  private bypassUntilMs = 0;

  private constructor(
    readonly dir: string,
    readonly capacityBytes: number,
    private readonly logger: Logger,
    private readonly events: DiskCacheEvents,
    private readonly now: () => number,
    private readonly files: UncachedFileWriter,
  ) {}

  static async open(
    dir: string,
    capacityBytes: number,
    logger: Logger,
    events: DiskCacheEvents = {},
    now: () => number = Date.now,
    files: UncachedFileWriter = new UncachedFileWriter(),
  ): Promise<DiskBlockCache> {
    const cache = new DiskBlockCache(dir, capacityBytes, logger, events, now, files);
    await mkdir(join(dir, 'blocks'), { recursive: true });
    await cache.loadIndex();
    await cache.evict();
    return cache;
  }

  get sizeBytes(): number {
    return this.totalBytes;
  }

  get blockCount(): number {
    return this.index.size;
  }

  /** Whether the index names the block (the file may still turn out missing or corrupt). */
  has(hash: string): boolean {
    return this.index.has(hash);
  }

  async get(hash: string): Promise<Buffer | undefined> {
    if (!this.index.has(hash)) return undefined;
    let data: Buffer;
    try {
      data = await readFile(this.pathOf(hash));
    } catch {
      this.forget(hash);
      return undefined;
    }
    if (blockHash(data) !== hash) {
      this.logger.error({ hash, file: this.pathOf(hash) }, 'disk cache block failed verification; deleting it and refetching');
      this.events.onCorrupt?.(hash);
      this.forget(hash);
      await unlink(this.pathOf(hash)).catch(() => undefined);
      return undefined;
    }
    this.touch(hash, data.length);
    return data;
  }

  /** True while puts skip the disk tier because the disk stayed full. */
  get bypassed(): boolean {
    return this.now() < this.bypassUntilMs;
  }

  async put(hash: string, data: Buffer): Promise<void> {
    if (this.index.has(hash) || data.length > this.capacityBytes || this.bypassed) return;
    let madeRoom = false;
    for (;;) {
      try {
        await this.write(hash, data);
        break;
      } catch (err) {
        if (isNoSpace(err) && !madeRoom && this.index.size > 0) {
          // The disk is full before the cap is: make room from this cache's own oldest blocks.
          madeRoom = true;
          await this.evict(Math.max(0, this.totalBytes - 2 * data.length));
          continue;
        }
        if (isNoSpace(err)) {
          this.bypassUntilMs = this.now() + FULL_DISK_BYPASS_MS;
          this.events.onBypass?.();
          this.logger.warn({ err, dir: this.dir, bypassMs: FULL_DISK_BYPASS_MS }, 'the cache disk is full; skipping the disk cache for a while');
          return;
        }
        // A failing cache disk degrades to a smaller cache, never to an error.
        this.logger.warn({ err, hash }, 'could not write block to the disk cache');
        return;
      }
    }
    this.touch(hash, data.length);
    await this.evict();
  }

  /** Writes one block under a temporary name and renames it into place; leaves no temporary file behind. */
  private async write(hash: string, data: Buffer): Promise<void> {
    const path = this.pathOf(hash);
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const sub = hash.slice(0, 2);
      if (!this.madeDirs.has(sub)) {
        await mkdir(join(this.dir, 'blocks', sub), { recursive: true });
        this.madeDirs.add(sub);
      }
      await this.files.write(tmp, data);
      // Room first, then the block: the cap holds at every moment, not just between puts.
      await this.evict(this.capacityBytes - data.length);
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }

  pathOf(hash: string): string {
    return blockFilePath(this.dir, hash);
  }

  private touch(hash: string, size: number): void {
    this.forget(hash);
    this.index.set(hash, size);
    this.totalBytes += size;
  }

  private forget(hash: string): void {
    const size = this.index.get(hash);
    if (size === undefined) return;
    this.index.delete(hash);
    this.totalBytes -= size;
  }

  private async evict(limitBytes = this.capacityBytes): Promise<void> {
    while (this.totalBytes > limitBytes) {
      const oldest = this.index.keys().next().value as string | undefined;
      if (oldest === undefined) break;
      this.forget(oldest);
      this.events.onEvict?.();
      await unlink(this.pathOf(oldest)).catch(() => undefined);
    }
  }

  /** Rebuilds the index from the directory, oldest access time first. */
  private async loadIndex(): Promise<void> {
    const entries: { hash: string; size: number; atimeMs: number }[] = [];
    const root = join(this.dir, 'blocks');
    for (const sub of await readdir(root)) {
      let names: string[];
      try {
        names = await readdir(join(root, sub));
      } catch {
        continue;
      }
      for (const name of names) {
        const path = join(root, sub, name);
        if (name.endsWith('.tmp')) {
          await unlink(path).catch(() => undefined);
          continue;
        }
        if (!/^[0-9a-f]{64}$/.test(name)) continue;
        const st = await stat(path).catch(() => undefined);
        if (st) entries.push({ hash: name, size: st.size, atimeMs: Math.max(st.atimeMs, st.mtimeMs) });
      }
    }
    entries.sort((a, b) => a.atimeMs - b.atimeMs);
    for (const e of entries) this.touch(e.hash, e.size);
  }
}
