/**
 * The feed across a trading-date rollover (old workers stopped before new ones start, a fresh
 * table, nothing of the old day written afterwards), with two feed workers sharing the
 * connections, and the first-packet check. Against the real simulator; `npm run build` first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedSupervisor } from '../src/feed/feed-supervisor.js';
import { PriceTable } from '../src/price-table/price-table.js';
import { F } from '../src/price-table/layout.js';
import type { SimHandle } from '../src/sim/sim-server.js';
import type { Skeleton } from '../src/skeleton/types.js';
import { simWithSkeleton, sleep, waitFor } from './helpers/feed-harness.js';
import { testSupervisor, type TestSupervisorOptions } from './helpers/feed-harness.js';

let sim: SimHandle;
let skeleton: Skeleton;

beforeAll(async () => {
  ({ sim, skeleton } = await simWithSkeleton({ stocks: 20 }));
}, 40_000);

afterAll(async () => {
  await sim?.close();
});

const supervisor = (over: TestSupervisorOptions = {}) => testSupervisor(sim, skeleton, { configOverrides: { feedWorkers: 2 }, ...over });

const allOpen = (sup: FeedSupervisor): boolean => sup.status().connections.every((c) => c.state === 'open');

/** Day 2: the same instruments with every slot moved (reversed), so a leak of day-1 slots would show. */
function nextDay(sk: Skeleton): Skeleton {
  const n = sk.tokens.length;
  const tokens = sk.tokens.map((_, i) => ({ ...sk.tokens[n - 1 - i]!, slot: i }));
  const chainsOfSlot = sk.chainsOfSlot.map((_, i) => sk.chainsOfSlot[n - 1 - i]!);
  return { ...sk, tradingDate: '2026-08-18', tokens, chainsOfSlot };
}

describe('feed rollover and partitioning', () => {
  it('feeds through two workers, then swaps to the next day without any write to the old table', async () => {
    const { sup, table } = supervisor();
    try {
      await sup.start();
      const plan = sup.connectionPlan!;
      expect(plan.workers).toBe(2);
      expect(new Set(plan.connections.map((c) => c.worker))).toEqual(new Set([0, 1]));
      await waitFor(() => allOpen(sup) && sup.status().withData === skeleton.tokens.length, 30_000, 'day 1 live');
      expect(sim.stats().feed.subscriptions).toBe(skeleton.tokens.length);
      const niftySlot1 = skeleton.underlyings[0]!.spot!.slot;

      const day2 = nextDay(skeleton);
      const table2 = PriceTable.allocate(day2.tokens.length, day2.chains.length);
      await sup.swap(day2, table2);
      // The old day's workers are gone: its table is frozen from here on.
      const frozen = Int32Array.from(skeleton.tokens, (t) => table.version(t.slot));
      expect(sup.status().tradingDate).toBe('2026-08-18');
      await waitFor(() => allOpen(sup) && sup.status().withData === day2.tokens.length, 30_000, 'day 2 live');
      await waitFor(() => sim.stats().feed.subscriptions >= day2.tokens.length, 10_000, 'day 2 subscribed');
      await sleep(500);
      expect(skeleton.tokens.every((t) => table.version(t.slot) === frozen[t.slot])).toBe(true);
      // Exactly the new plan's sockets and subscriptions: nothing of day 1 lingers upstream.
      expect(sim.stats().feed.connectionsOpen).toBe(sup.connectionPlan!.connections.length);
      expect(sim.stats().feed.subscriptions).toBe(day2.tokens.length);
      // The new day's slots hold the new day's instruments: NIFTY's spot moved to the other end.
      const niftySlot2 = day2.tokens.findIndex((t) => t.segment === 'IDX_I' && t.securityId === skeleton.underlyings[0]!.spot!.securityId);
      expect(niftySlot2).toBe(day2.tokens.length - 1 - niftySlot1);
      const nifty = table2.readField(niftySlot2, F.LTP);
      expect(nifty).toBeGreaterThan(10_000);
      // Day 1's NIFTY slot now holds a stock option: nowhere near the index level.
      expect(Math.abs(table2.readField(niftySlot1, F.LTP) - nifty)).toBeGreaterThan(1000);
    } finally {
      await sup.stop();
    }
  }, 60_000);

  it('reports subscribed tokens that deliver nothing within feedFirstPacketMs, by name, in status and log', async () => {
    // The skeleton plus one token the exchange never quotes (the simulator keeps it subscribed, silent).
    const fake = { slot: skeleton.tokens.length, segment: 'NSE_FNO' as const, securityId: 99_999_999, kind: 'option' as const, underlyingIndex: 0 };
    const sk: Skeleton = { ...skeleton, tokens: [...skeleton.tokens, fake], chainsOfSlot: [...skeleton.chainsOfSlot, []], slotCount: skeleton.slotCount + 1 };
    const { sup, lines } = supervisor({ skeleton: sk, config: { feedWorkers: 1, feedWatchdogMs: 5000, feedFirstPacketMs: 3000, feedBackoffMaxMs: 1000 } });
    try {
      await sup.start();
      await waitFor(async () => (await sup.refresh(), sup.status().missingAfterOpen.checkedConnections === sup.status().connections.length), 30_000, 'first-packet deadline passed');
      // Tokens that were merely late (a loaded machine) drop out of the report as they arrive;
      // the silent one stays.
      await waitFor(async () => (await sup.refresh(), sup.status().missingAfterOpen.count === 1), 10_000, () => `report converges: ${JSON.stringify(sup.status().missingAfterOpen)}`);
      const st = sup.status();
      expect(st.missingAfterOpen.examples).toEqual(['NSE_FNO:99999999']);
      expect(st.withData).toBe(sk.tokens.length - 1);
      expect(st.problems.join('\n')).toMatch(/1 subscribed tokens delivered no packet/);
      expect(lines.some((l) => l.includes('"level":"warn"') && l.includes('delivered no packet'))).toBe(true);
    } finally {
      await sup.stop();
    }
  }, 60_000);
});
