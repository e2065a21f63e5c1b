/*
 * The scale bench's figures: per reader mount per minute (what a reader host costs) and
 * per commit (what the writer costs), from the counting proxies' tallies.
 */
import { totalRequests, type RequestTally, type RequestType } from './counting-proxy.js';

export interface ScalePoint {
  readers: number;
  phase: string;
  commitsPerSecond: number;
  windowMs: number;
  commits: number;
  commitP50Ms?: number;
  commitP99Ms?: number;
  writer: RequestTally;
  readersTotal: RequestTally;
  readerRssMiB: number;
  loadAverage: number;
  /** The first reader's adoptions in the window: how long after a version was written it served it. */
  firstReaderLag?: { adoptions: number; meanMs: number; within500ms: number };
}

export interface FillerPoint {
  otherDataBytes: number;
  commits: number;
  commitP50Ms: number;
  writer: RequestTally;
}

/** A writer's one-row commits on a generated large volume (generated-volume.ts). */
export interface GeneratedPoint extends FillerPoint {
  blocks: number;
  /** What each commit uploaded before the delta log: the whole version. */
  wholeVersionBytes: number;
}

const readerColumns: RequestType[] = ['GET', 'GET 404', 'GET 304', 'HEAD', 'LIST', 'PUT', 'DELETE'];

/** A reader mount's requests of each type per minute, and in total. */
export function perReaderPerMinute(p: ScalePoint): Record<RequestType | 'total' | 'bytesOut', number> {
  const scale = p.readers ? 60_000 / p.windowMs / p.readers : 0;
  const out = { total: totalRequests(p.readersTotal) * scale, bytesOut: p.readersTotal.bytesOut * scale } as Record<RequestType | 'total' | 'bytesOut', number>;
  for (const [k, v] of Object.entries(p.readersTotal.requests)) out[k as RequestType] = v * scale;
  return out;
}

/** The writer's requests and upload bytes per commit (per minute when idle). */
export function writerPerCommit(t: RequestTally, commits: number): { requests: number; versionBytes: number; blockBytes: number; uploadBytes: number } {
  const per = commits || 1;
  return {
    requests: totalRequests(t) / per,
    versionBytes: (t.putBytesByKind.version ?? 0) / per,
    blockBytes: (t.putBytesByKind.block ?? 0) / per,
    uploadBytes: t.bytesIn / per,
  };
}

const f = (n: number | undefined, digits = 1) => (n === undefined ? '-' : n.toFixed(digits));

export function renderScaleTable(points: ScalePoint[], fillers: FillerPoint[], generated: GeneratedPoint[] = []): string {
  const lines: string[] = [];
  lines.push('per reader mount per minute (requests by type, KiB downloaded) | writer per commit (per minute when idle)');
  lines.push(
    ['readers', 'phase', 'commits/s', 'total', ...readerColumns, 'KiB out', 'RSS MiB', '| w req', 'w version B', 'w block B', 'w upload B', 'commit p50 ms', 'lag mean ms', 'load'].join(' | '),
  );
  for (const p of points) {
    const r = perReaderPerMinute(p);
    const idleMinutes = p.windowMs / 60_000;
    const w = p.commits ? writerPerCommit(p.writer, p.commits) : { ...writerPerCommit(p.writer, 1), requests: totalRequests(p.writer) / idleMinutes };
    lines.push(
      [
        p.readers,
        p.phase,
        p.phase === 'idle' ? 0 : f(p.commits / (p.windowMs / 1000)),
        f(r.total),
        ...readerColumns.map((c) => f(r[c] ?? 0)),
        f(r.bytesOut / 1024),
        f(p.readerRssMiB, 0),
        `| ${f(w.requests)}`,
        f(w.versionBytes, 0),
        f(w.blockBytes, 0),
        f(w.uploadBytes, 0),
        f(p.commitP50Ms),
        f(p.firstReaderLag?.meanMs, 0),
        f(p.loadAverage),
      ].join(' | '),
    );
  }
  if (fillers.length) {
    lines.push('', 'writer per one-row commit beside other data');
    lines.push(['other data MiB', 'commits', 'requests', 'version B', 'block B', 'upload B (all PUTs)', 'commit p50 ms'].join(' | '));
    for (const x of fillers) {
      const w = writerPerCommit(x.writer, x.commits);
      lines.push([x.otherDataBytes >> 20, x.commits, f(w.requests), f(w.versionBytes, 0), f(w.blockBytes, 0), f(w.uploadBytes, 0), f(x.commitP50Ms)].join(' | '));
    }
  }
  if (generated.length) {
    lines.push('', 'writer per one-row commit on a generated large volume (before the delta log, each commit uploaded the whole version)');
    lines.push(['data GiB', 'blocks', 'commits', 'version B (delta log)', 'upload B (all PUTs)', 'whole version B (before)', 'commit p50 ms'].join(' | '));
    for (const x of generated) {
      const w = writerPerCommit(x.writer, x.commits);
      lines.push([f(x.otherDataBytes / 2 ** 30), x.blocks, x.commits, f(w.versionBytes, 0), f(w.uploadBytes, 0), x.wholeVersionBytes, f(x.commitP50Ms)].join(' | '));
    }
  }
  return lines.join('\n');
}
