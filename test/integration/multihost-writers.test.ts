// Two hosts start a read-write mount of one volume at the same moment: the writer lease
// (a conditional PUT of lease.json) lets exactly one win, every time; the loser's error
// names the holder, or with --fallback-read-only the loser mounts read-only.
import { describe, expect, it } from 'vitest';
import { ChalkfsFixture, type Mount } from '../support/chalkfs-fixture.js';

const rounds = 10;

async function modeOf(mount: Mount): Promise<string> {
  const status = JSON.parse((await mount.host.cliOk(['status', '--json'])).stdout) as { mountpoint: string; mode: string }[];
  return status.find((s) => s.mountpoint === mount.dir)!.mode;
}

describe('two writers racing for one volume from two hosts', () => {
  it(`exactly one wins, ${rounds} times out of ${rounds}; the loser's error names the holder`, { timeout: 240_000 }, async () => {
    await using fx = await ChalkfsFixture.create();
    const hosts = [fx.host, fx.addHost('host-b')];
    await fx.createVolume('race');
    for (let round = 0; round < rounds; round++) {
      const results = await Promise.allSettled(hosts.map((h) => h.mount('race')));
      const winners = results.filter((r): r is PromiseFulfilledResult<Mount> => r.status === 'fulfilled').map((r) => r.value);
      const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as Error).message);
      expect(winners, `round ${round}: ${losers.join('\n')}`).toHaveLength(1);
      const winner = winners[0]!;
      expect(losers[0]).toMatch(new RegExp(`mounted read-write by host \\S+ pid ${winner.pid} since \\d{4}-\\d\\d-\\d\\dT`));
      expect(await modeOf(winner)).toBe('read-write');
      await winner.unmount();
    }
  });

  it('with --fallback-read-only the loser mounts read-only, and its writes fail with EROFS', { timeout: 180_000 }, async () => {
    await using fx = await ChalkfsFixture.create();
    const hosts = [fx.host, fx.addHost('host-b')];
    await fx.createVolume('race-fallback');
    for (let round = 0; round < 5; round++) {
      const mounts = await Promise.all(hosts.map((h) => h.mount('race-fallback', { extraArgs: ['--fallback-read-only'] })));
      const modes = await Promise.all(mounts.map(modeOf));
      expect([...modes].sort(), `round ${round}`).toEqual(['read-only', 'read-write']);
      const reader = mounts[modes.indexOf('read-only')]!;
      const log = await reader.log();
      expect(log).toMatch(/falling back to a read-only mount/);
      expect(log).toMatch(/mounted read-write by host \S+ pid \d+ since/);
      const write = await reader.host.cli(['volume', 'info', 'race-fallback', '--json']);
      expect(JSON.parse(write.stdout).writer).toMatchObject({ pid: mounts[modes.indexOf('read-write')]!.pid });
      const touch = await import('node:child_process').then(({ spawnSync }) => spawnSync('sh', ['-c', `echo x > ${reader.dir}/f`], { encoding: 'utf8' }));
      expect(touch.status).not.toBe(0);
      expect(touch.stderr).toMatch(/Read-only file system/);
      await Promise.all(mounts.map((m) => m.unmount()));
    }
  });
});
