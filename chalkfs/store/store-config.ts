import { ChalkError } from '../util/chalk-error.js';
import { chalkfsHome } from '../util/paths.js';
import { EmbeddedMinio } from '../minio/embedded-minio.js';
import { S3ObjectStore, defaultS3Timeouts, type S3StoreConfig } from './s3-object-store.js';

/**
 * Where the store is, from the conventions users already have: AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL_S3 (or CHALKFS_S3_ENDPOINT) and
 * CHALKFS_BUCKET. With no endpoint configured, the embedded MinIO under CHALKFS_HOME is
 * started (once per host) and used.
 */
export interface StoreSettings {
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  embedded: boolean;
}

export function configuredEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  return env.CHALKFS_S3_ENDPOINT || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
}

export async function resolveStoreSettings(env: NodeJS.ProcessEnv = process.env): Promise<StoreSettings> {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const bucket = env.CHALKFS_BUCKET || 'chalkfs';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ChalkError('config', `invalid bucket name "${bucket}" in CHALKFS_BUCKET`);
  const endpoint = configuredEndpoint(env);
  if (endpoint) {
    if (!/^https?:\/\/[^/\s]+\/?$/.test(endpoint)) throw new ChalkError('config', `invalid S3 endpoint "${endpoint}": expected http(s)://host[:port]`);
    return { endpoint: endpoint.replace(/\/$/, ''), region, bucket, accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, embedded: false };
  }
  const minio = new EmbeddedMinio(chalkfsHome(env));
  const state = await minio.ensureRunning();
  const credentials = minio.credentials();
  return { endpoint: state.endpoint, region, bucket, ...credentials, embedded: true };
}

/** The environment a child process (daemon) needs to reach the same store without resolving again. */
export function storeEnv(settings: StoreSettings): Record<string, string> {
  const env: Record<string, string> = { AWS_REGION: settings.region, CHALKFS_BUCKET: settings.bucket };
  if (settings.endpoint) env.CHALKFS_S3_ENDPOINT = settings.endpoint;
  if (settings.accessKeyId) env.AWS_ACCESS_KEY_ID = settings.accessKeyId;
  if (settings.secretAccessKey) env.AWS_SECRET_ACCESS_KEY = settings.secretAccessKey;
  return env;
}

export function timeoutsFromEnv(env: NodeJS.ProcessEnv): Pick<S3StoreConfig, 'operationTimeoutMs' | 'attemptTimeoutMs' | 'maxAttempts' | 'maxSockets'> {
  const num = (name: string, fallback: number) => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new ChalkError('config', `invalid ${name}="${value}": expected a positive number`);
    return n;
  };
  return {
    operationTimeoutMs: num('CHALKFS_STORE_TIMEOUT_MS', defaultS3Timeouts.operationTimeoutMs),
    attemptTimeoutMs: num('CHALKFS_STORE_ATTEMPT_TIMEOUT_MS', defaultS3Timeouts.attemptTimeoutMs),
    maxAttempts: num('CHALKFS_STORE_MAX_ATTEMPTS', defaultS3Timeouts.maxAttempts),
    maxSockets: defaultS3Timeouts.maxSockets,
  };
}

/**
 * Opens the store. Only `volume create` (and the Docker plugin, which creates volumes)
 * creates a missing bucket, so a mistyped CHALKFS_BUCKET is an error that names it
 * rather than a new, empty bucket. Bad credentials fail here, clearly.
 */
export async function openStore(settings: StoreSettings, options: { createBucket?: boolean } = {}, env: NodeJS.ProcessEnv = process.env): Promise<OpenedStore> {
  const store = new S3ObjectStore({ ...settings, ...timeoutsFromEnv(env) });
  try {
    if (options.createBucket) return Object.assign(store, { bucketCreated: await store.ensureBucket() });
    if (!(await store.bucketExists())) {
      throw new ChalkError('config', `bucket "${settings.bucket}" does not exist at ${settings.endpoint ?? 'aws'}; check CHALKFS_BUCKET, or create it with \`chalkfs volume create NAME\``);
    }
  } catch (err) {
    store.destroy();
    throw err;
  }
  return Object.assign(store, { bucketCreated: false });
}

export type OpenedStore = S3ObjectStore & { bucketCreated: boolean };
