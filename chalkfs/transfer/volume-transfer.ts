/*
 * `volume export` and `volume import` without a mount: the volume is opened in this
 * process as a mount opens it (daemon/volume-stack.ts), and its tree moves to or from a
 * host directory or a tar (host-directory.ts, tar-archive.ts).
 *
 * Export reads one version, pinned (default: the newest consistent), so what leaves is
 * transaction-consistent: a SQLite database in it is as some commit left it.
 * Import is a writer: it takes the writer lease as a read-write mount does (refused,
 * naming the holder, while another writer holds it), announces itself (presence, so
 * `volume rm` waits), and commits once at the end. A failure before that commits nothing.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { ChalkError, isChalkError } from '../util/chalk-error.js';
import { PresenceKeeper, defaultPresenceIntervalMs } from '../meta/presence.js';
import { openVolumeStack, type VolumeStack, type VolumeStackSettings } from '../daemon/volume-stack.js';
import type { ReaderVolume } from '../vfs/reader-volume.js';
import type { WriterVolume } from '../vfs/writer-volume.js';
import { countEntry, emptyCounts, type ArchiveEnd, type TransferCounts, type TreeEntry } from './tree-entry.js';
import { packTar, tarEntries } from './tar-archive.js';
import { directoryBytes, directoryEntries, checkEmptyDirectory, writeDirectory } from './host-directory.js';
import { applyEntries, versionBytes, versionEntries } from './volume-tree.js';

/** What a transfer tells whoever shows progress. */
export interface TransferProgress {
  /** The bytes of file content to move, when known before (not for a tar read from a stream). */
  start(totalBytes: number | undefined): void;
  bytes(count: number): void;
  entry(path: string): void;
  stop(): void;
}

export type StackSettings = VolumeStackSettings;

export interface ExportResult {
  volume: string;
  seq: number;
  destination: string;
  counts: TransferCounts;
}

export interface ImportResult {
  volume: string;
  /** The version the import committed. */
  seq: number;
  source: string;
  to: string;
  counts: TransferCounts;
  /** SQLite databases copied consistently, and how. */
  databases: { path: string; method: string }[];
  skipped: { path: string; reason: string }[];
}

/** Counts each entry as it passes and tells the progress. */
async function* counted(entries: AsyncIterable<TreeEntry>, counts: TransferCounts, progress: TransferProgress): AsyncGenerator<TreeEntry> {
  for await (const entry of entries) {
    countEntry(counts, entry);
    progress.entry(entry.path);
    yield entry;
  }
}

async function closeStack(stack: VolumeStack): Promise<void> {
  await stack.cache.settled();
  stack.rawStore.destroy();
}

export async function exportVolume(volume: string, version: number | undefined, destination: ArchiveEnd, settings: StackSettings, progress: TransferProgress): Promise<ExportResult> {
  if (destination.kind === 'directory') await checkEmptyDirectory(destination.path);
  const stack = await openVolumeStack({ ...settings, volume, mode: 'pinned', pinnedSeq: version, fallbackReadOnly: false });
  const reader = stack.volume as ReaderVolume;
  const counts = emptyCounts();
  const onBytes = (n: number) => {
    counts.bytes += n;
    progress.bytes(n);
  };
  try {
    progress.start(versionBytes(reader));
    const entries = counted(versionEntries(reader), counts, progress);
    if (destination.kind === 'directory') await writeDirectory(destination.path, entries, onBytes);
    else await writeStream(packTar(entries, onBytes), destination);
  } finally {
    progress.stop();
    await reader.close();
    await closeStack(stack);
  }
  const where = destination.kind === 'tar-stdio' ? '-' : destination.path;
  return { volume, seq: reader.versionSeq, destination: where, counts };
}

async function writeStream(tar: Readable, destination: ArchiveEnd): Promise<void> {
  if (destination.kind === 'tar-file') return pipeline(tar, createWriteStream(destination.path, { flags: 'wx' }));
  // stdout is never ended: the process may still print after the archive.
  await pipeline(tar, async function (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
  });
}

export async function importVolume(volume: string, source: ArchiveEnd, to: string, settings: StackSettings, progress: TransferProgress): Promise<ImportResult> {
  let stack: VolumeStack;
  try {
    stack = await openVolumeStack({ ...settings, volume, mode: 'read-write', fallbackReadOnly: false });
  } catch (err) {
    if (!isChalkError(err, 'lease-held')) throw err;
    const why = err.message.replace(/; mount it --read-only, or unmount it there$/, '');
    throw new ChalkError('lease-held', `cannot import into ${why}; unmount it there first (nothing was imported)`, { cause: err });
  }
  const writer = stack.volume as WriterVolume;
  const where = source.kind === 'tar-stdio' ? '-' : source.path;
  const result: ImportResult = { volume, seq: 0, source: where, to, counts: emptyCounts(), databases: [], skipped: [] };
  let presence: PresenceKeeper | undefined;
  let committed = false;
  try {
    presence = await PresenceKeeper.start({
      store: stack.store,
      identity: { volume, mountId: stack.writer.mountId, host: stack.writer.host, pid: process.pid, mode: 'read-write', mountpoint: `(import from ${where})` },
      intervalMs: defaultPresenceIntervalMs,
      logger: settings.logger,
      volumeExists: () => writer.existence.check(),
    });
    const skipped = (path: string, reason: string) => result.skipped.push({ path, reason });
    let entries: AsyncIterable<TreeEntry>;
    if (source.kind === 'directory') {
      progress.start(await directoryBytes(source.path));
      entries = directoryEntries(source.path, { skipped, database: (path, method) => result.databases.push({ path, method }) });
    } else {
      progress.start(undefined);
      const input: Readable = source.kind === 'tar-file' ? createReadStream(source.path) : process.stdin;
      entries = tarEntries(input, (name) => skipped(name, 'a device node: a volume does not hold it'));
    }
    await applyEntries(writer, to, counted(entries, result.counts, progress), (n) => {
      result.counts.bytes += n;
      progress.bytes(n);
    });
    result.seq = await writer.commit('import');
    committed = true;
    await writer.close();
  } finally {
    progress.stop();
    if (!committed) writer.abandon();
    await presence?.stop();
    await stack.lease?.release();
    await closeStack(stack);
  }
  return result;
}
