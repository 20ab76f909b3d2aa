/**
 * The paper-trading database: better-sqlite3 under the data dir (docs/contract.md §4
 * `OPTCHAIN_DATA_DIR`), in WAL mode with `synchronous = FULL` so that every commit is fsynced
 * before it returns: an order acknowledged with 201 has reached the disk and survives SIGKILL or
 * power loss (docs/contract.md §6: "an acknowledged order is never lost and never applied twice").
 * (`NORMAL` in WAL mode is crash-safe against corruption but may lose the last commits on power
 * loss; that is exactly the guarantee we must not weaken.)
 *
 * Migrations: `PRAGMA user_version` holds the schema version; each migration runs in its own
 * transaction together with its version bump.
 *
 * Permissions: the data dir is made 0700 and the database file 0600 (issue 15: paper state was
 * world-readable). SQLite creates the `-wal` and `-shm` files with the database file's mode
 * (unix VFS `findCreateFileMode`), so creating the file 0600 before SQLite opens it covers all
 * three; an existing file or dir with wider bits is narrowed on open.
 *
 * Writes: the server opens this database twice — once on the HTTP thread for reads (WAL readers
 * never wait for the writer and never fsync) and once in the writer thread
 * ({@link ./paper-writer.ts}), which owns every write.
 *
 * @module
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCodes, OptchainError } from '../errors.js';

/** A better-sqlite3 handle. */
export type PaperDb = Database.Database;

/** File name inside the data dir. */
export const PAPER_DB_FILE = 'paper.sqlite';

/** Schema migrations; index + 1 = the user_version after it. Append only. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    key_hash    TEXT    NOT NULL UNIQUE,
    funds       REAL    NOT NULL,
    created_at  INTEGER NOT NULL
  );

  -- One row per (user, clientOrderId): the stored first answer (201 or 422) and the body hash
  -- that decides between "replay" and 409 (docs/contract.md §6).
  CREATE TABLE order_requests (
    user_id          INTEGER NOT NULL REFERENCES users(id),
    client_order_id  TEXT    NOT NULL,
    body_hash        TEXT    NOT NULL,
    http_status      INTEGER NOT NULL,
    answer           TEXT    NOT NULL,
    order_id         TEXT,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_order_id)
  ) WITHOUT ROWID;

  CREATE TABLE orders (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    user_id          INTEGER NOT NULL REFERENCES users(id),
    client_order_id  TEXT    NOT NULL,
    strategy_id      TEXT,
    status           TEXT    NOT NULL,
    margin           TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (user_id, client_order_id)
  );
  CREATE INDEX orders_by_user ON orders (user_id, seq);

  CREATE TABLE fills (
    order_id          TEXT    NOT NULL REFERENCES orders(id),
    leg               INTEGER NOT NULL,
    exchange_segment  TEXT    NOT NULL,
    security_id       INTEGER NOT NULL,
    side              TEXT    NOT NULL,
    lots              INTEGER NOT NULL,
    quantity          INTEGER NOT NULL,
    price             REAL    NOT NULL,
    quote_at          INTEGER NOT NULL,
    PRIMARY KEY (order_id, leg)
  ) WITHOUT ROWID;

  -- Net position per instrument; quantity in units, signed. Rows stay when flat to keep realized P&L.
  CREATE TABLE positions (
    user_id           INTEGER NOT NULL REFERENCES users(id),
    exchange_segment  TEXT    NOT NULL,
    security_id       INTEGER NOT NULL,
    lot_size          INTEGER NOT NULL,
    quantity          INTEGER NOT NULL,
    avg_price         REAL    NOT NULL,
    realized_pnl      REAL    NOT NULL,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (user_id, exchange_segment, security_id)
  ) WITHOUT ROWID;

  CREATE TABLE strategies (
    id          TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    name        TEXT    NOT NULL,
    legs        TEXT    NOT NULL,
    margin      TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER
  );
  CREATE INDEX strategies_by_user ON strategies (user_id, created_at);
  `,
  // v2: stored refusals are kept for replay only for the newest `paperRefusalsKept` per user;
  // this index lets the writer find the ones past that count without scanning the user's orders.
  `
  CREATE INDEX refusals_by_user ON order_requests (user_id, created_at, client_order_id) WHERE order_id IS NULL;
  `,
];

/** Opens (creating if needed) `<dataDir>/paper.sqlite`, sets the pragmas and migrates. */
export function openPaperDb(dataDir: string): PaperDb {
  const dir = resolve(dataDir);
  ensurePrivateDir(dir);
  const file = join(dir, PAPER_DB_FILE);
  ensurePrivateFile(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // Another process (the `users add` command) may hold the write lock for a moment.
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/** Brings the schema to the newest version; returns the version reached. */
export function migrate(db: PaperDb): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new OptchainError(ErrorCodes.DATABASE_TOO_NEW, `paper database schema version ${current} is newer than this program (${MIGRATIONS.length})`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  return MIGRATIONS.length;
}

/** Creates `dir` (and parents) 0700, or narrows an existing one to 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** Creates `file` empty with mode 0600 if it is missing, or narrows an existing one to 0600. */
function ensurePrivateFile(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
}
