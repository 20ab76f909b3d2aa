/**
 * The analytics worker's pass (src/analytics-worker/analytics-engine.ts) on real tables: it
 * reads quotes through the price table's seqlock, publishes through the analytics table's,
 * recomputes only the chains whose price generation moved, refreshes untraded chains as the
 * market clock runs, and uses the market clock (not the wall clock) for time to expiry.
 */
import { describe, expect, it } from 'vitest';
import { expiryCloseMs, YEAR_MS } from '../src/analytics/time-to-expiry.js';
import { AnalyticsEngine } from '../src/analytics-worker/analytics-engine.js';
import { chainInputs } from '../src/analytics-worker/chain-inputs.js';
import { JsonChainEncoder } from '../src/chain/json-chain-encoder.js';
import { Market } from '../src/chain/market.js';
import { decodeChainJson } from '../src/client/decode.js';
import { AnalyticsTable } from '../src/price-table/analytics-table.js';
import { black76 } from '../src/sim/black76.js';
import { makeSkeleton, tableFor, writeTick } from './helpers/tiny-skeleton.js';

const RATE = 0.065;
const RULES = { maxSpreadAbs: 20, maxSpreadRel: 0.1 };
const EXPIRY = '2026-08-27';
const SIGMA = 0.18;

function world(): { market: Market; engine: AnalyticsEngine; clock: { now: number } } {
  const strikes = Array.from({ length: 21 }, (_, i) => 23500 + 50 * i);
  const s = makeSkeleton('2026-08-17', [
    { symbol: 'NIFTY', exchange: 'NSE', kind: 'index', spot: { segment: 'IDX_I', securityId: 13 }, chains: [{ expiry: EXPIRY, tags: ['monthly'], rows: strikes.map((k, i) => ({ strike: k, ce: { securityId: 1000 + i, lotSize: 75 }, pe: { securityId: 2000 + i, lotSize: 75 } })) }] },
    { symbol: 'QUIET', exchange: 'NSE', kind: 'stock', spot: null, chains: [{ expiry: EXPIRY, tags: ['monthly'], rows: [{ strike: 100, ce: { securityId: 3000, lotSize: 100 }, pe: null }] }] },
  ]);
  const table = tableFor(s);
  const analytics = AnalyticsTable.allocate(s.chains.map((c) => c.rows.length));
  const market = new Market(s, table, undefined, analytics);
  const clock = { now: expiryCloseMs(EXPIRY) - 10 * 86_400_000 };
  const engine = new AnalyticsEngine(table, analytics, chainInputs(s), { rate: RATE, rules: RULES }, () => clock.now, () => 1786000000000);
  return { market, engine, clock };
}

/** Quotes every NIFTY option at its Black-76 value on the 0.05 tick (one tick wide), spot S. */
function quoteNifty(m: Market, S: number, nowMs: number): number {
  const T = (expiryCloseMs(EXPIRY) - nowMs) / YEAR_MS;
  const F = S * Math.exp(RATE * T);
  const chain = m.skeleton.chains[0]!;
  writeTick(m.table, m.skeleton, m.skeleton.underlyings[0]!.spot!.slot, { ltp: Math.fround(S) });
  for (const row of chain.rows) {
    for (const [c, isCall] of [[row.ce!, true], [row.pe!, false]] as const) {
      const v = black76(F, row.strike, T, SIGMA, RATE, isCall);
      const bid = Math.max(0.05, Math.floor(v / 0.05) * 0.05);
      writeTick(m.table, m.skeleton, c.slot, { bid: Math.fround(bid), ask: Math.fround(bid + 0.05), ltp: Math.fround(bid), oi: 150_000, prevOi: 120_000, volume: 9_000 });
    }
  }
  return F;
}

describe('analytics engine: the worker pass', () => {
  it('the first pass computes every chain; later passes only the chains whose prices moved', () => {
    const { market, engine, clock } = world();
    quoteNifty(market, 24010, clock.now);
    expect(engine.pass(60_000)).toEqual({ computed: 2, legs: 44, reused: 0, anchored: 2 });
    expect(engine.pass(60_000).computed).toBe(0);
    writeTick(market.table, market.skeleton, market.skeleton.chains[1]!.rows[0]!.ce!.slot, { ltp: Math.fround(3.5) });
    // The ticked CE is solved again; the chain's unlisted PE (no input, no forward) is kept.
    expect(engine.pass(60_000)).toEqual({ computed: 1, legs: 1, reused: 1, anchored: 0 });
    expect(market.analytics!.generation(0)).toBe(1);
    expect(market.analytics!.generation(1)).toBe(2);
  });

  it('recovers the vol the quotes were made with, a parity forward and the chain aggregates', () => {
    const { market, engine, clock } = world();
    const F = quoteNifty(market, 24010, clock.now);
    engine.pass(60_000);
    const c = decodeChainJson(new JsonChainEncoder().encode(market, market.skeleton.chains[0]!, market.generation(0), 1).bytes);
    const a = c.analytics!;
    expect(a.forwardSource).toBe('parity');
    expect(Math.abs(a.forward! - F)).toBeLessThan(0.1);
    expect(a.atmStrike).toBe(Math.round(F / 50) * 50);
    expect(Math.abs(a.atmIv! - 100 * SIGMA)).toBeLessThan(0.05);
    expect(a.ceOi).toBe(21 * 150_000);
    expect(a.ceOiChange).toBe(21 * 30_000);
    expect(a.pcrOi).toBe(1);
    expect(a.priceGeneration).toBe(market.table.generation(0));
    expect(a.asOf).toBe(clock.now);
    expect(a.computedAt).toBe(1786000000000);
    expect(a.yearsToExpiry).toBeCloseTo(10 / 365, 9);
    const atm = c.rows.find((r) => r.strike === a.atmStrike)!;
    expect(atm.ce!.ivFrom).toBe('mid');
    expect(atm.ce!.oiChange).toBe(30_000);
    expect(Math.abs(atm.ce!.iv! - 100 * SIGMA)).toBeLessThan(0.05);
    // Delta against the spot S = F·df (README "Analytics"): call Φ(d1), put Φ(d1) − 1.
    expect(atm.ce!.delta! - atm.pe!.delta!).toBeCloseTo(1, 5);
  });

  it('uses the market clock: the same quotes later in the day give a shorter time to expiry, and an untraded chain is refreshed', () => {
    const { market, engine, clock } = world();
    quoteNifty(market, 24010, clock.now);
    engine.pass(60_000);
    clock.now += 30_000;
    expect(engine.pass(60_000).computed).toBe(0);
    clock.now += 30_000;
    expect(engine.pass(60_000).computed).toBe(2);
    const out = new Float64Array(market.analytics!.copyWords(1));
    market.analytics!.readChain(1, out);
    expect(out[2]).toBeCloseTo((expiryCloseMs(EXPIRY) - clock.now) / YEAR_MS, 12);
  });

  it('a chain past its 15:30 IST close: every leg expired', () => {
    const { market, engine, clock } = world();
    quoteNifty(market, 24010, clock.now);
    clock.now = expiryCloseMs(EXPIRY) + 1000;
    engine.pass(60_000);
    const c = decodeChainJson(new JsonChainEncoder().encode(market, market.skeleton.chains[0]!, market.generation(0), 1).bytes);
    expect(c.rows.every((r) => r.ce!.iv === null && r.ce!.ivNullReason === 'expired')).toBe(true);
  });
});
