// Where the store is, from the conventions users already have (aws-config.ts decides:
// endpoint variables, AWS credentials, AWS_PROFILE and its endpoint_url or services
// section), plus CHALKFS_BUCKET (`bucket` or `bucket/prefix`: several chalkfs roots in one
// bucket). With nothing AWS-like configured, the embedded MinIO under CHALKFS_HOME is
// started (once per host) and used, and the command that starts it says so on stderr.
import { ChalkError } from '../util/chalk-error.js';
import { chalkfsHome } from '../util/paths.js';
import { EmbeddedMinio } from '../minio/embedded-minio.js';
import type { S3StoreConfig } from './s3-object-store.js';
import { PrefixedObjectStore } from './prefixed-object-store.js';
import { decideStore, readAwsSharedFiles } from './aws-config.js';
import type { ObjectStore } from './object-store.js';
import type { DateSample } from './server-clock.js';

export interface StoreSettings {
  endpoint?: string;
  region: string;
  bucket: string;
  /** The root's key prefix inside the bucket: "" or path segments ending in "/". */
  prefix: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Temporary credentials' token (AWS_SESSION_TOKEN), sent with every request. */
  sessionToken?: string;
  /** The AWS profile whose credentials the SDK's chain uses, when one decided the store. */
  profile?: string;
  embedded: boolean;
}

export function configuredEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  return env.CHALKFS_S3_ENDPOINT || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
}

export async function resolveStoreSettings(env: NodeJS.ProcessEnv = process.env): Promise<StoreSettings> {
  const { bucket, prefix } = parseBucketSetting(env.CHALKFS_BUCKET || 'chalkfs');
  const decision = decideStore(env, await readAwsSharedFiles(env));
  const { region } = decision;
  // Keys from the environment when both are there (with the session token of temporary
  // credentials); otherwise the SDK's chain (profile, SSO, web identity, container and
  // instance credentials) finds them.
  const keys =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
      : {};
  if (decision.kind === 'endpoint') {
    const { endpoint } = decision;
    if (!/^https?:\/\/[^/\s]+\/?$/.test(endpoint)) throw new ChalkError('config', `invalid S3 endpoint "${endpoint}" (from ${decision.from}): expected http(s)://host[:port]`);
    return { endpoint: endpoint.replace(/\/$/, ''), region, bucket, prefix, ...keys, profile: decision.profile, embedded: false };
  }
  if (decision.kind === 'aws') return { region, bucket, prefix, ...keys, profile: decision.profile, embedded: false };
  const minio = new EmbeddedMinio(chalkfsHome(env));
  // Said once, when this command is the one that starts it, so nobody mistakes it for S3.
  if (!minio.status().running) {
    process.stderr.write(`chalkfs: no S3 endpoint, AWS credentials or AWS profile configured: using the embedded MinIO under ${chalkfsHome(env)}\n`);
  }
  const state = await minio.ensureRunning();
  return { endpoint: state.endpoint, region, bucket, prefix, ...minio.credentials(), embedded: true };
}

const prefixSegment = /^[A-Za-z0-9._-]+$/;

/**
 * CHALKFS_BUCKET: `bucket` or `bucket/prefix` (one trailing "/" allowed). The prefix is
 * kept to segments of letters, digits, ".", "_" and "-" with no "." or ".." segment, so it
 * means the same key on every S3 implementation and in a URL path.
 */
export function parseBucketSetting(value: string): { bucket: string; prefix: string } {
  const slash = value.indexOf('/');
  const bucket = slash < 0 ? value : value.slice(0, slash);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ChalkError('config', `invalid bucket name "${bucket}" in CHALKFS_BUCKET`);
  const path = slash < 0 ? '' : value.slice(slash + 1).replace(/\/$/, '');
  if (path === '') return { bucket, prefix: '' };
  const segments = path.split('/');
  if (segments.some((seg) => !prefixSegment.test(seg) || seg === '.' || seg === '..')) {
    throw new ChalkError('config', `invalid prefix "${path}" in CHALKFS_BUCKET="${value}": expected bucket/prefix, the prefix made of "/"-separated names of letters, digits, ".", "_", "-"`);
  }
  return { bucket, prefix: `${path}/` };
}

