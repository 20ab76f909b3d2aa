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

// The 14 fields the decoder reads from a Full packet, by three methods (why decoder.ts uses DataView).
const scratchU8 = new Uint8Array(4);
const scratchF32 = new Float32Array(scratchU8.buffer);
function f32Manual(b, o) {
  scratchU8[0] = b[o];
  scratchU8[1] = b[o + 1];
  scratchU8[2] = b[o + 2];
  scratchU8[3] = b[o + 3];
  return scratchF32[0];
}
function u32Manual(b, o) {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;
}
let sink = 0;
function readDataView(all) {
  const dv = new DataView(all.buffer, all.byteOffset, all.byteLength);
  let s = 0;
  for (let o = 0; o < all.length; o += FULL) {
    s += dv.getFloat32(o + 8, true) + dv.getUint32(o + 14, true) + dv.getFloat32(o + 18, true) + dv.getUint32(o + 22, true) + dv.getUint32(o + 34, true)
      + dv.getFloat32(o + 46, true) + dv.getFloat32(o + 50, true) + dv.getFloat32(o + 54, true) + dv.getFloat32(o + 58, true)
      + dv.getUint32(o + 62, true) + dv.getUint32(o + 66, true) + dv.getFloat32(o + 74, true) + dv.getFloat32(o + 78, true) + dv.getUint32(o + 4, true);
  }
  sink += s;
}
function readBufferMethods(all) {
  let s = 0;
  for (let o = 0; o < all.length; o += FULL) {
    s += all.readFloatLE(o + 8) + all.readUInt32LE(o + 14) + all.readFloatLE(o + 18) + all.readUInt32LE(o + 22) + all.readUInt32LE(o + 34)
      + all.readFloatLE(o + 46) + all.readFloatLE(o + 50) + all.readFloatLE(o + 54) + all.readFloatLE(o + 58)
      + all.readUInt32LE(o + 62) + all.readUInt32LE(o + 66) + all.readFloatLE(o + 74) + all.readFloatLE(o + 78) + all.readUInt32LE(o + 4);
  }
  sink += s;
}
function readManual(all) {
  let s = 0;
  for (let o = 0; o < all.length; o += FULL) {
    s += f32Manual(all, o + 8) + u32Manual(all, o + 14) + f32Manual(all, o + 18) + u32Manual(all, o + 22) + u32Manual(all, o + 34)
      + f32Manual(all, o + 46) + f32Manual(all, o + 50) + f32Manual(all, o + 54) + f32Manual(all, o + 58)
      + u32Manual(all, o + 62) + u32Manual(all, o + 66) + f32Manual(all, o + 74) + f32Manual(all, o + 78) + u32Manual(all, o + 4);
  }
  sink += s;
}

/** Field-read methods only (no table writes): packets/s for each. */
export async function runFieldReads({ quick = false } = {}) {
  const { all } = fixture();
  const bench = new Bench({ time: quick ? 200 : 1000, warmup: true, warmupTime: quick ? 100 : 300 });
  bench
    .add('DataView getFloat32/getUint32', () => readDataView(all))
    .add('Buffer readFloatLE/readUInt32LE', () => readBufferMethods(all))
    .add('manual bytes + Float32Array scratch', () => readManual(all));
  await bench.run();
  if (Number.isNaN(sink)) throw new Error('field reads produced NaN');
  return bench.tasks.map((t) => ({ name: t.name, value: Math.round((TOKENS * 1000) / t.result.period), unit: 'packets/s' }));
}

/**
 * Runs the benchmark; resolves to result rows. `bench` overrides tinybench options (e.g.
 * `{ time: 50, iterations: 8 }` for bench/run.mjs's smoke run).
 */
export async function run({ quick = false, bench: override = {} } = {}) {
  const { table, decoder, all, frames, ownFrames } = fixture();
  const f64 = table.f64;
  let now = 1786000000000;
  const bench = new Bench({ time: quick ? 300 : 2000, warmup: true, warmupTime: quick ? 100 : 500, ...override });
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
  const reads = await runFieldReads({ quick: process.argv.includes('--quick') });
  console.log('field reads (14 fields of a Full packet, no table writes)');
  console.table(reads.map((r) => ({ method: r.name, 'packets/s': r.value.toLocaleString('en-US') })));
}
