/**
 * Self-healing when a feed worker thread dies (issue 14 §2): a worker that throws an uncaught
 * error on a crafted control message, one that calls process.exit, and one stopped by
 * `worker.terminate()` are each restarted by the supervisor, which resubscribes exactly the
 * dead worker's shard, once — counted at the simulator, which sees every subscribe message —
 * and reports the restart in its status (the source of /health and /metrics). The other
 * worker's connections are not touched. Run `npm run build` first (workers run from dist/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribeMessagesFor } from '../src/feed/connection-plan.js';
import type { FeedSupervisor, WorkerCrash } from '../src/feed/feed-supervisor.js';
import { PriceTable } from '../src/price-table/price-table.js';
import type { SimHandle } from '../src/sim/sim-server.js';
import type { Skeleton } from '../src/skeleton/types.js';
import { simWithSkeleton, testSupervisor, waitFor } from './helpers/feed-harness.js';

let sim: SimHandle;
let skeleton: Skeleton;

beforeAll(async () => {
  ({ sim, skeleton } = await simWithSkeleton({ stocks: 12 }));
}, 40_000);

afterAll(async () => {
  await sim?.close();
});

/** A worker must be back, resubscribed and delivering within this (restart base 200 ms). */
const RECOVERY_BOUND_MS = 10_000;

const healthy = (sup: FeedSupervisor): boolean => {
  const st = sup.status();
  return st.problems.length === 0 && st.connections.every((c) => c.state === 'open') && st.workerThreads.every((w) => w.up);
};