/** The environment a child process (daemon) needs to reach the same store without resolving again. */
export function storeEnv(settings: StoreSettings): Record<string, string> {
  const env: Record<string, string> = { AWS_REGION: settings.region, CHALKFS_BUCKET: settings.bucket + (settings.prefix ? `/${settings.prefix.slice(0, -1)}` : '') };
  if (settings.endpoint) env.CHALKFS_S3_ENDPOINT = settings.endpoint;
  if (settings.profile) env.AWS_PROFILE = settings.profile;
  if (settings.accessKeyId) env.AWS_ACCESS_KEY_ID = settings.accessKeyId;
  if (settings.secretAccessKey) env.AWS_SECRET_ACCESS_KEY = settings.secretAccessKey;
  if (settings.sessionToken) env.AWS_SESSION_TOKEN = settings.sessionToken;
  return env;
}

type StoreTimeouts = Pick<S3StoreConfig, 'operationTimeoutMs' | 'attemptTimeoutMs' | 'maxAttempts' | 'maxSockets'>;

export function timeoutsFromEnv(env: NodeJS.ProcessEnv, defaults: StoreTimeouts): StoreTimeouts {
  const num = (name: string, fallback: number) => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new ChalkError('config', `invalid ${name}="${value}": expected a positive number`);
    return n;
  };
  return {
    operationTimeoutMs: num('CHALKFS_STORE_TIMEOUT_MS', defaults.operationTimeoutMs),
    attemptTimeoutMs: num('CHALKFS_STORE_ATTEMPT_TIMEOUT_MS', defaults.attemptTimeoutMs),
    maxAttempts: num('CHALKFS_STORE_MAX_ATTEMPTS', defaults.maxAttempts),
    maxSockets: defaults.maxSockets,
  };
}

/**
 * Opens the store. Only `volume create` (and the Docker plugin, which creates volumes)
 * creates a missing bucket, so a mistyped CHALKFS_BUCKET is an error that names it
 * rather than a new, empty bucket. Bad credentials fail here, clearly.
 */
export async function openStore(settings: StoreSettings, options: { createBucket?: boolean } = {}, env: NodeJS.ProcessEnv = process.env): Promise<OpenedStore> {
  // Loaded here, not at the top: the S3 client and the SDK parts it uses take ~180 ms to
  // load, and the commands that never reach the store (mount's parent, status, unmount,
  // logs) import this module for the settings alone.
  const { S3ObjectStore, defaultS3Timeouts } = await import('./s3-object-store.js');
  const store = new S3ObjectStore({ ...settings, ...timeoutsFromEnv(env, defaultS3Timeouts) });
  // The root the layers above see: the bucket, or the prefix inside it.
  const root = (bucketCreated: boolean): OpenedStore => {
    const view = settings.prefix ? new PrefixedObjectStore(store, settings.prefix) : store;
    // Bound first: when the view is the store itself, these own properties shadow its methods.
    const destroy = store.destroy.bind(store);
    const dateSample = store.dateSample.bind(store);
    return Object.assign(view, { bucketCreated, destroy, dateSample });
  };
  try {
    if (options.createBucket) return root(await store.ensureBucket());
    if (!(await store.bucketExists())) {
      throw new ChalkError('config', `bucket "${settings.bucket}" does not exist at ${settings.endpoint ?? 'aws'}; check CHALKFS_BUCKET, or create it with \`chalkfs volume create NAME\``);
    }
  } catch (err) {
    store.destroy();
    throw err;
  }
  return root(false);
}

export type OpenedStore = ObjectStore & { bucketCreated: boolean; destroy(): void; dateSample(): Promise<DateSample> };
