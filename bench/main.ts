/*
 * `npm run bench` (docs/BENCHMARKS.md): starts its own MinIO, seeds one SQLite database, runs
 * the workloads on each target (local disk, chalkfs, s3fs, rclone) and measures the raw store
 * ceiling, then writes the results as JSON, a Markdown table and an SVG chart. Cleanups run
 * last-in first-out on success, failure and SIGINT alike, so no mount or MinIO is left behind.
 */
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import Database from 'better-sqlite3';
import { randomBytes, randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { findMinioBinary, startMinio, type RunningMinio } from '../chalkfs/minio/minio-server.js';
import { S3ObjectStore, defaultS3Timeouts } from '../chalkfs/store/s3-object-store.js';
import { cliEntry, projectRoot } from '../chalkfs/util/paths.js';
import { benchConfig } from './bench-config.js';
import { metricDefs, type TargetResult } from './bench-metrics.js';
import { describeMachine, gitInfo } from './machine-info.js';
import { MinioRequestCounter } from './minio-request-counter.js';
import { measureRawStore, type RawStoreResult } from './raw-store-ceiling.js';
import { buildTable, renderTable } from './results-table.js';
import { runTargetWorkloads, selectSteps, targetSteps } from './run-target-workloads.js';
import { runWorkloadChild } from './run-workload-child.js';
import { renderChart } from './svg-chart.js';
import { checkBulkTargets, checkTargets } from './target-checks.js';
import { measureHashCost } from './hash-cost.js';
import { measureCurlCeiling, type CurlCeilingResult, type StoreCost } from './curl-store-ceiling.js';
import { measureStoreFloorCopyIn, type StoreFloorResult } from './store-floor-copyin.js';
import type { BenchTarget, TargetName } from './targets/bench-target.js';
import { ChalkfsTarget } from './targets/chalkfs-target.js';
import { buildFuseFloor, FuseFloorTarget } from './targets/fuse-floor-target.js';
import { LocalDiskTarget } from './targets/local-disk-target.js';
import type { PeerStore } from './targets/peer-store.js';
import { RcloneTarget } from './targets/rclone-target.js';
import { S3fsTarget } from './targets/s3fs-target.js';
import { runCommand } from './system-commands.js';

const allTargets: TargetName[] = ['local', 'chalkfs', 's3fs', 'rclone', 'fuse-floor'];

const program = new Command()
  .name('chalkfs-bench')
  .description('SQLite over chalkfs vs local disk, s3fs and rclone on one MinIO (issue 6), and the FUSE floor: a C file system in memory (issue 16)')
  .option('--quick', 'small database and short loops (under 3 minutes)', false)
  .option('--targets <list>', 'comma-separated subset of local,chalkfs,s3fs,rclone,fuse-floor', allTargets.join(','))
  .option('--rows <n>', 'rows in the users table (overrides the mode default)', (v) => Number.parseInt(v, 10))
  .option('--workloads <list>', `comma-separated subset of the steps (${targetSteps.join(', ')}); install always runs`)
  .option('--block-size <size>', 'chalkfs volume block size (volume create --block-size)')
  .option('--out <dir>', 'where results are written', join(projectRoot, 'bench', 'results'))
  .option('--work-dir <dir>', 'parent of the temporary work directory (must be a real disk, not tmpfs)', '/var/tmp')
  .addOption(new Option('--keep', 'keep the work directory (databases, MinIO data) for inspection').default(false))
  .parse();

const opts = program.opts<{ quick: boolean; targets: string; workloads?: string; rows?: number; blockSize?: string; out: string; workDir: string; keep: boolean }>();

/** Cleanup steps, run last-in first-out on success, error and SIGINT alike. */
const cleanups: Array<() => Promise<void>> = [];
let cleaning: Promise<void> | undefined;
function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) await cleanups.pop()!().catch((err) => console.error(`cleanup: ${(err as Error).message}`));
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: unmounting and stopping MinIO`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const config = benchConfig(opts.quick ? 'quick' : 'full');
  if (opts.rows) config.rows = opts.rows;
  const targets = opts.targets.split(',').map((t) => t.trim()) as TargetName[];
  for (const t of targets) if (!allTargets.includes(t)) throw new Error(`unknown target ${t}`);
  if (!targets.includes('local')) targets.unshift('local'); // ratios need the baseline
  const startedAt = new Date();
  const loadAtStart = loadavg();
  const workDir = mkdtempSync(join(opts.workDir, 'chalkfs-bench-'));
  if (!opts.keep) cleanups.push(async () => rmSync(workDir, { recursive: true, force: true }));

  const steps = selectSteps(opts.workloads);
  const progress = createProgress(4 + targets.length * steps.length);
  cleanups.push(async () => progress.stop());

  progress.step('setup', 'starting MinIO');
  const credentials = { accessKeyId: 'bench', secretAccessKey: randomBytes(18).toString('base64url') };
  const minio: RunningMinio = await startMinio({ dataDir: join(workDir, 'minio'), credentials, logFile: join(workDir, 'minio.log') });
  cleanups.push(() => minio.stop());
  const counter = new MinioRequestCounter(minio.endpoint, credentials.accessKeyId, credentials.secretAccessKey);
  const storeFor = async (bucket: string): Promise<S3ObjectStore> => {
    const s = new S3ObjectStore({ endpoint: minio.endpoint, region: 'us-east-1', bucket, ...credentials, ...defaultS3Timeouts, operationTimeoutMs: 120_000, attemptTimeoutMs: 60_000 });
    cleanups.push(async () => s.destroy());
    await s.ensureBucket();
    return s;
  };
  const peerStore = async (bucket: string): Promise<PeerStore> => {
    const s = await storeFor(bucket);
    return {
      endpoint: minio.endpoint,
      region: 'us-east-1',
      bucket,
      ...credentials,
      objectSize: async (key) => (await s.list(key)).find((o) => o.key === key)?.sizeBytes,
    };
  };

  progress.step('setup', `seeding ${config.rows} rows`);
  const seedDir = join(workDir, 'seed');
  mkdirSync(seedDir);
  const seedDbPath = join(seedDir, 'app.db');
  const seed = await runWorkloadChild({ kind: 'seed', dbPath: seedDbPath, rows: config.rows, seed: config.seed }, 'seed', 600_000);
  const depth = await runWorkloadChild({ kind: 'btree-depth', dbPath: seedDbPath }, 'btree-depth', 120_000);

  const plainFilePath = join(seedDir, 'plain.bin');
  writePlainFile(plainFilePath, config.plainFileBytes);

  progress.step('setup', 'raw MinIO GET and PUT ceilings');
  let raw: RawStoreResult | undefined;
  let rawError: string | undefined;
  try {
    raw = await measureRawStore(await storeFor('bench-raw'), seedDbPath, config.raw);
  } catch (err) {
    rawError = (err as Error).message;
  }
  let curl: CurlCeilingResult | undefined;
  let curlError: string | undefined;
  try {
    await storeFor('bench-curl');
    curl = await measureCurlCeiling({ endpoint: minio.endpoint, region: 'us-east-1', bucket: 'bench-curl', ...credentials }, seedDir, {
      objectSizeBytes: config.plainFileBytes,
      ...config.curl,
      storePid: minio.pid,
    });
  } catch (err) {
    curlError = (err as Error).message;
  }
  // Built once: the store floor below and the fuse-floor target run the same binary.
  const floorBuildDir = join(workDir, 'fuse-floor-build');
  mkdirSync(floorBuildDir);
  const floorBuild = buildFuseFloor(floorBuildDir);
  progress.step('setup', 'copy-in through the store floor');
  let storeFloor: StoreFloorResult | undefined;
  let storeFloorError: string | undefined;
  try {
    const floorDir = join(workDir, 'store-floor');
    mkdirSync(floorDir);
    const built = await floorBuild;
    if ('unavailable' in built) throw new Error(built.unavailable);
    const curlStore = await storeFor('bench-curl');
    storeFloor = await measureStoreFloorCopyIn(built.binary, { endpoint: minio.endpoint, region: 'us-east-1', bucket: 'bench-curl', ...credentials }, plainFilePath, floorDir, {
      objectSizes: config.curl.putSizes,
      storePid: minio.pid,
      countObjects: async (prefix) => (await curlStore.list(prefix)).length,
    });
  } catch (err) {
    storeFloorError = (err as Error).message;
  }

  const results: TargetResult[] = [];
  for (const name of targets) {
    const target = await makeTarget(name, join(workDir, name), peerStore, opts.blockSize, floorBuild);
    if ('unavailable' in target) {
      results.push(unavailableResult(name, target.unavailable));
      for (const _ of steps) progress.step(name, 'skipped');
      continue;
    }
    cleanups.push(() => target.close());
    const result = await runTargetWorkloads(target, {
      config,
      counter,
      seedDbPath,
      seedSizeBytes: seed.sizeBytes,
      plainFilePath,
      plainFileBytes: config.plainFileBytes,
      storePid: minio.pid,
      step: (s) => progress.step(name, s),
      steps: new Set(steps),
    });
    await target.close();
    results.push(result);
  }
  progress.stop();

  const hashCost = measureHashCost();
  const checks = [...checkTargets(results, raw, depth.depth), ...checkBulkTargets(results, raw, curl, { cores: cpus().length, hashMsPerMB: hashCost.msPerMB }, storeFloor)];
  const table = buildTable(results);
  const git = gitInfo(projectRoot);
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-').replace(/-\d\d\dZ$/, 'Z');
  const base = join(opts.out, `${stamp}-${config.mode}`);
  mkdirSync(opts.out, { recursive: true });
  const sqliteVersion = (new Database(':memory:').prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  const report = {
    startedAt: startedAt.toISOString(),
    elapsedS: (Date.now() - startedAt.getTime()) / 1000,
    git,
    machine: describeMachine(sqliteVersion, findMinioBinary(), loadAtStart),
    config: { ...config, workloads: steps },
    database: { rows: seed.rows, sizeBytes: seed.sizeBytes, pageSizeBytes: depth.pageSizeBytes, btreeDepth: depth.depth, tablePages: depth.tablePages, seedMs: seed.elapsedMs },
    rawStore: raw ?? { error: rawError },
    curlStore: curl ?? { error: curlError },
    storeFloor: storeFloor ?? { error: storeFloorError },
    hashCost,
    metrics: metricDefs,
    targets: results,
    checks,
  };
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(
    `${base}.svg`,
    renderChart(results, `chalkfs bench ${config.mode}: ${seed.rows} rows, ${(seed.sizeBytes / 1e6).toFixed(0)} MB, ${git.revision.slice(0, 10)}${git.dirty ? '+dirty' : ''}`),
  );
  writeFileSync(`${base}.md`, `${renderTable(table, { markdown: true })}\n`);

  console.log(`\nchalkfs bench (${config.mode}): ${seed.rows} rows, ${(seed.sizeBytes / 1e6).toFixed(1)} MB, B-tree depth ${depth.depth}, page ${depth.pageSizeBytes} B`);
  console.log(`${report.machine.cores} cores, kernel ${report.machine.kernel}, load ${fmtLoad(report.machine.loadAverage.start)} → ${fmtLoad(report.machine.loadAverage.end)}, node ${report.machine.node}, SQLite ${sqliteVersion}, git ${git.revision.slice(0, 10)}${git.dirty ? ' (dirty)' : ''}`);
  if (raw) {
    console.log(
      `raw MinIO GET: cold ${raw.singleStreamColdMBps.toFixed(0)} MB/s one stream, ${raw.parallelColdMBps.toFixed(0)} MB/s ${raw.parallelism}×${raw.chunkSizeBytes >> 20} MiB; ` +
        `warm ${raw.singleStreamWarmMBps.toFixed(0)} / ${raw.parallelWarmMBps.toFixed(0)} MB/s; 4 KiB GET p50 ${raw.smallGet.p50Us.toFixed(0)} µs, PUT p50 ${raw.smallPut.p50Us.toFixed(0)} µs`,
    );
    console.log(`raw MinIO PUT (chalkfs client): ${raw.parallelPut.map((p) => `${p.MBps.toFixed(0)} MB/s ${raw!.parallelism}×${p.objectBytes >> 20} MiB`).join(', ')}`);
  } else console.log(`raw MinIO GET: n/a: ${rawError}`);
  if (curl) {
    console.log(
      `raw MinIO via curl (${curl.parallelism} in flight): GET ${curl.get.map((g) => `${g.rangeBytes >> 20} MiB ranges cold ${g.coldMBps.toFixed(0)} / warm ${g.warmMBps.toFixed(0)} MB/s`).join('; ')}; ` +
        `PUT ${curl.put.map((p) => `${p.objectBytes >> 20} MiB objects ${p.MBps.toFixed(0)} MB/s`).join('; ')}`,
    );
    const cost = (c: StoreCost | undefined) => (c ? `${c.msPerRequest.toFixed(2)} ms per request + ${c.msPerMB.toFixed(2)} ms per MB` : 'n/a');
    const perMB = (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(2)} ms/MB`);
    console.log(
      `MinIO's CPU under curl: GET cold ${curl.get.map((g) => `${g.rangeBytes >> 20} MiB ${perMB(g.coldStoreCpuMsPerMB)}`).join(', ')} (${cost(curl.coldGetCost)}); ` +
        `PUT ${curl.put.map((p) => `${p.objectBytes >> 20} MiB ${perMB(p.storeCpuMsPerMB)}`).join(', ')} (${cost(curl.putCost)})`,
    );
    console.log(
      `curl's own CPU (its transfer): GET cold ${curl.get.map((g) => `${g.rangeBytes >> 20} MiB ${perMB(g.coldClientCpuMsPerMB)}`).join(', ')}; ` +
        `PUT, less reading its body file, ${curl.put.map((p) => `${p.objectBytes >> 20} MiB ${perMB(p.clientCpuMsPerMB)}`).join(', ')}`,
    );
  } else console.log(`raw MinIO via curl: n/a: ${curlError}`);
  if (storeFloor) {
    const perMB = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(2));
    console.log(
      `copy-in through the store floor (C: hash and PUT): ${storeFloor.copies
        .map((c) => `${c.objectBytes >> 20} MiB objects ${c.MBps.toFixed(0)} MB/s (daemon ${perMB(c.daemonCpuMsPerMB)}, MinIO ${perMB(c.storeCpuMsPerMB)}, cp ${perMB(c.clientCpuMsPerMB)} ms/MB)`)
        .join('; ')}`,
    );
  } else console.log(`copy-in through the store floor: n/a: ${storeFloorError}`);
  console.log('\n(×local: time ÷ local time, or local rate ÷ rate; 1.00× = as fast as local disk, higher = slower)');
  console.log(renderTable(table, { markdown: false }));
  console.log('\nissue-6 and issue-16 targets (chalkfs):');
  for (const c of checks) console.log(`  [${c.status}] ${c.target}: ${c.detail}`);
  console.log(`\nwrote ${base}.json, .svg, .md`);
}

