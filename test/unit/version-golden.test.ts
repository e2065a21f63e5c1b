// The wire format of versions does not drift: bodies written by earlier releases (kept
// here byte for byte, chalkfs-version/1 and /2) decode to the same records, a writer
// doing the same operations today encodes exactly the same bytes but for the format
// name (/3), and a /3 history with hard links, a FIFO and a socket is pinned too.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeVersion, deltaFormat, encodeMeta, versionFormat, type VersionRecord } from '../../chalkfs/meta/format.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';
import { Namespace } from '../../chalkfs/meta/namespace.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import { closeTestMounts, newTestVolume, testBlockSize as bs } from '../support/test-volume.js';

afterEach(closeTestMounts);

const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');

/**
 * A writer's history with every kind of inode and change the format carries: dirs,
 * symlinks, holes, whole blocks, patches, attribute changes, truncation, a hot journal
 * (an inconsistent version) and a host-local `-shm` left out. The clock is fixed, so
 * the bodies are the same on every run.
 */
async function writeHistory(): Promise<Buffer[]> {
  const { memory, mount } = await newTestVolume(undefined, { maxPatchBytesPerBlock: 64, patchBudgetBytes: 1 << 20, clock: () => 5_000 });
  const rw = await mount('read-write', { mountId: 'golden' });
  rw.mkdir('/d', 0o750);
  const fh = rw.create('/d/f', 0o640);
  await rw.write(fh, Buffer.alloc(bs + 100, 0x5a), 0);
  await rw.write(fh, Buffer.from('tail'), 3 * bs);
  rw.symlink('/d/f', '/link');
  await rw.fsync('/d/f');
  await rw.write(fh, Buffer.from('patch'), 10);
  rw.chmod('/d/f', 0o600);
  rw.chown('/d/f', 7, undefined);
  rw.setTimes('/d/f', { atimeMs: 1234 });
  await rw.fsync('/d/f');
  await rw.truncate('/d/f', bs + 50);
  rw.release(fh);
  const shm = rw.create('/db-shm', 0o644);
  await rw.write(shm, Buffer.alloc(100, 1), 0);
  const journal = rw.create('/db-journal', 0o644);
  await rw.write(journal, Buffer.alloc(512, 0xd9), 0);
  await rw.commit('golden');
  rw.release(journal);
  rw.release(shm);
  await rw.unlink('/db-journal');
  rw.rename('/link', '/d/link2');
  rw.mkdir('/e', 0o700);
  await rw.commit('golden');
  rw.rmdir('/e');
  await rw.commit('golden');
  await closeTestMounts();
  return versionBodies(memory);
}

/**
 * Each version as a full body: the writer stores most versions as deltas (docs/FORMAT.md,
 * "Delta log"), so each is rebuilt from its chain (by a repository of its own, reading
 * the store cold) and encoded whole, as a checkpoint of it would be.
 */
async function versionBodies(memory: Awaited<ReturnType<typeof newTestVolume>>['memory']): Promise<Buffer[]> {
  const bodies: Buffer[] = [];
  for (let seq = 1; memory.objects.has(storeKeys.version('vol', seq)); seq++) {
    const record = await new VolumeRepository(memory).readVersion('vol', seq);
    bodies.push(encodeMeta(record.format, record));
  }
  return bodies;
}

/** The objects as stored: a checkpoint, then deltas. */
async function storedBodies(memory: Awaited<ReturnType<typeof newTestVolume>>['memory']): Promise<Buffer[]> {
  const bodies: Buffer[] = [];
  for (let seq = 1; memory.objects.has(storeKeys.version('vol', seq)); seq++) bodies.push((await memory.get(storeKeys.version('vol', seq))).body);
  return bodies;
}

/** What chalkfs-version/3 adds: a file with three names in two directories, a FIFO with two, a socket; then one name of each removed. */
async function writeLinkHistory(stored = false): Promise<Buffer[]> {
  const { memory, mount } = await newTestVolume(undefined, { clock: () => 6_000 });
  const rw = await mount('read-write', { mountId: 'golden' });
  rw.mkdir('/d', 0o755);
  const fh = rw.create('/d/f', 0o644);
  await rw.write(fh, Buffer.from('shared'), 0);
  rw.release(fh);
  rw.link('/d/f', '/g');
  rw.link('/g', '/d/h');
  rw.mknod('/p', 0o010640, 0);
  rw.link('/p', '/d/p2');
  rw.mknod('/s', 0o140755, 0);
  await rw.commit('golden');
  await rw.unlink('/d/f');
  await rw.unlink('/p');
  await rw.commit('golden');
  await closeTestMounts();
  return stored ? storedBodies(memory) : versionBodies(memory);
}

