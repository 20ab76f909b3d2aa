/**
 * Analytics worker thread entry (spawned by AnalyticsSupervisor from
 * `dist/analytics-worker/analytics-worker.js`): the single writer of the analytics table.
 *
 * Wake on change, not on a timer: between passes the thread sleeps in
 * `PriceTable.waitForTicks` on the price table's wake word, which the feed bumps once per
 * decoded frame (and notifies only while this thread sleeps), so a tick starts a pass within
 * the kernel's wake-up (~0.1 ms) and an idle universe costs no pass at all. It also wakes when
 * a chain's anchor falls due for time decay (AnalyticsEngine.nextDueAt). Two passes start at
 * least `intervalMs` apart: ticks arriving meanwhile are taken together by the next pass
 * (coalescing bounds the CPU at high tick rates; the first tick after a quiet spell is never
 * delayed by it). Sleeps last at most {@link SLICE_MS}, and the thread returns to its event
 * loop between them, so `stop` and `test-crash` messages are taken within a slice (at once
 * after `stop`: the supervisor wakes the word after posting it). Counters go out about once a
 * second. The first pass computes every chain, so a restarted worker republishes the whole
 * table, including any block its predecessor left mid-write.
 *
 * @module
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ErrorCodes, OptchainError } from '../errors.js';
import { AnalyticsTable } from '../price-table/analytics-table.js';
import { PriceTable } from '../price-table/price-table.js';
import { MarketClock } from '../time/market-clock.js';
import { AnalyticsEngine } from './analytics-engine.js';
import { threadCpuMs } from './thread-cpu.js';
import type { AnalyticsMainMessage, AnalyticsWorkerData, AnalyticsWorkerMessage } from './worker-protocol.js';

const STATS_EVERY_MS = 1000;
/** Longest single sleep, ms: the bound on taking a message that came without a wake-up. */
const SLICE_MS = 250;

function send(msg: AnalyticsWorkerMessage): void {
  parentPort?.postMessage(msg);
}

function run(data: AnalyticsWorkerData): void {
  const price = PriceTable.attach(data.price);
  const out = AnalyticsTable.attach(data.analytics);
  const clock = new MarketClock(data.clockOffsetMs);
  const engine = new AnalyticsEngine(price, out, data.inputs, data.params, () => clock.now());
  let passes = 0;
  let chains = 0;
  let legs = 0;
  let reused = 0;
  let busyMs = 0;
  let maxPassMs = 0;
  let lastPassMs = 0;
  let lastStats = Date.now();
  let timer: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;
  let stopped = false;
  let seenTicks = 0;
  let dueAt = Number.NEGATIVE_INFINITY;

  const stats = (): void => {
    send({ type: 'stats', at: Date.now(), passes, chains, legs, reused, busyMs, cpuMs: threadCpuMs(), maxPassMs, lastPassMs });
    maxPassMs = 0;
  };
  const maybeStats = (): void => {
    const wall = Date.now();
    if (wall - lastStats >= STATS_EVERY_MS) {
      lastStats = wall;
      stats();
    }
  };
  const later = (fn: () => void, ms: number): void => {
    if (ms >= 1) timer = setTimeout(fn, ms);
    else immediate = setImmediate(fn);
  };

  const runPass = (): void => {
    // Read before the pass: a frame published during it moves the word again and the next
    // wait returns at once, so no tick is left behind.
    seenTicks = price.ticksPublished();
    const t0 = performance.now();
    const r = engine.pass(data.refreshMs);
    const ms = performance.now() - t0;
    dueAt = engine.nextDueAt();
    passes++;
    chains += r.computed;
    legs += r.legs;
    reused += r.reused;
    busyMs += ms;
    lastPassMs = ms;
    if (ms > maxPassMs) maxPassMs = ms;
    maybeStats();
    later(waitStep, data.intervalMs - (performance.now() - t0));
  };

  const waitStep = (): void => {
    timer = null;
    immediate = null;
    if (stopped) return;
    if (price.ticksPublished() === seenTicks) {
      const left = dueAt - clock.now();
      if (left > 0) {
        const ticks = price.waitForTicks(seenTicks, Math.min(SLICE_MS, left));
        if (ticks === seenTicks && dueAt > clock.now()) {
          // Woken by the slice's end or the supervisor: let the event loop take messages.
          maybeStats();
          later(waitStep, 0);
          return;
        }
      }
    }
    runPass();
  };

  parentPort!.on('message', (m: AnalyticsMainMessage) => {
    if (m.type === 'stop') {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      if (immediate !== null) clearImmediate(immediate);
      stats();
      send({ type: 'stopped' });
    } else if (m.type === 'test-crash' && data.testHooks) {
      if (m.how === 'exit') process.exit(3);
      throw new OptchainError(ErrorCodes.ANALYTICS_TEST_CRASH, 'analytics worker test crash');
    }
  });
  send({ type: 'ready' });
  runPass();
}

if (!isMainThread && parentPort !== null && (workerData as Partial<AnalyticsWorkerData> | null)?.role === 'analytics-worker') {
  run(workerData as AnalyticsWorkerData);
}
