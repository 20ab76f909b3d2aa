/**
 * The simulator's market model on the full synthetic master: the day looks like a trading day
 * (bid ≤ ask, prices on the tick grid, volume and OI only growing, near-the-money contracts
 * busy and far wings quiet or silent), Black-76 behaves, the session clock sits inside the
 * session, and everything is deterministic under a seed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { black76, normCdf } from '../src/sim/black76.js';
import { Kind, MarketModel, onTickGrid, UpdateFlag } from '../src/sim/market-model.js';
import { lttOf, SessionClock } from '../src/sim/session-clock.js';
import { generateMaster, type GeneratedMaster } from '../src/synthetic-master/synthetic-master.js';
import { parseMaster } from '../src/master/parse-master.js';
import type { Instrument } from '../src/master/instrument.js';
import { istMinuteOfDay, istTime } from '../src/time/ist.js';

const DATE = '2026-08-17';
const T0 = Date.UTC(2026, 7, 16, 20, 0); // an arbitrary wall time (02:30 IST the night before)
let master: GeneratedMaster;
let instruments: Instrument[];

beforeAll(() => {
  master = generateMaster(DATE, { seed: 42 });
  instruments = parseMaster(master.buffer).instruments;
});

function makeModel(seed = 42, rate = 1): MarketModel {
  const clock = new SessionClock(DATE, { wallNowMs: T0, startMinutes: 30 });
  return new MarketModel({ instruments, underlyings: master.underlyings, clock, previousTradingDate: '2026-08-14', seed, rate, startWallMs: T0 });
}

/** NIFTY options of the nearest expiry, a few stocks' options, equities and indices. */
function sample(m: MarketModel): number[] {
  const out: number[] = [];
  const nearest = instruments.filter((x) => x.underlyingSymbol === 'NIFTY' && x.optionType).map((x) => x.expiry).sort()[0];
  instruments.forEach((x, i) => {
    if (x.segment === 'IDX_I' && ['NIFTY', 'BANKNIFTY', 'SENSEX'].includes(x.underlyingSymbol)) out.push(i);
    else if (x.optionType && x.underlyingSymbol === 'NIFTY' && x.expiry === nearest) out.push(i);
    else if (x.optionType && ['RELIANCE', 'SBIN', 'ABB'].includes(x.underlyingSymbol)) out.push(i);
    else if (x.segment === 'NSE_EQ' && ['RELIANCE', 'SBIN', 'ABB', 'HDFCBANK'].includes(x.underlyingSymbol)) out.push(i);
    else if (x.segment === 'BSE_FNO' && x.underlyingSymbol === 'SENSEX' && x.expiry <= '2026-08-21') out.push(i);
  });
  expect(m.size).toBe(instruments.length);
  return out;
}

describe('session clock', () => {
  it('puts the session a few minutes after 09:15 IST on the trading date and loops within it', () => {
    const c = new SessionClock(DATE, { wallNowMs: T0, startMinutes: 5 });
    expect(c.now(T0)).toBe(istTime(DATE, 9, 20));
    expect(istMinuteOfDay(c.now(T0 + 3_600_000))).toBe(10 * 60 + 20);
    const afterClose = T0 + c.sessionLengthMs + 60_000; // one loop later
    expect(c.now(afterClose)).toBe(istTime(DATE, 9, 21));
    expect(c.loops(afterClose)).toBe(1);
    expect(c.now(T0) - T0).toBe(c.offsetMs);
  });

  it('LTT is IST wall-clock seconds counted as UTC (docs/dhan-protocol.md §2.9)', () => {
    const ms = istTime(DATE, 14, 53, 12);
    expect(lttOf(ms)).toBe(Math.floor(ms / 1000) + 19800);
    expect(new Date(lttOf(ms) * 1000).toISOString().slice(11, 19)).toBe('14:53:12');
  });
});

