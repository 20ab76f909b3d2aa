/**
 * PriceTable.waitForVersionChange, the sleeping wait the latency probe of
 * bench/feed-e2e.bench.mjs uses instead of a spin: it returns as soon as a writer on another
 * thread publishes the slot, never on a write still in progress, and gives up at its timeout.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { F, SLOT_WORDS } from '../src/price-table/layout.js';
import { PriceTable } from '../src/price-table/price-table.js';

describe('PriceTable.waitForVersionChange', () => {
  it('returns at once when the version already moved, and at the timeout when nothing is written', () => {
    const t = PriceTable.allocate(2, 1);
    t.beginWrite(1);
    t.endWrite(1);
    expect(t.waitForVersionChange(1, 0, 1000)).toBe(2);
    const t0 = performance.now();
    expect(t.waitForVersionChange(0, 0, 30)).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
  });

  it('wakes for a write published by another thread, with the written value readable', async () => {
    const t = PriceTable.allocate(1, 1);
    // A writer thread that publishes slot 0 after 100 ms, holding the slot odd for 20 ms first.
    // (the compiled table from dist/, as the feed worker uses it: npm test builds first)
    const dist = new URL('../dist/price-table/price-table.js', import.meta.url).href;
    const src = `
      const { workerData } = require('node:worker_threads');
      import(${JSON.stringify(dist)}).then(({ PriceTable }) => {
        const t = PriceTable.attach(workerData.handle);
        setTimeout(() => {
          t.beginWrite(0);
          const until = Date.now() + 20;
          while (Date.now() < until);
          t.f64[${F.LTP}] = 123.5;
          t.endWrite(0);
        }, 100);
      });`;
    const w = new Worker(src, { eval: true, workerData: { handle: t.handle() } });
    await new Promise((r) => w.once('online', r));
    const t0 = performance.now();
    const v = t.waitForVersionChange(0, 0, 5000);
    const waited = performance.now() - t0;
    expect(v).toBe(2);
    expect(t.f64[0 * SLOT_WORDS + F.LTP]).toBe(123.5);
    expect(waited).toBeGreaterThanOrEqual(90);
    expect(waited).toBeLessThan(4000);
    await w.terminate();
  });
});

/** A thread that attaches to `t` (compiled table from dist/) and runs `body` (with `t` in scope) after `delayMs`. */
function laterOnThread(t: PriceTable, delayMs: number, body: string): Worker {
  const dist = new URL('../dist/price-table/price-table.js', import.meta.url).href;
  const src = `
    const { workerData } = require('node:worker_threads');
    import(${JSON.stringify(dist)}).then(({ PriceTable }) => {
      const t = PriceTable.attach(workerData.handle);
      setTimeout(() => { ${body} }, ${delayMs});
    });`;
  return new Worker(src, { eval: true, workerData: { handle: t.handle() } });
}

describe('PriceTable wake word (publishTicks / waitForTicks)', () => {
  it('counts published frames; a wait returns at once when the count already moved, at its timeout when not', () => {
    const t = PriceTable.allocate(2, 3);
    const seen = t.ticksPublished();
    t.publishTicks();
    t.publishTicks();
    expect(t.ticksPublished()).toBe(seen + 2);
    const t0 = performance.now();
    expect(t.waitForTicks(seen, 5000)).toBe(seen + 2);
    expect(performance.now() - t0).toBeLessThan(1000);
    const t1 = performance.now();
    expect(t.waitForTicks(seen + 2, 40)).toBe(seen + 2);
    expect(performance.now() - t1).toBeGreaterThanOrEqual(39);
  });

  it('the word sits after the generation counters: publishing moves no slot and no generation', () => {
    const t = PriceTable.allocate(3, 5);
    for (let i = 0; i < 10; i++) t.publishTicks();
    for (let s = 0; s < 3; s++) expect(t.version(s)).toBe(0);
    for (let c = 0; c < 5; c++) expect(t.generation(c)).toBe(0);
    expect(t.ticksPublished()).toBe(10);
  });

  it('a frame published by another thread ends the wait long before its timeout', async () => {
    const t = PriceTable.allocate(1, 1);
    const w = laterOnThread(t, 100, 't.publishTicks();');
    await new Promise((r) => w.once('online', r));
    const t0 = performance.now();
    const n = t.waitForTicks(0, 10_000);
    const waited = performance.now() - t0;
    expect(n).toBe(1);
    expect(waited).toBeGreaterThanOrEqual(90);
    expect(waited).toBeLessThan(5000);
    await w.terminate();
  });

  it('wakeTickWaiters ends the wait without publishing (how a supervisor gets a stop read at once)', async () => {
    const t = PriceTable.allocate(1, 1);
    const w = laterOnThread(t, 100, 't.wakeTickWaiters();');
    await new Promise((r) => w.once('online', r));
    const t0 = performance.now();
    const n = t.waitForTicks(0, 10_000);
    const waited = performance.now() - t0;
    expect(n).toBe(0);
    expect(waited).toBeGreaterThanOrEqual(90);
    expect(waited).toBeLessThan(5000);
    await w.terminate();
  });
});
