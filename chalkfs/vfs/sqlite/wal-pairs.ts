/*
 * A WAL database and its `-wal` are one thing to a reader: a read transaction reads pages
 * from both, so a follower must serve both files of one version together, never the
 * database of one version with the WAL of another (after a checkpoint and a WAL restart
 * the new WAL no longer holds the pages the old database lacks: wrong data that
 * quick_check calls ok). reader-volume.ts pins and switches the two as a unit; this finds
 * the pairs of a version. Pure: no I/O.
 */
import type { Namespace } from '../../meta/namespace.js';
import { classify } from './sqlite-files.js';

/** Every file of a `X` / `X-wal` pair in `ns`, by inode number, with its partner's. */
export function walPairs(ns: Namespace): Map<number, number> {
  const partners = new Map<number, number>();
  for (const dir of ns.inodes.values()) {
    if (dir.type !== 'dir') continue;
    for (const [name, walIno] of Object.entries(dir.entries)) {
      const { kind, database } = classify(name);
      const dbIno = dir.entries[database];
      if (kind !== 'wal' || dbIno === undefined || ns.inodes.get(dbIno)?.type !== 'file' || ns.inodes.get(walIno)?.type !== 'file') continue;
      partners.set(dbIno, walIno);
      partners.set(walIno, dbIno);
    }
  }
  return partners;
}
