/**
 * The feed end to end against the real simulator on 127.0.0.1 with the full synthetic universe:
 * FeedSupervisor → feed worker (compiled, from dist/) → ws → FeedDecoder → shared price table.
 * Run `npm run build` first (npm test does).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedSupervisor } from '../src/feed/feed-supervisor.js';
import { PriceTable } from '../src/price-table/price-table.js';
import { F } from '../src/price-table/layout.js';
import type { SimHandle } from '../src/sim/sim-server.js';
import type { Skeleton } from '../src/skeleton/types.js';
import { simWithSkeleton, waitFor } from './helpers/feed-harness.js';
import { testSupervisor, type TestSupervisorOptions } from './helpers/feed-harness.js';

let sim: SimHandle;
let skeleton: Skeleton;
// One feed for the whole file (start-up of ~30k subscriptions is the slow part); the tests run
// in order and each leaves it healthy for the next.
let sup: FeedSupervisor;
let table: PriceTable;
let lines: string[];

beforeAll(async () => {
  ({ sim, skeleton } = await simWithSkeleton());
  ({ sup, table, lines } = supervisor());
}, 40_000);

afterAll(async () => {
  await sup?.stop();
  await sim?.close();
});

const supervisor = (over: TestSupervisorOptions = {}) => testSupervisor(sim, skeleton, over);

const allOpen = (sup: FeedSupervisor): boolean => {
  const s = sup.status();
  return s.connections.length > 0 && s.connections.every((c) => c.state === 'open');
};

describe('feed end to end against the simulator', () => {
  it('subscribes every skeleton token exactly once within Dhan limits, and values arrive in the table', async () => {
    {
      await sup.start();
      const plan = sup.connectionPlan!;
      expect(skeleton.tokens.length).toBeGreaterThan(25_000); // more than one account holds
      expect(plan.unsubscribed).toBe(0);
      expect(plan.subscribed).toBe(skeleton.tokens.length);
      await waitFor(() => allOpen(sup) && sup.status().withData === skeleton.tokens.length, 30_000, () => `all open with data: ${JSON.stringify(sup.status().connections.map((c) => c.state))} withData ${sup.status().withData}`);

      const feed = sim.stats().feed;
      // Exactly once: one (instrument, mode) pair per token, every token active, nothing unknown.
      expect(feed.subscriptions).toBe(skeleton.tokens.length);
      expect(feed.activeInstruments).toBe(skeleton.tokens.length);
      expect(feed.connectionsOpen).toBe(plan.connections.length);
      for (const n of Object.values(feed.connectionsByClient)) expect(n).toBeLessThanOrEqual(5);
      expect(feed.authFailures).toBe(0);

      // Values: an index spot (Ticker), an equity spot (Quote) and options (Full: LTP, bid/ask, OI).
      const nifty = skeleton.underlyings[0]!;
      expect(nifty.symbol).toBe('NIFTY');
      expect(table.readField(nifty.spot!.slot, F.LTP)).toBeGreaterThan(1000);
      const stock = skeleton.underlyings.find((u) => u.kind === 'stock' && u.spot !== null)!;
      expect(table.readField(stock.spot!.slot, F.LTP)).toBeGreaterThan(0);
      const row = nifty.chains[0]!.rows[Math.floor(nifty.chains[0]!.rows.length / 2)]!;
      const ce = row.ce!;
      expect(table.readField(ce.slot, F.LTP)).toBeGreaterThan(0);
      expect(Number.isFinite(table.readField(ce.slot, F.OI))).toBe(true);
      expect(Number.isFinite(table.readField(ce.slot, F.UPDATED_AT))).toBe(true);
      expect(table.generation(nifty.chains[0]!.index)).toBeGreaterThan(0);

      // Ticks keep flowing: packets grow and the status reports them per connection.
      const before = (await sup.refresh(), sup.status().packets);
      await waitFor(async () => (await sup.refresh(), sup.status().packets > before), 10_000, 'more packets');
      const st = sup.status();
      expect(st.decodeErrors).toBe(0);
      expect(st.byCode['8']).toBeGreaterThan(0);
      expect(st.connections.every((c) => c.lastPacketAt !== null && c.tokens > 0 && /^\d+$/.test(c.account))).toBe(true);
      expect(st.connections.map((c) => c.tokens).reduce((a, b) => a + b, 0)).toBe(skeleton.tokens.length);

      // Secrets: the status and the log never carry a token.
      const text = JSON.stringify(st) + lines.join('');
      for (const a of sim.accounts) expect(text).not.toContain(a.accessToken);
    }
  }, 60_000);

  it('heals dropped connections: reconnects and resubscribes exactly its shard, nothing lost or doubled', async () => {
    {
      const plan = sup.connectionPlan!;
      await waitFor(() => allOpen(sup) && sup.status().withData === skeleton.tokens.length, 30_000, 'all open');
      const n = plan.connections.length;
      const versions = Int32Array.from(skeleton.tokens, (t) => table.version(t.slot));

      expect(sim.faults.dropConnections({ count: 2 })).toBe(2);
      expect(sim.faults.dropConnections({ count: 1, how: 'close' })).toBe(1);
      await waitFor(async () => {
        await sup.refresh();
        const s = sup.status();
        return s.connections.reduce((k, c) => k + c.reconnects, 0) >= 3 && allOpen(sup);
      }, 20_000, () => `reconnects: ${JSON.stringify(sup.status().connections.map((c) => [c.state, c.reconnects, c.lastError]))}`);

      // The subscribe messages are in flight when the socket reports open: wait for the server.
      await waitFor(() => sim.stats().feed.subscriptions >= skeleton.tokens.length, 10_000, 'resubscriptions processed');
      const feed = sim.stats().feed;
      expect(feed.connectionsOpen).toBe(n);
      expect(feed.subscriptions).toBe(skeleton.tokens.length); // nothing doubled, nothing lost
      expect(feed.activeInstruments).toBe(skeleton.tokens.length);
      // Each reconnected connection resubscribed its whole shard: every one of its tokens got
      // a fresh packet (the simulator snapshots on subscribe) after the drop.
      const reconnected = sup.status().connections.map((c, i) => ({ c, pc: plan.connections[i]! })).filter(({ c }) => c.reconnects > 0);
      expect(reconnected.length).toBe(3);
      await waitFor(() => reconnected.every(({ pc }) => pc.instruments.every((i) => table.version(i.slot) > versions[i.slot]!)), 10_000, 'fresh data on every resubscribed token');

      // All at once.
      sim.faults.dropConnections();
      await waitFor(async () => (await sup.refresh(), sup.status().connections.every((c) => c.reconnects >= 1) && allOpen(sup)), 20_000, 'all reconnected');
      await waitFor(() => sim.stats().feed.subscriptions >= skeleton.tokens.length, 10_000, 'resubscriptions processed');
      expect(sim.stats().feed.subscriptions).toBe(skeleton.tokens.length);
      expect(sim.stats().feed.activeInstruments).toBe(skeleton.tokens.length);
      expect(sim.stats().feed.connectionsOpen).toBe(n);
      expect(sup.status().decodeErrors).toBe(0);
    }
  }, 60_000);

  it('counts malformed frames without dropping the connection or writing anything wrong', async () => {
    await waitFor(() => allOpen(sup), 30_000, 'all open');
    await sup.refresh();
    const reconnects = sup.status().connections.map((c) => c.reconnects);
    for (const kind of ['truncated', 'bad-length', 'unknown-code', 'garbage', 'text'] as const) sim.faults.sendMalformed({ count: 1, kind });
    await waitFor(async () => (await sup.refresh(), sup.status().decodeErrors >= 3), 5000, 'decode errors counted');
    const st = sup.status();
    expect(st.connections.every((c, i) => c.state === 'open' && c.reconnects === reconnects[i])).toBe(true);
    expect(st.errors.internalErrors).toBe(0);
  }, 60_000);

  it('stops cleanly: every socket closed, the simulator holds no subscription of ours', async () => {
    await sup.stop();
    expect(sup.status().running).toBe(false);
    expect(sup.status().connections.every((c) => c.state === 'stopped')).toBe(true);
    await waitFor(() => sim.stats().feed.connectionsOpen === 0, 5000, 'sockets closed');
    expect(sim.stats().feed.subscriptions).toBe(0);
    expect(sim.stats().feed.clientDisconnects).toBeGreaterThan(0); // Dhan's disconnect request was sent
  }, 60_000);

});
