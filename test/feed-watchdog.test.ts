/**
 * The feed's watchdog against a stalled simulator connection (open, nothing sent, no ping
 * answered): healed during market hours, left alone outside them. Run `npm run build` first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedSupervisor } from '../src/feed/feed-supervisor.js';
import { MarketClock } from '../src/time/market-clock.js';
import { istMinuteOfDay } from '../src/time/ist.js';
import type { SimHandle } from '../src/sim/sim-server.js';
import type { Skeleton } from '../src/skeleton/types.js';
import { simWithSkeleton, sleep, waitFor } from './helpers/feed-harness.js';
import { testSupervisor } from './helpers/feed-harness.js';

let sim: SimHandle;
let skeleton: Skeleton;

beforeAll(async () => {
  ({ sim, skeleton } = await simWithSkeleton({ stocks: 20 }));
}, 40_000);

afterAll(async () => {
  await sim?.close();
});

const supervisor = (clockOffsetMs: number) => testSupervisor(sim, skeleton, { clock: new MarketClock(clockOffsetMs), configOverrides: { feedWatchdogMs: 3000 } });

const allOpen = (sup: FeedSupervisor): boolean => sup.status().connections.every((c) => c.state === 'open');

describe('feed watchdog', () => {
  it('reconnects a connection that went silent (no packets, no pongs) during market hours, and resubscribes it', async () => {
    const clock = new MarketClock(sim.clockOffsetMs);
    expect(clock.isSessionOpen()).toBe(true); // the simulator's session clock is inside 09:15–15:30
    const { sup, table, lines } = supervisor(sim.clockOffsetMs);
    try {
      await sup.start();
      const plan = sup.connectionPlan!;
      await waitFor(() => allOpen(sup) && sim.stats().feed.subscriptions === skeleton.tokens.length, 30_000, 'all open');
      await sup.refresh();
      const before = sup.status().connections.map((c) => c.watchdogReconnects);
      expect(sim.faults.stallConnections({ count: 1 })).toBe(1);
      const t0 = Date.now();
      await waitFor(async () => (await sup.refresh(), sup.status().connections.some((c, k) => c.watchdogReconnects > before[k]!)), 15_000, 'watchdog fired');
      // Not before the silence limit: the watchdog waits feedWatchdogMs (3 s) of silence.
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2500);
      const i = sup.status().connections.findIndex((c, k) => c.watchdogReconnects > before[k]!);
      const versions = plan.connections[i]!.instruments.map((x) => table.version(x.slot));
      await waitFor(() => allOpen(sup), 10_000, 'reopened');
      await waitFor(() => sim.stats().feed.subscriptions >= skeleton.tokens.length, 10_000, 'resubscribed');
      const feed = sim.stats().feed;
      expect(feed.subscriptions).toBe(skeleton.tokens.length);
      expect(feed.connectionsOpen).toBe(plan.connections.length);
      // Data flows again on the healed connection's tokens.
      await waitFor(() => plan.connections[i]!.instruments.every((x, k) => table.version(x.slot) > versions[k]!), 10_000, 'fresh data after the heal');
      const st = sup.status();
      expect(st.connections.filter((c, k) => c.watchdogReconnects > before[k]!)).toHaveLength(1);
      expect(st.connections[i]!.lastError).toMatch(/watchdog/);
      expect(lines.some((l) => l.includes('watchdog'))).toBe(true);
    } finally {
      await sup.stop();
      sim.faults.unstall();
    }
  }, 60_000);

  it('stays calm outside market hours: a silent connection is not reconnected on the market-hours limit', async () => {
    // Same simulator, but the server's clock reads 21:00 IST.
    const simNow = Date.now() + sim.clockOffsetMs;
    const shiftMin = (21 * 60 - istMinuteOfDay(simNow) + 1440) % 1440;
    const offset = sim.clockOffsetMs + shiftMin * 60_000;
    expect(new MarketClock(offset).isSessionOpen()).toBe(false);
    const { sup } = supervisor(offset);
    try {
      await sup.start();
      await waitFor(() => allOpen(sup) && sim.stats().feed.subscriptions === skeleton.tokens.length, 30_000, 'all open');
      expect(sim.faults.stallConnections({ count: 1 })).toBe(1);
      await sleep(7000); // > 2 × feedWatchdogMs
      await sup.refresh();
      const st = sup.status();
      expect(st.connections.every((c) => c.watchdogReconnects === 0 && c.reconnects === 0)).toBe(true);
      expect(allOpen(sup)).toBe(true);
      // Outside hours the first-packet check does not run either.
      expect(st.missingAfterOpen.checkedConnections).toBe(0);
    } finally {
      await sup.stop();
      sim.faults.unstall();
    }
  }, 60_000);
});
