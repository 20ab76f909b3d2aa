/**
 * The analytics worker thread wakes on change, not on a timer (src/analytics-worker/
 * analytics-worker.ts): a published tick is in the analytics table well within the worker's
 * longest sleep, an idle universe runs no pass at all, and a stop is taken at once even while
 * the thread sleeps. Real threads under the real supervisor; bounds generous for a loaded
 * machine but below what a timer loop could give (its sleep slice is 250 ms).
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AnalyticsSupervisor } from '../src/analytics-worker/analytics-supervisor.js';
import { AnalyticsTable } from '../src/price-table/analytics-table.js';
import { MarketClock } from '../src/time/market-clock.js';
import { fullQuote, tableFor, tinySkeleton, writeTick } from './helpers/tiny-skeleton.js';

const supervisors: AnalyticsSupervisor[] = [];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stop()));
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

async function started(): Promise<{ sup: AnalyticsSupervisor; analytics: AnalyticsTable; tick: () => void }> {
  const skeleton = tinySkeleton();
  const price = tableFor(skeleton);
  const analytics = AnalyticsTable.allocate(skeleton.chains.map((c) => c.rows.length));
  for (const c of skeleton.chains) for (const r of c.rows) for (const leg of [r.ce, r.pe]) if (leg) writeTick(price, skeleton, leg.slot, fullQuote(50 + r.strike / 1000));
  const sup = new AnalyticsSupervisor({
    skeleton, price, analytics, clock: new MarketClock(0), riskFreeRate: 0.065, rules: { maxSpreadAbs: 20, maxSpreadRel: 0.1 },
    intervalMs: 5, refreshMs: 60_000, logger: pino({ level: 'silent' }), testHooks: true,
  });
  supervisors.push(sup);
  await sup.start();
  await until('first pass', () => Array.from({ length: analytics.chains }, (_, c) => analytics.generation(c)).every((g) => g >= 1));
  const first = skeleton.chains[0]!.rows[0]!.ce!;
  let n = 0;
  return { sup, analytics, tick: () => writeTick(price, skeleton, first.slot, fullQuote(51 + (++n % 7) / 20)) };
}

describe('analytics worker: wake on change', () => {
  it('a tick is published in the analytics table within milliseconds, not a timer period', async () => {
    const { analytics, tick } = await started();
    const lat: number[] = [];
    for (let i = 0; i < 25; i++) {
      // Past the worker's 5 ms pass spacing, so it is asleep on the wake word when the tick comes.
      await sleep(20 + Math.random() * 20);
      const g = analytics.generation(0);
      const t0 = performance.now();
      tick();
      await until('the tick published', () => analytics.generation(0) > g, 5000);
      lat.push(performance.now() - t0);
    }
    lat.sort((a, b) => a - b);
    // A worker polling on its 250 ms slice would put the median near 125 ms.
    expect(lat[12]!).toBeLessThan(60);
    expect(lat[24]!).toBeLessThan(2000);
  }, 30_000);

  it('an idle universe runs no pass: the pass count stands still over a second', async () => {
    const { sup } = await started();
    await until('a stats report', () => sup.status().passes > 0, 5000);
    await sleep(1200);
    const before = sup.status();
    await sleep(2200);
    const after = sup.status();
    // Stats arrive once a second even while idle: the second reading is newer than the first.
    expect(after.passes).toBe(before.passes);
    expect(after.chainsComputed).toBe(before.chainsComputed);
    if (after.cpu !== null) expect(after.cpu).toBeLessThan(0.05);
    expect(after.busy).toBeLessThan(0.05);
  }, 30_000);

  it('stop is taken at once while the worker sleeps', async () => {
    const { sup } = await started();
    await sleep(300);
    const t0 = performance.now();
    await sup.stop();
    // Without the wake-up the stop waits for the sleep slice (≤ 250 ms); a lost stop for the 2 s terminate.
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(sup.status().up).toBe(false);
  }, 30_000);
});
