/**
 * The analytics worker's incremental rule (src/analytics-worker/analytics-engine.ts module
 * note): within a chain whose prices moved, only legs whose input price (or its source)
 * changed are solved again while the chain's forward and T hold; everything else re-anchors.
 * Judged against a reference engine that solves every leg of every computed chain
 * (`incremental: false`) on the same price table and clock, and against a fresh engine: the
 * published tables must be equal bit for bit, while the incremental engine solves fewer legs.
 */
import { describe, expect, it } from 'vitest';
import { expiryCloseMs, YEAR_MS } from '../src/analytics/time-to-expiry.js';
import { AnalyticsEngine, DECAY_MIN_MS, decayCadenceMs, type PassResult } from '../src/analytics-worker/analytics-engine.js';
import { chainInputs } from '../src/analytics-worker/chain-inputs.js';
import { AnalyticsTable } from '../src/price-table/analytics-table.js';
import type { PriceTable } from '../src/price-table/price-table.js';
import type { ChainRow, Skeleton } from '../src/skeleton/types.js';
import { black76 } from '../src/sim/black76.js';
import { Rng } from '../src/util/random.js';
import { makeSkeleton, tableFor, writeTick, type UnderlyingSpec } from './helpers/tiny-skeleton.js';

const RATE = 0.065;
const RULES = { maxSpreadAbs: 20, maxSpreadRel: 0.1 };
const REFRESH = 60_000;
const WALL = 1786000000000;
const NEAR = '2026-08-20';
const FAR = '2026-08-27';
const f32 = Math.fround;

let nextId = 1000;
function rows(from: number, step: number, n: number, missing: (i: number) => 'ce' | 'pe' | null = () => null): UnderlyingSpec['chains'][number]['rows'] {
  return Array.from({ length: n }, (_, i) => {
    const gone = missing(i);
    return { strike: from + step * i, ce: gone === 'ce' ? null : { securityId: nextId++, lotSize: 75 }, pe: gone === 'pe' ? null : { securityId: nextId++, lotSize: 75 } };
  });
}

function universe(): Skeleton {
  nextId = 1000;
  return makeSkeleton('2026-08-17', [
    { symbol: 'NIFTY', exchange: 'NSE', kind: 'index', spot: { segment: 'IDX_I', securityId: 13 }, chains: [
      { expiry: NEAR, tags: ['weekly'], rows: rows(23500, 50, 21) },
      { expiry: FAR, tags: ['monthly'], rows: rows(23000, 100, 21) },
    ] },
    { symbol: 'BANKNIFTY', exchange: 'NSE', kind: 'index', spot: { segment: 'IDX_I', securityId: 25 }, chains: [{ expiry: FAR, tags: ['monthly'], rows: rows(50000, 100, 15) }] },
    { symbol: 'STOCK', exchange: 'NSE', kind: 'stock', spot: null, chains: [{ expiry: FAR, tags: ['monthly'], rows: rows(900, 20, 9, (i) => (i === 0 ? 'pe' : i === 8 ? 'ce' : null)) }] },
  ]);
}

const SPOT0 = [24000, 51000, 1000];

/** A random world: spots walk, legs are requoted at Black-76 with noise and every kind of bad quote. */
class World {
  readonly skeleton = universe();
  readonly price: PriceTable = tableFor(this.skeleton);
  readonly clock = { now: expiryCloseMs(NEAR) - 3 * 86_400_000 };
  readonly spot = [...SPOT0];
  private readonly rng = new Rng(20261203);

  engine(incremental: boolean, decayLegsPerPass?: number): { engine: AnalyticsEngine; table: AnalyticsTable } {
    const table = AnalyticsTable.allocate(this.skeleton.chains.map((c) => c.rows.length));
    const engine = new AnalyticsEngine(this.price, table, chainInputs(this.skeleton), { rate: RATE, rules: RULES }, () => this.clock.now, () => WALL, {
      incremental,
      ...(decayLegsPerPass !== undefined ? { decayLegsPerPass } : {}),
    });
    return { engine, table };
  }

  setSpot(u: number, value: number): void {
    this.spot[u] = value;
    const s = this.skeleton.underlyings[u]!.spot;
    if (s) writeTick(this.price, this.skeleton, s.slot, { ltp: f32(value) });
  }

