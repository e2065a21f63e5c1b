/*
 * GET and PUT (plain or conditional) of one object as SigV4-signed requests on a keep-alive agent,
 * without the SDK's middleware stack. Block reads and block uploads are most of what a
 * mount sends: in a cold full scan the SDK's per-request work was the largest part of the
 * daemon's CPU, and in a bulk copy its signer hashed every block body a second time (the
 * block's name already is that SHA-256; profiles in docs/BENCHMARKS.md); a commit's
 * conditional version PUT spent ~2 ms more in the SDK than here (4.8 against 2.8 ms p50
 * for 4 KiB on this machine). A PUT is signed
 * with the body's SHA-256 when the caller knows it (the store still checks it against the
 * body), else as UNSIGNED-PAYLOAD. Signing is the SDK's own signer and retries are the
 * SDK's own standard strategy: network errors, timeouts, 5xx and 429 are retried with
 * jittered backoff, other answers are final. On a plain-HTTP endpoint a GET goes through
 * DirectGetPool, which reads the body straight into one buffer (its module comment has the
 * measured why); answers it does not read (chunked, unsized) are fetched again here.
 */
import { createHash, createHmac } from 'node:crypto';
import { request as httpRequest, type Agent, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignatureV4 } from '@smithy/signature-v4';
import { StandardRetryStrategy } from '@smithy/core/retry';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, RetryErrorType, SourceData } from '@smithy/types';
import { DirectGetPool, UnsupportedAnswerError, type DirectAnswer } from './direct-get-pool.js';
import { readBody } from './read-body.js';
import type { StoredObject } from './object-store.js';

export interface SignedRequestsOptions {
  /** http(s)://host[:port] of an S3-compatible endpoint, addressed path-style. */
  endpoint: string;
  bucket: string;
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  agent: Agent;
  /** Idle bound on one HTTP attempt. */
  attemptTimeoutMs: number;
  maxAttempts: number;
  /** Idle keep-alive sockets kept for GETs on a plain-HTTP endpoint. */
  maxIdleSockets: number;
}

/** S3's conditional-write headers (PutCondition of object-store.ts). */
export interface PutConditionHeaders {
  ifNoneMatch?: '*';
  ifMatch?: string;
}

/** A non-2xx answer, shaped like the SDK's service errors so one translation serves both. */
export class S3ResponseError extends Error {
  override readonly name = 'S3ResponseError';
  readonly $metadata: { httpStatusCode: number };

  constructor(
    status: number,
    readonly Code: string | undefined,
  ) {
    super(`HTTP ${status}${Code ? ` ${Code}` : ''}`);
    this.$metadata = { httpStatusCode: status };
  }
}

const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);

/** node:crypto behind the hash interface the signer expects. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

/** RFC 3986 encoding of one path segment, as S3's SigV4 canonical path wants it. */
const encodeSegment = (segment: string) =>
  encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Signed GETs and PUTs of one object each, retried by the SDK's standard strategy (module comment). */
export class SignedRequests {
  private readonly signer: SignatureV4;
  private readonly url: URL;
  private readonly send: typeof httpRequest;
  /** The SDK's own standard retry policy (backoff with jitter, attempts, retry capacity). */
  private readonly retries: StandardRetryStrategy;
  /** GETs whose bodies land in one buffer, on plain-HTTP endpoints (direct-get-pool.ts). */
  private readonly directGets: DirectGetPool | undefined;

  constructor(private readonly options: SignedRequestsOptions) {
    this.url = new URL(options.endpoint);
    this.send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    this.retries = new StandardRetryStrategy(options.maxAttempts);
    this.signer = new SignatureV4({ credentials: options.credentials, region: options.region, service: 's3', sha256: NodeSha256, uriEscapePath: false });
    if (this.url.protocol === 'http:') {
      const port = this.url.port ? Number(this.url.port) : 80;
      // URL keeps an IPv6 literal's brackets ("[::1]"); a socket wants the bare address.
      const host = this.url.hostname.replace(/^\[(.*)\]$/, '$1');
      this.directGets = new DirectGetPool({ host, port, attemptTimeoutMs: options.attemptTimeoutMs, maxIdle: options.maxIdleSockets });
    }
  }

