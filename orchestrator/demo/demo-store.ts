/*
 * The store the demo's chalkfs daemons talk to: the S3 endpoint the environment names,
 * or else chalkfs's embedded MinIO (started if needed). The result is spelled out as
 * environment variables so that every daemon, including the second "host" with its own
 * CHALKFS_HOME, reaches the same bucket rather than starting a MinIO of its own.
 */
import { EmbeddedMinio, chalkfsHome } from '../../chalkfs/index.js';

/** The store settings every daemon of the demo gets, and how to stop what was started for it. */
export interface DemoStore {
  env: Record<string, string>;
  description: string;
  /** Stops what ensureDemoStore started (the embedded MinIO); a no-op otherwise. */
  stop(): Promise<void>;
}

export async function ensureDemoStore(env: NodeJS.ProcessEnv = process.env): Promise<DemoStore> {
  const bucket = env.CHALKFS_BUCKET || 'chalkfs';
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const endpoint = env.CHALKFS_S3_ENDPOINT || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  if (endpoint) {
    const passed: Record<string, string> = { CHALKFS_S3_ENDPOINT: endpoint, CHALKFS_BUCKET: bucket, AWS_REGION: region };
    if (env.AWS_ACCESS_KEY_ID) passed.AWS_ACCESS_KEY_ID = env.AWS_ACCESS_KEY_ID;
    if (env.AWS_SECRET_ACCESS_KEY) passed.AWS_SECRET_ACCESS_KEY = env.AWS_SECRET_ACCESS_KEY;
    if (env.AWS_SESSION_TOKEN) passed.AWS_SESSION_TOKEN = env.AWS_SESSION_TOKEN;
    return { env: passed, description: `${endpoint}, bucket ${bucket}`, stop: async () => undefined };
  }
  const minio = new EmbeddedMinio(chalkfsHome(env));
  const wasRunning = minio.status().running;
  const state = await minio.ensureRunning();
  const credentials = minio.credentials();
  return {
    env: {
      CHALKFS_S3_ENDPOINT: state.endpoint,
      CHALKFS_BUCKET: bucket,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    description: `embedded MinIO at ${state.endpoint} (${wasRunning ? 'already running' : 'started'}), bucket ${bucket}`,
    stop: async () => {
      if (!wasRunning) await minio.stop();
    },
  };
}
