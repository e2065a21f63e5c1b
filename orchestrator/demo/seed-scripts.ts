/*
 * The Python the seed scenario runs inside its containers: a writer that creates a users
 * table with three rows in a SQLite database on the volume, and a reader that opens the
 * database read-only and prints every row. The demo and the integration tests share
 * these so the tests check exactly what the demo shows.
 */
export const DB_PATH = '/data/app.db';

export const SEED_USERS: ReadonlyArray<readonly [number, string, string]> = [
  [1, 'Alice', 'alice@example.com'],
  [2, 'Bob', 'bob@example.com'],
  [3, 'Charlie', 'charlie@example.com'],
];

/** How Python prints one row tuple, e.g. `(1, 'Alice', 'alice@example.com')`. */
export function pythonRow(row: readonly [number, string, string]): string {
  return `(${row[0]}, '${row[1]}', '${row[2]}')`;
}

export function writerScript(dbPath = DB_PATH): string {
  const values = SEED_USERS.map(pythonRow).join(',\n    ');
  return `
import os
import sqlite3

path = ${JSON.stringify(dbPath)}
os.makedirs(os.path.dirname(path), exist_ok=True)
with sqlite3.connect(path) as db:
    db.execute("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT, email TEXT)")
    db.executemany("INSERT OR IGNORE INTO users (id, name, email) VALUES (?, ?, ?)", [
    ${values},
    ])
    rows = db.execute("SELECT id, name, email FROM users ORDER BY id").fetchall()
db.close()
print(f"Wrote {len(rows)} rows to {path}")
for row in rows:
    print(f"  {row}")
`;
}

export function readerScript(dbPath = DB_PATH): string {
  return `
import sqlite3

db = sqlite3.connect(${JSON.stringify(`file:${dbPath}?mode=ro`)}, uri=True)
rows = db.execute("SELECT id, name, email FROM users ORDER BY id").fetchall()
db.close()
for row in rows:
    print(row)
print(f"Read {len(rows)} rows")
`;
}

/** What a reader prints when it sees the three seed rows. */
export function expectedReaderOutput(): string {
  return `${SEED_USERS.map(pythonRow).join('\n')}\nRead ${SEED_USERS.length} rows\n`;
}

export function expectedWriterOutput(dbPath = DB_PATH): string {
  return `Wrote ${SEED_USERS.length} rows to ${dbPath}\n${SEED_USERS.map((r) => `  ${pythonRow(r)}`).join('\n')}\n`;
}
