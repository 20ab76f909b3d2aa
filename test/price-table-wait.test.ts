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
