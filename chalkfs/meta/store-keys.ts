/*
 * Where a volume's objects live in the bucket. Documented in docs/FORMAT.md; changing
 * anything here changes the on-store format.
 */
const seqDigits = 16;

export const storeKeys = {
  volumesPrefix: 'volumes/',
  volumePrefix: (volume: string) => `volumes/${volume}/`,
  volumeConfig: (volume: string) => `volumes/${volume}/volume.json`,
  head: (volume: string) => `volumes/${volume}/head.json`,
  lease: (volume: string) => `volumes/${volume}/lease.json`,
  versionsPrefix: (volume: string) => `volumes/${volume}/versions/`,
  version: (volume: string, seq: number) => `volumes/${volume}/versions/${String(seq).padStart(seqDigits, '0')}`,
  blocksPrefix: (volume: string) => `volumes/${volume}/blocks/`,
  block: (volume: string, hash: string) => `volumes/${volume}/blocks/${hash}`,
  presencePrefix: (volume: string) => `volumes/${volume}/presence/`,
  presence: (volume: string, mountId: string) => `volumes/${volume}/presence/${mountId}`,
  snapshotsPrefix: (volume: string) => `volumes/${volume}/snapshots/`,
  snapshot: (volume: string, seq: number) => `volumes/${volume}/snapshots/${String(seq).padStart(seqDigits, '0')}`,
};

/** The sequence number in a version (or snapshot) key, or undefined for other keys. */
export function seqFromKey(key: string): number | undefined {
  const match = /\/(\d{16})$/.exec(key);
  return match ? Number(match[1]) : undefined;
}
