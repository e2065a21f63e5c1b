/*
 * The SQLite bank the WAL tests' child processes share (multihost-wal, multihost-wal-close):
 * accounts whose balances always sum to the same total, and a numbered transfer between
 * two of them. JavaScript source, put into each child's code: children run as separate
 * node processes (test/support/multihost-children.ts).
 */
export const bankCode = String.raw`
const createBank = (db, accounts, start) => {
  db.exec('CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL, pad BLOB NOT NULL); CREATE TABLE meta (k INTEGER PRIMARY KEY, txn INTEGER NOT NULL)');
  db.transaction(() => {
    const insert = db.prepare('INSERT INTO acct (id, bal, pad) VALUES (?, ?, randomblob(300))');
    for (let id = 1; id <= accounts; id++) insert.run(id, start);
    db.prepare('INSERT INTO meta VALUES (1, 0)').run();
  })();
};
/** transfer(n, from, to, amount): moves amount and records n as the last transfer, in one transaction. */
const bankTransfer = (db) => {
  const move = db.prepare('UPDATE acct SET bal = bal + ?, pad = randomblob(300) WHERE id = ?');
  const number = db.prepare('UPDATE meta SET txn = ? WHERE k = 1');
  return db.transaction((n, from, to, amount) => { move.run(-amount, from); move.run(amount, to); number.run(n); });
};
`;
