/**
 * The feed's watchdog against a stalled simulator connection (open, nothing sent, no ping
 * answered): healed on the short limit during market hours, only on the long transport limit
 * outside them. End to end through the supervisor on real time (the reconnect comes, not
 * sooner than the limit), and on one connection with an injected scheduler, where "nothing
 * before the limit" is time moved to exactly the limit, not a 7 s sleep. Run `npm run build`
 * first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planConnections, subscribeMessagesFor } from '../src/feed/connection-plan.js';
import { deriveTimings, type FeedSupervisor } from '../src/feed/feed-supervisor.js';
import { UpstreamConnection } from '../src/feed/upstream-connection.js';
import { MarketClock } from '../src/time/market-clock.js';
import { istMinuteOfDay } from '../src/time/ist.js';
import type { SimHandle } from '../src/sim/sim-server.js';
import type { Skeleton } from '../src/skeleton/types.js';
import { simWithSkeleton, waitFor } from './helpers/feed-harness.js';
import { ManualScheduler } from './helpers/manual-scheduler.js';
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

  it('end to end: outside market hours a silent connection is reconnected only on the long transport limit', async () => {
    // The server's clock reads 21:00 IST; the watchdog is 1.5 s in hours, 4 s outside.
    const { sup } = testSupervisor(sim, skeleton, { clock: new MarketClock(eveningOffset()), configOverrides: { feedWatchdogMs: 1500 }, timings: { outsideHoursWatchdogMs: 4000 } });
    try {
      await sup.start();
      await waitFor(() => allOpen(sup) && sim.stats().feed.subscriptions === skeleton.tokens.length, 30_000, 'all open');
      expect(sim.faults.stallConnections({ count: 1 })).toBe(1);
      const t0 = Date.now();
      await waitFor(async () => (await sup.refresh(), sup.status().connections.some((c) => c.watchdogReconnects > 0)), 15_000, 'the outside-hours watchdog');
      // Not on the market-hours limit (1.5 s): only after the 4 s transport limit.
      expect(Date.now() - t0).toBeGreaterThanOrEqual(3800);
      // Outside hours the first-packet check does not run either.
      expect(sup.status().missingAfterOpen.checkedConnections).toBe(0);
    } finally {
      await sup.stop();
      sim.faults.unstall();
    }
  }, 60_000);

  it.each([
    ['during market hours', true],
    ['outside market hours', false],
  ] as const)('injected clock %s: silent for exactly the limit is fine, one ms more reconnects', async (_label, inHours) => {
    const account = sim.accounts[0]!;
    const plan = planConnections(skeleton.tokens, [account.clientId], 1, { instrumentsPerConnection: 40 });
    const spec = plan.connections[0]!;
    const sched = new ManualScheduler();
    const clock = new MarketClock(inHours ? sim.clockOffsetMs : eveningOffset());
    expect(clock.isSessionOpen(sched.now() + clock.offsetMs)).toBe(inHours);
    const timings = deriveTimings({ feedWorkers: 1, feedWatchdogMs: 3000, feedFirstPacketMs: 60_000, feedBackoffMaxMs: 1000 });
    let frames = 0;
    const conn = new UpstreamConnection({
      id: 0,
      account: account.clientId,
      index: 0,
      tokens: spec.instruments.length,
      subscribeMessages: subscribeMessagesFor(spec.instruments),
      accounts: { kind: 'static', accounts: sim.accounts },
      feedUrl: sim.urls.feed,
      clock,
      timings,
      decode: () => {
        frames++;
        return 1;
      },
      acquireSocket: () => true,
      releaseSocket: () => undefined,
      log: () => undefined,
      scheduler: sched,
    });
    try {
      conn.start();
      await waitFor(() => conn.currentState === 'open' && frames > 0, 10_000, 'open with data');
      expect(sim.faults.stallConnections({ clientId: account.clientId })).toBe(1);
      // Every frame so far carries the frozen virtual time; let the last in-flight ones land.
      await waitFor(async () => {
        const n = frames;
        await new Promise((r) => setTimeout(r, 100));
        return frames === n;
      }, 5000, 'quiet socket');
      const limit = inHours ? timings.watchdogMs : timings.outsideHoursWatchdogMs;
      const lastSign = Math.max(conn.stats().lastPacketAt ?? 0, conn.stats().openedAt ?? 0);
      sched.advance(lastSign + limit - sched.now());
      conn.tick();
      expect(conn.stats().watchdogReconnects).toBe(0);
      expect(conn.currentState).toBe('open');
      if (!inHours) {
        // Far past the market-hours limit, still calm.
        expect(limit).toBeGreaterThan(2 * timings.watchdogMs);
      }
      sched.advance(1);
      conn.tick();
      expect(conn.stats().watchdogReconnects).toBe(1);
      expect(conn.stats().lastError).toMatch(/watchdog/);
    } finally {
      await conn.stop();
      sim.faults.unstall();
    }
  }, 60_000);
});

/** A clock offset that puts the simulator's session time at 21:00 IST. */
function eveningOffset(): number {
  const simNow = Date.now() + sim.clockOffsetMs;
  const shiftMin = (21 * 60 - istMinuteOfDay(simNow) + 1440) % 1440;
  return sim.clockOffsetMs + shiftMin * 60_000;
}
