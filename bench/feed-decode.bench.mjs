/**
 * Feed decode throughput (contract §7 row "feed packets/s decoded"): FeedDecoder decoding Full
 * packets (162 bytes, the heaviest) from memory and writing them into the price table under
 * the seqlock, next to its limit on the same machine in the same run: raw seqlock writes/s
 * (beginWrite, the same 14 plain Float64 stores, endWrite) with no decoding at all.
 *
 * Run: `npm run build && node bench/feed-decode.bench.mjs [--quick]`. Also exports `run()` for a
 * suite runner: it resolves to rows `{ name, value, unit, baseline, ratio }`.
 */
import { Bench } from 'tinybench';
import { pathToFileURL } from 'node:url';
import { PriceTable } from '../dist/price-table/price-table.js';
import { SLOT_WORDS } from '../dist/price-table/layout.js';
import { FeedDecoder } from '../dist/feed/decoder.js';
import { encodeFull } from '../dist/dhan/packets.js';
import { SEGMENT_CODE } from '../dist/dhan/segments.js';

const TOKENS = 1000;
const CHAINS = 10;
const FULL = 162;

function fixture() {
  const table = PriceTable.allocate(TOKENS, CHAINS);
  const tokens = Array.from({ length: TOKENS }, (_, i) => ({ slot: i, segment: 'NSE_FNO', securityId: 35000 + i * 3 }));
  // Like an option chain: each option slot moves one chain's generation.
  const chainsOfSlot = tokens.map((t) => [t.slot % CHAINS]);
  const decoder = FeedDecoder.forTokens(table, tokens, chainsOfSlot);
  // One contiguous buffer of TOKENS Full packets, visited in a scattered order, as ticks are.
  const all = Buffer.alloc(TOKENS * FULL);
  for (let i = 0; i < TOKENS; i++) {
    const t = tokens[(i * 7919) % TOKENS];
    encodeFull(all, i * FULL, SEGMENT_CODE.NSE_FNO, t.securityId, {
      ltp: 100 + i * 0.05, ltq: 75, ltt: 1753455192 + i, atp: 99.5, volume: 1_000_000 + i, totalSellQty: 20000, totalBuyQty: 30000,
      oi: 3786445, oiHigh: 3800000, oiLow: 3700000, open: 95, close: 98.4, high: 104, low: 93,
      depth: [
        { bidQty: 1625, askQty: 1365, bidOrders: 12, askOrders: 9, bid: 100 + i * 0.05 - 0.05, ask: 100 + i * 0.05 + 0.05 },
        { bidQty: 650, askQty: 975, bidOrders: 4, askOrders: 7, bid: 99.9, ask: 100.2 },
      ],
    });
  }
  // One packet per WebSocket message (what Dhan sends, dhan-protocol.md §2.8), as views of one
  // socket chunk (shared ArrayBuffer: the decoder's cached DataView hits) ...
  const frames = Array.from({ length: TOKENS }, (_, i) => all.subarray(i * FULL, (i + 1) * FULL));
  // ... and each in its own ArrayBuffer (cache miss: one DataView per frame).
  const ownFrames = frames.map((f) => Buffer.from(Uint8Array.prototype.slice.call(f)));
  return { table, decoder, all, frames, ownFrames };
}

/** Runs the benchmark; resolves to result rows. */
export async function run({ quick = false } = {}) {
  const { table, decoder, all, frames, ownFrames } = fixture();
  const f64 = table.f64;
  let now = 1786000000000;
  const bench = new Bench({ time: quick ? 300 : 2000, warmup: true, warmupTime: quick ? 100 : 500 });
  bench
    .add('decode Full, 1 packet/frame (shared chunk)', () => {
      now++;
      for (let i = 0; i < TOKENS; i++) decoder.decodeFrame(frames[i], now);
    })
    .add('decode Full, 1 packet/frame (own ArrayBuffer)', () => {
      now++;
      for (let i = 0; i < TOKENS; i++) decoder.decodeFrame(ownFrames[i], now);
    })
    .add('decode Full, 1000 packets stacked in 1 frame', () => {
      decoder.decodeFrame(all, ++now);
    })
    .add('limit: raw seqlock write (14 stores)', () => {
      now++;
      for (let i = 0; i < TOKENS; i++) {
        const s = (i * 7919) % TOKENS;
        const w = s * SLOT_WORDS;
        table.beginWrite(s);
        f64[w + 1] = i;
        f64[w + 2] = i;
        f64[w + 3] = i;
        f64[w + 4] = i;
        f64[w + 5] = i;
        f64[w + 6] = i;
        f64[w + 7] = i;
        f64[w + 9] = i;
        f64[w + 10] = now;
        f64[w + 11] = i;
        f64[w + 12] = i;
        f64[w + 13] = i;
        f64[w + 14] = i;
        f64[w + 8] = i;
        table.endWrite(s);
      }
    })
    .add('limit + generation bump', () => {
      now++;
      for (let i = 0; i < TOKENS; i++) {
        const s = (i * 7919) % TOKENS;
        const w = s * SLOT_WORDS;
        table.beginWrite(s);
        f64[w + 1] = i;
        f64[w + 2] = i;
        f64[w + 3] = i;
        f64[w + 4] = i;
        f64[w + 5] = i;
        f64[w + 6] = i;
        f64[w + 7] = i;
        f64[w + 9] = i;
        f64[w + 10] = now;
        f64[w + 11] = i;
        f64[w + 12] = i;
        f64[w + 13] = i;
        f64[w + 14] = i;
        f64[w + 8] = i;
        table.endWrite(s);
        table.bumpGeneration(s % CHAINS);
      }
    });
  await bench.run();
  const c = decoder.counters;
  if (c.errors() !== 0 || c.applied !== c.packets) throw new Error(`decoder reported errors during the bench: ${c.errors()}`);

  const perSec = {};
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state} ${r.error ?? ''}`);
    perSec[task.name] = (TOKENS * 1000) / r.period; // one iteration = TOKENS packets or writes
  }
  const limit = perSec['limit: raw seqlock write (14 stores)'];
  return Object.entries(perSec).map(([name, value]) => ({
    name,
    value: Math.round(value),
    unit: name.startsWith('limit') ? 'writes/s' : 'packets/s',
    baseline: 'raw seqlock writes/s',
    ratio: value / limit,
  }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await run({ quick: process.argv.includes('--quick') });
  console.log(`feed decode (node ${process.version}, ${TOKENS} NSE_FNO tokens, Full packets)`);
  console.table(rows.map((r) => ({ task: r.name, [`per s`]: r.value.toLocaleString('en-US'), unit: r.unit, 'vs raw seqlock writes': `${(r.ratio * 100).toFixed(1)} %` })));
}