/** The same record under another format name (the header and the `format` field), re-encoded. */
function asFormat(body: Buffer, format: string): Buffer {
  const record = decodeVersion(body, 'k');
  return encodeMeta(format, { ...record, format });
}

/** SHA-256 of each version body `writeHistory` wrote with the release before the live model was split from the wire types. */
const historyBodySha256 = [
  '4b5a1289aa9168c5bcf658cb5377d5ac4c7ae7a05609fe6ccbc4d31949d782db',
  '183f60184f32d019ce5e9f316481b7a3bb92f80bae9b3ac46be46b311fbcb8ce',
  'dde8f3c07c254b0d4848e74ed8a8c2a77b26a0a2a8e528b9418394fce26341a7',
  'b1a2c543a2bf40ce4dcd2dc9550fe478391f0939fb5854467c3e54e1370ec59c',
  '39b5fdd65567856537d249fb3a0f74cd6aa0d5b136f16cc3c972879df42677a2',
  'f8b8ec062be613f8834f728b4ea1cea9e8a0091ce986eac3c0b8904bb47fbbce',
  '348a1248dc80ad2ca38dc5c0c97db4eb8e0eb0f32e03b89de7a8990ee26b5a13',
];

/** SHA-256 of each version body `writeLinkHistory` wrote (chalkfs-version/3, the release that added hard links). */
const linkHistoryBodySha256 = [
  '33dfeb3626c559779024150e2af789576105975d84264dbe8137d8013bbc1e94',
  'c6cfa5537001de8331baa606f075a81ba95f06968255bc5cfcb193919f038c0b',
  'f4ea03c10d2bc2e9da9ed3ee9ea3ff11cda84030592f9d10c734e7b69243fa28',
];

/** Version 2 of the link history: every name in place. */
const linkedVersionBody = `chalkfs-version/3 sha256=646b64e32e2f530ae1cad9c0c52041daf91c3740cdc980f630746e1c50fb4fde
{"format":"chalkfs-version/3","volume":"vol","seq":2,"parentSeq":1,"createdAt":"1970-01-01T00:00:06.000Z","writer":{"host":"h","pid":1,"mountId":"golden"},"consistent":true,"nextIno":6,"inodes":{"1":{"type":"dir","mode":493,"uid":1000,"gid":1000,"atimeMs":1000,"mtimeMs":6000,"ctimeMs":6000,"entries":{"d":2,"g":3,"p":4,"s":5}},"2":{"type":"dir","mode":493,"uid":1000,"gid":1000,"atimeMs":6000,"mtimeMs":6000,"ctimeMs":6000,"entries":{"f":3,"h":3,"p2":4}},"3":{"type":"file","mode":420,"uid":1000,"gid":1000,"atimeMs":6000,"mtimeMs":6000,"ctimeMs":6000,"sizeBytes":6,"blocks":["a4d26868017c0ccffe2efe50944ef4211834660cca834c6e9f86dec6a88246fa"]},"4":{"type":"fifo","mode":416,"uid":1000,"gid":1000,"atimeMs":6000,"mtimeMs":6000,"ctimeMs":6000},"5":{"type":"socket","mode":493,"uid":1000,"gid":1000,"atimeMs":6000,"mtimeMs":6000,"ctimeMs":6000}}}`;

