/**
 * The real margin path: the piscina worker (compiled, from dist/) with its undici Pool against
 * the simulator's `/v2/margincalculator/multi` on a real socket. Calls are counted by the
 * simulator itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarginError } from '../src/errors.js';
import { MarginWorkerPool } from '../src/margin/margin-pool.js';
import { positionSetHash, type PricedLeg } from '../src/margin/position-set.js';
import type { MarginTask } from '../src/margin/types.js';
import { startSimulator, type SimHandle } from '../src/sim/sim-server.js';
import { makeMarket, masterCsv, TRADING_DATE } from './paper-fixture.js';

const MULTI = '/v2/margincalculator/multi';
let sim: SimHandle;
let pool: MarginWorkerPool;
const market = makeMarket();
// weekly: 24000 CE, 24000 PE, 24100 CE, …
const [ce, pe, ce2] = market.weekly;

// the same instruments as makeMarket(), so ids and lot sizes agree with the skeleton
const simCsv = masterCsv;

const multiCalls = () => sim.stats().rest[MULTI]!.calls;
const singleCalls = () => sim.stats().rest['/v2/margincalculator']!.calls;
const leg = (id: number, quantity: number, price = 100): PricedLeg => ({ exchangeSegment: 'NSE_FNO', securityId: id, quantity, price });
const task = (legs: PricedLeg[], userId = 1, account = sim.accounts[0]!): MarginTask => ({ userId, setHash: positionSetHash(legs), legs, account });

beforeAll(async () => {
  sim = await startSimulator({ tradingDate: TRADING_DATE, seed: 7, masterCsv: simCsv(), restLatencyMs: [5, 10] });
  pool = new MarginWorkerPool({ apiUrl: sim.urls.api, timeoutMs: 1000, cacheTtlMs: 60_000, backoffMs: 50 });
});
afterAll(async () => {
  await pool?.close();
  await sim?.close();
});

describe('margin worker against the simulator', () => {
  it('asks /multi once for a basket, serves the identical set from the cache, asks again after a quantity change', async () => {
    const before = multiCalls();
    // a bear call spread: short 24000 CE, long 24100 CE
    const basket = [leg(ce2!.securityId, 65, 20), leg(ce!.securityId, -65, 100)];
    const a = await pool.compute(task(basket));
    expect(a.source).toBe('dhan');
    expect(a.totalMargin).toBeGreaterThan(0);
    expect(multiCalls()).toBe(before + 1);
    const b = await pool.compute(task([...basket].reverse()));
    expect(b).toMatchObject({ source: 'cache', totalMargin: a.totalMargin, computedAt: a.computedAt });
    expect(multiCalls()).toBe(before + 1);
    const c = await pool.compute(task([leg(ce2!.securityId, 65, 20), leg(ce!.securityId, -130, 100)]));
    expect(c.source).toBe('dhan');
    expect(multiCalls()).toBe(before + 2);
    expect(singleCalls()).toBe(0);
    // a hedged basket is cheaper than the naked short it contains (basket margin, not a sum)
    const naked = await pool.compute(task([leg(ce!.securityId, -65, 100)]));
    expect(a.totalMargin).toBeLessThan(naked.totalMargin + 65 * 20);
  });

  it('joins concurrent identical requests into one call', async () => {
    const before = multiCalls();
    const basket = [leg(pe!.securityId, -65, 50)];
    const rs = await Promise.all(Array.from({ length: 8 }, () => pool.compute(task(basket, 2))));
    expect(new Set(rs.map((r) => r.totalMargin)).size).toBe(1);
    expect(multiCalls()).toBe(before + 1);
    const s = await pool.stats();
    expect(s.dedupHits).toBeGreaterThanOrEqual(7);
  });

  it('keeps under Dhan\'s rate: 20 different baskets at once never draw a 429 from a 20/s server', async () => {
    // the production deadline (2 × 5 s) leaves room to pace 20 calls at 5/s after a burst of 5
    const paced = new MarginWorkerPool({ apiUrl: sim.urls.api, timeoutMs: 5000, cacheTtlMs: 60_000, maxQueuedPerUser: 32 });
    try {
      const errorsBefore = sim.stats().rest[MULTI]!.errors['429'] ?? 0;
      const before = multiCalls();
      const t0 = Date.now();
      const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => paced.compute(task([leg(ce!.securityId, -65 * (i + 1), 100)], 3))));
      expect(rs.every((r) => r.source === 'dhan')).toBe(true);
      expect(multiCalls()).toBe(before + 20);
      expect(sim.stats().rest[MULTI]!.errors['429'] ?? 0).toBe(errorsBefore);
      // a burst of 5, then 5 per second: the last ones waited for tokens (15 × 200 ms)
      expect(Date.now() - t0).toBeGreaterThan(2500);
      expect((await paced.stats()).limiterWaits).toBeGreaterThan(0);
    } finally {
      await paced.close();
    }
  });

  it('answers 503 MARGIN_RATE_LIMITED when the simulator throttles (DH-904), after bounded retries', async () => {
    const tight = await startSimulator({ tradingDate: TRADING_DATE, seed: 7, masterCsv: simCsv(), restLatencyMs: [1, 2], restRateLimitPerSecond: 1 });
    const p = new MarginWorkerPool({ apiUrl: tight.urls.api, timeoutMs: 1000, cacheTtlMs: 60_000, maxAttempts: 2, deadlineMs: 1500 });
    try {
      const account = tight.accounts[0]!;
      const rs = await Promise.allSettled(Array.from({ length: 3 }, (_, i) => p.compute(task([leg(ce!.securityId, -65 * (i + 1), 100)], 9, account))));
      const failed = rs.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as MarginError);
      expect(failed.length).toBeGreaterThan(0);
      for (const e of failed) expect(e).toMatchObject({ status: 503, code: 'MARGIN_RATE_LIMITED' });
      // bounded: never more than maxAttempts per computation
      expect(tight.stats().rest[MULTI]!.calls).toBeLessThanOrEqual(6);
    } finally {
      await p.close();
      await tight.close();
    }
  });

  it('maps the simulator\'s DH-901 to 502 MARGIN_AUTH_FAILED without retrying', async () => {
    const before = multiCalls();
    const e = await pool.compute(task([leg(ce!.securityId, -65)], 4, { clientId: sim.accounts[0]!.clientId, accessToken: 'not-the-token' })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MarginError);
    expect(e).toMatchObject({ status: 502, code: 'MARGIN_AUTH_FAILED', details: { dhanCode: 'DH-901' } });
    expect(multiCalls()).toBe(before + 1);
  });

  it('maps a refused basket (DH-905, quantity not in lots) to 502 MARGIN_UPSTREAM_ERROR', async () => {
    const e = await pool.compute(task([leg(ce!.securityId, -64)], 5)).catch((x: unknown) => x);
    expect(e).toMatchObject({ status: 502, code: 'MARGIN_UPSTREAM_ERROR', details: { dhanCode: 'DH-905' } });
  });

  it('times a slow Dhan out as 503 MARGIN_UNAVAILABLE, and the main thread keeps running meanwhile', async () => {
    sim.faults.setRestLatency(3000);
    try {
      let maxLag = 0;
      let last = performance.now();
      const timer = setInterval(() => {
        const t = performance.now();
        maxLag = Math.max(maxLag, t - last - 10);
        last = t;
      }, 10);
      const t0 = Date.now();
      const e = await pool.compute(task([leg(ce!.securityId, -65 * 7, 100)], 6)).catch((x: unknown) => x);
      clearInterval(timer);
      const took = Date.now() - t0;
      expect(e).toMatchObject({ status: 503, code: 'MARGIN_UNAVAILABLE' });
      expect((e as MarginError).message).toMatch(/timed out/);
      // deadline 2 × 1000 ms (+ scheduling on a loaded 2-core box), below the 3 s one answer takes
      expect(took).toBeLessThan(2900);
      // the main thread never waited on the socket: a blocked loop would lag ≥ 1 s
      expect(maxLag).toBeLessThan(500);
    } finally {
      sim.faults.setRestLatency(0);
    }
  });
});
