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

/** A `X` / `X-wal` pair of a version: both inode numbers, and where the `-wal` is named. */
export interface WalPair {
  databaseIno: number;
  walIno: number;
  /** The directory holding both, and the `-wal`'s name in it (directory numbers outlive versions). */
  dirIno: number;
  walName: string;
}

/** Every `X` / `X-wal` pair in `ns`. */
export function walPairList(ns: Namespace): WalPair[] {
  const pairs: WalPair[] = [];
  for (const [dirIno, dir] of ns.inodes) {
    if (dir.type !== 'dir') continue;
    for (const [name, walIno] of Object.entries(dir.entries)) {
      const { kind, database } = classify(name);
      const databaseIno = dir.entries[database];
      if (kind !== 'wal' || databaseIno === undefined || ns.inodes.get(databaseIno)?.type !== 'file' || ns.inodes.get(walIno)?.type !== 'file') continue;
      pairs.push({ databaseIno, walIno, dirIno, walName: name });
    }
  }
  return pairs;
}

/** Every file of a `X` / `X-wal` pair in `ns`, by inode number, with its partner's. */
export function walPairs(ns: Namespace): Map<number, number> {
  const partners = new Map<number, number>();
  for (const { databaseIno, walIno } of walPairList(ns)) {
    partners.set(databaseIno, walIno);
    partners.set(walIno, databaseIno);
  }
  return partners;
}
