/**
 * `optchain skeleton` as a user runs it (docs/contract.md §2, §2.1), on the built bin: exactly the
 * docs/contract.md §2.1 JSON on stdout with --json, a readable table without, one-line reasons and non-zero exits
 * for the documented failures. Includes the worked examples of docs/market-structure.md §7 on a
 * full-size synthetic master: stocks carry 3 expiries in a month whose far expiry is a quarter
 * month (the Oct series), 2 otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DETAILED_COLUMNS } from '../src/master/columns.js';
import { generateMaster } from '../src/synthetic-master/synthetic-master.js';
import { chainRows, indexRow, strikes, toCsv } from './helpers/master-rows.js';

const BIN = fileURLToPath(new URL('../bin/optchain.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'optchain-skel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'skeleton', ...args], { encoding: 'utf8', env: { ...process.env, OPTCHAIN_DATA_DIR: dir } });

function write(name: string, text: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('optchain skeleton', () => {
  const small = write('small.csv', toCsv([indexRow('NSE', 13, 'NIFTY'), ...chainRows({ symbol: 'NIFTY', underlyingId: 26000, expiry: '2026-08-18', strikes: strikes(24000, 50, 3), flag: 'W', firstId: 1 })]));

  it('--json prints exactly the docs/contract.md §2.1 JSON on stdout and nothing else', () => {
    const r = run('--master', small, '--date', '2026-08-17', '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toEqual({
      tradingDate: '2026-08-17',
      underlyings: [{ symbol: 'NIFTY', exchange: 'NSE', kind: 'index', spot: { segment: 'IDX_I', securityId: 13 }, expiries: [{ expiry: '2026-08-18', tags: ['weekly'], strikes: 3, contracts: 6 }] }],
      totals: { underlyings: 1, chains: 1, contracts: 6, spots: 1 },
    });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('7 kept'); // parse statistics go to stderr
  });

  it('prints a readable table without --json', () => {
    const r = run('--master', small, '--date', '2026-08-17');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('NSE:NIFTY');
    expect(r.stdout).toContain('2026-08-18 W 3/6');
    expect(r.stdout).toContain('totals: 1 underlyings, 1 chains, 6 contracts, 1 spots');
  });

  it('fails with a one-line reason for a missing file, a header without needed columns, no contracts for the date', () => {
    const missing = run('--master', join(dir, 'nope.csv'), '--date', '2026-08-17');
    const noCol = run('--master', write('nocol.csv', toCsv([indexRow('NSE', 13, 'NIFTY')], DETAILED_COLUMNS.filter((c) => c !== 'OPTION_TYPE'))), '--date', '2026-08-17');
    const late = run('--master', small, '--date', '2027-01-01');
    const badDate = run('--master', small, '--date', '17-08-2026');
    for (const [r, text] of [[missing, 'cannot read instrument master'], [noCol, 'OPTION_TYPE'], [late, 'no option contracts'], [badDate, '--date']] as const) {
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe('');
      // Only the reason: no parse-statistics line before it (docs/contract.md §2).
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toContain(text);
    }
  });

  it('on a full-size master: NIFTY 6, BANKNIFTY 5, SENSEX 6 expiries, stocks 2 (Aug series) or 3 (Oct series)', () => {
    const counts = (date: string) => {
      const file = write(`m-${date}.csv`, generateMaster(date).buffer);
      const r = run('--master', file, '--date', date, '--json');
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { underlyings: { symbol: string; exchange: string; kind: string; expiries: unknown[] }[] };
    };
    const aug = counts('2026-08-17');
    const n = (s: typeof aug, sym: string) => s.underlyings.find((u) => u.symbol === sym)!.expiries.length;
    expect([n(aug, 'NIFTY'), n(aug, 'BANKNIFTY'), n(aug, 'SENSEX')]).toEqual([6, 5, 6]);
    expect(new Set(aug.underlyings.filter((u) => u.kind === 'stock').map((u) => u.expiries.length))).toEqual(new Set([2]));
    const oct = counts('2026-10-01');
    expect(new Set(oct.underlyings.filter((u) => u.kind === 'stock').map((u) => u.expiries.length))).toEqual(new Set([3]));
  }, 60_000);
});
