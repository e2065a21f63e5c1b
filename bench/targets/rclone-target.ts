/*
 * The rclone peer target: `rclone mount` with its full VFS cache, on its own bucket of the
 * bench's MinIO.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, waitForMount } from '../system-commands.js';
import { FuseTarget } from './fuse-target.js';
import { awaitObject, type PeerStore } from './peer-store.js';

/** Peer: rclone mount (Debian package) with --vfs-cache-mode full on its own bucket. */
export class RcloneTarget extends FuseTarget {
  readonly name = 'rclone' as const;
  readonly setup: Record<string, string>;
  private readonly configFile: string;

  constructor(
    workDir: string,
    private readonly store: PeerStore,
    version: string,
  ) {
    super(workDir);
    this.configFile = join(workDir, 'rclone.conf');
    writeFileSync(
      this.configFile,
      [
        '[minio]',
        'type = s3',
        'provider = Other',
        `access_key_id = ${store.accessKeyId}`,
        `secret_access_key = ${store.secretAccessKey}`,
        `endpoint = ${store.endpoint}`,
        `region = ${store.region}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    this.setup = { version, bucket: store.bucket, options: this.args(false).slice(2).join(' ') };
  }

  private args(readOnly: boolean): string[] {
    return [
      `minio:${this.store.bucket}`,
      this.mountDir,
      '--config',
      this.configFile,
      '--vfs-cache-mode',
      'full',
      '--cache-dir',
      this.cacheDir,
      // Upload as soon as a file is closed, so the copied-in database reaches the bucket
      // before the cold-cache remount (the default waits 5 s).
      '--vfs-write-back',
      '0s',
      '--daemon',
      ...(readOnly ? ['--read-only'] : []),
    ];
  }

  protected async mount(readOnly: boolean): Promise<void> {
    // rclone fails with LoadCustomCABundleError when AWS_CA_BUNDLE is set (FUSE-NOTES).
    const env = { ...process.env };
    delete env.AWS_CA_BUNDLE;
    await runCommand('rclone', ['mount', ...this.args(readOnly)], { env, timeoutMs: 60_000 });
    await waitForMount(this.mountDir, 15_000, 'rclone');
  }

  protected override async awaitDurable(name: string, sizeBytes: number): Promise<void> {
    await awaitObject(this.store, name, sizeBytes, 180_000);
  }
}