/** Version 2 of the link history as stored: the delta from the empty volume. */
const linkDeltaBody = `chalkfs-delta/1 sha256=eec9ccb024fab4f5ada2e29fee954bdc1f773bc44988a378f4f7a9e5e6740be2
{"format":"chalkfs-delta/1","volume":"vol","seq":2,"parentSeq":1,"createdAt":"1970-01-01T00:00:06.000Z","writer":{"host":"h","pid":1,"mountId":"golden"},"consistent":true,"nextIno":6,"chain":{"checkpointSeq":1,"length":1,"bytesBefore":0,"checkpointBytes":397},"removed":[],"inodes":{"2":{"type":"dir","mode":493,"uid":1000,"gid":1000,"atimeMs":6000,"mtimeMs":6000,"ctimeMs":6000,"entries":{"f":3,"h":3,"p2":4}},"3":{"type":"file","mode":420,"uid":1000,"gid":1000,"atimeMs":6000,"mtimeMs":6000,"ctimeMs":6000,"sizeBytes":6,"blocks":["a4d26868017c0ccffe2efe50944ef4211834660cca834c6e9f86dec6a88246fa"]},"4":{"type":"fifo","mode":416,"uid":1000,"gid":1000,"atimeMs":6000,"mtimeMs":6000,"ctimeMs":6000},"5":{"type":"socket","mode":493,"uid":1000,"gid":1000,"atimeMs":6000,"mtimeMs":6000,"ctimeMs":6000}},"files":{},"dirs":{"1":{"type":"dir","mode":493,"uid":1000,"gid":1000,"atimeMs":1000,"mtimeMs":6000,"ctimeMs":6000,"entries":{"d":2,"g":3,"p":4,"s":5}}}}`;

/** Version 3 of that history: dirs, a symlink, a file with a hole and a patch. */
const patchedVersionBody = `chalkfs-version/2 sha256=eadf31af14ed74407930547375a5914b283ea8441f35e2d5ebbfa22a788d64dd
{"format":"chalkfs-version/2","volume":"vol","seq":3,"parentSeq":2,"createdAt":"1970-01-01T00:00:05.000Z","writer":{"host":"h","pid":1,"mountId":"golden"},"consistent":true,"nextIno":5,"inodes":{"1":{"type":"dir","mode":493,"uid":1000,"gid":1000,"atimeMs":1000,"mtimeMs":5000,"ctimeMs":5000,"entries":{"d":2,"link":4}},"2":{"type":"dir","mode":488,"uid":1000,"gid":1000,"atimeMs":5000,"mtimeMs":5000,"ctimeMs":5000,"entries":{"f":3}},"3":{"type":"file","mode":384,"uid":7,"gid":1000,"atimeMs":1234,"mtimeMs":5000,"ctimeMs":5000,"sizeBytes":12292,"blocks":["f302957da5220938a7e3e51a8718c79b9e00dc13ab2119e8cfc978f041720382","e9f5f0ecb0b383238c2974d2dfd21d2b110d69eff05da5f0e0c633c393b0ccf0",null,"0c62f876ef1dea830de9f32c2f4b46dd6d74d50d15896e09ef5a2fcd4ac7e1d7"],"patches":{"0":[[10,"cGF0Y2g="]]}},"4":{"type":"symlink","mode":511,"uid":1000,"gid":1000,"atimeMs":5000,"mtimeMs":5000,"ctimeMs":5000,"target":"/d/f"}}}`;

/** Version 2 of that history as a `chalkfs-version/1` body (before patches existed). */
const v1FormatBody = `chalkfs-version/1 sha256=eca7ba05330086cf2dbca2ed5fe58c7ab04776e2f33943ef8ac93212cc3e4e3b
{"format":"chalkfs-version/1","volume":"vol","seq":2,"parentSeq":1,"createdAt":"1970-01-01T00:00:05.000Z","writer":{"host":"h","pid":1,"mountId":"golden"},"consistent":true,"nextIno":5,"inodes":{"1":{"type":"dir","mode":493,"uid":1000,"gid":1000,"atimeMs":1000,"mtimeMs":5000,"ctimeMs":5000,"entries":{"d":2,"link":4}},"2":{"type":"dir","mode":488,"uid":1000,"gid":1000,"atimeMs":5000,"mtimeMs":5000,"ctimeMs":5000,"entries":{"f":3}},"3":{"type":"file","mode":416,"uid":1000,"gid":1000,"atimeMs":5000,"mtimeMs":5000,"ctimeMs":5000,"sizeBytes":12292,"blocks":["f302957da5220938a7e3e51a8718c79b9e00dc13ab2119e8cfc978f041720382","e9f5f0ecb0b383238c2974d2dfd21d2b110d69eff05da5f0e0c633c393b0ccf0",null,"0c62f876ef1dea830de9f32c2f4b46dd6d74d50d15896e09ef5a2fcd4ac7e1d7"]},"4":{"type":"symlink","mode":511,"uid":1000,"gid":1000,"atimeMs":5000,"mtimeMs":5000,"ctimeMs":5000,"target":"/d/f"}}}`;

