// Which store the user's AWS settings select (chalkfs/store/aws-config.ts), decided as
// the AWS CLI decides, from the environment and the shared config/credentials files; and
// the CreateBucket request real AWS needs outside us-east-1. Real AWS is not reachable
// from the test machine: these pin the decisions; the endpoint paths also run end to end
// against MinIO in test/integration/cli-aws-profile.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decideStore, readAwsSharedFiles, type AwsSharedFiles } from '../../chalkfs/store/aws-config.js';
import { createBucketInput } from '../../chalkfs/store/s3-object-store.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';

const noFiles: AwsSharedFiles = { configFile: {}, credentialsFile: {} };
const files = (configFile: AwsSharedFiles['configFile'], credentialsFile: AwsSharedFiles['credentialsFile'] = {}): AwsSharedFiles => ({ configFile, credentialsFile });

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isChalkError(err, 'config'), String(err)).toBe(true);
    return (err as Error).message;
  }
  throw new Error('no error');
}

describe('decideStore', () => {
  it('nothing AWS-like: the embedded MinIO, in us-east-1', () => {
    expect(decideStore({}, noFiles)).toEqual({ kind: 'embedded', region: 'us-east-1' });
    expect(decideStore({ AWS_REGION: 'eu-west-1' }, noFiles)).toEqual({ kind: 'embedded', region: 'eu-west-1' });
    // A profile other than the selected one is not a choice of store.
    expect(decideStore({}, files({ other: { region: 'eu-west-1' } })).kind).toBe('embedded');
  });

  it('endpoint variables, in order: CHALKFS_S3_ENDPOINT, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL', () => {
    const all = { CHALKFS_S3_ENDPOINT: 'http://a:1', AWS_ENDPOINT_URL_S3: 'http://b:2', AWS_ENDPOINT_URL: 'http://c:3' };
    expect(decideStore(all, noFiles)).toMatchObject({ kind: 'endpoint', endpoint: 'http://a:1', from: 'CHALKFS_S3_ENDPOINT' });
    expect(decideStore({ ...all, CHALKFS_S3_ENDPOINT: undefined }, noFiles)).toMatchObject({ endpoint: 'http://b:2', from: 'AWS_ENDPOINT_URL_S3' });
    expect(decideStore({ AWS_ENDPOINT_URL: 'http://c:3' }, noFiles)).toMatchObject({ endpoint: 'http://c:3', from: 'AWS_ENDPOINT_URL' });
  });

  it('AWS credentials in the environment and no endpoint: real AWS S3', () => {
    expect(decideStore({ AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's', AWS_REGION: 'eu-central-1' }, noFiles)).toEqual({ kind: 'aws', region: 'eu-central-1', from: 'AWS_ACCESS_KEY_ID', profile: undefined });
    expect(decideStore({ AWS_WEB_IDENTITY_TOKEN_FILE: '/t' }, noFiles)).toMatchObject({ kind: 'aws', from: 'AWS_WEB_IDENTITY_TOKEN_FILE' });
    expect(decideStore({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/creds' }, noFiles)).toMatchObject({ kind: 'aws' });
  });

  it('a profile (AWS_PROFILE, or the default profile in either file) with no endpoint: real AWS in its region', () => {
    const f = files({ work: { region: 'ap-southeast-2' }, default: { region: 'us-west-2' } }, { work: { aws_access_key_id: 'k' } });
    expect(decideStore({ AWS_PROFILE: 'work' }, f)).toEqual({ kind: 'aws', region: 'ap-southeast-2', profile: 'work', from: 'profile "work"' });
    expect(decideStore({}, f)).toEqual({ kind: 'aws', region: 'us-west-2', profile: 'default', from: 'profile "default"' });
    expect(decideStore({}, files({}, { default: { aws_access_key_id: 'k' } }))).toMatchObject({ kind: 'aws', region: 'us-east-1', profile: 'default' });
    // AWS_REGION beats the profile's region, as in the SDK.
    expect(decideStore({ AWS_PROFILE: 'work', AWS_REGION: 'eu-north-1' }, f).region).toBe('eu-north-1');
  });

  it("a profile's endpoint_url, and its services section before it, as the AWS CLI reads them", () => {
    const f = files({
      plain: { endpoint_url: 'http://minio:9000', region: 'eu-west-1' },
      svc: { services: 'local', endpoint_url: 'http://fallback:1' },
      'services.local': { 's3.endpoint_url': 'http://s3.local:9000', 'dynamodb.endpoint_url': 'http://ddb:1' },
      other: { services: 'ddb-only', endpoint_url: 'http://profile:2' },
      'services.ddb-only': { 'dynamodb.endpoint_url': 'http://ddb:1' },
    });
    expect(decideStore({ AWS_PROFILE: 'plain' }, f)).toEqual({ kind: 'endpoint', endpoint: 'http://minio:9000', from: 'endpoint_url of profile "plain"', region: 'eu-west-1', profile: 'plain' });
    expect(decideStore({ AWS_PROFILE: 'svc' }, f)).toMatchObject({ endpoint: 'http://s3.local:9000', from: '[services local] s3 endpoint_url of profile "svc"' });
    // A services section without s3: the profile's own endpoint_url.
    expect(decideStore({ AWS_PROFILE: 'other' }, f)).toMatchObject({ endpoint: 'http://profile:2' });
    // Environment variables beat the profile.
    expect(decideStore({ AWS_PROFILE: 'svc', AWS_ENDPOINT_URL_S3: 'http://env:3' }, f)).toMatchObject({ endpoint: 'http://env:3', profile: 'svc' });
  });

  it('ignore_configured_endpoint_urls (env or profile) drops the AWS endpoint settings, not CHALKFS_S3_ENDPOINT', () => {
    const f = files({ p: { endpoint_url: 'http://minio:9000' }, q: { endpoint_url: 'http://minio:9000', ignore_configured_endpoint_urls: 'true' } });
    expect(decideStore({ AWS_PROFILE: 'p', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true', AWS_ENDPOINT_URL: 'http://e:1' }, f)).toMatchObject({ kind: 'aws', profile: 'p' });
    expect(decideStore({ AWS_PROFILE: 'q' }, f)).toMatchObject({ kind: 'aws' });
    expect(decideStore({ AWS_PROFILE: 'q', CHALKFS_S3_ENDPOINT: 'http://x:1' }, f)).toMatchObject({ kind: 'endpoint', endpoint: 'http://x:1' });
  });

  it('an AWS_PROFILE that names no profile, or a missing services section: a configuration error naming it', () => {
    expect(configError(() => decideStore({ AWS_PROFILE: 'nope' }, noFiles))).toBe('AWS_PROFILE="nope" names no profile in the AWS config or credentials file');
    expect(configError(() => decideStore({ AWS_PROFILE: 'p' }, files({ p: { services: 'gone' } })))).toBe('profile "p" names services section "gone", which the AWS config file does not have');
  });
});

describe('readAwsSharedFiles', () => {
  it('reads AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE with the SDK loader: [profile x] and [services y] sections', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chalkfs-aws-'));
    try {
      writeFileSync(join(dir, 'config'), '[profile x]\nregion = eu-west-1\nservices = loc\n\n[services loc]\ns3 =\n  endpoint_url = http://h:1\n\n[default]\nregion = us-east-2\n');
      writeFileSync(join(dir, 'credentials'), '[x]\naws_access_key_id = a\naws_secret_access_key = b\n');
      const read = await readAwsSharedFiles({ AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') });
      expect(decideStore({ AWS_PROFILE: 'x' }, read)).toEqual({ kind: 'endpoint', endpoint: 'http://h:1', from: '[services loc] s3 endpoint_url of profile "x"', region: 'eu-west-1', profile: 'x' });
      expect(read.credentialsFile.x).toEqual({ aws_access_key_id: 'a', aws_secret_access_key: 'b' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('createBucketInput', () => {
  it('real AWS outside us-east-1 names the region; us-east-1 and other S3 stores do not', () => {
    expect(createBucketInput({ bucket: 'b', region: 'eu-west-1' })).toEqual({ Bucket: 'b', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } });
    expect(createBucketInput({ bucket: 'b', region: 'us-east-1' })).toEqual({ Bucket: 'b' });
    expect(createBucketInput({ bucket: 'b', region: 'auto', endpoint: 'https://acct.r2.cloudflarestorage.com' })).toEqual({ Bucket: 'b' });
  });
});
