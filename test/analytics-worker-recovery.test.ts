/**
 * The analytics worker thread under its supervisor: it publishes the whole table on start,
 * follows ticks, and after a throw, an exit or a terminate() it is replaced (after the
 * backoff) by a thread that republishes every chain; the dead thread's counters carry over
 * and the status says what happened. Real threads, bounded waits.
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

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function setup(): { sup: AnalyticsSupervisor; analytics: AnalyticsTable; tick: () => void } {
  const skeleton = tinySkeleton();
  const price = tableFor(skeleton);
  const analytics = AnalyticsTable.allocate(skeleton.chains.map((c) => c.rows.length));
  for (const c of skeleton.chains) for (const r of c.rows) for (const leg of [r.ce, r.pe]) if (leg) writeTick(price, skeleton, leg.slot, fullQuote(50 + r.strike / 1000));
  const sup = new AnalyticsSupervisor({
    skeleton, price, analytics, clock: new MarketClock(0), riskFreeRate: 0.065, rules: { maxSpreadAbs: 20, maxSpreadRel: 0.1 },
    intervalMs: 2, refreshMs: 60_000, logger: pino({ level: 'silent' }), testHooks: true, restart: { baseMs: 50, maxMs: 400, stableMs: 60_000 },
  });
  supervisors.push(sup);
  const first = skeleton.chains[0]!.rows[0]!.ce!;
  let n = 0;
  return { sup, analytics, tick: () => writeTick(price, skeleton, first.slot, fullQuote(51 + (++n % 7) / 20)) };
}

const allPublished = (a: AnalyticsTable, atLeast: number): boolean => Array.from({ length: a.chains }, (_, c) => a.generation(c)).every((g) => g >= atLeast);

describe('analytics worker thread: supervised, self-healing', () => {
  it('publishes every chain on start and follows a tick in the next pass', async () => {
    const { sup, analytics, tick } = setup();
    await sup.start();
    await until('first pass', () => allPublished(analytics, 1));
    const g = analytics.generation(0);
    tick();
    await until('the tick recomputed', () => analytics.generation(0) > g);
    // Only the ticked chain moves: the others stay at their first publication.
    expect(analytics.generation(1)).toBe(1);
    const st = sup.status();
    expect(st.up).toBe(true);
    expect(st.restarts).toBe(0);
  }, 30_000);

  for (const how of ['throw', 'exit', 'terminate'] as const) {
    it(`after a ${how} it is restarted, republishes every chain and reports the restart`, async () => {
      const { sup, analytics, tick } = setup();
      await sup.start();
      await until('first pass', () => allPublished(analytics, 1));
      await until('stats', () => sup.status().passes > 0, 5000);
      const before = sup.status().passes;
      const t0 = Date.now();
      await sup.crashForTest(how);
      expect(sup.status().up).toBe(false);
      await until('restart', () => sup.status().up);
      await until('republished', () => allPublished(analytics, 2));
      const healedMs = Date.now() - t0;
      for (let c = 0; c < analytics.chains; c++) expect(analytics.version(c) % 2).toBe(0);
      const st = sup.status();
      expect(st.restarts).toBe(1);
      expect(st.lastExit).not.toBeNull();
      expect(st.lastExitAt).toBeGreaterThanOrEqual(t0);
      await until('counters carried over', () => sup.status().passes > before, 5000);
      const g = analytics.generation(0);
      tick();
      await until('the new thread follows ticks', () => analytics.generation(0) > g);
      console.log(`analytics worker ${how}: republished after ${healedMs} ms (restart backoff 50 ms)`);
    }, 30_000);
  }

  it('refuses the crash hook without testHooks', async () => {
    const { sup } = setup();
    await sup.start();
    const plain = new AnalyticsSupervisor({ ...(sup as unknown as { opts: ConstructorParameters<typeof AnalyticsSupervisor>[0] }).opts, testHooks: false });
    await expect(plain.crashForTest('throw')).rejects.toMatchObject({ code: 'ANALYTICS_TEST_HOOK_DISABLED' });
  }, 30_000);
});
