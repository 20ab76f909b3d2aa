/**
 * The paper database and `optchain users add`: durable pragmas, migrations, keys stored hashed
 * and printed once as the last line of stdout.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { findUserByKey, hashApiKey } from '../src/paper/api-keys.js';
import { MIGRATIONS, openPaperDb } from '../src/paper/paper-db.js';
import { applyFill } from '../src/paper/positions.js';

const ROOT = new URL('..', import.meta.url).pathname;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'optchain-store-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('paper database', () => {
  it('opens in WAL mode with synchronous=FULL and migrates to the newest user_version, idempotently', () => {
    const dir = tmp();
    const db = openPaperDb(dir);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
    const again = openPaperDb(dir);
    expect(again.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    again.close();
  });

  it('refuses a database from a newer program', () => {
    const dir = tmp();
    openPaperDb(dir).close();
    const raw = new Database(join(dir, 'paper.sqlite'));
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    expect(() => openPaperDb(dir)).toThrow(/newer/);
  });
});

describe('optchain users add', () => {
  const run = (dataDir: string, ...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/optchain.js'), 'users', ...args], { env: { ...process.env, OPTCHAIN_DATA_DIR: dataDir }, encoding: 'utf8' });

  it('prints the new key as the last stdout line, stores only its SHA-256, and defaults funds to 1,000,000', () => {
    const dir = tmp();
    const out = execFileSync(process.execPath, [join(ROOT, 'bin/optchain.js'), 'users', 'add', 'alice'], { env: { ...process.env, OPTCHAIN_DATA_DIR: dir }, encoding: 'utf8' });
    const key = out.trimEnd().split('\n').pop()!;
    expect(key).toMatch(/^ocp_[A-Za-z0-9_-]{43}$/);
    const db = openPaperDb(dir);
    expect(findUserByKey(db, key)).toMatchObject({ name: 'alice', funds: 1_000_000 });
    expect(findUserByKey(db, `${key}x`)).toBeUndefined();
    const row = db.prepare('SELECT key_hash FROM users WHERE name = ?').get('alice') as { key_hash: string };
    expect(row.key_hash).toBe(hashApiKey(key));
    db.close();
    // the clear key is nowhere in the database files
    for (const f of ['paper.sqlite', 'paper.sqlite-wal']) {
      try {
        expect(readFileSync(join(dir, f)).includes(Buffer.from(key))).toBe(false);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  });

  it('takes --funds, refuses a duplicate name and bad input with non-zero exits', () => {
    const dir = tmp();
    const ok = run(dir, 'add', 'bob', '--funds', '250000');
    expect(ok.status).toBe(0);
    const db = openPaperDb(dir);
    expect(findUserByKey(db, ok.stdout.trimEnd().split('\n').pop()!)).toMatchObject({ name: 'bob', funds: 250_000 });
    db.close();
    expect(run(dir, 'add', 'bob').status).toBe(1);
    expect(run(dir, 'add', 'carol', '--funds', 'lots').status).toBe(2);
    expect(run(dir, 'add').status).toBe(2);
    expect(run(dir, 'remove', 'bob').status).toBe(2);
  });
});

describe('position arithmetic', () => {
  const f = (quantity: number, price: number) => ({ exchangeSegment: 'NSE_FNO' as const, securityId: 1, lotSize: 65, quantity, price });
  it('averages in, realizes on the way out, flips at the fill price, and works for shorts', () => {
    let p = applyFill(undefined, f(65, 100));
    p = applyFill(p, f(130, 103));
    expect(p).toMatchObject({ quantity: 195, avgPrice: 102, realizedPnl: 0 });
    p = applyFill(p, f(-65, 110));
    expect(p).toMatchObject({ quantity: 130, avgPrice: 102, realizedPnl: 520 });
    p = applyFill(p, f(-195, 90));
    expect(p).toMatchObject({ quantity: -65, avgPrice: 90, realizedPnl: 520 - 1560 });
    p = applyFill(p, f(-65, 80));
    expect(p).toMatchObject({ quantity: -130, avgPrice: 85 });
    p = applyFill(p, f(130, 70));
    expect(p).toMatchObject({ quantity: 0, avgPrice: 0, realizedPnl: -1040 + 1950 });
  });
});
