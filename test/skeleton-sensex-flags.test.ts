import { describe, expect, it } from 'vitest';
import { parseMaster } from '../src/master/parse-master.js';
import { buildSkeleton } from '../src/skeleton/build-skeleton.js';
import { SkeletonIndex } from '../src/skeleton/skeleton-index.js';
import { chainRows, indexRow, strikes, toCsv } from './helpers/master-rows.js';

// The real 2026-03-23 master: BSE flags SENSEX's quarterly and half-yearly monthlies Q and H,
// and one expiry (2026-03-25) carries 202 rows flagged M and 404 flagged Q (docs/contract.md §3).
const D = '2026-03-23';
const sensex = (expiry: string, flag: string, from: number, count: number, firstId: number) =>
  chainRows({ exchange: 'BSE', symbol: 'SENSEX', underlyingId: 1, expiry, strikes: strikes(from, 100, count), flag, firstId, lot: 20 });

const rows = [
  indexRow('BSE', 51, 'SENSEX', 'Sensex'),
  ...sensex('2026-03-25', 'M', 74000, 3, 1000), // mixed within one expiry: 3 strikes M …
  ...sensex('2026-03-25', 'Q', 74300, 6, 1100), // … and 6 strikes Q → 9 strikes, 18 contracts
  ...sensex('2026-04-01', 'W', 74000, 4, 2000),
  ...sensex('2026-04-08', 'W', 74000, 4, 3000),
  ...sensex('2026-04-29', 'M', 74000, 5, 4000),
  ...sensex('2026-06-25', 'Q', 70000, 7, 5000),
  ...sensex('2026-09-03', 'W', 70000, 1, 5900),
  ...sensex('2026-09-24', 'H', 70000, 2, 6000),
  ...sensex('2026-12-31', 'H', 70000, 2, 7000),
];

describe('SENSEX expiries flagged Q and H', () => {
  const sk = buildSkeleton(parseMaster(toCsv(rows)).instruments, D);
  const sx = new SkeletonIndex(sk).underlying('SENSEX', 'BSE')!;

  it('counts Q and H as monthly: 3 nearest ∪ current + next monthly ∪ 3 nearest quarterlies = 6 expiries', () => {
    // Monthlies: 03-25 (M+Q), 04-29 (M), 06-25 (Q), 09-24 (H), 12-31 (H).
    // Quarterlies (Mar/Jun/Sep/Dec): 03-25, 06-25, 09-24, 12-31 → the 3 nearest drop 12-31.
    expect(sx.chains.map((c) => [c.expiry, c.tags.join('+'), c.contracts])).toEqual([
      ['2026-03-25', 'monthly+quarterly', 18],
      ['2026-04-01', 'weekly', 8],
      ['2026-04-08', 'weekly', 8],
      ['2026-04-29', 'monthly', 10],
      ['2026-06-25', 'monthly+quarterly', 14],
      ['2026-09-24', 'monthly+quarterly', 4],
    ]);
    expect(sk.totals).toEqual({ underlyings: 1, chains: 6, contracts: 18 + 8 + 8 + 10 + 14 + 4, spots: 1 });
  });

  it('tags a selected H expiry monthly, never weekly, when it is among the 3 nearest', () => {
    const near = buildSkeleton(parseMaster(toCsv(rows)).instruments, '2026-09-01');
    const c = new SkeletonIndex(near).underlying('SENSEX', 'BSE')!.chains;
    expect(c.map((x) => [x.expiry, x.tags.join('+')])).toEqual([['2026-09-03', 'weekly'], ['2026-09-24', 'monthly+quarterly'], ['2026-12-31', 'monthly+quarterly']]);
  });
});
