// kill -9 of the writer's daemon at seeded random moments while a SQLite writer commits
// through it. After each kill the same host mounts read-write again (the lease of a dead
// process on this host is taken over at once), and every transaction whose COMMIT had
// returned must be there, with integrity_check ok. The writer child reports each COMMIT
// that returned, before the next one starts, so the test knows what was acknowledged.
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ChalkfsFixture, type Mount } from '../support/chalkfs-fixture.js';
import { Children, processAlive, sqliteCheckCode, sqliteWriterCode, stateKey, waitFor, type DbState } from '../support/multihost-children.js';
import { seededRandom as prng } from '../../chalkfs/util/seeded-random.js';

const rounds = 20;
const journalModes = ['delete', 'truncate', 'persist'];


describe('kill -9 of the writer daemon', () => {
  it(`loses no acknowledged transaction over ${rounds} seeded kills, and the lease is taken back each time`, { timeout: 300_000 }, async () => {
    await using fx = await ChalkfsFixture.create();
    const children = new Children();
    const rand = prng(0xc4a5);
    try {
      const volume = 'crash';
      await fx.createVolume(volume);
      const dir = await fx.tempDir('mnt');
      const cacheDir = await fx.tempDir('cache');
      let mount: Mount = await fx.mount(volume, { dir, cacheDir });
      // What must be there after a crash: the last acknowledged state; the transaction
      // whose COMMIT was in flight may or may not have landed (it is atomic either way).
      let acked: DbState | undefined;
      let inFlight: number | undefined;
      const history: string[] = [];

      for (let round = 0; round <= rounds; round++) {
        const check = children.spawn(sqliteCheckCode, { db: join(dir, 'db.sqlite') }, fx.host.env());
        if (acked) {
          const result = await check.waitForLine(`the check after kill ${round}`, 60_000, (l) => l.type === 'checked' || l.type === 'error');
          history.push(`round ${round}: acked ${acked.txn}, in flight ${inFlight}, found ${JSON.stringify(result)}`);
          expect(result, history.join('\n')).toMatchObject({ type: 'checked', check: 'ok' });
          const found = result as unknown as DbState;
          if (found.txn === acked.txn) expect(stateKey(found), history.join('\n')).toBe(stateKey(acked));
          else expect(found.txn, `acknowledged transaction ${acked.txn} lost\n${history.join('\n')}`).toBe(inFlight);
        } else {
          await check.exited;
        }
        if (round === rounds) break;

        const journalMode = journalModes[round % journalModes.length]!;
        const writer = children.spawn(sqliteWriterCode, { db: join(dir, 'db.sqlite'), journalMode, seed: Math.floor(rand() * 2 ** 32), transactions: 1_000_000 }, fx.host.env());
        await writer.waitForLine(`writer ${round} to commit once`, 60_000, (l) => {
          if (l.type === 'error') throw new Error(`writer ${round}: ${JSON.stringify(l)}`);
          return l.type === 'commit';
        });
        const delayMs = Math.floor(rand() * 1500);
        await new Promise((r) => setTimeout(r, delayMs));
        process.kill(mount.pid, 'SIGKILL');
        await waitFor(`daemon ${mount.pid} to die`, 10_000, () => !processAlive(mount.pid));
        // Nothing left to unmount for the fixture's cleanup: the next mount reuses the directory.
        mount.unmount = async () => undefined;
        // The writer now gets errors from the dead mount; what it acknowledged is in its lines.
        const code = await Promise.race([writer.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
        expect(code, `writer ${round} hung on the dead mount`).not.toBe('hung');
        const commits = writer.ofType('commit');
        const begins = writer.ofType('begin');
        acked = (commits.at(-1) ?? writer.ofType('ready')[0]) as unknown as DbState;
        const lastBegin = begins.at(-1)?.txn as number | undefined;
        inFlight = lastBegin !== undefined && lastBegin > acked.txn ? lastBegin : undefined;
        history.push(`round ${round}: ${journalMode}, killed after ${delayMs} ms at ${commits.length} commits (acked txn ${acked.txn}); writer: ${JSON.stringify(writer.ofType('error').at(0) ?? null)}`);

        // Same host, same mount point: the lease of the dead daemon is taken over at once.
        mount = await fx.mount(volume, { dir, cacheDir });
      }
      const log = await readFile(mount.logFile, 'utf8');
      expect(log.match(/took over the writer lease/g)?.length ?? 0).toBe(rounds);
      expect(log).toContain('holder-process-gone');
      console.log(history.join('\n'));
      await mount.unmount();
    } finally {
      await children.killAll();
    }
  });
});
