// CHALKFS_BUCKET=bucket/prefix through the real CLI, daemon and MinIO: two chalkfs roots
// in one bucket, each with a volume of the same name, stay apart in create, ls, mount
// and the keys they write; a bad prefix is a usage error before the store is touched.
import { writeFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';

describe('one bucket, several chalkfs roots', () => {
  it('volumes of the same name under two prefixes are separate volumes; every key is under its prefix', async () => {
    await using fx = await ChalkfsFixture.create();
    const rootA = { CHALKFS_BUCKET: `${fx.bucket}/team-a` };
    const rootB = { CHALKFS_BUCKET: `${fx.bucket}/envs/b/` };
    await fx.cliOk(['volume', 'create', 'db'], { env: rootA });
    await fx.cliOk(['volume', 'create', 'db', '--block-size', '64KiB'], { env: rootB });
    await fx.cliOk(['volume', 'create', 'only-b'], { env: rootB });

    const ls = async (env: Record<string, string>) => JSON.parse((await fx.cliOk(['volume', 'ls', '--json'], { env })).stdout) as { name: string }[];
    expect((await ls(rootA)).map((v) => v.name)).toEqual(['db']);
    expect((await ls(rootB)).map((v) => v.name)).toEqual(['db', 'only-b']);
    // The bucket's own root holds no volume.
    expect(await ls({ CHALKFS_BUCKET: fx.bucket })).toEqual([]);

    const a = await fx.mount('db', { env: rootA });
    await writeFile(join(a.dir, 'a.txt'), 'root a');
    await a.unmount();
    const b = await fx.mount('db', { env: rootB });
    expect(await readdir(b.dir)).toEqual([]);
    await b.unmount();
    const again = await fx.mount('db', { env: rootA, readOnly: true });
    expect(await readFile(join(again.dir, 'a.txt'), 'utf8')).toBe('root a');
    await again.unmount();

    const keys = await fx.listKeys();
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((k) => !k.startsWith('team-a/volumes/db/') && !k.startsWith('envs/b/volumes/'))).toEqual([]);
    expect(keys.some((k) => k.startsWith('team-a/volumes/db/blocks/'))).toBe(true);
  });

  it('a bad prefix: exit 2 and one line naming it', async () => {
    await using fx = await ChalkfsFixture.create();
    const r = await fx.cli(['volume', 'ls'], { env: { CHALKFS_BUCKET: `${fx.bucket}/a//b` } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(`chalkfs: invalid prefix "a//b" in CHALKFS_BUCKET="${fx.bucket}/a//b": expected bucket/prefix, the prefix made of "/"-separated names of letters, digits, ".", "_", "-"`);
  });
});
