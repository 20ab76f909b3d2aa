/**
 * Self-healing of the margin thread (issue 14 §2): the piscina worker killed by an uncaught
 * throw on a crafted task, and by `worker.terminate()`, is replaced; a call in flight at the
 * moment of death fails as retryable 503 MARGIN_UNAVAILABLE (never a hang, never a crash of
 * the main thread), and the next call computes against the simulator again within a bound.
 * Run `npm run build` first (the worker runs from dist/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarginWorkerPool, type MarginCrash } from '../src/margin/margin-pool.js';
import { positionSetHash, type PricedLeg } from '../src/margin/position-set.js';
import type { MarginTask } from '../src/margin/types.js';
import { startSimulator, type SimHandle } from '../src/sim/sim-server.js';
import { makeMarket, masterCsv, TRADING_DATE } from './paper-fixture.js';
import { waitFor } from './helpers/feed-harness.js';

const MULTI = '/v2/margincalculator/multi';
const RECOVERY_BOUND_MS = 10_000;
let sim: SimHandle;
const market = makeMarket();
const [ce] = market.weekly;
const leg = (quantity: number): PricedLeg => ({ exchangeSegment: 'NSE_FNO', securityId: ce!.securityId, quantity, price: 100 });
const task = (legs: PricedLeg[], userId = 1): MarginTask => ({ userId, setHash: positionSetHash(legs), legs, account: sim.accounts[0]! });

beforeAll(async () => {
  sim = await startSimulator({ tradingDate: TRADING_DATE, seed: 7, masterCsv: masterCsv(), restLatencyMs: [5, 10] });
});
afterAll(async () => {
  await sim?.close();
});

describe('margin worker crash recovery', () => {
  it('refuses the crash hook unless built for tests', async () => {
    const pool = new MarginWorkerPool({ apiUrl: sim.urls.api, timeoutMs: 1000, cacheTtlMs: 60_000 });
    try {
      await expect(pool.crashForTest('throw')).rejects.toMatchObject({ code: 'MARGIN_UNAVAILABLE' });
      expect(pool.threadStatus()).toMatchObject({ up: true, restarts: 0 });
    } finally {
      await pool.close();
    }
  });

  it('survives a thread that throws while idle (piscina then emits the error on the pool, which would end the process unheard)', async () => {
    const pool = new MarginWorkerPool({ apiUrl: sim.urls.api, timeoutMs: 2000, cacheTtlMs: 60_000, testHooks: true });
    try {
      expect((await pool.compute(task([leg(-65)], 7))).source).toBe('dhan');
      await pool.crashForTest('throw');
      await waitFor(() => pool.threadStatus().up, RECOVERY_BOUND_MS, 'a replacement thread');
      expect((await pool.compute(task([leg(-65)], 7))).source).toBe('dhan');
      expect(pool.threadStatus()).toMatchObject({ up: true, restarts: 1 });
    } finally {
      await pool.close();
    }
  });

  it.each<MarginCrash>(['throw', 'terminate'])('replaces a thread killed by %s; the call in flight fails as 503, the next one computes', async (how) => {
    const pool = new MarginWorkerPool({ apiUrl: sim.urls.api, timeoutMs: 2000, cacheTtlMs: 60_000, testHooks: true });
    try {
      const first = await pool.compute(task([leg(-65)]));
      expect(first.source).toBe('dhan');
      // A slow answer keeps a call in flight while the thread dies.
      sim.faults.setRestLatency(1500);
      const inFlight = pool.compute(task([leg(-130)], 2)).then(
        () => 'answered',
        (e: unknown) => e,
      );
      await waitFor(() => sim.stats().rest[MULTI]!.calls >= 2, 5000, 'the slow call reached the simulator');
      const t0 = performance.now();
      await pool.crashForTest(how);
      expect(await inFlight).toMatchObject({ code: 'MARGIN_UNAVAILABLE', status: 503, retryable: true });
      sim.faults.setRestLatency(0);
      let tBack = 0;
      await waitFor(async () => {
        try {
          const r = await pool.compute(task([leg(-195)], 3));
          tBack = performance.now();
          return r.source === 'dhan';
        } catch {
          return false;
        }
      }, RECOVERY_BOUND_MS, 'a margin answer from the replacement thread');
      const st = pool.threadStatus();
      expect(st).toMatchObject({ up: true, restarts: 1 });
      expect(st.lastExitAt).not.toBeNull();
      if (how === 'throw') expect(st.lastExit).toMatch(/crash requested by a test hook/);
      // The replacement starts with an empty cache: the first basket is asked again, not served stale.
      expect((await pool.compute(task([leg(-65)]))).source).toBe('dhan');
      console.log(`margin worker ${how}: next answer ${Math.round(tBack - t0)} ms after the kill`);
    } finally {
      sim.faults.setRestLatency(0);
      await pool.close();
    }
  }, 30_000);
});
