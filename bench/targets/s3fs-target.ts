/*
 * The s3fs peer target: s3fs-fuse with its disk cache, on its own bucket of the bench's MinIO.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, waitForMount } from '../system-commands.js';
import { FuseTarget } from './fuse-target.js';
import { awaitObject, type PeerStore } from './peer-store.js';

/** Peer: s3fs-fuse (Debian package) on its own bucket of the same MinIO, with its disk cache. */
export class S3fsTarget extends FuseTarget {
  readonly name = 's3fs' as const;
  readonly setup: Record<string, string>;
  private readonly passwdFile: string;

  constructor(
    workDir: string,
    private readonly store: PeerStore,
    version: string,
  ) {
    super(workDir);
    this.passwdFile = join(workDir, 'passwd-s3fs');
    writeFileSync(this.passwdFile, `${store.accessKeyId}:${store.secretAccessKey}\n`, { mode: 0o600 });
    this.setup = { version, bucket: store.bucket, options: this.options(false).join(' ') };
  }

  private options(readOnly: boolean): string[] {
    const o = [`passwd_file=${this.passwdFile}`, `url=${this.store.endpoint}`, 'use_path_request_style', `use_cache=${this.cacheDir}`];
    if (readOnly) o.push('ro');
    return ['-o', o.join(',')];
  }

  protected async mount(readOnly: boolean): Promise<void> {
    // s3fs forks into the background once the mount is set up.
    await runCommand('s3fs', [this.store.bucket, this.mountDir, ...this.options(readOnly)], { timeoutMs: 30_000 });
    await waitForMount(this.mountDir, 15_000, 's3fs');
  }

  protected override async awaitDurable(name: string, sizeBytes: number): Promise<void> {
    await awaitObject(this.store, name, sizeBytes, 120_000);
  }
}
