/*
 * The S3 adapter: the only module that imports the AWS SDK and sees its errors, which it
 * translates once into ChalkError kinds. GETs and unconditional PUTs (blocks) go through
 * signed-requests.ts (the SDK's signer and retry strategy without its middleware stack);
 * everything else through the SDK's client.
 */
import {
  S3Client,
  GetObjectCommand,
  PutObjectCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  CreateBucketCommand,
  HeadBucketCommand,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import { ChalkError, isChalkError, type ErrorKind } from '../util/chalk-error.js';
import { readBody } from './read-body.js';
import { describeNetworkFailure } from './network-error.js';
import { SignedRequests } from './signed-requests.js';
import type { ObjectInfo, ObjectStore, PutCondition, StoredObject } from './object-store.js';
import type { DateSample } from './server-clock.js';

export interface S3StoreConfig {
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Temporary credentials' token, with the two keys. */
  sessionToken?: string;
  /** The AWS profile the SDK's credential chain reads (else AWS_PROFILE, else "default"). */
  profile?: string;
  /** Bound on one whole call, retries included. */
  operationTimeoutMs: number;
  /** Bound on one HTTP attempt. */
  attemptTimeoutMs: number;
  maxAttempts: number;
  maxSockets: number;
}

// The SDK's documented switch (aws/aws-sdk-js-v3#7983) for its Node-20 notice, a
// 9-line NodeVersionSupportWarning it emits once per process when the first client is
// built: it says nothing about a chalkfs run and cluttered every command, the daemon's
// log, the tests and the bench. Set here, in the one module that builds clients, so
// every process that reaches the SDK is covered; a user's own setting wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const defaultS3Timeouts = { operationTimeoutMs: 8_000, attemptTimeoutMs: 3_000, maxAttempts: 3, maxSockets: 32 };

/**
 * AWS itself creates a bucket in us-east-1 unless told its region (and refuses a request
 * sent to another region's endpoint without one); other S3 stores have their own region
 * names (R2's "auto") or none, so only AWS gets the LocationConstraint.
 */
export function createBucketInput(config: Pick<S3StoreConfig, 'bucket' | 'region' | 'endpoint'>): { Bucket: string; CreateBucketConfiguration?: { LocationConstraint: BucketLocationConstraint } } {
  if (config.endpoint || config.region === 'us-east-1') return { Bucket: config.bucket };
  return { Bucket: config.bucket, CreateBucketConfiguration: { LocationConstraint: config.region as BucketLocationConstraint } };
}

export class S3ObjectStore implements ObjectStore {
  readonly description: string;
  private readonly client: S3Client;
  private readonly signed: SignedRequests | undefined;

  constructor(private readonly config: S3StoreConfig) {
    this.description = `${config.endpoint ?? 'aws'}/${config.bucket}`;
    const agentOptions = { keepAlive: true, maxSockets: config.maxSockets };
    const httpAgent = new Agent(agentOptions);
    const httpsAgent = new HttpsAgent(agentOptions);
    this.client = new S3Client({
      region: config.region,
      profile: config.profile,
      endpoint: config.endpoint,
      forcePathStyle: Boolean(config.endpoint),
      credentials:
        config.accessKeyId && config.secretAccessKey
          ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey, sessionToken: config.sessionToken }
          : undefined,
      maxAttempts: config.maxAttempts,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: new NodeHttpHandler({
        connectionTimeout: Math.min(config.attemptTimeoutMs, 2_000),
        requestTimeout: config.attemptTimeoutMs,
        // Without this the SDK only logs a warning (to the user's terminal) when an
        // attempt overruns, and one stalled connection eats the whole operation budget.
        throwOnRequestTimeout: true,
        httpAgent,
        httpsAgent,
      }),
    });
    // An explicit endpoint (MinIO, any S3-compatible store) is addressed path-style, which
    // SignedRequests implements; AWS itself (virtual-hosted buckets, regional endpoints) keeps
    // the SDK for these too. Same agents, credentials and bounds either way.
    if (config.endpoint) {
      this.signed = new SignedRequests({
        endpoint: config.endpoint,
        bucket: config.bucket,
        region: config.region,
        credentials: this.client.config.credentials,
        agent: config.endpoint.startsWith('https:') ? httpsAgent : httpAgent,
        attemptTimeoutMs: config.attemptTimeoutMs,
        maxAttempts: config.maxAttempts,
        maxIdleSockets: config.maxSockets,
      });
    }
  }

  async get(key: string): Promise<StoredObject> {
    const signed = this.signed;
    if (signed) return this.call('get', key, (abortSignal) => signed.get(key, abortSignal));
    return this.call('get', key, async (abortSignal) => {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: key }), { abortSignal });
      // With the Node HTTP handler the body is the response stream itself.
      if (res.Body instanceof Readable) return { body: await readBody(res.Body, res.ContentLength, `get ${this.description}/${key}`), etag: res.ETag ?? '' };
      const bytes = await res.Body!.transformToByteArray();
      return { body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), etag: res.ETag ?? '' };
    });
  }

  async put(key: string, body: Buffer, condition: PutCondition = {}): Promise<{ etag: string }> {
    const signed = this.signed;
    if (signed) {
      const conditionHeaders = { ifNoneMatch: condition.ifNoneMatch, ifMatch: condition.ifMatch };
      return this.call('put', key, (abortSignal) => signed.put(key, body, condition.contentSha256, abortSignal, conditionHeaders));
    }
    return this.call('put', key, async (abortSignal) => {
      const res = await this.client.send(
        new PutObjectCommand({
          Bucket: this.config.bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          IfNoneMatch: condition.ifNoneMatch,
          IfMatch: condition.ifMatch,
        }),
        { abortSignal },
      );
      return { etag: res.ETag ?? '' };
    });
  }

  async delete(key: string): Promise<void> {
    await this.call('delete', key, async (abortSignal) => {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: key }), { abortSignal });
    });
  }

  async list(prefix: string, options: { startAfter?: string; limit?: number } = {}): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.call('list', prefix, async (abortSignal) =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.config.bucket,
            Prefix: prefix,
            StartAfter: continuationToken ? undefined : options.startAfter,
            ContinuationToken: continuationToken,
            MaxKeys: options.limit ? Math.min(1000, options.limit - out.length) : 1000,
          }),
          { abortSignal },
        ),
      );
      for (const obj of page.Contents ?? []) {
        out.push({ key: obj.Key!, sizeBytes: obj.Size ?? 0, lastModified: obj.LastModified ?? new Date(0) });
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken && (!options.limit || out.length < options.limit));
    return out;
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.call('list', prefix, async (abortSignal) =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: continuationToken }),
          { abortSignal },
        ),
      );
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) out.push(p.Prefix.slice(prefix.length));
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
    return out;
  }

  /** Whether the bucket exists; other failures (credentials, network) throw. */
  async bucketExists(): Promise<boolean> {
    return this.succeeds('list', 'not-found', (abortSignal) => this.client.send(new HeadBucketCommand({ Bucket: this.config.bucket }), { abortSignal }));
  }

  /** One HEAD of the bucket, timed by our clock, with the store's Date header (server-clock.ts). */
  async dateSample(): Promise<DateSample> {
    const command = new HeadBucketCommand({ Bucket: this.config.bucket });
    let date: string | undefined;
    let sentMs = 0;
    // The raw answer's headers are seen only inside the SDK's middleware stack.
    command.middlewareStack.add(
      (next) => async (args) => {
        sentMs = Date.now();
        const out = await next(args);
        date = (out.response as { headers?: Record<string, string> }).headers?.date;
        return out;
      },
      { step: 'deserialize' },
    );
    await this.call('list', '', (abortSignal) => this.client.send(command, { abortSignal }));
    const receivedMs = Date.now();
    const serverDateMs = date === undefined ? Number.NaN : Date.parse(date);
    if (!Number.isFinite(serverDateMs)) throw new ChalkError('io', `store ${this.description} sent no usable Date header (${date ?? 'none'})`);
    return { sentMs, receivedMs, serverDateMs };
  }

  /** Creates the bucket unless it exists; true when this call created it. */
  async ensureBucket(): Promise<boolean> {
    if (await this.bucketExists()) return false;
    return this.succeeds('put', 'exists', (abortSignal) => this.client.send(new CreateBucketCommand(createBucketInput(this.config)), { abortSignal }));
  }

  /** True when a bucket request succeeds, false when it fails with `noKind`; other failures throw. */
  private async succeeds(op: string, noKind: ErrorKind, fn: (signal: AbortSignal) => Promise<unknown>): Promise<boolean> {
    try {
      await this.call(op, '', fn);
      return true;
    } catch (err) {
      if (isChalkError(err, noKind)) return false;
      throw err;
    }
  }

  destroy(): void {
    this.signed?.destroy();
    this.client.destroy();
  }

  private async call<T>(op: string, key: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = AbortSignal.timeout(this.config.operationTimeoutMs);
    try {
      return await fn(signal);
    } catch (err) {
      throw this.translate(err, op, key, signal.aborted);
    }
  }

  /** S3 errors become ChalkErrors here and nowhere else. Messages never carry credentials. */
  private translate(err: unknown, op: string, key: string, timedOut: boolean): ChalkError {
    if (err instanceof ChalkError) return err; // already ours (a short body, for example)
    const e = err as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    const code = e.Code ?? e.name ?? '';
    const where = `${op} ${this.description}/${key}`;
    if (timedOut || code === 'AbortError') {
      return new ChalkError('timeout', `store ${where} timed out after ${this.config.operationTimeoutMs} ms`, { cause: err });
    }
    // Before the name checks: the SDK names a reset "TimeoutError" (to retry it).
    const network = status === undefined ? describeNetworkFailure(err) : undefined;
    if (network?.timedOut) {
      return new ChalkError('timeout', `store ${where}: no answer within ${this.config.attemptTimeoutMs} ms on the last of up to ${this.config.maxAttempts} attempts`, { cause: err });
    }
    if (network) return new ChalkError('io', `store ${where} failed: ${network.description}`, { cause: err });
    if (code === 'TimeoutError' || code === 'RequestTimeout') {
      return new ChalkError('timeout', `store ${where} timed out (${code})`, { cause: err });
    }
    if (status === 404 || code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchBucket') {
      return new ChalkError('not-found', `store ${where}: not found${code === 'NoSuchBucket' ? ' (no such bucket)' : ''}`, { cause: err });
    }
    if (status === 412 || status === 409 || code === 'PreconditionFailed' || code === 'ConditionalRequestConflict') {
      if (code === 'BucketAlreadyOwnedByYou' || code === 'BucketAlreadyExists') return new ChalkError('exists', `store ${where}: bucket exists`, { cause: err });
      return new ChalkError('precondition', `store ${where}: precondition failed (${code || status})`, { cause: err });
    }
    if (status === 403 || code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch' || code === 'AccessDenied') {
      return new ChalkError('access-denied', `store ${where}: access denied (${code || status}); check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY`, { cause: err });
    }
    // Anything else without an HTTP status: its own message is the best account.
    const reason = (code && code !== 'Error' ? code : e.message) || 'unknown error';
    return new ChalkError('io', `store ${where} failed: ${reason}${status ? ` (HTTP ${status})` : ''}`, { cause: err });
  }
}
