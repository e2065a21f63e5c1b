/*
 * A writer mounted on a volume whose newest version is not consistent (a SQLite process
 * died mid-transaction, leaving a hot journal, and the writer then unmounted or died):
 * once that journal is gone, its versions must be consistent again, also while another
 * database keeps an idle PERSIST-mode journal (zeroed header, non-empty) that nobody
 * writes after the restart. Found by the s27 configuration matrix (notes/s27/matrix).
 */
import { describe, expect, it } from 'vitest';
import { cleanUpAfterEach, newVolume } from '../support/volume-test-helpers.js';

cleanUpAfterEach();

const magic = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]);

describe('WriterVolume (restart after an inconsistent version)', () => {
  it('an idle PERSIST journal of another database does not keep every later version inconsistent', async () => {
    const { repo, mount } = await newVolume();
    const first = await mount('read-write');
    // b.db in PERSIST mode: one transaction, its journal hot then zeroed (idle, kept).
    const b = first.create('/b.db-journal', 0o644);
    await first.write(b, Buffer.concat([magic, Buffer.alloc(504, 3)]), 0);
    await first.fsync('/b.db-journal');
    await first.write(b, Buffer.alloc(8), 0);
    await first.fsync('/b.db-journal');
    first.release(b);
    // a.db: a transaction under way when its process is killed: the journal stays hot.
    const a = first.create('/a.db-journal', 0o644);
    await first.write(a, Buffer.concat([magic, Buffer.alloc(504, 4)]), 0);
    first.release(a);
    await first.close();
    const crashed = await repo.readVersion('vol', first.versionSeq);
    expect(crashed.consistent).toBe(false);

    const second = await mount('read-write');
    // SQLite's next open of a.db rolls the hot journal back and deletes it (DELETE mode):
    // the state before the killed transaction, and a.db's commit point from then on.
    await second.unlink('/a.db-journal');
    const db = second.create('/a.db', 0o644);
    await second.write(db, Buffer.alloc(512, 5), 0);
    const seq = await second.commit('periodic');
    expect((await repo.readVersion('vol', seq)).consistent).toBe(true);
    second.release(db);
  });
});
