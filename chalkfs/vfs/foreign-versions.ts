/*
 * A writer whose lease lapsed (store outage) and was taken again cannot know whether
 * another mount held the lease meanwhile and committed. Version N+1's If-None-Match
 * catches that at the next commit only while N+1 exists; gc may have removed it if the
 * other writer went on to N+k. So before committing again, the writer looks at every
 * version after its own.
 */
import type { VersionRecord } from '../meta/format.js';
import type { VolumeRepository } from '../meta/volume-repository.js';

/** The first version after `afterSeq` that mount `mountId` did not write, if any. */
export async function firstForeignVersion(repo: VolumeRepository, volume: string, afterSeq: number, mountId: string): Promise<VersionRecord | undefined> {
  for (const seq of await repo.versionsAfter(volume, afterSeq)) {
    const record = await repo.readVersion(volume, seq);
    if (record.writer.mountId !== mountId) return record;
  }
  return undefined;
}
