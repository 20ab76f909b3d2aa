/**
 * `/health` says degraded once a connection's last packet is older than `feedStaleMs` during
 * market hours (issue 15 §5: it said `ok` for the whole 30 s watchdog window while nothing
 * arrived). One real end-to-end run against a stalled simulator connection, and the edges with
 * an injected wall clock (just below / just above the limit, inside / outside market hours).
 * Run `npm run build` first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { DEFAULT_FEED_STALE_MS, type FeedSupervisor } from '../src/feed/feed-supervisor.js';
import { istMinuteOfDay } from '../src/time/ist.js';
import { MarketClock } from '../src/time/market-clock.js';
import type { SimHandle } from '../src/sim/sim-server.js';
import type { Skeleton } from '../src/skeleton/types.js';
import { simWithSkeleton, testSupervisor, waitFor } from './helpers/feed-harness.js';

let sim: SimHandle;
let skeleton: Skeleton;

beforeAll(async () => {
  ({ sim, skeleton } = await simWithSkeleton({ stocks: 8 }));
}, 40_000);

afterAll(async () => {
  await sim?.close();
});

const ready = async (sup: FeedSupervisor): Promise<boolean> => {
  await sup.refresh();
  const st = sup.status();
  return st.connections.every((c) => c.state === 'open' && c.lastPacketAt !== null) && st.problems.length === 0;
};

/** A clock offset that puts the simulator's session time at 21:00 IST. */
function eveningOffset(): number {
  const simNow = Date.now() + sim.clockOffsetMs;
  const shiftMin = (21 * 60 - istMinuteOfDay(simNow) + 1440) % 1440;
  return sim.clockOffsetMs + shiftMin * 60_000;
}

describe('health: a connection with stale data is degraded during market hours', () => {
  it('is configured by OPTCHAIN_FEED_STALE_MS, default 10 s', () => {
    expect(loadConfig({}).feedStaleMs).toBe(DEFAULT_FEED_STALE_MS);
    expect(DEFAULT_FEED_STALE_MS).toBe(10_000);
    expect(loadConfig({ OPTCHAIN_FEED_STALE_MS: '2500' }).feedStaleMs).toBe(2500);
    expect(() => loadConfig({ OPTCHAIN_FEED_STALE_MS: '0' })).toThrow(/OPTCHAIN_FEED_STALE_MS/);
  });

  it('end to end: a stalled connection turns degraded after the limit, long before the watchdog, and ok again when data flows', async () => {
    const { sup } = testSupervisor(sim, skeleton, { configOverrides: { feedStaleMs: 1500, feedWatchdogMs: 60_000 } });
    try {
      await sup.start();
      await waitFor(() => ready(sup), 30_000, 'open with data');
      expect(sim.faults.stallConnections({ count: 1 })).toBe(1);
      const t0 = Date.now();
      await waitFor(async () => (await sup.refresh(), sup.status().connections.some((c) => c.stale)), 10_000, 'stale reported');
      // Not before the limit (stats arrive once per 200 ms here).
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1500 - 250);
      const st = sup.status();
      expect(st.problems.some((p) => /stale, last packet \d+ s ago \(limit 1\.5 s during market hours\)/.test(p))).toBe(true);
      expect(st.connections.every((c) => c.watchdogReconnects === 0)).toBe(true);
      sim.faults.unstall();
      await waitFor(() => ready(sup), 10_000, 'ok again');
      expect(sup.status().connections.some((c) => c.stale)).toBe(false);
    } finally {
      sim.faults.unstall();
      await sup.stop();
    }
  }, 60_000);

  it('injected clock: exactly the limit is fine, one ms more is stale; outside market hours never', async () => {
    let fixed: number | null = null;
    const now = (): number => fixed ?? Date.now();
    for (const [label, offset, inSession] of [
      ['market hours', sim.clockOffsetMs, true],
      ['21:00 IST', eveningOffset(), false],
    ] as const) {
      expect(new MarketClock(offset).isSessionOpen(), label).toBe(inSession);
      const { sup } = testSupervisor(sim, skeleton, { clock: new MarketClock(offset), now, configOverrides: { feedStaleMs: 5000, feedWatchdogMs: 60_000 } });
      try {
        await sup.start();
        await waitFor(() => ready(sup), 30_000, 'open with data');
        // Freeze every connection's last packet: the simulator sends nothing more.
        sim.faults.stallConnections();
        await sup.refresh();
        await new Promise((r) => setTimeout(r, 300));
        await sup.refresh();
        const last = Math.max(...sup.status().connections.map((c) => c.lastPacketAt!));
        fixed = last + 5000;
        expect(sup.status().connections.some((c) => c.stale), label).toBe(false);
        expect(sup.status().problems, label).toEqual([]);
        fixed = last + 5001;
        expect(sup.status().connections.some((c) => c.stale), label).toBe(inSession);
        fixed = last + 50 * 5000;
        expect(sup.status().problems.some((p) => p.includes('stale')), label).toBe(inSession);
      } finally {
        fixed = null;
        sim.faults.unstall();
        await sup.stop();
      }
    }
  }, 90_000);
});
