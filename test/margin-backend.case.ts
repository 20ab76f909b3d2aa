/**
 * The MarginBackend contract (issue 14: one suite for both implementations), run against the
 * real simulator's `/v2/margincalculator/multi` on a real socket: the piscina worker
 * (test/margin-backend-pool.test.ts) and the same-thread backend
 * (test/margin-backend-inline.test.ts) must answer alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MarginError } from '../src/errors.js';
import { positionSetHash, type PricedLeg } from '../src/margin/position-set.js';
import type { MarginBackend, MarginTask } from '../src/margin/types.js';
import { startSimulator, type SimHandle } from '../src/sim/sim-server.js';
import { makeMarket, masterCsv, TRADING_DATE } from './paper-fixture.js';

/** What a backend factory gets: the API base; `maxQueuedPerUser` 2, a 1-token bucket at 2/s. */
export type BackendFactory = (opts: { apiUrl: string; timeoutMs: number; cacheTtlMs: number; maxQueuedPerUser: number; buckets: { burst: number; perSecond: number }[] }) => MarginBackend;

const MULTI = '/v2/margincalculator/multi';
const [ce, pe] = makeMarket().weekly;

export function marginBackendContract(name: string, make: BackendFactory): void {
  describe(`MarginBackend contract: ${name}`, () => {
    let sim: SimHandle;
    let backend: MarginBackend;
    const calls = () => sim.stats().rest[MULTI]!.calls;
    const leg = (id: number, quantity: number): PricedLeg => ({ exchangeSegment: 'NSE_FNO', securityId: id, quantity, price: 100 });
    const task = (legs: PricedLeg[], userId: number, extra: Partial<MarginTask> = {}): MarginTask => ({ userId, setHash: positionSetHash(legs), legs, account: sim.accounts[0]!, ...extra });

    beforeAll(async () => {
      sim = await startSimulator({ tradingDate: TRADING_DATE, seed: 3, masterCsv: masterCsv(), restLatencyMs: [2, 4], restRateLimitPerSecond: 1000 });
      backend = make({ apiUrl: sim.urls.api, timeoutMs: 2000, cacheTtlMs: 60_000, maxQueuedPerUser: 2, buckets: [{ burst: 1, perSecond: 2 }] });
    });
    afterAll(async () => {
      await backend?.close();
      await sim?.close();
    });

    it('asks Dhan once per set, then answers from the cache; invalidate keeps only the held set', async () => {
      const held = [leg(ce!.securityId, -65)];
      const whatIf = [leg(pe!.securityId, -65)];
      const a = await backend.compute(task(held, 1));
      expect(a.source).toBe('dhan');
      expect(a.totalMargin).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 600)); // a token again
      await backend.compute(task(whatIf, 1));
      const n = calls();
      expect((await backend.compute(task(held, 1))).source).toBe('cache');
      await backend.invalidate(1, positionSetHash(held));
      expect((await backend.compute(task(held, 1))).source).toBe('cache');
      expect(calls()).toBe(n);
      const s = await backend.stats();
      expect(s.cacheHits).toBeGreaterThanOrEqual(2);
      expect(s.upstreamCalls).toBeGreaterThanOrEqual(2);
    });

    it('bounds a user\'s waiting calls (429 QUEUE_FULL), drops one at its deadline (DEADLINE_EXCEEDED) and one whose signal fires (CLIENT_CLOSED), none reaching Dhan', async () => {
      await new Promise((r) => setTimeout(r, 600));
      const n = calls();
      const first = backend.compute(task([leg(ce!.securityId, -650)], 2)); // takes the token
      const ac = new AbortController();
      const cancelled = backend.compute(task([leg(ce!.securityId, -1300)], 2), ac.signal).catch((e: MarginError) => e);
      const expiring = backend.compute(task([leg(ce!.securityId, -1950)], 2, { deadlineAt: Date.now() + 150 })).catch((e: MarginError) => e);
      await new Promise((r) => setTimeout(r, 20));
      const full = await backend.compute(task([leg(ce!.securityId, -2600)], 2)).catch((e: MarginError) => e);
      expect(full).toMatchObject({ code: 'QUEUE_FULL', status: 429 });
      ac.abort();
      expect(await cancelled).toMatchObject({ code: 'CLIENT_CLOSED' });
      expect(await expiring).toMatchObject({ code: 'DEADLINE_EXCEEDED', status: 503 });
      await first;
      expect(calls()).toBe(n + 1);
      const s = await backend.stats();
      expect(s).toMatchObject({ queueDepth: 0 });
      expect(s.queueFull).toBeGreaterThanOrEqual(1);
    });

    it('gives another user\'s call the next token although the first user has calls waiting', async () => {
      await new Promise((r) => setTimeout(r, 600));
      const order: number[] = [];
      const a = [1, 2, 3].map((i) => backend.compute(task([leg(pe!.securityId, -65 * (10 + i))], 3)).then(() => order.push(3), () => order.push(-3)));
      await new Promise((r) => setTimeout(r, 20));
      const b = backend.compute(task([leg(pe!.securityId, -6500)], 4)).then(() => order.push(4));
      await Promise.all([...a, b]);
      // user 3: one granted at once, two waiting (the bound); user 4 goes right after the first of them
      expect(order.indexOf(4)).toBeLessThanOrEqual(2);
    });
  });
}
