/*
 * The chalkfs bench target, driven through the CLI as a user would drive it, plus the
 * daemon's own counters (its metrics endpoint) for store requests and FUSE ops.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestCounts } from '../minio-request-counter.js';
import { countsByLabel, parsePrometheusText } from '../prometheus-text.js';
import { isMounted, runCommand, sleep, waitForMount } from '../system-commands.js';
import { FuseTarget } from './fuse-target.js';
import type { PeerStore } from './peer-store.js';

export interface ChalkfsOptions {
  cliEntry: string;
  volume: string;
  blockSize?: string;
  cacheSize?: string;
}

/**
 * chalkfs, driven only through its CLI as a user would: `volume create`, `mount` (which
 * returns once the daemon serves the mount), `unmount` (flush, then unmount).
 */
export class ChalkfsTarget extends FuseTarget {
  readonly name = 'chalkfs' as const;
  readonly setup: Record<string, string>;
  private readonly env: NodeJS.ProcessEnv;
  private volumeCreated = false;

  constructor(
    workDir: string,
    store: PeerStore,
    private readonly options: ChalkfsOptions,
  ) {
    super(workDir);
    const home = join(workDir, 'home');
    mkdirSync(home, { recursive: true });
    this.env = {
      ...process.env,
      CHALKFS_S3_ENDPOINT: store.endpoint,
      AWS_ACCESS_KEY_ID: store.accessKeyId,
      AWS_SECRET_ACCESS_KEY: store.secretAccessKey,
      AWS_REGION: store.region,
      CHALKFS_BUCKET: store.bucket,
      CHALKFS_HOME: home,
    };
    this.setup = {
      bucket: store.bucket,
      volume: options.volume,
      blockSize: options.blockSize ?? 'default',
      cacheSize: options.cacheSize ?? 'default',
      readMount: '--read-only (reads), read-write (copy-in, writer)',
      fuseLayer: 'libfuse 3 (chalkfs binding)',
    };
  }

  static available(cliEntry: string): boolean {
    return existsSync(cliEntry);
  }

  cli(args: string[], timeoutMs = 120_000): Promise<{ stdout: string; stderr: string }> {
    return runCommand(process.execPath, [this.options.cliEntry, ...args], { env: this.env, timeoutMs });
  }

  protected async mount(readOnly: boolean): Promise<void> {
    if (!this.volumeCreated) {
      await this.cli(['volume', 'create', this.options.volume, ...(this.options.blockSize ? ['--block-size', this.options.blockSize] : [])]);
      this.volumeCreated = true;
    }
    const args = ['mount', this.options.volume, this.mountDir, '--cache-dir', this.cacheDir];
    if (this.options.cacheSize) args.push('--cache-size', this.options.cacheSize);
    if (readOnly) args.push('--read-only');
    await this.cli(args, 60_000);
    await waitForMount(this.mountDir, 15_000, 'chalkfs');
  }

  /** Problems seen on the way that did not stop the run; they go into the JSON and the report. */
  readonly warnings: string[] = [];

  protected override async unmount(): Promise<void> {
    try {
      await this.cli(['unmount', this.mountDir], 180_000);
    } catch (err) {
      // Seen with the first CLI: the daemon commits, unmounts and exits before it answers
      // the control socket, so the CLI reports "socket hang up". When the mount is gone
      // the unmount did happen; note it and go on. Anything else is a failure.
      await sleep(300);
      if (isMounted(this.mountDir)) throw err;
      const message = (err as Error).message.split(': ').slice(-1)[0] ?? '';
      const warning = `chalkfs unmount failed (${message}) although the mount was released`;
      if (!this.warnings.includes(warning)) this.warnings.push(warning);
    }
  }

  /** The daemon's own counters (prom-client) for this mount, if status reports a metrics URL. */
  async daemonCounts(): Promise<{ storeRequests?: RequestCounts; fuseOps?: RequestCounts; fuseCacheHits?: RequestCounts } | undefined> {
    const url = await this.metricsUrl();
    if (!url) return undefined;
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    const samples = parsePrometheusText(await res.text());
    const storeRequests = countsByLabel(samples, /store.*requests?(_total)?$|store.*request.*(count|total)/, ['op', 'operation', 'type', 'method']);
    const fuseOps = countsByLabel(samples, /fuse.*op.*(total|count)$/, ['op', 'operation', 'type']);
    // Kernel requests the FUSE binding answered in C: they never reach fuseOps (trips into JS).
    const fuseCacheHits = countsByLabel(samples, /^chalkfs_fuse_native_cache_hits_total$/, ['op']);
    return { storeRequests, fuseOps, fuseCacheHits };
  }

  async metricsUrl(): Promise<string | undefined> {
    const { stdout } = await this.cli(['status', '--json'], 15_000).catch(() => ({ stdout: '' }));
    let status: unknown;
    try {
      status = JSON.parse(stdout);
    } catch {
      return undefined;
    }
    return findMetricsUrl(status, this.mountDir);
  }
}

/** Finds an http(s) URL that mentions metrics, in the status entry whose fields name `mountDir`. */
export function findMetricsUrl(status: unknown, mountDir: string): string | undefined {
  const entries: unknown[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      if (Object.values(v).includes(mountDir)) entries.push(v);
      Object.values(v).forEach(walk);
    }
  };
  walk(status);
  const urls: string[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === 'string' && /^https?:\/\//.test(v)) urls.push(v);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object') Object.values(v).forEach(collect);
  };
  entries.forEach(collect);
  return urls.find((u) => /metrics/.test(u)) ?? urls[0];
}
