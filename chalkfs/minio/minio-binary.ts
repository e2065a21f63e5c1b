// Which MinIO server binary the embedded store runs. MinIO is packaged neither by Debian
// nor by npm: a user brings a binary (CHALKFS_MINIO_BIN, or `minio` on PATH) or builds
// one with Go (`go install`, which puts it in GOBIN or GOPATH/bin, or
// scripts/provision.sh in a checkout, which caches the pinned build). When there is none,
// one line says what to do, depending on whether Go is there to build it.
import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ChalkError } from '../util/chalk-error.js';
import { toolCacheDir } from '../util/paths.js';

/** An executable regular file. */
function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function pathDirs(env: NodeJS.ProcessEnv): string[] {
  return (env.PATH ?? '').split(delimiter).filter(Boolean);
}

/**
 * The MinIO binary, first found: CHALKFS_MINIO_BIN (when set it must be one), the pinned
 * build scripts/provision.sh caches, `minio` on PATH, then where `go install` puts it.
 */
export function chooseMinioBinary(minioVersion: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env.CHALKFS_MINIO_BIN;
  if (chosen) {
    if (isExecutableFile(chosen)) return chosen;
    throw new ChalkError('config', `CHALKFS_MINIO_BIN=${chosen} is not an executable file: point it at a MinIO server binary, or unset it`);
  }
  const home = env.HOME ?? homedir();
  const candidates = [
    join(toolCacheDir(env), 'bin', `minio-${minioVersion}`),
    ...pathDirs(env).map((dir) => join(dir, 'minio')),
    ...(env.GOBIN ? [join(env.GOBIN, 'minio')] : []),
    join(env.GOPATH ?? join(home, 'go'), 'bin', 'minio'),
  ];
  const found = candidates.find(isExecutableFile);
  if (found !== undefined) return found;
  const goInstall = `go install github.com/minio/minio@${minioVersion}`;
  const hasGo = pathDirs(env).some((dir) => isExecutableFile(join(dir, 'go')));
  throw new ChalkError(
    'config',
    hasGo
      ? `no MinIO server binary for the embedded store: build one with \`${goInstall}\` (a few minutes), or set CHALKFS_MINIO_BIN to a MinIO binary, or use an existing S3 store (AWS_ENDPOINT_URL_S3 or AWS_PROFILE)`
      : `no MinIO server binary for the embedded store, and no Go to build one: put a MinIO server binary on PATH or set CHALKFS_MINIO_BIN to it, or install Go and run \`${goInstall}\`, or use an existing S3 store (AWS_ENDPOINT_URL_S3 or AWS_PROFILE)`,
  );
}