describe('feed worker crash recovery', () => {
  it('repairs a slot whose writer died mid-write, so readers and the next writer keep the seqlock protocol', () => {
    const table = PriceTable.allocate(2, 1);
    table.beginWrite(1); // the writer dies here
    const out = new Float64Array(15);
    expect(table.repairAbandonedWrite(0)).toBe(false);
    expect(table.repairAbandonedWrite(1)).toBe(true);
    expect(table.version(1) % 2).toBe(0);
    expect(table.readSlot(1, out)).toBe(true);
    table.beginWrite(1);
    expect(table.version(1) % 2).toBe(1);
    table.endWrite(1);
    expect(table.readSlot(1, out)).toBe(true);
    expect(table.failedReads).toBe(0);
  });

  it('refuses the crash hook unless the supervisor was built for tests', async () => {
    const { sup } = testSupervisor(sim, skeleton);
    await expect(sup.crashWorkerForTest(0, 'throw')).rejects.toMatchObject({ code: 'FEED_TEST_HOOK_DISABLED' });
  });

  it('backs off a worker that keeps dying right after its start, instead of respawning it in a storm', async () => {
    const { sup, lines } = testSupervisor(sim, skeleton, { workerRestart: { baseMs: 100, maxMs: 800, stableMs: 60_000 }, testHooks: true });
    try {
      await sup.start();
      const delays: number[] = [];
      for (let k = 0; k < 4; k++) {
        await waitFor(() => sup.status().workerThreads[0]!.up, 10_000, 'worker up');
        await sup.crashWorkerForTest(0, 'throw');
        const line = lines.filter((l) => l.includes('feed worker 0 died')).at(-1)!;
        delays.push((JSON.parse(line) as { restartInMs: number }).restartInMs);
      }
      // Equal jitter: attempt n waits within [d/2, d], d = 100 · 2^n ms, capped at 800.
      expect(delays[0]).toBeLessThanOrEqual(100);
      expect(delays[2]).toBeGreaterThanOrEqual(200);
      expect(delays[3]).toBeGreaterThanOrEqual(400);
      expect(delays[3]).toBeLessThanOrEqual(800);
      await waitFor(async () => (await sup.refresh(), healthy(sup)), RECOVERY_BOUND_MS, 'recovered after the crash loop');
      expect(sup.status().workerRestarts).toBe(4);
    } finally {
      await sup.stop();
    }
  }, 60_000);

  it.each<[WorkerCrash, number]>([
    ['throw', 1],
    ['exit', 0],
    ['terminate', 1],
  ])('restarts a worker killed by %s, resubscribes its shard exactly once and reports it', async (how, victim) => {
    // Two workers, each with its own connections: one dies, the other must not notice.
    const per = Math.ceil(skeleton.tokens.length / 4);
    const { sup, table, lines } = testSupervisor(sim, skeleton, {
      configOverrides: { feedWorkers: 2 },
      limits: { instrumentsPerConnection: per },
      workerRestart: { baseMs: 200, maxMs: 2000 },
      testHooks: true,
    });
    try {
      await sup.start();
      const plan = sup.connectionPlan!;
      expect(plan.workers).toBe(2);
      await waitFor(async () => (await sup.refresh(), healthy(sup)) && sim.stats().feed.subscriptions === skeleton.tokens.length, 30_000, 'all open');
      const shard = plan.connections.filter((c) => c.worker === victim);
      const others = plan.connections.filter((c) => c.worker !== victim);
      const shardInstruments = shard.reduce((n, c) => n + c.instruments.length, 0);
      const shardMessages = shard.reduce((n, c) => n + subscribeMessagesFor(c.instruments).length, 0);
      expect(shardInstruments).toBeGreaterThan(0);
      const before = sim.stats().feed;
      const st0 = sup.status();
      const packets0 = st0.packets;
      const otherReconnects = others.map((c) => st0.connections.find((x) => x.account === c.account && x.index === c.index)!.reconnects);

      const t0 = performance.now();
      await sup.crashWorkerForTest(victim, how);
      const tDead = performance.now();
      // Down is visible at once: the worker's problem is reported and its sockets are gone.
      const down = sup.status();
      expect(down.workerThreads[victim]!.up).toBe(false);
      expect(down.problems.some((p) => p.startsWith(`feed worker ${victim} down`))).toBe(true);
      await waitFor(async () => (await sup.refresh(), healthy(sup)) && sim.stats().feed.connectionsOpen === plan.connections.length && sim.stats().feed.subscriptions === skeleton.tokens.length, RECOVERY_BOUND_MS, () => `recovery: ${JSON.stringify(sup.status().problems)}`);
      const tUp = performance.now();
      const versions = shard.flatMap((c) => c.instruments.map((i) => ({ slot: i.slot, v: table.version(i.slot) })));
      // Fresh ticks on the shard: some of its tokens move (the simulator animates a subset per round).
      await waitFor(() => versions.filter((x) => table.version(x.slot) > x.v).length >= Math.min(20, versions.length), RECOVERY_BOUND_MS, 'fresh data on the restarted shard');
      const tData = performance.now();

      const after = sim.stats().feed;
      // Exactly the dead shard was subscribed again, once: no duplicate, nothing of the other worker.
      expect(after.subscribeRequests - before.subscribeRequests).toBe(shardInstruments);
      expect(after.subscribeMessages - before.subscribeMessages).toBe(shardMessages);
      expect(after.subscriptions).toBe(skeleton.tokens.length);
      expect(after.connectionsOpen).toBe(plan.connections.length);

      await sup.refresh();
      const st = sup.status();
      expect(st.workerRestarts).toBe(1);
      expect(st.workerThreads[victim]).toMatchObject({ up: true, restarts: 1 });
      expect(st.workerThreads[victim]!.lastExit).toMatch(how === 'throw' ? /crash requested by a test hook/ : how === 'exit' ? /exit code 3/ : /exit code 1/);
      expect(st.workerThreads[1 - victim]!.restarts).toBe(0);
      expect(st.problems).toEqual([]);
      // Counters carry over the dead thread's last report: totals never go backwards.
      expect(st.packets).toBeGreaterThanOrEqual(packets0);
      for (const c of shard) expect(st.connections.find((x) => x.account === c.account && x.index === c.index)!.reconnects).toBeGreaterThanOrEqual(1);
      others.forEach((c, k) => expect(st.connections.find((x) => x.account === c.account && x.index === c.index)!.reconnects).toBe(otherReconnects[k]));
      expect(table.failedReads).toBe(0);
      expect(lines.some((l) => l.includes(`feed worker ${victim} died`))).toBe(true);
      // Still exactly once after the data flowed (no late second subscription).
      expect(sim.stats().feed.subscribeRequests - before.subscribeRequests).toBe(shardInstruments);

      console.log(`feed worker ${how}: dead after ${Math.round(tDead - t0)} ms, resubscribed ${Math.round(tUp - tDead)} ms after death, fresh ticks after ${Math.round(tData - tDead)} ms (restart delay base 200 ms)`);
    } finally {
      await sup.stop();
    }
  }, 60_000);
});