  get(key: string, signal: AbortSignal): Promise<StoredObject> {
    const headers = { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    return this.withRetries('s3-get', signal, async () => {
      if (this.directGets) {
        const signed = await this.sign('GET', key, headers);
        try {
          return objectOf(await this.directGets.get(signed.path, signed.headers, signal, `get ${key}`));
        } catch (err) {
          if (!(err instanceof UnsupportedAnswerError)) throw err;
          // Chunked or unsized: this one answer is read the usual way below.
        }
      }
      const res = await this.request('GET', key, headers, undefined, signal);
      const length = res.headers['content-length'];
      const body = await readBody(res, length === undefined ? undefined : Number(length), `get ${key}`);
      return { body, etag: res.headers.etag ?? '' };
    });
  }

  /** Closes the sockets kept for GETs (the agent's are its owner's to close). */
  destroy(): void {
    this.directGets?.destroy();
  }

  /**
   * Stores `body` at `key`; `sha256Hex`, when known, is signed instead of hashing the body
   * again. A condition (`If-None-Match: *`, `If-Match: <etag>`) is sent as a signed header;
   * its 412 (or 404 for If-Match on no object) is a final answer, as from the SDK.
   */
  put(key: string, body: Buffer, sha256Hex: string | undefined, signal: AbortSignal, condition: PutConditionHeaders = {}): Promise<{ etag: string }> {
    const headers: Record<string, string> = { 'x-amz-content-sha256': sha256Hex ?? 'UNSIGNED-PAYLOAD', 'content-length': String(body.length) };
    if (condition.ifNoneMatch !== undefined) headers['if-none-match'] = condition.ifNoneMatch;
    if (condition.ifMatch !== undefined) headers['if-match'] = condition.ifMatch;
    return this.withRetries('s3-put', signal, async () => {
      const res = await this.request('PUT', key, headers, body, signal);
      res.resume(); // the answer's body is empty on success
      return { etag: res.headers.etag ?? '' };
    });
  }

  private async withRetries<T>(scope: string, signal: AbortSignal, attempt: () => Promise<T>): Promise<T> {
    let token = await this.retries.acquireInitialRetryToken(scope);
    for (;;) {
      try {
        const result = await attempt();
        this.retries.recordSuccess(token);
        return result;
      } catch (err) {
        if (signal.aborted) throw err;
        const errorType = retryErrorType(err);
        if (!errorType) throw err;
        try {
          token = await this.retries.refreshRetryTokenForRetry(token, { errorType });
        } catch {
          throw err; // attempts or retry capacity exhausted: the last error is the answer
        }
        await sleep(token.getRetryDelay(), undefined, { signal });
      }
    }
  }

  /** The request path of `key` and its signed headers. */
  private async sign(method: 'GET' | 'PUT', key: string, extraHeaders: Record<string, string>): Promise<{ path: string; headers: Record<string, string> }> {
    const base = this.url.pathname.replace(/\/$/, '');
    const path = `${base}/${encodeSegment(this.options.bucket)}/${key.split('/').map(encodeSegment).join('/')}`;
    const signed = await this.signer.sign({
      method,
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      port: this.url.port ? Number(this.url.port) : undefined,
      path,
      query: {},
      headers: { host: this.url.host, ...extraHeaders },
    });
    return { path, headers: signed.headers };
  }

  /** One signed attempt; resolves with a 2xx answer (its body unread), rejects with S3ResponseError otherwise. */
  private async request(method: 'GET' | 'PUT', key: string, extraHeaders: Record<string, string>, body: Buffer | undefined, signal: AbortSignal): Promise<IncomingMessage> {
    const { path, headers: signedHeaders } = await this.sign(method, key, extraHeaders);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = this.send(this.url, { method, path, headers: signedHeaders, agent: this.options.agent, signal }, resolve);
      req.setTimeout(this.options.attemptTimeoutMs, () =>
        req.destroy(Object.assign(new Error(`no answer within ${this.options.attemptTimeoutMs} ms`), { name: 'TimeoutError' })),
      );
      req.once('error', reject);
      req.end(body);
    });
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) {
      throw responseError(status, await readBody(res, undefined, `${method.toLowerCase()} ${key}`).catch(() => Buffer.alloc(0)));
    }
    return res;
  }
}

/** A non-2xx answer as an error; its error document names the S3 code (NoSuchKey, NoSuchBucket, AccessDenied, ...). */
function responseError(status: number, body: Buffer): S3ResponseError {
  return new S3ResponseError(status, /<Code>([^<]+)<\/Code>/.exec(body.toString('utf8', 0, 4096))?.[1]);
}

/** A direct GET's answer as an object, or its error. */
function objectOf(answer: DirectAnswer): StoredObject {
  if (answer.status < 200 || answer.status > 299) throw responseError(answer.status, answer.body);
  return { body: answer.body, etag: answer.headers.get('etag') ?? '' };
}

/** How the SDK's retry strategy should treat a failed attempt; undefined: not retried. */
function retryErrorType(err: unknown): RetryErrorType | undefined {
  if (err instanceof S3ResponseError) {
    // As the SDK classifies them (the strategy retries THROTTLING and TRANSIENT only).
    const status = err.$metadata.httpStatusCode;
    if (status === 429) return 'THROTTLING';
    if ([500, 502, 503, 504].includes(status)) return 'TRANSIENT';
    return status >= 500 ? 'SERVER_ERROR' : undefined;
  }
  return 'TRANSIENT'; // connection refused or reset, attempt timeout, a body cut short
}
