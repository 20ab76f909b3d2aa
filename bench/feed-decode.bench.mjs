/**
 * Feed decode throughput (docs/contract.md §7 row "feed packets/s decoded"): FeedDecoder decoding Full
 * packets (162 bytes, the heaviest) from memory and writing them into the price table under
 * the seqlock, next to its limit on the same machine in the same run: raw seqlock writes/s
 * (beginWrite, the same 14 plain Float64 stores, endWrite) with no decoding at all.
 *
 * Before/after in the same run: `--baseline-dist=DIR` names the `dist/` of another build (e.g.
 * `git worktree add /tmp/old <commit> && (cd /tmp/old && npm run build)`, or a copy of `dist/`
 * taken before a change); its FeedDecoder then decodes the same packets into its own table,
 * alternated with this build's in rounds (best round kept for each: noise only ever lowers a
 * throughput), and the table shows this build / baseline.
 *
 * Run: `npm run build && node bench/feed-decode.bench.mjs [--quick] [--baseline-dist=DIR]`. Also
 * exports `run()` for a suite runner: it resolves to rows `{ name, value, unit, baseline, ratio }`.
 */
import { Bench } from 'tinybench';
import { pathToFileURL } from 'node:url';
import { PriceTable } from '../dist/price-table/price-table.js';
import { SLOT_WORDS } from '../dist/price-table/layout.js';
import { FeedDecoder } from '../dist/feed/decoder.js';
import { encodeFull } from '../dist/sim/packet-encoder.js';
import { SEGMENT_CODE } from '../dist/dhan/segments.js';

const TOKENS = 1000;
const CHAINS = 10;
const FULL = 162;

function fixture(Decoder = FeedDecoder, Table = PriceTable) {
  const table = Table.allocate(TOKENS, CHAINS);
  const tokens = Array.from({ length: TOKENS }, (_, i) => ({ slot: i, segment: 'NSE_FNO', securityId: 35000 + i * 3 }));
  // Like an option chain: each option slot moves one chain's generation.
  const chainsOfSlot = tokens.map((t) => [t.slot % CHAINS]);
  const decoder = Decoder.forTokens(table, tokens, chainsOfSlot);
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
  // One packet per WebSocket message (what Dhan sends, docs/dhan-protocol.md §2.8), as views of one
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

/** The decode rows for the FeedDecoder and PriceTable of the `dist/` at `dist` (a child of {@link runCompare}). */
async function decodeOnly(dist, quick) {
  const dir = pathToFileURL(`${dist.replace(/\/+$/, '')}/`);
  const { FeedDecoder: Decoder } = await import(new URL('feed/decoder.js', dir).href);
  const { PriceTable: Table } = await import(new URL('price-table/price-table.js', dir).href);
  const f = fixture(Decoder, Table);
  let now = 1786000000000;
  const bench = new Bench({ time: quick ? 300 : 1000, warmup: true, warmupTime: quick ? 100 : 300 });
  bench
    .add('decode Full, 1 packet/frame (shared chunk)', () => {
      now++;
      for (let i = 0; i < TOKENS; i++) f.decoder.decodeFrame(f.frames[i], now);
    })
    .add('decode Full, 1000 packets stacked in 1 frame', () => f.decoder.decodeFrame(f.all, ++now));
  await bench.run();
  const c = f.decoder.counters;
  if (c.errors() !== 0 || c.applied !== c.packets) throw new Error(`decoder reported errors: ${c.errors()}`);
  return Object.fromEntries(bench.tasks.map((t) => [t.name, (TOKENS * 1000) / t.result.period]));
}

/**
 * This build's decoder against the FeedDecoder of another build (`baselineDist`, a `dist/`
 * directory) on the same packets. Each measurement is a fresh child process (two decoders in
 * one process share JIT feedback and heap, which favoured whichever loaded first by ~10 % in
 * an A/A check), alternated build / baseline for `rounds`; resolves to rows with the best round
 * of each and ratio = this build / baseline.
 */
export async function runCompare({ baselineDist, quick = false, rounds = quick ? 3 : 6 } = {}) {
  const { execFileSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const self = fileURLToPath(import.meta.url);
  const thisDist = fileURLToPath(new URL('../dist/', import.meta.url));
  const measure = (dist) => JSON.parse(execFileSync(process.execPath, [self, `--decode-only=${dist}`, ...(quick ? ['--quick'] : [])], { encoding: 'utf8' }));
  const best = { 'this build': {}, baseline: {} };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [['this build', thisDist], ['baseline', baselineDist]] : [['baseline', baselineDist], ['this build', thisDist]];
    for (const [who, dist] of order) {
      for (const [name, v] of Object.entries(measure(dist))) best[who][name] = Math.max(best[who][name] ?? 0, v);
    }
  }
  return Object.keys(best['this build']).map((name) => {
    const a = best['this build'][name];
    const b = best.baseline[name];
    return { name, value: Math.round(a), baselineValue: Math.round(b), unit: 'packets/s', baseline: `FeedDecoder of ${baselineDist}`, ratio: a / b, rounds };
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const baselineArg = process.argv.find((a) => a.startsWith('--baseline-dist='));
  const onlyArg = process.argv.find((a) => a.startsWith('--decode-only='));
  if (onlyArg) {
    process.stdout.write(JSON.stringify(await decodeOnly(onlyArg.slice('--decode-only='.length), process.argv.includes('--quick'))));
    process.exit(0);
  }
  if (baselineArg) {
    const rows = await runCompare({ baselineDist: baselineArg.slice('--baseline-dist='.length), quick: process.argv.includes('--quick') });
    const os = await import('node:os');
    console.log(`feed decode, this build vs ${rows[0].baseline} (node ${process.version}, best of ${rows[0].rounds} alternated child processes each, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})`);
    console.table(rows.map((r) => ({ task: r.name, 'this build /s': r.value.toLocaleString('en-US'), 'baseline /s': r.baselineValue.toLocaleString('en-US'), 'this / baseline': r.ratio.toFixed(3) })));
    process.exit(0);
  }
  const rows = await run({ quick: process.argv.includes('--quick') });
  console.log(`feed decode (node ${process.version}, ${TOKENS} NSE_FNO tokens, Full packets)`);
  console.table(rows.map((r) => ({ task: r.name, [`per s`]: r.value.toLocaleString('en-US'), unit: r.unit, 'vs raw seqlock writes': `${(r.ratio * 100).toFixed(1)} %` })));
  const reads = await runFieldReads({ quick: process.argv.includes('--quick') });
  console.log('field reads (14 fields of a Full packet, no table writes)');
  console.table(reads.map((r) => ({ method: r.name, 'packets/s': r.value.toLocaleString('en-US') })));
}
