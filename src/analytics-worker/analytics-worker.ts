/**
 * Analytics worker thread entry (spawned by AnalyticsSupervisor from
 * `dist/analytics-worker/analytics-worker.js`): the single writer of the analytics table. It
 * runs {@link AnalyticsEngine.pass} back to back with a pause of `intervalMs` between passes
 * (a timer, so the thread's event loop still takes `stop` messages), and posts counters about
 * once a second. The first pass computes every chain, so a restarted worker republishes the
 * whole table, including any block its predecessor left mid-write.
 *
 * @module
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ErrorCodes, OptchainError } from '../errors.js';
import { AnalyticsTable } from '../price-table/analytics-table.js';
import { PriceTable } from '../price-table/price-table.js';
import { MarketClock } from '../time/market-clock.js';
import { AnalyticsEngine } from './analytics-engine.js';
import type { AnalyticsMainMessage, AnalyticsWorkerData, AnalyticsWorkerMessage } from './worker-protocol.js';

const STATS_EVERY_MS = 1000;

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
  let busyMs = 0;
  let maxPassMs = 0;
  let lastPassMs = 0;
  let lastStats = Date.now();
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const stats = (): void => {
    send({ type: 'stats', at: Date.now(), passes, chains, legs, busyMs, maxPassMs, lastPassMs });
    maxPassMs = 0;
  };

  const loop = (): void => {
    timer = null;
    if (stopped) return;
    const t0 = performance.now();
    const r = engine.pass(data.refreshMs);
    const ms = performance.now() - t0;
    passes++;
    chains += r.computed;
    legs += r.legs;
    busyMs += ms;
    lastPassMs = ms;
    if (ms > maxPassMs) maxPassMs = ms;
    const wall = Date.now();
    if (wall - lastStats >= STATS_EVERY_MS) {
      lastStats = wall;
      stats();
    }
    timer = setTimeout(loop, data.intervalMs);
  };

  parentPort!.on('message', (m: AnalyticsMainMessage) => {
    if (m.type === 'stop') {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      stats();
      send({ type: 'stopped' });
    } else if (m.type === 'test-crash' && data.testHooks) {
      if (m.how === 'exit') process.exit(3);
      throw new OptchainError(ErrorCodes.ANALYTICS_TEST_CRASH, 'analytics worker test crash');
    }
  });
  send({ type: 'ready' });
  loop();
}

if (!isMainThread && parentPort !== null && (workerData as Partial<AnalyticsWorkerData> | null)?.role === 'analytics-worker') {
  run(workerData as AnalyticsWorkerData);
}
