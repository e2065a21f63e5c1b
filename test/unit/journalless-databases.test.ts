/*
 * WriterVolume and SQLite databases written with no journal on disk (journal_mode=MEMORY
 * or OFF): a version is marked consistent only when the lock probe says no process holds
 * EXCLUSIVE on the database and no write reached it while the probe ran; once its writer
 * lets go, a version is marked consistent with nothing else changed. Databases that have a
 * journal or a -wal beside them, and files that are not databases, are never probed.
 */
import { describe, expect, it } from 'vitest';
import { cleanUpAfterEach, newVolume, versionKeys } from '../support/volume-test-helpers.js';
import type { DatabaseLockProbe } from '../../chalkfs/vfs/volume-view.js';

cleanUpAfterEach();

const page1 = Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(512 - 16, 1)]);
const magic = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]);

/** A probe whose answer the test sets, counting the paths it is asked about. */
function fakeProbe(held = false) {
  const asked: string[] = [];
  const probe = {
    held,
    beforeAnswer: async () => {},
    asked,
    exclusiveHeld: async (path: string) => {
      asked.push(path);
      await probe.beforeAnswer();
      return probe.held;
    },
  };
  return probe satisfies DatabaseLockProbe;
}

async function writerWithProbe(held = false) {
  const volume = await newVolume();
  const rw = await volume.mount('read-write');
  const probe = fakeProbe(held);
  rw.probeDatabaseLocks(probe);
  return { ...volume, rw, probe };
}

describe('WriterVolume (journal-less databases)', () => {
  it('a version sealed while the writer holds EXCLUSIVE is not consistent; once it lets go, the next periodic commit marks one consistent with nothing else changed', async () => {
    const { repo, memory, rw, probe } = await writerWithProbe(true);
    const db = rw.create('/db', 0o644);
    await rw.write(db, page1, 0);
    const mid = await rw.commit('periodic');
    expect((await repo.readVersion('vol', mid)).consistent).toBe(false);
    expect(probe.asked).toEqual(['/db']);

    const before = versionKeys(memory).length;
    expect(await rw.commit('periodic')).toBe(mid); // still held: no version
    expect(versionKeys(memory)).toHaveLength(before);

    probe.held = false;
    const after = await rw.commit('periodic');
    expect(after).toBe(mid + 1);
    expect((await repo.readVersion('vol', after)).consistent).toBe(true);
    expect(await rw.commit('periodic')).toBe(after); // settled: nothing more to write
    rw.release(db);
  });

  it('a write that reaches the database while its probe runs leaves the version not consistent', async () => {
    const { repo, rw, probe } = await writerWithProbe(false);
    const db = rw.create('/db', 0o644);
    await rw.write(db, page1, 0);
    probe.beforeAnswer = async () => {
      probe.beforeAnswer = async () => {};
      await rw.write(db, Buffer.alloc(512, 2), 512); // a transaction that took EXCLUSIVE after the probe looked
    };
    const seq = await rw.commit('periodic');
    expect((await repo.readVersion('vol', seq)).consistent).toBe(false);
    const next = await rw.commit('periodic');
    expect(next).toBe(seq + 1);
    expect((await repo.readVersion('vol', next)).consistent).toBe(true);
    rw.release(db);
  });

  it('a write landing while a commit is queued is counted in the step it lands: no version vouches for it unprobed', async () => {
    const { repo, rw, probe } = await writerWithProbe(true);
    const db = rw.create('/db', 0o644);
    // Commits queued around each write (as a busy writer's are), the writer holding EXCLUSIVE throughout.
    const commits: Promise<number>[] = [];
    for (let page = 0; page < 4; page++) {
      commits.push(rw.commit('racing'));
      await rw.write(db, page === 0 ? page1 : Buffer.alloc(512, page), page * 512);
    }
    for (const seq of await Promise.all(commits)) {
      if (seq > 1) expect((await repo.readVersion('vol', seq)).consistent, `version ${seq}`).toBe(false);
    }
    rw.release(db);
  });

  it('a database written while its journal exists (DELETE, TRUNCATE, PERSIST) or its -wal does is never probed', async () => {
    const { repo, rw, probe } = await writerWithProbe(true);
    const db = rw.create('/db', 0o644);
    const j = rw.create('/db-journal', 0o644);
    await rw.write(j, Buffer.concat([magic, Buffer.alloc(504)]), 0);
    await rw.write(db, page1, 0);
    rw.release(j);
    await rw.unlink('/db-journal'); // DELETE mode's commit point, while SQLite still holds EXCLUSIVE
    expect((await repo.readVersion('vol', rw.versionSeq)).consistent).toBe(true);

    const walDb = rw.create('/w.db', 0o644);
    const wal = rw.create('/w.db-wal', 0o644);
    await rw.write(walDb, page1, 0); // a checkpoint
    const seq = await rw.commit('periodic');
    expect((await repo.readVersion('vol', seq)).consistent).toBe(true);
    expect(probe.asked).toEqual([]);
    rw.release(wal);
    rw.release(walDb);
    rw.release(db);
  });

  it('a file that is not a database is never probed', async () => {
    const { repo, rw, probe } = await writerWithProbe(true);
    const fh = rw.create('/plain', 0o644);
    await rw.write(fh, Buffer.alloc(4096, 7), 0);
    const seq = await rw.commit('periodic');
    expect((await repo.readVersion('vol', seq)).consistent).toBe(true);
    expect(probe.asked).toEqual([]);
    rw.release(fh);
  });

  it('a probe that fails counts as held: the version is not consistent, and the next commit asks again', async () => {
    const { repo, rw, probe } = await writerWithProbe(false);
    const db = rw.create('/db', 0o644);
    await rw.write(db, page1, 0);
    probe.beforeAnswer = async () => {
      probe.beforeAnswer = async () => {};
      throw new Error('the lock helper thread ended');
    };
    const seq = await rw.commit('periodic');
    expect((await repo.readVersion('vol', seq)).consistent).toBe(false);
    const next = await rw.commit('periodic');
    expect((await repo.readVersion('vol', next)).consistent).toBe(true);
    expect(probe.asked).toEqual(['/db', '/db']);
    rw.release(db);
  });
});
