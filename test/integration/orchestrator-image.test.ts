// Images without a registry: the host's own apt sources name the mirror, debootstrap
// builds the rootfs, docker import makes it an image.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianMirror, readAptSources } from '../../orchestrator/apt-sources.js';
import type { BuildProgress } from '../../orchestrator/build-progress.js';
import { buildDebianImage } from '../../orchestrator/image-builder.js';
import { Container, DockerEngine, Image } from '../../orchestrator/index.js';
import { requireDockerEngine, uniqueName } from '../support/docker-fixture.js';

let engine: DockerEngine;
let aptRoot: string;

beforeAll(async () => {
  engine = await requireDockerEngine();
  aptRoot = await mkdtemp(join(tmpdir(), 'orch-test-apt-'));
});

afterAll(async () => {
  await rm(aptRoot, { recursive: true, force: true });
});

async function aptTree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(aptRoot, 'etc-apt-'));
  await mkdir(join(root, 'sources.list.d'));
  for (const [path, text] of Object.entries(files)) await writeFile(join(root, path), text);
  return root;
}

describe('the Debian mirror, from the host apt sources', () => {
  it('picks the release archive from deb822 sources, not security or updates, preferring the suite asked for', async () => {
    const root = await aptTree({
      'sources.list.d/debian.sources': [
        'Types: deb',
        '# a comment',
        'URIs: http://security.example.org/debian-security',
        'Suites: bookworm-security',
        'Components: main',
        '',
        'Types: deb deb-src',
        'URIs: http://archive.example.org/debian/',
        'Suites: bookworm bookworm-updates',
        'Components: main contrib',
        'Signed-By:',
        ' -----BEGIN PGP PUBLIC KEY BLOCK-----',
        ' xyz',
        '',
        'Types: deb',
        'URIs: http://disabled.example.org/debian',
        'Suites: trixie',
        'Components: main',
        'Enabled: no',
        '',
      ].join('\n'),
      'sources.list.d/other.list': 'deb [arch=amd64 signed-by=/k.gpg] http://trixie.example.org/debian trixie main\n',
    });
    expect(await debianMirror('bookworm', { aptRoot: root, env: {} })).toBe('http://archive.example.org/debian');
    expect(await debianMirror('trixie', { aptRoot: root, env: {} })).toBe('http://trixie.example.org/debian');
    // No entry names forky: the release archive serves every suite.
    expect(await debianMirror('forky', { aptRoot: root, env: {} })).toBe('http://archive.example.org/debian');
    expect(await debianMirror('bookworm', { aptRoot: root, env: { CHALKFS_DEBIAN_MIRROR: 'http://override.example.org/debian' } })).toBe(
      'http://override.example.org/debian',
    );
  });

  it('reads one-line sources.list and fails clearly when no Debian archive is configured', async () => {
    const root = await aptTree({ 'sources.list': '# deb http://commented.example.org/debian bookworm main\ndeb http://one.example.org/debian bookworm main\n' });
    expect(await debianMirror('bookworm', { aptRoot: root, env: {} })).toBe('http://one.example.org/debian');
    const empty = await aptTree({ 'sources.list': 'deb-src http://src.example.org/debian bookworm main\n' });
    await expect(debianMirror('bookworm', { aptRoot: empty, env: {} })).rejects.toMatchObject({ kind: 'image-build-failed' });
  });

  it('finds a mirror this host actually uses', async () => {
    const mirror = await debianMirror('bookworm', { env: {} });
    const uris = (await readAptSources()).flatMap((s) => s.uris.map((u) => u.replace(/\/+$/, '')));
    expect(uris).toContain(mirror);
  });
});

describe('image builds', () => {
  it('builds Python 3.13 from Debian trixie with debootstrap, reporting progress up to completion', async () => {
    const repo = 'chalkfs-test/python';
    const tag = uniqueName('3.13-trixie');
    const updates: Array<{ fraction: number; phase: string }> = [];
    const events: string[] = [];
    const progress: BuildProgress = {
      start: (title) => events.push(`start ${title}`),
      update: (fraction, phase) => updates.push({ fraction, phase }),
      stop: (summary) => events.push(`stop ${summary}`),
    };
    try {
      await buildDebianImage(
        { suite: 'trixie', packages: ['python3'], repo, tag, changes: ['ENV LANG=C.UTF-8', 'CMD ["python3"]'] },
        { engine, progress },
      );
      expect(events[0]).toBe(`start Building ${repo}:${tag}`);
      expect(events.at(-1)).toMatch(new RegExp(`^stop Built ${repo}:${tag}`));
      const fractions = updates.map((u) => u.fraction);
      expect(fractions).toEqual([...fractions].sort((a, b) => a - b)); // never goes back
      expect(fractions.at(-1)).toBe(1);
      const phases = new Set(updates.map((u) => u.phase));
      for (const phase of ['downloading packages', 'configuring python3', 'importing into Docker']) expect(phases).toContain(phase);

      await using c = await new Container({ image: Image.local(`${repo}:${tag}`), name: uniqueName('orch-test-trixie') }).run();
      const r = await c.exec('python3', '-c', 'import sqlite3, sys; print(sys.version_info[:2])');
      expect(r.stdoutText).toBe('(3, 13)\n');
    } finally {
      if (await engine.imageExists(`${repo}:${tag}`)) await engine.removeImage(`${repo}:${tag}`);
    }
  });

  it('reuses an image that exists under its tag without building', async () => {
    const image = Image.debianSlim('3.11');
    await image.ensure({ engine });
    const calls: string[] = [];
    const again = await image.ensure({ engine, progress: { start: () => calls.push('start'), update: () => calls.push('update'), stop: () => calls.push('stop') } });
    expect(again).toMatchObject({ reference: 'chalkfs/python:3.11-bookworm', built: false });
    expect(calls).toEqual([]);
  });
});
