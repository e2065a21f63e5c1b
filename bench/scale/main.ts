/*
 * `npm run bench:scale` (docs/SCALING.md): the measured cost model. One MinIO, one writer
 * mount, N read-only mounts (each its own CHALKFS_HOME, i.e. a host, with small caches),
 * each group behind its own counting proxy; for each N it measures an idle window (no
 * commits) and active windows (one-row SQLite commits at set rates), then the writer's
 * bytes per commit beside growing amounts of other data. Prints a table and writes
 * bench/results/<stamp>-scale.json. bench-session.ts cleans up, on SIGINT too.
 */
import { Command } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../chalkfs/util/paths.js';
import { parseSize } from '../../chalkfs/util/size.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';
import { BenchSession, type BenchMount } from '../bench-session.js';
import { gitInfo } from '../machine-info.js';
import { parsePrometheusText } from '../prometheus-text.js';
import { forceUnmount, runCommand, sleep } from '../system-commands.js';
import { CountingProxy, diffTallies } from './counting-proxy.js';
import { renderScaleTable, type FillerPoint, type GeneratedPoint, type ScalePoint } from './scale-report.js';
import { generateLargeVolume } from './generated-volume.js';

const program = new Command()
  .name('chalkfs-bench-scale')
  .description('what N read-only mounts and one writer cost the store, by request type (issue 17)')
  .option('--readers <list>', 'reader mount counts, ascending', '1,10,50,100')
  .option('--rates <list>', 'commit rates of the active windows, per second', '1,10')
  .option('--active-max-readers <n>', 'skip active windows above this many readers (CPU)', '50')
  .option('--seconds <n>', 'length of each measured window', '60')
  .option('--fillers <list>', 'other data beside the database for the bytes-per-commit points ("" for none)', '64MiB,512MiB')
  .option('--generated <list>', 'sizes of generated large volumes to commit on (generated-volume.ts; "" for none), e.g. 10GiB,100GiB', '')
  .option('--idle-refresh-ms <ms>', 'readers\' --idle-refresh-ms (default: the CLI\'s)')
  .option('--out <dir>', 'where results are written', join(projectRoot, 'bench', 'results'))
  .option('--work-dir <dir>', 'parent of the work directory (a real disk)', '/var/tmp')
  .parse();
const opts = program.opts<{ readers: string; rates: string; activeMaxReaders: string; seconds: string; fillers: string; generated: string; idleRefreshMs?: string; out: string; workDir: string }>();
const readerCounts = opts.readers.split(',').map(Number);
const rates = opts.rates.split(',').map(Number);
const windowS = Number(opts.seconds);
const fillers = opts.fillers ? opts.fillers.split(',').map((s) => parseSize(s, 'filler')) : [];
const generatedSizes = opts.generated ? opts.generated.split(',').map((s) => parseSize(s, 'generated volume')) : [];
/** Longer than a follower's 10 s of active polling after the last change it saw. */
const settleMs = 12_000;
const volume = 'scale';