  /** Requotes one leg: mostly a sane two-sided Black-76 quote, sometimes one-sided, LTP only or crossed. */
  quote(chainIndex: number, row: ChainRow, isCall: boolean, kind = this.rng.next()): void {
    const leg = isCall ? row.ce : row.pe;
    if (!leg) return;
    const chain = this.skeleton.chains[chainIndex]!;
    const T = (expiryCloseMs(chain.expiry) - this.clock.now) / YEAR_MS;
    const F = this.spot[chain.underlyingIndex]! * Math.exp(RATE * T);
    const k = Math.log(row.strike / F);
    const sigma = 0.14 + 0.6 * k * k - 0.05 * k + 0.002 * this.rng.normal();
    const v = black76(F, row.strike, T, sigma, RATE, isCall);
    const bid = Math.max(0.05, Math.round(v / 0.05 - this.rng.int(0, 2)) * 0.05);
    const ask = bid + 0.05 * this.rng.int(1, 3);
    const ltp = Math.max(0.05, Math.round(v / 0.05 + this.rng.int(-2, 2)) * 0.05);
    const f = kind < 0.8 ? { bid: f32(bid), ask: f32(ask), ltp: f32(ltp) } : kind < 0.9 ? { bid: 0, ask: f32(ask), ltp: f32(ltp) } : kind < 0.97 ? { bid: f32(ask), ask: f32(bid), ltp: f32(ltp) } : { bid: 0, ask: 0, ltp: Number.NaN };
    writeTick(this.price, this.skeleton, leg.slot, { ...f, oi: 1000 * this.rng.int(50, 400), prevOi: 100_000, volume: this.rng.int(0, 99_999) });
  }

  quoteAll(): void {
    this.skeleton.chains.forEach((c, i) => {
      for (const r of c.rows) {
        this.quote(i, r, true, 0);
        this.quote(i, r, false, 0);
      }
    });
  }

  /** One random step: a few legs requoted, sometimes a spot move, the clock moved on. */
  step(): void {
    const chains = this.skeleton.chains;
    for (let n = this.rng.int(1, 6); n > 0; n--) {
      const ci = this.rng.int(0, chains.length - 1);
      const c = chains[ci]!;
      this.quote(ci, this.rng.pick(c.rows), this.rng.chance(0.5));
    }
    if (this.rng.chance(0.3)) {
      const u = this.rng.int(0, 1);
      this.setSpot(u, this.spot[u]! * (1 + 0.0004 * this.rng.normal()));
    }
    this.clock.now += this.rng.chance(0.02) ? 61_000 : this.rng.int(0, 3000);
  }
}

/** Every chain block of `a` and `b` byte-equal (NaN payloads included). */
function expectSameTables(a: AnalyticsTable, b: AnalyticsTable, at: string): void {
  for (let c = 0; c < a.chains; c++) {
    const x = new Float64Array(a.copyWords(c));
    const y = new Float64Array(b.copyWords(c));
    expect(a.readChain(c, x)).toBeGreaterThanOrEqual(0);
    expect(b.readChain(c, y)).toBeGreaterThanOrEqual(0);
    if (!Buffer.from(x.buffer).equals(Buffer.from(y.buffer))) {
      const i = x.findIndex((v, k) => !Object.is(v, y[k]));
      throw new Error(`${at}: chain ${c} differs at word ${i}: ${x[i]} vs ${y[i]}`);
    }
  }
}

function add(sum: { legs: number; reused: number; anchored: number }, r: PassResult): void {
  sum.legs += r.legs;
  sum.reused += r.reused;
  sum.anchored += r.anchored;
}