describe('Black-76', () => {
  it('satisfies put-call parity and sane limits', () => {
    expect(normCdf(0)).toBeCloseTo(0.5, 7);
    expect(normCdf(1.96)).toBeCloseTo(0.975, 3);
    for (const K of [20000, 24000, 25000, 26000, 30000]) {
      const F = 25000;
      const T = 7 / 365;
      const c = black76(F, K, T, 0.14, 0.065, true);
      const p = black76(F, K, T, 0.14, 0.065, false);
      expect(c - p).toBeCloseTo(Math.exp(-0.065 * T) * (F - K), 6);
      expect(c).toBeGreaterThanOrEqual(0);
      expect(p).toBeGreaterThanOrEqual(0);
    }
    // ATM weekly NIFTY at 14 % vol is worth roughly 0.4·σ·√T·F ≈ 190.
    expect(black76(25000, 25000, 7 / 365, 0.14, 0, true)).toBeGreaterThan(150);
    expect(black76(25000, 25000, 7 / 365, 0.14, 0, true)).toBeLessThan(230);
  });
});

describe('market model invariants', () => {
  it('keeps bid ≤ ask, prices on the tick grid, volume and OI non-decreasing while the market runs', () => {
    const m = makeModel(42, 4);
    const ids = sample(m);
    expect(ids.length).toBeGreaterThan(300);
    for (const i of ids) m.retain(i, T0);
    const lastVol = new Float64Array(m.size);
    const lastOi = new Float64Array(m.size);
    for (const i of ids) {
      lastVol[i] = m.volume[i]!;
      lastOi[i] = m.oi[i]!;
    }
    let updates = 0;
    let trades = 0;
    const problems: string[] = [];
    const check = (i: number, flags: number): void => {
      updates++;
      if (flags & UpdateFlag.TRADE) trades++;
      const tick = m.tick[i]!;
      const name = `${instruments[i]!.segment}:${instruments[i]!.securityId}`;
      if (m.volume[i]! < lastVol[i]!) problems.push(`${name} volume fell`);
      if (m.oi[i]! < lastOi[i]!) problems.push(`${name} OI fell`);
      lastVol[i] = m.volume[i]!;
      lastOi[i] = m.oi[i]!;
      for (const v of [m.ltp[i]!, m.open[i]!, m.high[i]!, m.low[i]!, m.prevClose[i]!, m.bid[i]!, m.ask[i]!]) {
        if (!onTickGrid(v, tick)) problems.push(`${name} price ${v} off the ${tick} grid`);
      }
      if (m.kind[i] === Kind.INDEX) return;
      if (m.bid[i]! > 0 && m.ask[i]! > 0 && !(m.bid[i]! < m.ask[i]!)) problems.push(`${name} crossed ${m.bid[i]} / ${m.ask[i]}`);
      if (m.open[i]! > 0 && (m.ltp[i]! > m.high[i]! || m.ltp[i]! < m.low[i]!)) problems.push(`${name} LTP outside high/low`);
      if (m.oi[i]! > m.oiHigh[i]! || m.oi[i]! < m.oiLow[i]!) problems.push(`${name} OI outside its day range`);
      if (m.ltq[i]! > 65535 || m.ltq[i]! % m.lot[i]! !== 0) problems.push(`${name} LTQ ${m.ltq[i]} not a lot multiple in u16`);
      for (let l = 0; l < 5; l++) {
        const b = m.bidPrice(i, l);
        const a = m.askPrice(i, l);
        if (!onTickGrid(b, tick) || !onTickGrid(a, tick)) problems.push(`${name} depth off grid`);
        if (l > 0 && b > 0 && b >= m.bidPrice(i, l - 1)) problems.push(`${name} bids not descending`);
        if (l > 0 && a > 0 && a <= m.askPrice(i, l - 1)) problems.push(`${name} asks not ascending`);
      }
    };
    for (let k = 1; k <= 1200; k++) m.advance(T0 + k * 50, check); // one minute of market at 4× rate
    expect(problems.slice(0, 10)).toEqual([]);
    expect(updates).toBeGreaterThan(2000);
    expect(trades).toBeGreaterThan(updates * 0.3);
  });

  it('ticks near the money several times a second, far OTM rarely, some never', () => {
    const m = makeModel(42, 1);
    const all = sample(m);
    for (const i of all) m.retain(i, T0);
    for (let k = 1; k <= 1200; k++) m.advance(T0 + k * 50); // one minute
    const ids = all.filter((i) => instruments[i]!.underlyingSymbol === 'NIFTY' && m.kind[i] === Kind.OPTION);
    const spot = m.spotOf('NIFTY');
    const byDistance = [...ids].sort((a, b) => Math.abs(m.strike[a]! - spot) - Math.abs(m.strike[b]! - spot));
    const atm = byDistance.slice(0, 6).map((i) => m.updates[i]! / 60);
    const far = byDistance.slice(-30).map((i) => m.updates[i]! / 60);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.min(...atm)).toBeGreaterThan(1.5);
    expect(mean(far)).toBeLessThan(0.25);
    // Among the stock options (thinner, later expiries) some contracts never trade all day…
    const stockOptions = all.filter((i) => m.kind[i] === Kind.OPTION && instruments[i]!.instrument === 'OPTSTK');
    const silent = stockOptions.filter((i) => m.lambda[i] === 0);
    expect(silent.length).toBeGreaterThan(stockOptions.length * 0.05);
    // …and still answer a subscription with a sensible earlier-session state.
    const s = silent[0]!;
    expect(m.ltt[s]).toBe(0);
    expect(m.volume[s]).toBe(0);
    expect(m.updates[s]).toBe(0);
    expect(m.ltp[s]).toBe(m.prevClose[s]);
  });

  it('prices options sensibly against the spot', () => {
    const m = makeModel(42, 1);
    const ids = sample(m).filter((i) => instruments[i]!.underlyingSymbol === 'NIFTY' && m.kind[i] === Kind.OPTION);
    const spot = m.spotOf('NIFTY');
    for (const i of ids) m.ensure(i, T0);
    let priced = 0;
    for (const i of ids) {
      if (m.emptyBook[i] === 1) continue; // some never-trading wings show no book at all
      priced++;
      const intrinsic = m.isCall[i] ? spot - m.strike[i]! : m.strike[i]! - spot;
      // Ask at least intrinsic less a spread; bid never above intrinsic plus a generous time value.
      expect(m.ask[i]!).toBeGreaterThanOrEqual(Math.max(0, intrinsic) * 0.97);
      expect(m.bid[i]!).toBeLessThan(Math.max(0, intrinsic) + spot * 0.05);
    }
    expect(priced).toBeGreaterThan(ids.length * 0.8);
  });

  it('is deterministic under a seed and differs across seeds', () => {
    const run = (seed: number): number[] => {
      const m = makeModel(seed, 2);
      const ids = sample(m);
      for (const i of ids) m.retain(i, T0);
      for (let k = 1; k <= 200; k++) m.advance(T0 + k * 50);
      return ids.flatMap((i) => [m.ltp[i]!, m.volume[i]!, m.oi[i]!, m.bid[i]!, m.ask[i]!, m.bidQty[i * 5]!]);
    };
    const a = run(42);
    expect(run(42)).toEqual(a);
    expect(run(43)).not.toEqual(a);
  });

  it("an instrument's path does not depend on what else is subscribed", () => {
    const m1 = makeModel(42, 2);
    const m2 = makeModel(42, 2);
    const ids = sample(m1);
    const target = ids.find((i) => m1.kind[i] === Kind.OPTION && instruments[i]!.underlyingSymbol === 'RELIANCE')!;
    m1.retain(target, T0);
    for (const i of ids) m2.retain(i, T0);
    for (let k = 1; k <= 400; k++) {
      m1.advance(T0 + k * 50);
      m2.advance(T0 + k * 50);
    }
    expect([m1.ltp[target], m1.volume[target], m1.bid[target]]).toEqual([m2.ltp[target], m2.volume[target], m2.bid[target]]);
  });
});
