/*
 * How many S3 requests a workload cost each target, read from MinIO's own counters, so
 * chalkfs and the peers are counted the same way.
 */
import { createHmac } from 'node:crypto';

/** S3 API request counts by operation, e.g. {getobject: 12, putobject: 3}. */
export type RequestCounts = Record<string, number>;

/**
 * Reads MinIO's own per-API request counters (Prometheus endpoint). Counting at the
 * server treats every target alike, chalkfs and the peers, and adds no hop on the data
 * path. The bearer token is the JWT `mc admin prometheus generate` would print: HS512
 * over {sub: access key, iss: "prometheus"}, signed with the secret key.
 */
export class MinioRequestCounter {
  private readonly token: string;

  constructor(
    private readonly endpoint: string,
    accessKeyId: string,
    secretAccessKey: string,
  ) {
    const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const head = b64({ alg: 'HS512', typ: 'JWT' });
    const body = b64({ exp: Math.floor(Date.now() / 1000) + 24 * 3600, sub: accessKeyId, iss: 'prometheus' });
    const sig = createHmac('sha512', secretAccessKey).update(`${head}.${body}`).digest('base64url');
    this.token = `${head}.${body}.${sig}`;
  }

  async counts(): Promise<RequestCounts> {
    const res = await fetch(`${this.endpoint}/minio/metrics/v3/api/requests`, {
      headers: { authorization: `Bearer ${this.token}` },
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`MinIO metrics: HTTP ${res.status}`);
    return parseRequestCounts(await res.text());
  }
}

export function parseRequestCounts(text: string): RequestCounts {
  const out: RequestCounts = {};
  for (const line of text.split('\n')) {
    // v3 counters are live; the v2 node endpoint is served from a cache and lags.
    // MinIO counts a request when it completes, so a GET a peer keeps streaming (rclone
    // reads ahead on one open GET) is only in the in-flight gauge: completed + in flight
    // counts the requests started, and its difference over a window is what was started.
    const m = /^minio_api_requests_(?:inflight_)?total\{[^}]*name="([^"]+)"[^}]*\}\s+([0-9.e+]+)/.exec(line);
    if (m) {
      const api = m[1]!.toLowerCase();
      out[api] = (out[api] ?? 0) + Number(m[2]);
    }
  }
  return out;
}

/** after - before, without zero entries; `total` sums every operation. */
export function diffCounts(before: RequestCounts, after: RequestCounts): RequestCounts & { total: number } {
  const out: RequestCounts = {};
  let total = 0;
  for (const [api, n] of Object.entries(after)) {
    const d = n - (before[api] ?? 0);
    if (d > 0) {
      out[api] = d;
      total += d;
    }
  }
  return { ...out, total };
}