describe('analytics engine: incremental per leg', () => {
  it('a randomly ticking universe: the incremental engine publishes the full recompute\'s table, bit for bit, solving fewer legs', () => {
    const w = new World();
    w.quoteAll();
    w.setSpot(0, SPOT0[0]!);
    w.setSpot(1, SPOT0[1]!);
    const inc = w.engine(true);
    const ref = w.engine(false);
    const si = { legs: 0, reused: 0, anchored: 0 };
    const sr = { legs: 0, reused: 0, anchored: 0 };
    for (let step = 0; step < 600; step++) {
      add(si, inc.engine.pass(REFRESH));
      add(sr, ref.engine.pass(REFRESH));
      expectSameTables(inc.table, ref.table, `step ${step}`);
      w.step();
    }
    // Both re-anchored alike (forward moves, time decay), and the reference never reuses.
    expect(si.anchored).toBe(sr.anchored);
    expect(si.anchored).toBeGreaterThan(50);
    expect(sr.reused).toBe(0);
    expect(si.legs + si.reused).toBe(sr.legs);
    // The point of the rule: most legs of a changed chain are kept.
    expect(si.reused).toBeGreaterThan(si.legs);
  });

  it('once every anchor is past its cadence, the incremental engine equals a fresh engine at the same clock', () => {
    const w = new World();
    w.quoteAll();
    const inc = w.engine(true);
    for (let step = 0; step < 200; step++) {
      inc.engine.pass(REFRESH);
      w.step();
    }
    w.clock.now += REFRESH + 1;
    const r = inc.engine.pass(REFRESH);
    expect(r.anchored).toBe(w.skeleton.chains.length);
    const fresh = w.engine(true);
    fresh.engine.pass(REFRESH);
    expectSameTables(inc.table, fresh.table, 'after the cadence');
  });

  it('a forward move within half a tick keeps the anchor (nothing solved, forward and T as solved); past it, every leg is solved again', () => {
    const w = new World();
    // One-sided books (no parity pair): IV from the LTP, the forward from the spot, which we move exactly.
    w.skeleton.chains.forEach((c, i) => {
      for (const r of c.rows) {
        w.quote(i, r, true, 0.85);
        w.quote(i, r, false, 0.85);
      }
    });
    w.setSpot(0, 24000);
    const { engine, table } = w.engine(true);
    engine.pass(REFRESH);
    const forwardOf = (c: number): number => {
      const out = new Float64Array(table.copyWords(c));
      table.readChain(c, out);
      return out[0]!;
    };
    const f0 = forwardOf(0);
    expect(f0).toBeCloseTo(24000 * Math.exp(RATE * ((expiryCloseMs(NEAR) - w.clock.now) / YEAR_MS)), 6);
    const legs0 = 2 * w.skeleton.chains[0]!.rows.length + 2 * w.skeleton.chains[1]!.rows.length;

    w.clock.now += 1000;
    w.setSpot(0, 24000.01);
    const kept = engine.pass(REFRESH);
    expect(kept).toEqual({ computed: 2, legs: 0, reused: legs0, anchored: 0 });
    expect(forwardOf(0)).toBe(f0);

    w.setSpot(0, 24000.1);
    const moved = engine.pass(REFRESH);
    expect(moved).toEqual({ computed: 2, legs: legs0, reused: 0, anchored: 2 });
    expect(forwardOf(0)).toBeGreaterThan(f0 + 0.09);
  });

  it('the time-decay cadence: 0.1 % of T, at least 100 ms, at most analyticsRefreshMs', () => {
    const day = 86_400_000 / YEAR_MS;
    expect(decayCadenceMs(10 * day, REFRESH)).toBe(REFRESH);
    expect(decayCadenceMs(0.25 * day, REFRESH)).toBeCloseTo(21_600, 6);
    expect(decayCadenceMs((10 * 60_000) / YEAR_MS, REFRESH)).toBeCloseTo(600, 6);
    expect(decayCadenceMs(30_000 / YEAR_MS, REFRESH)).toBe(DECAY_MIN_MS);
    expect(decayCadenceMs(-1, REFRESH)).toBe(DECAY_MIN_MS);
  });

  it('an expiry-day chain 10 minutes before the close is re-solved every 0.6 s of market time without a tick', () => {
    const w = new World();
    w.quoteAll();
    w.clock.now = expiryCloseMs(NEAR) - 10 * 60_000;
    const { engine, table } = w.engine(true);
    engine.pass(REFRESH);
    const g = table.generation(0);
    w.clock.now += 500;
    expect(engine.pass(REFRESH).computed).toBe(0);
    w.clock.now += 150;
    const r = engine.pass(REFRESH);
    expect(r).toMatchObject({ computed: 1, anchored: 1, legs: 42 });
    expect(table.generation(0)).toBe(g + 1);
    expect(engine.nextDueAt()).toBeCloseTo(w.clock.now + 0.001 * (10 * 60_000 - 650), 3);
  });

  it('time-decay re-solves are spread over passes by the leg budget, and no chain waits for ever', () => {
    const w = new World();
    w.quoteAll();
    const { engine } = w.engine(true, 10);
    const chains = w.skeleton.chains.length;
    expect(engine.pass(REFRESH).computed).toBe(chains);
    w.clock.now += REFRESH;
    const perPass: number[] = [];
    for (let i = 0; i < chains + 2; i++) perPass.push(engine.pass(REFRESH).computed);
    expect(perPass).toEqual([...Array<number>(chains).fill(1), 0, 0]);
  });
});
