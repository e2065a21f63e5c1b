// The store chosen as AWS users expect, through the real CLI and daemon: a profile in an
// AWS config file whose endpoint_url (or services section) is the test MinIO, with its
// keys in the credentials file and nothing in the environment but AWS_PROFILE and the
// files' paths; and the embedded MinIO only when nothing AWS-like is set, said once on
// stderr. (Real AWS is not reachable here: test/unit/aws-config.test.ts pins that choice.)
import { spawnSync } from 'node:child_process';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';

// Nothing from the fixture's own store settings but the bucket.
const noStoreEnv = { CHALKFS_S3_ENDPOINT: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_REGION: undefined };

async function awsFiles(fx: ChalkfsFixture, config: string): Promise<Record<string, string>> {
  const dir = await fx.tempDir('aws');
  await writeFile(join(dir, 'config'), config);
  await writeFile(join(dir, 'credentials'), `[minio-test]\naws_access_key_id = ${fx.store.accessKeyId}\naws_secret_access_key = ${fx.store.secretAccessKey}\n`);
  return { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_PROFILE: 'minio-test' };
}

describe('an AWS profile chooses the store', () => {
  it("the profile's endpoint_url and credentials: volume create, ls and a mount use that store", async () => {
    await using fx = await ChalkfsFixture.create();
    const env = { ...noStoreEnv, ...(await awsFiles(fx, `[profile minio-test]\nregion = us-east-1\nendpoint_url = ${fx.store.endpoint}\n`)) };
    const created = await fx.cliOk(['volume', 'create', 'via-profile'], { env });
    expect(created.stdout).toContain(`created volume via-profile`);
    expect(created.stdout).toContain(fx.store.endpoint);
    expect(created.stderr).not.toMatch(/embedded MinIO/);
    expect((await fx.cliOk(['volume', 'ls'], { env })).stdout).toContain('via-profile');
    expect(await fx.listKeys('volumes/via-profile/')).toContain('volumes/via-profile/volume.json');
    // The daemon is a child process: it must reach the same store with the profile's keys.
    const mount = await fx.mount('via-profile', { env });
    await writeFile(join(mount.dir, 'f.txt'), 'through the profile');
    await mount.unmount();
    const again = await fx.mount('via-profile', { env, readOnly: true });
    expect(await readFile(join(again.dir, 'f.txt'), 'utf8')).toBe('through the profile');
    await again.unmount();
  });

  it("the profile's services section (s3 endpoint_url), as the AWS CLI reads it", async () => {
    await using fx = await ChalkfsFixture.create();
    const config = `[profile minio-test]\nservices = local-s3\nendpoint_url = http://127.0.0.1:9/unused\n\n[services local-s3]\ns3 =\n  endpoint_url = ${fx.store.endpoint}\n`;
    const env = { ...noStoreEnv, ...(await awsFiles(fx, config)) };
    await fx.cliOk(['volume', 'create', 'via-services'], { env });
    expect((await fx.cliOk(['volume', 'ls'], { env })).stdout).toContain('via-services');
    expect(await fx.listKeys('volumes/via-services/')).toContain('volumes/via-services/volume.json');
  });

  it('the wrong keys in the profile: access denied, not a fallback to another store', async () => {
    await using fx = await ChalkfsFixture.create();
    const files = await awsFiles(fx, `[profile minio-test]\nendpoint_url = ${fx.store.endpoint}\n`);
    const env = { ...noStoreEnv, ...files };
    await writeFile(files.AWS_SHARED_CREDENTIALS_FILE!, '[minio-test]\naws_access_key_id = wrong\naws_secret_access_key = wrong-secret\n');
    const r = await fx.cli(['volume', 'create', 'denied'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/access denied/);
  });
});

describe('nothing AWS-like configured', () => {
  it('the embedded MinIO is used, and the command that starts it says so once', async () => {
    await using fx = await ChalkfsFixture.create();
    const dir = await fx.tempDir('no-aws');
    // No AWS files either (nonexistent paths), whatever the machine's ~/.aws holds.
    const env = { ...noStoreEnv, AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'), CHALKFS_BUCKET: 'chalkfs' };
    try {
      const first = await fx.cliOk(['volume', 'create', 'local'], { env, timeoutMs: 90_000 });
      const notes = first.stderr.split('\n').filter((l) => l.includes('embedded MinIO'));
      expect(notes).toEqual([`chalkfs: no S3 endpoint, AWS credentials or AWS profile configured: using the embedded MinIO under ${fx.host.home}`]);
      const second = await fx.cliOk(['volume', 'ls'], { env });
      expect(second.stdout).toContain('local');
      expect(second.stderr).not.toMatch(/embedded MinIO/);
    } finally {
      await fx.cli(['minio', 'stop'], { env });
    }
    // No MinIO of this home left running.
    expect(spawnSync('pgrep', ['-f', join(fx.host.home, 'minio')], { encoding: 'utf8' }).stdout.trim()).toBe('');
  });
});
