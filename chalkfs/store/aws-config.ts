/*
 * Which store the AWS settings a user already has point at, decided as the AWS CLI and
 * SDK decide: an endpoint from CHALKFS_S3_ENDPOINT, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL,
 * the profile's `services` section (`s3 = endpoint_url = ...`) or its `endpoint_url`, in
 * that order (AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or the profile's
 * ignore_configured_endpoint_urls drop all but CHALKFS_S3_ENDPOINT); with no endpoint but
 * AWS credentials or a profile, real AWS S3; with nothing AWS-like, the embedded MinIO.
 * The shared files are read with the SDK's own loader (@smithy/core/config), so profile
 * names and sections mean what they mean to the SDK; `decideStore` itself is pure.
 */
import { getProfileName, loadSharedConfigFiles } from '@smithy/core/config';
import { ChalkError } from '../util/chalk-error.js';

type Section = Record<string, string | undefined>;
export interface AwsSharedFiles {
  configFile: Record<string, Section>;
  credentialsFile: Record<string, Section>;
}

export type StoreDecision =
  | { kind: 'endpoint'; endpoint: string; from: string; region: string; profile?: string }
  | { kind: 'aws'; region: string; profile?: string; from: string }
  | { kind: 'embedded'; region: string };

/** ~/.aws/config and ~/.aws/credentials, or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE. */
export async function readAwsSharedFiles(env: NodeJS.ProcessEnv): Promise<AwsSharedFiles> {
  try {
    const files = await loadSharedConfigFiles({ filepath: env.AWS_SHARED_CREDENTIALS_FILE, configFilepath: env.AWS_CONFIG_FILE, ignoreCache: true });
    return files as AwsSharedFiles;
  } catch (err) {
    throw new ChalkError('config', `cannot read the AWS config files: ${(err as Error).message}`, { cause: err });
  }
}

const truthy = (v: string | undefined) => v?.toLowerCase() === 'true';

export function decideStore(env: NodeJS.ProcessEnv, files: AwsSharedFiles): StoreDecision {
  const profileName = getProfileName({ profile: env.AWS_PROFILE || undefined });
  const profile: Section = files.configFile[profileName] ?? {};
  const profileKnown = profileName in files.configFile || profileName in files.credentialsFile;
  if (env.AWS_PROFILE && !profileKnown) {
    throw new ChalkError('config', `AWS_PROFILE="${env.AWS_PROFILE}" names no profile in the AWS config or credentials file`);
  }
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || (profileKnown ? profile.region : undefined) || 'us-east-1';
  const inProfile = profileKnown ? profileName : undefined;
  if (env.CHALKFS_S3_ENDPOINT) return { kind: 'endpoint', endpoint: env.CHALKFS_S3_ENDPOINT, from: 'CHALKFS_S3_ENDPOINT', region, profile: inProfile };
  const ignore = truthy(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS) || (profileKnown && truthy(profile.ignore_configured_endpoint_urls));
  if (!ignore) {
    for (const name of ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL']) {
      const endpoint = env[name];
      if (endpoint) return { kind: 'endpoint', endpoint, from: name, region, profile: inProfile };
    }
    if (profileKnown && profile.services) {
      const section = files.configFile[`services.${profile.services}`];
      if (!section) throw new ChalkError('config', `profile "${profileName}" names services section "${profile.services}", which the AWS config file does not have`);
      const endpoint = section['s3.endpoint_url'];
      if (endpoint) return { kind: 'endpoint', endpoint, from: `[services ${profile.services}] s3 endpoint_url of profile "${profileName}"`, region, profile: inProfile };
    }
    if (profileKnown && profile.endpoint_url) return { kind: 'endpoint', endpoint: profile.endpoint_url, from: `endpoint_url of profile "${profileName}"`, region, profile: inProfile };
  }
  if (env.AWS_ACCESS_KEY_ID) return { kind: 'aws', region, profile: inProfile, from: 'AWS_ACCESS_KEY_ID' };
  for (const name of ['AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) {
    if (env[name]) return { kind: 'aws', region, profile: inProfile, from: name };
  }
  if (profileKnown) return { kind: 'aws', region, profile: profileName, from: `profile "${profileName}"` };
  return { kind: 'embedded', region };
}
