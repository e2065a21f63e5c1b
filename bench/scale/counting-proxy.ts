/*
 * An HTTP proxy in front of MinIO that counts what one group of mounts asks of the store:
 * requests by S3 operation and outcome (a 404 probe, a 304 conditional GET, a LIST), by
 * the kind of object (version, block, head hint, lease, presence, volume config), and the
 * bytes each way. One proxy per group (the writer, the readers) is how the scale bench
 * tells their costs apart; MinIO's own counters only give the sum. Headers pass through
 * untouched, Host included, so SigV4 signatures still verify.
 */
import { createServer, request, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a request was, in the terms S3 bills and chalkfs reasons in. */
export type RequestType = 'GET' | 'GET 404' | 'GET 304' | 'HEAD' | 'LIST' | 'PUT' | 'PUT 412' | 'DELETE' | 'POST' | 'other';
export type ObjectKind = 'version' | 'block' | 'head' | 'lease' | 'presence' | 'config' | 'snapshot' | 'bucket' | 'other';

export interface RequestTally {
  requests: Partial<Record<RequestType, number>>;
  byKind: Partial<Record<`${ObjectKind} ${RequestType}`, number>>;
  /** Request bodies (uploads) and response bodies (downloads), bytes. */
  bytesIn: number;
  bytesOut: number;
  /** Upload bytes by object kind (PUT bodies). */
  putBytesByKind: Partial<Record<ObjectKind, number>>;
}

export function emptyTally(): RequestTally {
  return { requests: {}, byKind: {}, bytesIn: 0, bytesOut: 0, putBytesByKind: {} };
}

/** The object kind of a path-style S3 URL `/bucket/key?query`. */
export function objectKind(url: string): ObjectKind {
  const [path] = url.split('?');
  const key = decodeURIComponent(path!.split('/').slice(2).join('/'));
  if (!key) return 'bucket';
  if (/\/versions\/\d+$/.test(key)) return 'version';
  if (/\/blocks\//.test(key)) return 'block';
  if (key.endsWith('/head.json')) return 'head';
  if (key.endsWith('/lease.json')) return 'lease';
  if (/\/presence\//.test(key)) return 'presence';
  if (key.endsWith('/volume.json')) return 'config';
  if (/\/snapshots\//.test(key)) return 'snapshot';
  return 'other';
}

/** Classifies a finished request by method, URL, request headers and status. */
export function requestType(method: string, url: string, status: number): RequestType {
  const kind = objectKind(url);
  switch (method) {
    case 'GET':
      if (kind === 'bucket') return 'LIST';
      if (status === 404) return 'GET 404';
      if (status === 304) return 'GET 304';
      return 'GET';
    case 'HEAD':
      return 'HEAD';
    case 'PUT':
      return status === 412 ? 'PUT 412' : 'PUT';
    case 'DELETE':
      return 'DELETE';
    case 'POST':
      return 'POST';
    default:
      return 'other';
  }
}

export function addTallies(a: RequestTally, b: RequestTally): RequestTally {
  const out = structuredClone(a);
  for (const [k, v] of Object.entries(b.requests)) out.requests[k as RequestType] = (out.requests[k as RequestType] ?? 0) + v;
  for (const [k, v] of Object.entries(b.byKind)) out.byKind[k as keyof RequestTally['byKind']] = (out.byKind[k as keyof RequestTally['byKind']] ?? 0) + v;
  for (const [k, v] of Object.entries(b.putBytesByKind)) out.putBytesByKind[k as ObjectKind] = (out.putBytesByKind[k as ObjectKind] ?? 0) + v;
  out.bytesIn += b.bytesIn;
  out.bytesOut += b.bytesOut;
  return out;
}

/** b - a, counter by counter (b taken after a). */
export function diffTallies(a: RequestTally, b: RequestTally): RequestTally {
  const neg: RequestTally = {
    requests: Object.fromEntries(Object.entries(a.requests).map(([k, v]) => [k, -v])),
    byKind: Object.fromEntries(Object.entries(a.byKind).map(([k, v]) => [k, -v])),
    putBytesByKind: Object.fromEntries(Object.entries(a.putBytesByKind).map(([k, v]) => [k, -v])),
    bytesIn: -a.bytesIn,
    bytesOut: -a.bytesOut,
  };
  const d = addTallies(b, neg);
  const nonZero = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== 0)) as T;
  return { ...d, requests: nonZero(d.requests), byKind: nonZero(d.byKind), putBytesByKind: nonZero(d.putBytesByKind) };
}

export function totalRequests(t: RequestTally): number {
  return Object.values(t.requests).reduce((s, n) => s + n, 0);
}

export class CountingProxy {
  private tally = emptyTally();

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    private readonly agent: Agent,
  ) {}

  /** Starts a proxy on a free loopback port forwarding to `upstream` (http://host:port). */
  static async start(upstream: string): Promise<CountingProxy> {
    const target = new URL(upstream);
    const agent = new Agent({ keepAlive: true, maxSockets: 256 });
    let proxy: CountingProxy | undefined;
    const server = createServer((req, res) => proxy!.forward(req, res, target));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new CountingProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, agent);
    return proxy;
  }

  /** A copy of the counts so far. */
  snapshot(): RequestTally {
    return structuredClone(this.tally);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.agent.destroy();
  }

  private forward(req: IncomingMessage, res: ServerResponse, target: URL): void {
    const url = req.url ?? '/';
    let bytesIn = 0;
    let bytesOut = 0;
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: url, headers: req.headers, agent: this.agent }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.on('data', (chunk: Buffer) => (bytesOut += chunk.length));
      up.pipe(res);
      up.on('end', () => this.count(req.method ?? 'GET', url, up.statusCode ?? 502, bytesIn, bytesOut));
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.on('data', (chunk: Buffer) => (bytesIn += chunk.length));
    req.pipe(upstream);
  }

  private count(method: string, url: string, status: number, bytesIn: number, bytesOut: number): void {
    const type = requestType(method, url, status);
    const kind = objectKind(url);
    const t = this.tally;
    t.requests[type] = (t.requests[type] ?? 0) + 1;
    t.byKind[`${kind} ${type}`] = (t.byKind[`${kind} ${type}`] ?? 0) + 1;
    t.bytesIn += bytesIn;
    t.bytesOut += bytesOut;
    if (method === 'PUT') t.putBytesByKind[kind] = (t.putBytesByKind[kind] ?? 0) + bytesIn;
  }
}