async function makeTarget(
  name: TargetName,
  dir: string,
  peerStore: (bucket: string) => Promise<PeerStore>,
  blockSize: string | undefined,
  floorBuild: Promise<{ binary: string } | { unavailable: string }>,
): Promise<BenchTarget | { unavailable: string }> {
  mkdirSync(dir, { recursive: true });
  switch (name) {
    case 'local':
      return new LocalDiskTarget(dir);
    case 's3fs': {
      const version = await runCommand('s3fs', ['--version']).then((o) => o.stdout.split('\n')[0]!, () => undefined);
      if (!version) return { unavailable: 's3fs is not installed (apt-get install s3fs)' };
      return new S3fsTarget(dir, await peerStore('bench-s3fs'), version);
    }
    case 'rclone': {
      const env = { ...process.env };
      delete env.AWS_CA_BUNDLE;
      const version = await runCommand('rclone', ['version'], { env }).then((o) => o.stdout.split('\n')[0]!, () => undefined);
      if (!version) return { unavailable: 'rclone is not installed (apt-get install rclone)' };
      return new RcloneTarget(dir, await peerStore('bench-rclone'), version);
    }
    case 'fuse-floor': {
      const built = await floorBuild;
      if ('unavailable' in built) return built;
      const libfuse = await runCommand('pkg-config', ['--modversion', 'fuse3']).then((o) => o.stdout.trim(), () => 'unknown');
      return new FuseFloorTarget(dir, built.binary, libfuse);
    }
    case 'chalkfs': {
      const entry = cliEntry();
      const help = await runCommand(process.execPath, [entry, '--help'], { timeoutMs: 30_000 }).then(
        (o) => o.stdout,
        (err: Error) => `error: ${err.message}`,
      );
      if (!/mount/.test(help)) return { unavailable: `chalkfs CLI not usable (${entry}): ${help.slice(0, 200) || 'no mount command'}` };
      return new ChalkfsTarget(dir, await peerStore('bench-chalkfs'), { cliEntry: entry, volume: 'bench', blockSize });
    }
  }
}

