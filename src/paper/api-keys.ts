/**
 * Paper users and their API keys (docs/contract.md §2 `optchain users add`, docs/contract.md §6 auth).
 *
 * A key is 32 bytes from the OS CSPRNG (256 bits), shown once and stored only as its SHA-256.
 * A fast unsalted hash is the right tool here: slow, salted KDFs (scrypt, argon2) exist to stop
 * dictionary attacks on low-entropy human passwords; a 256-bit random key has no dictionary, so
 * a leaked hash cannot be reversed or guessed either way, and a plain digest lets the server find
 * the user with one indexed lookup per request instead of a deliberately slow hash.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import type { PaperDb } from './paper-db.js';

/** Prefix that makes keys recognisable in config files and secret scanners. */
export const KEY_PREFIX = 'ocp_';

/** A paper user as the server sees it. */
export interface PaperUser {
  readonly id: number;
  readonly name: string;
  readonly funds: number;
}

/** A new random key (prefix + base64url of 32 random bytes). */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Hex SHA-256 of a key: what the database stores. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Creates a user and returns it with its key (the only time the key exists in clear). */
export function createUser(db: PaperDb, name: string, funds: number, now: number = Date.now()): { user: PaperUser; key: string } {
  const key = generateApiKey();
  const info = db.prepare('INSERT INTO users (name, key_hash, funds, created_at) VALUES (?, ?, ?, ?)').run(name, hashApiKey(key), funds, now);
  return { user: { id: Number(info.lastInsertRowid), name, funds }, key };
}

/**
 * The lookup statement, prepared once per connection: every paper request authenticates, and
 * under an order flood `db.prepare` per request was the largest single cost of a 429
 * (bench/paper-load --prof: 2.7 % of the HTTP thread, more than the SHA-256).
 */
const lookups = new WeakMap<PaperDb, ReturnType<PaperDb['prepare']>>();

/** Looks a bearer key up; undefined for an unknown or malformed key. */
export function findUserByKey(db: PaperDb, key: string): PaperUser | undefined {
  if (!key.startsWith(KEY_PREFIX) || key.length > 200) return undefined;
  let stmt = lookups.get(db);
  if (stmt === undefined) lookups.set(db, (stmt = db.prepare('SELECT id, name, funds FROM users WHERE key_hash = ?')));
  return stmt.get(hashApiKey(key)) as PaperUser | undefined;
}

/** The key from an `Authorization: Bearer <key>` header, or undefined. */
export function bearerKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