const log = (msg: string) => console.error(`[scale ${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function main(session: BenchSession): Promise<void> {
  const startedAt = new Date();
  // At the start: the code that runs is the code built then, whatever is committed meanwhile.
  const git = gitInfo(projectRoot);
  const { workDir, minio } = session;
  const writerProxy = await CountingProxy.start(minio.endpoint);
  const readerProxy = await CountingProxy.start(minio.endpoint);
  session.onCleanup(() => writerProxy.close());
  session.onCleanup(() => readerProxy.close());
  const envFor = (name: string, endpoint: string) => session.hostEnv(name, endpoint);
  const cli = (env: NodeJS.ProcessEnv, args: string[], timeoutMs?: number) => session.cli(env, args, timeoutMs);
  const mount = (env: NodeJS.ProcessEnv, dir: string, extra: string[]) => session.mount(env, volume, dir, extra);

  const writerEnv = envFor('writer', writerProxy.endpoint);
  await cli(envFor('admin', minio.endpoint), ['volume', 'create', volume]);
  const writer = await mount(writerEnv, join(workDir, 'mnt', 'writer'), []);
  const dbPath = join(writer.dir, 'app.db');
  const commitLoop = async (rate: number, seconds: number, path = dbPath) =>
    JSON.parse((await runCommand(process.execPath, [join(projectRoot, 'dist', 'bench', 'scale', 'commit-loop.js'), path, String(rate), String(seconds)], { timeoutMs: (seconds + 120) * 1000 })).stdout) as {
      commits: number;
      elapsedMs: number;
      p50Ms: number;
      p99Ms: number;
    };
  log('seeding the database');
  await commitLoop(20, 2);

  const readers: BenchMount[] = [];
  const readerArgs = ['--read-only', '--cache-size', '64MiB', '--memory-cache-size', '8MiB', ...(opts.idleRefreshMs ? ['--idle-refresh-ms', opts.idleRefreshMs] : [])];
  const points: ScalePoint[] = [];
  /** The first reader's adoption lag (chalkfs_publish_lag_seconds): sum, count and count within 0.5 s. */
  let lagUrl: string | undefined;
  const readLag = async (): Promise<{ sum: number; count: number; within500ms: number } | undefined> => {
    if (!readers[0]) return undefined;
    lagUrl ??= (JSON.parse((await cli(readers[0].env, ['status', '--json'])).stdout) as { metricsUrl?: string }[])[0]?.metricsUrl;
    if (!lagUrl) return undefined;
    const samples = parsePrometheusText(await (await fetch(lagUrl)).text());
    const value = (name: string, le?: string) => samples.find((x) => x.name === name && (le === undefined || x.labels.le === le))?.value ?? 0;
    return { sum: value('chalkfs_publish_lag_seconds_sum'), count: value('chalkfs_publish_lag_seconds_count'), within500ms: value('chalkfs_publish_lag_seconds_bucket', '0.5') };
  };
  const measure = async (phase: string, rate: number, work: () => Promise<{ commits: number; p50Ms?: number; p99Ms?: number }>) => {
    const w0 = writerProxy.snapshot();
    const r0 = readerProxy.snapshot();
    const lag0 = await readLag();
    const t0 = Date.now();
    const done = await work();
    const elapsedMs = Date.now() - t0;
    const lag1 = await readLag();
    const lagCount = lag0 && lag1 ? lag1.count - lag0.count : 0;
    const point: ScalePoint = {
      readers: readers.length,
      phase,
      commitsPerSecond: rate,
      windowMs: elapsedMs,
      commits: done.commits,
      commitP50Ms: done.p50Ms,
      commitP99Ms: done.p99Ms,
      writer: diffTallies(w0, writerProxy.snapshot()),
      readersTotal: diffTallies(r0, readerProxy.snapshot()),
      readerRssMiB: readers.length ? rssMiB(readers.map((r) => r.pid)) / readers.length : 0,
      loadAverage: loadavg()[0]!,
      firstReaderLag: lagCount ? { adoptions: lagCount, meanMs: ((lag1!.sum - lag0!.sum) / lagCount) * 1000, within500ms: (lag1!.within500ms - lag0!.within500ms) / lagCount } : undefined,
    };
    points.push(point);
    log(`${phase} with ${readers.length} readers: ${renderScaleTable([point], []).split('\n').at(-1)}`);
  };

  for (const n of readerCounts) {
    log(`mounting readers up to ${n}`);
    while (readers.length < n) {
      const batch = Array.from({ length: Math.min(8, n - readers.length) }, (_, i) => readers.length + i);
      const mounted = await Promise.all(batch.map((i) => mount(envFor(`reader-${i}`, readerProxy.endpoint), join(workDir, 'mnt', `reader-${i}`), readerArgs)));
      // Each reader reads the database once: its blocks are then this host's, and a new
      // version's changed blocks are fetched before adoption, as on a reader that serves queries.
      await Promise.all(mounted.map((r) => readFile(join(r.dir, 'app.db'))));
      readers.push(...mounted);
    }
    await sleep(settleMs);
    await measure('idle', 0, async () => {
      await sleep(windowS * 1000);
      return { commits: 0 };
    });
    if (n > Number(opts.activeMaxReaders)) continue;
    for (const rate of rates) await measure('active', rate, () => commitLoop(rate, windowS));
  }

  log('unmounting readers');
  for (let i = 0; i < readers.length; i += 10) await Promise.all(readers.slice(i, i + 10).map((r) => cli(r.env, ['unmount', r.dir]).catch(() => forceUnmount(r.dir))));
  readers.length = 0;

  const fillerPoints: FillerPoint[] = [];
  for (const sizeBytes of [0, ...fillers]) {
    if (sizeBytes) {
      log(`writing ${sizeBytes >> 20} MiB of other data`);
      await writeFiller(join(writer.dir, 'filler.bin'), sizeBytes);
    }
    const w0 = writerProxy.snapshot();
    const done = await commitLoop(1, Math.min(20, windowS));
    fillerPoints.push({ otherDataBytes: sizeBytes, commits: done.commits, commitP50Ms: done.p50Ms, writer: diffTallies(w0, writerProxy.snapshot()) });
  }

  // Large volumes, generated (their bytes are one block): 70 commits at 5/s, past the
  // delta log's 64-delta checkpoint rule, so a checkpoint's cost is in the average.
  const generatedPoints: GeneratedPoint[] = [];
  for (const [i, sizeBytes] of generatedSizes.entries()) {
    const name = `generated-${i}`;
    await cli(envFor('admin', minio.endpoint), ['volume', 'create', name]);
    log(`generating a volume of ${sizeBytes / 2 ** 30} GiB`);
    const generated = await generateLargeVolume(new VolumeRepository(session.store), name, sizeBytes);
    const mounted = await session.mount(writerEnv, name, join(workDir, 'mnt', name), []);
    const w0 = writerProxy.snapshot();
    const done = await commitLoop(5, 14, join(mounted.dir, 'app.db'));
    generatedPoints.push({ otherDataBytes: sizeBytes, ...generated, commits: done.commits, commitP50Ms: done.p50Ms, writer: diffTallies(w0, writerProxy.snapshot()) });
    await cli(writerEnv, ['unmount', mounted.dir]);
  }

  const report = { startedAt: startedAt.toISOString(), elapsedS: (Date.now() - startedAt.getTime()) / 1000, git, options: opts, points, fillerPoints, generatedPoints };
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-').replace(/-\d\d\dZ$/, 'Z');
  mkdirSync(opts.out, { recursive: true });
  const base = join(opts.out, `${stamp}-scale`);
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  const table = renderScaleTable(points, fillerPoints, generatedPoints);
  writeFileSync(`${base}.md`, `${table}\n`);
  console.log(table);
  console.log(`\nwrote ${base}.json, .md`);
}

/** Sum of the resident memory of these processes, MiB (0 for one that is gone). */
function rssMiB(pids: number[]): number {
  let kib = 0;
  for (const pid of pids) {
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // exited
    }
  }
  return kib / 1024;
}

/**
 * Other data on the volume: `sizeBytes` of 1 MiB blocks that differ from each other (a
 * counter in each), so every block is its own object and its own entry in the version.
 */
async function writeFiller(path: string, sizeBytes: number): Promise<void> {
  const fh = await open(path, 'w');
  try {
    const chunk = Buffer.alloc(1 << 20, 0x5a);
    for (let off = 0; off < sizeBytes; off += chunk.length) {
      chunk.writeUInt32LE(off / chunk.length, 0);
      await fh.write(chunk, 0, chunk.length, off);
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
}

const session = await BenchSession.start(opts.workDir, 'scale', 'scale');
await main(session)
  .catch((err: unknown) => {
    console.error(`\nbench:scale failed: ${(err as Error).stack ?? err}`);
    process.exitCode = 1;
  })
  .finally(() => session.cleanup());
