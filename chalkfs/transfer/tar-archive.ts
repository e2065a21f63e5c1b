/*
 * The one adapter of tar-stream: tree entries (tree-entry.ts) to a tar stream and back.
 * Hard links are tar hard links (type `link`, named by the first name's path), symlinks
 * keep their target, names too long for ustar go in pax headers (tar-stream does both
 * ways). ustar keeps whole seconds of an mtime: a tar round trip truncates sub-second
 * times. Device nodes in an archive are skipped (a volume refuses them); they are counted.
 */
import { PassThrough, type Readable } from 'node:stream';
import { once } from 'node:events';
import tar from 'tar-stream';
import { ChalkError } from '../util/chalk-error.js';
import { treePath, type EntryMeta, type TreeEntry } from './tree-entry.js';

/** A tar of `entries`, read as it is written; `onBytes` hears every file byte packed. */
export function packTar(entries: AsyncIterable<TreeEntry>, onBytes: (bytes: number) => void = () => undefined): Readable {
  const pack = tar.pack();
  // Handed out through a core stream: tar-stream's are readable-stream 3 streams, whose
  // errors node's pipeline and async iteration do not always see (a failed export hung).
  const out = new PassThrough();
  pack.pipe(out);
  void (async () => {
    for await (const entry of entries) await packEntry(pack, entry, onBytes);
    pack.finalize();
  })().catch((err: unknown) => {
    pack.unpipe(out);
    pack.destroy();
    out.destroy(err as Error);
  });
  return out;
}

function header(entry: TreeEntry, meta: EntryMeta): tar.Headers {
  return { name: entry.path, mode: meta.mode & 0o7777, uid: meta.uid, gid: meta.gid, mtime: new Date(meta.mtimeMs) };
}

async function packEntry(pack: tar.Pack, entry: TreeEntry, onBytes: (bytes: number) => void): Promise<void> {
  const added = (h: tar.Headers) => new Promise<void>((resolve, reject) => pack.entry(h, (err) => (err ? reject(err) : resolve())));
  switch (entry.type) {
    case 'dir':
      return added({ ...header(entry, entry.meta), name: `${entry.path}/`, type: 'directory' });
    case 'symlink':
      return added({ ...header(entry, entry.meta), type: 'symlink', linkname: entry.target });
    case 'hardlink':
      return added({ name: entry.path, type: 'link', linkname: entry.target });
    case 'fifo':
      return added({ ...header(entry, entry.meta), type: 'fifo' });
    case 'file': {
      let out!: NodeJS.WritableStream;
      const done = new Promise<void>((ok, fail) => {
        out = pack.entry({ ...header(entry, entry.meta), type: 'file', size: entry.sizeBytes }, (err) => (err ? fail(err) : ok()));
      });
      done.catch(() => undefined); // awaited below; a failure before then is the loop's
      let written = 0;
      for await (const chunk of entry.content()) {
        written += chunk.length;
        if (written > entry.sizeBytes) throw new ChalkError('io', `${entry.path}: grew while it was copied`);
        onBytes(chunk.length);
        if (!out.write(chunk)) await once(out as unknown as NodeJS.EventEmitter, 'drain');
      }
      if (written !== entry.sizeBytes) throw new ChalkError('io', `${entry.path}: ${written} bytes read of ${entry.sizeBytes}: it shrank while it was copied`);
      out.end();
      return done;
    }
  }
}

function metaOf(h: tar.Headers): EntryMeta {
  return { mode: (h.mode ?? 0o644) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0, mtimeMs: h.mtime?.getTime() ?? Date.now() };
}

/** The entry a tar header names, or undefined for what a volume cannot hold (devices). */
function entryOf(h: tar.Headers, body: Readable): TreeEntry | undefined {
  const path = treePath(h.name);
  switch (h.type ?? 'file') {
    case 'file':
    case 'contiguous-file':
      return { type: 'file', path, meta: metaOf(h), sizeBytes: h.size ?? 0, content: () => body };
    case 'directory':
      return { type: 'dir', path, meta: metaOf(h) };
    case 'symlink':
      return { type: 'symlink', path, meta: metaOf(h), target: h.linkname ?? '' };
    case 'link':
      return { type: 'hardlink', path, target: treePath(h.linkname ?? '') };
    case 'fifo':
      return { type: 'fifo', path, meta: metaOf(h) };
    default:
      return undefined;
  }
}

interface Pending {
  header: tar.Headers;
  body: Readable;
  /** Listened for from the start: tar-stream's bodies are readable-stream 3 streams, and
   * node's `finished` does not see that one of those has already ended. */
  bodyDone: Promise<void>;
  next: (err?: unknown) => void;
}

/**
 * The entries of the tar read from `input`, one at a time: a file's content must be read
 * (or is skipped) before the next entry is asked for, as tar is read in order. `skipped`
 * hears each entry a volume cannot hold.
 */
export async function* tarEntries(input: Readable, skipped: (name: string) => void = () => undefined): AsyncGenerator<TreeEntry> {
  const extract = tar.extract();
  const queue: Pending[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  extract.on('entry', (header: tar.Headers, body: Readable, next: (err?: unknown) => void) => {
    const bodyDone = new Promise<void>((resolve, reject) => {
      body.once('end', resolve);
      body.once('error', reject);
    });
    queue.push({ header, body, bodyDone, next });
    poke();
  });
  extract.on('finish', () => {
    ended = true;
    poke();
  });
  const fail = (err: unknown) => {
    failure ??= err;
    poke();
  };
  extract.on('error', fail);
  input.on('error', fail);
  input.pipe(extract);
  try {
    for (;;) {
      if (failure) throw new ChalkError('invalid', `reading the tar: ${(failure as Error).message}`, { cause: failure });
      const item = queue.shift();
      if (!item) {
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const entry = entryOf(item.header, item.body);
      if (entry) yield entry;
      else skipped(item.header.name);
      // What the consumer left unread is skipped; then the next header may come.
      item.body.resume();
      await item.bodyDone.catch(fail);
      item.next();
    }
  } finally {
    input.unpipe(extract);
    extract.destroy();
  }
}