/** A decoded record made live (Namespace) and encoded again from it, as a writer does. */
function reencodedThroughTheModel(record: VersionRecord): Buffer {
  const ns = Namespace.fromRecord(record);
  return encodeMeta(record.format, { ...record, ...ns.snapshot() });
}

describe('version wire format (golden)', () => {
  it('a writer encodes the bytes of the earlier release, version by version, but for the format name /3', async () => {
    const bodies = await writeHistory();
    expect(bodies.map((body) => body.toString('utf8').slice(0, body.indexOf(' ')))).toEqual(bodies.map(() => versionFormat));
    expect(bodies.map((body) => sha256(asFormat(body, 'chalkfs-version/2')))).toEqual(historyBodySha256);
    expect(asFormat(bodies[2]!, 'chalkfs-version/2').toString('utf8')).toBe(patchedVersionBody);
  });

  it('a /3 history with hard links, a FIFO and a socket encodes the same bytes on every release from this one', async () => {
    const bodies = await writeLinkHistory();
    expect(bodies.map(sha256)).toEqual(linkHistoryBodySha256);
    expect(bodies[1]!.toString('utf8')).toBe(linkedVersionBody);
  });

  it('the writer stores that history as checkpoints and a delta, whose bytes are pinned too (chalkfs-delta/1)', async () => {
    const bodies = await writeLinkHistory(true);
    // Version 3 is a checkpoint again: delta 2 alone is larger than checkpoint 1 (an empty root).
    expect(bodies.map((body) => body.toString('utf8').slice(0, body.indexOf(' ')))).toEqual([versionFormat, deltaFormat, versionFormat]);
    expect(bodies[1]!.toString('utf8')).toBe(linkDeltaBody);
  });

  it('a /3 body decodes to its links: names share an inode, link counts are counted from the entries', () => {
    const record = decodeVersion(Buffer.from(linkedVersionBody), 'k');
    expect(record.format).toBe('chalkfs-version/3');
    const ns = Namespace.fromRecord(record);
    const f = ns.resolve('/d/f');
    expect(ns.resolve('/g')).toEqual(f);
    expect(ns.resolve('/d/h')).toEqual(f);
    expect(ns.nlink(f.ino)).toBe(3);
    expect(ns.resolve('/p').inode).toMatchObject({ type: 'fifo', mode: 0o640 });
    expect(ns.resolve('/d/p2').ino).toBe(ns.resolve('/p').ino);
    expect(ns.nlink(ns.resolve('/p').ino)).toBe(2);
    expect(ns.resolve('/s').inode).toMatchObject({ type: 'socket', mode: 0o755 });
    expect(reencodedThroughTheModel(record).toString('utf8')).toBe(linkedVersionBody);
  });

  it('old bodies of both version formats decode to the same records, and encode back byte for byte', () => {
    const patched = decodeVersion(Buffer.from(patchedVersionBody), 'k');
    expect(patched).toMatchObject({ format: 'chalkfs-version/2', seq: 3, parentSeq: 2, consistent: true, nextIno: 5, writer: { host: 'h', pid: 1, mountId: 'golden' } });
    expect(patched.inodes['1']).toEqual({ type: 'dir', mode: 0o755, uid: 1000, gid: 1000, atimeMs: 1000, mtimeMs: 5000, ctimeMs: 5000, entries: { d: 2, link: 4 } });
    expect(patched.inodes['3']).toMatchObject({ type: 'file', mode: 0o600, uid: 7, atimeMs: 1234, sizeBytes: 3 * bs + 4, patches: { 0: [[10, Buffer.from('patch').toString('base64')]] } });
    expect((patched.inodes['3'] as { blocks: readonly unknown[] }).blocks[2]).toBeNull();
    expect(patched.inodes['4']).toMatchObject({ type: 'symlink', target: '/d/f' });
    expect(reencodedThroughTheModel(patched).toString('utf8')).toBe(patchedVersionBody);

    const old = decodeVersion(Buffer.from(v1FormatBody), 'k');
    expect(old.format).toBe('chalkfs-version/1');
    expect(Object.keys(old.inodes)).toEqual(['1', '2', '3', '4']);
    expect(old.inodes['3']).not.toHaveProperty('patches');
    expect(reencodedThroughTheModel(old).toString('utf8')).toBe(v1FormatBody);
  });
});