/** Incompressible bytes for the cold-cat workload, written in 8 MiB pieces. */
function writePlainFile(path: string, sizeBytes: number): void {
  const fd = openSync(path, 'w');
  try {
    const piece = Buffer.allocUnsafe(8 << 20);
    for (let done = 0; done < sizeBytes; done += piece.length) {
      randomFillSync(piece);
      writeSync(fd, piece, 0, Math.min(piece.length, sizeBytes - done));
    }
  } finally {
    closeSync(fd);
  }
}

function fmtLoad(load: number[]): string {
  return load.map((l) => l.toFixed(1)).join('/');
}

function unavailableResult(name: TargetName, reason: string): TargetResult {
  return { name, setup: {}, cells: Object.fromEntries(metricDefs.map((d) => [d.id, { na: `n/a: ${reason}` }])), details: {} };
}

/** A progress bar on a terminal; one line per step otherwise (CI logs, pipes). */
function createProgress(total: number): { step(target: string, what: string): void; stop(): void } {
  const started = Date.now();
  if (!process.stderr.isTTY) {
    let done = 0;
    return {
      step: (target, what) => console.error(`[bench ${++done}/${total} ${((Date.now() - started) / 1000).toFixed(0)}s] ${target}: ${what}`),
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: ' {bar} {value}/{total} | {elapsed}s | {target}: {what}', hideCursor: true, clearOnComplete: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { target: '', what: '', elapsed: 0 });
  let stopped = false;
  let value = 0;
  return {
    step: (target, what) => {
      if (stopped) return;
      // The first step of each phase starts it; count completed steps.
      bar.update(Math.min(total, value++), { target, what, elapsed: ((Date.now() - started) / 1000).toFixed(0) });
    },
    stop: () => {
      if (!stopped) bar.stop();
      stopped = true;
    },
  };
}

main()
  .then(() => cleanupAll())
  .catch(async (err) => {
    console.error(`\nbench failed: ${(err as Error).stack ?? err}`);
    await cleanupAll();
    process.exitCode = 1;
  });
