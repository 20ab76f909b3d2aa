/**
 * The synthetic master at real size (issue 16 §2), the default for `npm start` and the
 * benchmarks: on 2026-03-23 it gives what Dhan's real master of that day gives — 413
 * underlyings (3 indices, 206 NSE stocks, 204 BSE stocks on their BSE_EQ spots), ~835 chains,
 * ~111.6k contracts, 413 spots, a NIFTY weekly of ~267 strikes, NSE stock near months with a
 * median of ~91.5 strikes — with MCX and currency rows as distractors, one security id per
 * token, and a universe the simulator's default accounts hold. The compact size (what the rest
 * of the suite runs on) stays byte-identical to the generator before the real size existed.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { accountsNeeded } from '../src/feed/connection-plan.js';
import { parseMaster } from '../src/master/parse-master.js';
import { DEFAULT_SIM_ACCOUNTS } from '../src/sim/accounts.js';
import { buildSkeleton } from '../src/skeleton/build-skeleton.js';
import { defaultUniverseSize } from '../src/synthetic-master/synthetic-size.js';
import { generateMaster, syntheticUnderlyings } from '../src/synthetic-master/synthetic-master.js';

const D = '2026-03-23';
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

describe('synthetic master, real size', () => {
  it('matches the real figures of 2026-03-23', () => {
    const g = generateMaster(D, { universe: 'real' });
    const parsed = parseMaster(g.buffer);
    expect(parsed.stats.malformed).toBe(0);
    const sk = buildSkeleton(parsed.instruments, D);
    expect(sk.warnings).toEqual([]);
    const t = sk.totals;
    expect([t.underlyings, t.spots]).toEqual([413, 413]);
    expect(Math.abs(t.chains - 835)).toBeLessThanOrEqual(5);
    expect(Math.abs(t.contracts - 111_627) / 111_627).toBeLessThan(0.005);
    const stocks = sk.underlyings.filter((u) => u.kind === 'stock');
    expect(stocks.filter((u) => u.exchange === 'NSE')).toHaveLength(206);
    const bse = stocks.filter((u) => u.exchange === 'BSE');
    expect(bse).toHaveLength(204);
    expect(bse.every((u) => u.spot?.segment === 'BSE_EQ')).toBe(true);
    expect(bse.find((u) => u.symbol === 'RELIANCE')?.spot?.securityId).toBe(500325);
    const nifty = sk.underlyings.find((u) => u.symbol === 'NIFTY')!;
    const weekly = nifty.chains.find((c) => c.tags.length === 1 && c.tags[0] === 'weekly')!;
    expect(Math.abs(weekly.rows.length - 267)).toBeLessThanOrEqual(5);
    expect(Math.abs(median(stocks.filter((u) => u.exchange === 'NSE').map((u) => u.chains[0]!.rows.length)) - 91.5)).toBeLessThanOrEqual(3);
    // Distractors: MCX futures and options, NSE/BSE currency, are read and ignored.
    expect(g.rowsBySegment.MCX_COMM).toBeGreaterThan(100);
    expect(g.rowsBySegment.NSE_CURRENCY + g.rowsBySegment.BSE_CURRENCY).toBeGreaterThan(100);
    // One token per (segment, id): no chain lane overflowed into another.
    expect(new Set(sk.tokens.map((k) => `${k.segment}:${k.securityId}`)).size).toBe(sk.tokens.length);
    // ⌈112,040 / 25,000⌉ = 5: the simulator's default accounts hold it all.
    expect(accountsNeeded(sk.tokens.length)).toBe(5);
    expect(DEFAULT_SIM_ACCOUNTS).toBeGreaterThanOrEqual(accountsNeeded(sk.tokens.length));
    // The simulator's model of the underlyings lists the same ones.
    expect(syntheticUnderlyings(D, { universe: 'real' }).map((u) => `${u.exchange}:${u.symbol}`).sort()).toEqual(sk.underlyings.map((u) => `${u.exchange}:${u.symbol}`).sort());
  }, 120_000);

  it('the suite runs compact (vitest.config.ts), and compact is the generator of before, byte for byte', () => {
    expect(defaultUniverseSize()).toBe('compact');
    expect(defaultUniverseSize({})).toBe('real');
    expect(() => defaultUniverseSize({ OPTCHAIN_SIM_UNIVERSE: 'huge' })).toThrow(/OPTCHAIN_SIM_UNIVERSE must be one of real, compact/);
    const g = generateMaster(D);
    // sha256 of main's generator output for (2026-03-23, seed 42) before issue 16's real size.
    expect(createHash('sha256').update(g.buffer).digest('hex').slice(0, 12)).toBe('444014511fda');
  }, 60_000);
});
