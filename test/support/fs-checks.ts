/*
 * Checks the filesystem tests share: that a call fails with a given errno code, and what
 * `chalkfs volume info --json` says of a volume.
 */
import { expect } from 'vitest';
import type { ChalkfsFixture } from './chalkfs-fixture.js';

export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

export async function volumeInfo(fx: ChalkfsFixture, name: string): Promise<{ sizeBytes: number; files: number; latestSeq: number; versions: number }> {
  return JSON.parse((await fx.cliOk(['volume', 'info', name, '--json'])).stdout);
}
