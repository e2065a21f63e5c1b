/*
 * The mixed write-heavy SQLite workload of issue 16: a fixed amount of work (many small
 * write transactions, one bulk insert, index builds, updates, deletes and queries) in one
 * journal mode, timed per phase and in total. The same work runs on every target, so the
 * total time divided by local disk's is the figure; there is no time cap (a cap would let
 * a slow target do less work and look better).
 */
import Database from 'better-sqlite3';
import { seededRandom } from '../chalkfs/util/seeded-random.js';

export type MixedJournalMode = 'delete' | 'wal';

/** How much of each kind of work one run does. */
export interface MixedWorkloadSize {
  /** Rows inserted in one transaction each. */
  smallInserts: number;
  /** Rows inserted by the bulk transaction. */
  bulkRows: number;
  /** Transactions updating a short id range each. */
  smallUpdates: number;
  /** Transactions deleting a short id range each. */
  smallDeletes: number;
  /** Indexed range queries and joins. */
  queries: number;
}

export interface MixedWorkloadResult {
  kind: 'mixed';
  journalMode: MixedJournalMode;
  totalMs: number;
  /** Each phase's time, in run order. */
  phasesMs: Record<string, number>;
  /** Write transactions committed (each a durable commit: synchronous=FULL). */
  transactions: number;
  /** A digest of the final content, equal on every target for the same size and seed. */
  checksum: number;
}

/** The phases in run order, with how many write transactions each commits. */
export function mixedPhases(size: MixedWorkloadSize): Array<{ name: string; transactions: number }> {
  return [
    { name: 'create tables', transactions: 2 },
    { name: 'small inserts', transactions: size.smallInserts },
    { name: 'bulk insert', transactions: 1 },
    { name: 'create indexes', transactions: 2 },
    { name: 'small updates', transactions: size.smallUpdates },
    { name: 'small deletes', transactions: size.smallDeletes },
    { name: 'indexed queries', transactions: 0 },
    { name: 'big update', transactions: 1 },
    { name: 'insert-select', transactions: 1 },
    { name: 'big delete', transactions: 1 },
    { name: 'drop index, reindex', transactions: 2 },
    { name: 'aggregate query', transactions: 0 },
  ];
}

/**
 * Runs the workload on a new database at `dbPath` (which must not exist) in `journalMode`,
 * synchronous=FULL (every commit durable, as the writer workload).
 */
export function runMixedWorkload(dbPath: string, journalMode: MixedJournalMode, size: MixedWorkloadSize, seed: number): MixedWorkloadResult {
  const db = new Database(dbPath);
  try {
    db.pragma(`journal_mode = ${journalMode.toUpperCase()}`);
    db.pragma('synchronous = FULL');
    const rnd = seededRandom(seed);
    const text = (n: number): string => {
      let out = '';
      while (out.length < n) out += Math.floor(rnd() * 1e9).toString(36);
      return out.slice(0, n);
    };
    const phasesMs: Record<string, number> = {};
    const phase = (name: string, fn: () => void): void => {
      const start = performance.now();
      fn();
      phasesMs[name] = performance.now() - start;
    };
    const start = performance.now();
    const work: Record<string, () => void> = {
      'create tables': () =>
        db.exec(
          'CREATE TABLE items (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL, score INTEGER NOT NULL, label TEXT NOT NULL, body TEXT NOT NULL);' +
            'CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT NOT NULL, total INTEGER NOT NULL DEFAULT 0)',
        ),
      'small inserts': () => {
        const insert = db.prepare('INSERT INTO items (owner, score, label, body) VALUES (?, ?, ?, ?)');
        for (let i = 0; i < size.smallInserts; i++) insert.run(Math.floor(rnd() * 1000), Math.floor(rnd() * 1e6), text(12), text(100));
      },
      'bulk insert': () => {
        const insert = db.prepare('INSERT INTO items (owner, score, label, body) VALUES (?, ?, ?, ?)');
        const owner = db.prepare('INSERT INTO owners (id, name) VALUES (?, ?)');
        db.transaction(() => {
          for (let i = 0; i < 1000; i++) owner.run(i, text(16));
          for (let i = 0; i < size.bulkRows; i++) insert.run(Math.floor(rnd() * 1000), Math.floor(rnd() * 1e6), text(12), text(100));
        })();
      },
      'create indexes': () => {
        db.exec('CREATE INDEX items_owner ON items (owner, score)');
        db.exec('CREATE INDEX items_label ON items (label)');
      },
      'small updates': () => {
        const update = db.prepare('UPDATE items SET score = score + 1, body = ? WHERE id BETWEEN ? AND ?');
        const rows = lastId(db);
        for (let i = 0; i < size.smallUpdates; i++) {
          const from = 1 + Math.floor(rnd() * rows);
          update.run(text(100), from, from + 9);
        }
      },
      'small deletes': () => {
        const del = db.prepare('DELETE FROM items WHERE id BETWEEN ? AND ?');
        const rows = lastId(db);
        for (let i = 0; i < size.smallDeletes; i++) {
          const from = 1 + Math.floor(rnd() * rows);
          del.run(from, from + 4);
        }
      },
      'indexed queries': () => {
        const byOwner = db.prepare('SELECT count(*), max(score) FROM items WHERE owner = ? AND score > ?');
        const join = db.prepare('SELECT o.name, count(*) FROM owners o JOIN items i ON i.owner = o.id WHERE o.id BETWEEN ? AND ? GROUP BY o.id');
        for (let i = 0; i < size.queries; i++) {
          byOwner.get(Math.floor(rnd() * 1000), Math.floor(rnd() * 1e6));
          const o = Math.floor(rnd() * 990);
          join.all(o, o + 10);
        }
      },
      'big update': () => db.exec('UPDATE owners SET total = (SELECT coalesce(sum(score), 0) FROM items WHERE items.owner = owners.id)'),
      'insert-select': () => db.exec(`INSERT INTO items (owner, score, label, body) SELECT owner, score / 2, label, body FROM items WHERE id % 4 = 0`),
      'big delete': () => db.exec('DELETE FROM items WHERE score % 3 = 0'),
      'drop index, reindex': () => {
        db.exec('DROP INDEX items_label');
        db.exec('REINDEX items_owner');
      },
      'aggregate query': () => void db.prepare('SELECT owner, count(*), avg(score) FROM items GROUP BY owner ORDER BY 3 DESC LIMIT 10').all(),
    };
    for (const p of mixedPhases(size)) phase(p.name, work[p.name]!);
    const totalMs = performance.now() - start;
    const check = db.prepare('SELECT count(*) AS n, coalesce(sum(score % 1000003), 0) AS s, (SELECT sum(total % 1000003) FROM owners) AS t FROM items').get() as {
      n: number;
      s: number;
      t: number;
    };
    const transactions = mixedPhases(size).reduce((sum, p) => sum + p.transactions, 0);
    return { kind: 'mixed', journalMode, totalMs, phasesMs, transactions, checksum: (check.n * 31 + check.s * 7 + check.t) % 2_147_483_647 };
  } finally {
    db.close();
  }
}

function lastId(db: Database.Database): number {
  return (db.prepare('SELECT max(id) AS m FROM items').get() as { m: number | null }).m ?? 1;
}
