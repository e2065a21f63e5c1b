// minio/minio-binary.ts: which MinIO binary the embedded store runs, and the one line a
// user reads when there is none. Every place it looks comes from the environment given,
// so each case builds its own directories of fake executables.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseMinioBinary } from '../../chalkfs/minio/minio-binary.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';

const VERSION = 'v0.0.0-test';
let root: string;

/** Creates root/rel, executable unless told otherwise, and returns its path. */
function file(rel: string, mode = 0o755): string {
  const path = join(root, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, mode);
  return path;
}

/** An environment that sees only what the case created under root. */
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { HOME: join(root, 'home'), XDG_CACHE_HOME: join(root, 'cache'), PATH: join(root, 'empty'), ...extra };
}

function failure(e: NodeJS.ProcessEnv): string {
  try {
    chooseMinioBinary(VERSION, e);
  } catch (err) {
    expect(isChalkError(err) && err.kind === 'config').toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected no MinIO binary to be found');
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'chalkfs-minio-bin-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('chooseMinioBinary', () => {
  it('takes CHALKFS_MINIO_BIN before anything else', () => {
    const chosen = file('chosen/my-minio');
    file('cache/chalkfs/bin/minio-v0.0.0-test');
    file('path/minio');
    expect(chooseMinioBinary(VERSION, env({ CHALKFS_MINIO_BIN: chosen, PATH: join(root, 'path') }))).toBe(chosen);
  });

  it('refuses a CHALKFS_MINIO_BIN that is missing or not executable, naming it, instead of running another', () => {
    file('path/minio');
    const missing = join(root, 'nowhere', 'minio');
    expect(failure(env({ CHALKFS_MINIO_BIN: missing, PATH: join(root, 'path') }))).toContain(`CHALKFS_MINIO_BIN=${missing}`);
    const plain = file('plain/minio', 0o644);
    expect(failure(env({ CHALKFS_MINIO_BIN: plain }))).toContain(`CHALKFS_MINIO_BIN=${plain}`);
  });

  it('prefers the pinned build provisioning caches over minio on PATH', () => {
    const cached = file('cache/chalkfs/bin/minio-v0.0.0-test');
    file('path/minio');
    expect(chooseMinioBinary(VERSION, env({ PATH: join(root, 'path') }))).toBe(cached);
  });

  it('finds minio on PATH, in PATH order, skipping directories and non-executables', () => {
    mkdirSync(join(root, 'a', 'minio'), { recursive: true });
    file('b/minio', 0o644);
    const onPath = file('c/minio');
    file('d/minio');
    const PATH = ['a', 'b', 'c', 'd'].map((d) => join(root, d)).join(':');
    expect(chooseMinioBinary(VERSION, env({ PATH }))).toBe(onPath);
  });

  it('finds what `go install` built: GOBIN, else GOPATH/bin, else ~/go/bin', () => {
    const inHomeGo = file('home/go/bin/minio');
    expect(chooseMinioBinary(VERSION, env())).toBe(inHomeGo);
    const inGopath = file('gopath/bin/minio');
    expect(chooseMinioBinary(VERSION, env({ GOPATH: join(root, 'gopath') }))).toBe(inGopath);
    const inGobin = file('gobin/minio');
    expect(chooseMinioBinary(VERSION, env({ GOPATH: join(root, 'gopath'), GOBIN: join(root, 'gobin') }))).toBe(inGobin);
  });

  it('with none but Go on PATH, says in one line to go install the pinned version', () => {
    file('tools/go');
    const message = failure(env({ PATH: join(root, 'tools') }));
    expect(message).toContain(`go install github.com/minio/minio@${VERSION}`);
    expect(message).toContain('CHALKFS_MINIO_BIN');
    expect(message).not.toContain('no Go');
    expect(message).not.toContain('\n');
  });

  it('with neither a binary nor Go, says in one line to bring a binary or install Go', () => {
    const message = failure(env());
    expect(message).toContain('no Go to build one');
    expect(message).toContain('on PATH or set CHALKFS_MINIO_BIN');
    expect(message).toContain(`go install github.com/minio/minio@${VERSION}`);
    expect(message).not.toContain('\n');
  });
});
