/**
 * The synthetic master at real size (issue 16 §2), the default for `npm start` and the
 * benchmarks: on 2026-03-23 it gives what Dhan's real master of that day gives — 413
 * underlyings (3 indices, 206 NSE stocks, 204 BSE stocks on their BSE_EQ spots), ~835 chains,
 * ~111.6k contracts, 413 spots, a NIFTY weekly of ~267 strikes, NSE stock near months with a
 * median of ~91.5 strikes — with MCX and currency rows as distractors, one security id per
 * token, and a universe the simulator's default accounts hold. The compact size (what the rest
 * of the suite runs on) stays byte-identical to the generator before the real size existed.
 * Expired currency contracts the real file still lists are read, counted and left out of the
 * universe: dropping them from the file changes nothing in the skeleton (anti-drift: the
 * universe comes from the master's rules, never from what happens to be in the file).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { accountsNeeded } from '../src/feed/connection-plan.js';
import { parseMaster } from '../src/master/parse-master.js';
import { DEFAULT_SIM_ACCOUNTS } from '../src/sim/accounts.js';
import { buildSkeleton } from '../src/skeleton/build-skeleton.js';
import { defaultUniverseSize } from '../src/synthetic-master/synthetic-size.js';
import { generateMaster, syntheticUnderlyings } from '../src/synthetic-master/synthetic-master.js';
import { HEADER_LINE } from '../src/synthetic-master/synthetic-rows.js';

const D = '2026-03-23';
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** The real-size master of D, generated once for the file's cases. */
let real: ReturnType<typeof generateMaster> | undefined;
const realMaster = (): ReturnType<typeof generateMaster> => (real ??= generateMaster(D, { universe: 'real' }));

/** Fields of a data line, split on commas (the synthetic master quotes nothing). */
const fieldsOf = (line: string): string[] => line.split(',');
const COL = Object.fromEntries(HEADER_LINE.trim().split(',').map((c, i) => [c, i]));
const CURRENCY_SYMBOLS = new Set(['USDINR', 'EURINR', 'GBPINR', 'JPYINR', 'EURUSD', 'GBPUSD', 'USDJPY']);

describe('synthetic master, real size', () => {
  it('matches the real figures of 2026-03-23', () => {
    const g = realMaster();
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

  it('lists expired currency futures and options on NSE and BSE, which are counted as ignored and change nothing in the skeleton', () => {
    const g = realMaster();
    const lines = g.buffer.toString('latin1').split('\n').slice(1).filter((l) => l !== '');
    const rows = lines.map(fieldsOf);
    const at = (f: string[], c: string): string => f[COL[c]!]!;
    const isStale = (f: string[]): boolean => at(f, 'SEGMENT') === 'C' && at(f, 'SM_EXPIRY_DATE') < D;
    const currency = rows.filter((f) => at(f, 'SEGMENT') === 'C');
    // The generator's own count of the segments agrees with the file.
    expect(currency).toHaveLength(g.rowsBySegment.NSE_CURRENCY + g.rowsBySegment.BSE_CURRENCY);
    const stale = currency.filter(isStale);
    for (const exch of ['NSE', 'BSE']) {
      for (const instrument of ['FUTCUR', 'OPTCUR']) {
        const n = stale.filter((f) => at(f, 'EXCH_ID') === exch && at(f, 'INSTRUMENT') === instrument).length;
        expect(n, `${exch} ${instrument} expired rows`).toBeGreaterThan(instrument === 'FUTCUR' ? 5 : 500);
      }
      // Weekly and monthly expired options, both expired within the last two months.
      const flags = new Set(stale.filter((f) => at(f, 'EXCH_ID') === exch && at(f, 'INSTRUMENT') === 'OPTCUR').map((f) => at(f, 'EXPIRY_FLAG')));
      expect([...flags].sort()).toEqual(['M', 'W']);
    }
    expect(stale.every((f) => at(f, 'SM_EXPIRY_DATE') >= '2026-01-01')).toBe(true);
    // Read and counted: every row is kept, ignored, TEST or malformed, and the ignored ones are
    // exactly the rows of instruments the skeleton has no use for (futures, MCX, currency).
    const parsed = parseMaster(g.buffer);
    const s = parsed.stats;
    expect(s.rows).toBe(lines.length);
    expect(s.kept + s.ignored + s.test + s.malformed).toBe(s.rows);
    const keptKinds = new Set(['OPTIDX', 'OPTSTK', 'INDEX', 'EQUITY']);
    const other = rows.filter((f) => !keptKinds.has(at(f, 'INSTRUMENT')) && !/TEST/.test(at(f, 'UNDERLYING_SYMBOL') + at(f, 'SYMBOL_NAME')));
    expect(s.ignored).toBe(other.length);
    expect(other.filter((f) => at(f, 'SEGMENT') === 'C')).toHaveLength(currency.length);
    // Excluded: no instrument, token or underlying of a currency segment or pair.
    expect(parsed.instruments.filter((i) => i.segment === 'NSE_CURRENCY' || i.segment === 'BSE_CURRENCY')).toEqual([]);
    const sk = buildSkeleton(parsed.instruments, D);
    expect(sk.tokens.filter((t) => t.segment === 'NSE_CURRENCY' || t.segment === 'BSE_CURRENCY')).toEqual([]);
    expect(sk.underlyings.filter((u) => CURRENCY_SYMBOLS.has(u.symbol))).toEqual([]);
    // The same file without its stale rows gives the same skeleton, fingerprint and all.
    const fresh = [HEADER_LINE.trimEnd(), ...lines.filter((_, i) => !isStale(rows[i]!)), ''].join('\n');
    const without = buildSkeleton(parseMaster(Buffer.from(fresh, 'latin1')).instruments, D);
    expect(without.fingerprint).toBe(sk.fingerprint);
    expect(without.totals).toEqual(sk.totals);
  }, 120_000);

  it('the suite runs compact (vitest.config.ts), and compact is the generator of before, byte for byte', () => {
    expect(defaultUniverseSize()).toBe('compact');
    expect(defaultUniverseSize({})).toBe('real');
    expect(() => defaultUniverseSize({ OPTCHAIN_SIM_UNIVERSE: 'huge' })).toThrow(/OPTCHAIN_SIM_UNIVERSE must be one of real, compact/);
    const g = generateMaster(D);
    // No stale currency rows at compact size (they came with the real size).
    expect(g.buffer.toString('latin1').split('\n').filter((l) => l.split(',')[1] === 'C' && l.split(',')[COL.SM_EXPIRY_DATE!]! < D && l.split(',')[COL.SM_EXPIRY_DATE!]! !== '')).toEqual([]);
    // sha256 of main's generator output for (2026-03-23, seed 42) before issue 16's real size.
    expect(createHash('sha256').update(g.buffer).digest('hex').slice(0, 12)).toBe('444014511fda');
  }, 60_000);
});
