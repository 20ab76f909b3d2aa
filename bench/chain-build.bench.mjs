/**
 * Chain build time (docs/contract.md §7 rows "chain build µs (JSON, FlatBuffers)") and the
 * whole-universe snapshot build, each next to its baseline and its limit measured in the same
 * run:
 *
 * - a ~250-row chain (NIFTY-like, every field delivered) from a full price table of a
 *   synthetic ~33k-contract, ~700-chain universe, encoded as JSON and as FlatBuffers
 *   (targets: FlatBuffers <= 30 µs, JSON <= 120 µs);
 * - baseline: the naive path, plain objects read from the table + `JSON.stringify` + UTF-8
 *   bytes (and, for reference, `JSON.stringify` of prebuilt objects alone);
 * - limit: a raw copy of the same bytes (into a preallocated Buffer), and the cache hit path (ChainCache.get at an unchanged generation: servedAt patched in place);
 * - the common uncached case: a JSON rebuild after 5 ticks on the chain, through the JSON
 *   encoder's leg cache (the tick writes alone are timed too, to subtract);
 * - the whole-universe snapshot in one FlatBuffers message (target <= 15 ms), with the raw
 *   copy of its bytes as the limit.
 *
 * Run: `npm run build && node bench/chain-build.bench.mjs [--quick]`. Also exports `run()`
 * for a suite runner: it resolves to rows `{ name, value, unit, baseline, ratio }`.
 */
import { Bench } from 'tinybench';
import { pathToFileURL } from 'node:url';
import { PriceTable } from '../dist/price-table/price-table.js';
import { FIELD_NAMES, SLOT_WORDS } from '../dist/price-table/layout.js';
import { Market } from '../dist/chain/market.js';
import { JsonChainEncoder } from '../dist/chain/json-chain-encoder.js';
import { FlatbuffersChainEncoder } from '../dist/chain/flatbuffers-chain-encoder.js';
import { SnapshotEncoder } from '../dist/chain/snapshot-encoder.js';
import { ChainCache } from '../dist/chain/chain-cache.js';
import { decodeSnapshot } from '../dist/client/decode.js';

const TRADING_DATE = '2026-08-17';
const NOW = 1786000000000;

/**
 * A synthetic skeleton shaped like the real universe (docs/market-structure.md): 3 indices with
 * 5-6 chains of 150-250 strikes, 228 stocks with 3 chains of 20 strikes, every 13th strike
 * without a PE. Same slot order as src/skeleton/build-skeleton.ts.
 */
export function syntheticSkeleton() {
  const tokens = [];
  const chainsOfSlot = [];
  const underlyings = [];
  const chains = [];
  let contracts = 0;
  let nextId = 30000;
  const add = (segment, securityId, kind, underlyingIndex) => {
    const slot = tokens.length;
    tokens.push({ slot, segment, securityId, kind, underlyingIndex });
    chainsOfSlot.push([]);
    return slot;
  };
  const expiries = ['2026-08-18', '2026-08-25', '2026-09-01', '2026-09-29', '2026-12-29', '2027-03-30'];
  const specs = [
    { symbol: 'NIFTY', exchange: 'NSE', kind: 'index', spot: ['IDX_I', 13], chains: 6, strikes: [250, 200, 180, 160, 120, 100], step: 50, base: 18000, lot: 75 },
    { symbol: 'BANKNIFTY', exchange: 'NSE', kind: 'index', spot: ['IDX_I', 25], chains: 5, strikes: [150, 150, 150, 120, 100], step: 100, base: 45000, lot: 35 },
    { symbol: 'SENSEX', exchange: 'BSE', kind: 'index', spot: ['IDX_I', 51], chains: 6, strikes: [200, 200, 180, 160, 120, 100], step: 100, base: 70000, lot: 20 },
  ];
  for (let i = 0; i < 228; i++) {
    specs.push({ symbol: `STOCK${String(i).padStart(3, '0')}`, exchange: i % 10 === 9 ? 'BSE' : 'NSE', kind: 'stock', spot: [i % 10 === 9 ? 'BSE_EQ' : 'NSE_EQ', 1000 + i], chains: 3, strikes: [20, 20, 20], step: 10, base: 500 + i, lot: 500 });
  }
  for (const s of specs) {
    const underlyingIndex = underlyings.length;
    const optionSegment = s.exchange === 'NSE' ? 'NSE_FNO' : 'BSE_FNO';
    const spot = { segment: s.spot[0], securityId: s.spot[1], slot: add(s.spot[0], s.spot[1], 'spot', underlyingIndex) };
    const own = [];
    for (let e = 0; e < s.chains; e++) {
      const expiry = s.kind === 'index' ? expiries[e] : expiries[e + 1 + (e === 2 ? 1 : 0)];
      const index = chains.length + own.length;
      const rows = [];
      let n = 0;
      for (let k = 0; k < s.strikes[e]; k++) {
        const strike = s.base + k * s.step;
        const mk = (side) => {
          n++;
          const securityId = nextId++;
          return { slot: add(optionSegment, securityId, 'option', underlyingIndex), segment: optionSegment, securityId, tradingSymbol: `${s.symbol}-${expiry}-${strike}-${side}`, displayName: `${s.symbol} ${strike} ${side}`, side, strike, expiry, lotSize: s.lot, tickSize: 0.05, freezeQty: 0, upperLimit: 0, lowerLimit: 0, chainIndex: index, underlyingIndex };
        };
        const ce = mk('CE');
        const pe = k % 13 === 12 ? null : mk('PE');
        rows.push({ strike, ce, pe });
        chainsOfSlot[ce.slot].push(index);
        if (pe) chainsOfSlot[pe.slot].push(index);
      }
      own.push({ index, underlyingIndex, symbol: s.symbol, exchange: s.exchange, expiry, tags: e === 0 && s.kind === 'index' ? ['weekly'] : ['monthly'], rows, contracts: n });
      chainsOfSlot[spot.slot].push(index);
      contracts += n;
    }
    chains.push(...own);
    underlyings.push({ index: underlyingIndex, symbol: s.symbol, exchange: s.exchange, kind: s.kind, optionSegment, spot, chains: own });
  }
  return {
    tradingDate: TRADING_DATE, underlyings, chains, tokens, slotCount: tokens.length,
    totals: { underlyings: underlyings.length, chains: chains.length, contracts, spots: underlyings.length },
    chainsOfSlot, fingerprint: 'synthetic', warnings: [],
  };
}

/** Every field of every slot delivered, with float32 prices as Dhan sends them. */
export function fillTable(skeleton, table) {
  const f = Math.fround;
  for (let s = 0; s < skeleton.slotCount; s++) {
    const p = 5 + ((s * 7919) % 40000) / 20;
    table.beginWrite(s);
    const w = s * SLOT_WORDS;
    const v = [f(p), f(p - 0.05), f(p + 0.1), 1625 + (s % 977), 1365 + (s % 331), 117567970 + s, 3786445 + s, f(p * 1.1), 1786000000 + (s % 3600), NOW + (s % 100000), f(p), f(p + 3), f(p - 3), f(p + 0.02), 3700000];
    for (let i = 0; i < v.length; i++) table.f64[w + 1 + i] = v[i];
    table.endWrite(s);
    for (const c of skeleton.chainsOfSlot[s]) table.bumpGeneration(c);
  }
}

/** The naive path: read slots into plain objects and JSON.stringify them (the baseline). */
function naiveObjects(market, chain, generation, servedAt) {
  const t = market.table;
  const scratch = new Float64Array(FIELD_NAMES.length);
  const price = (x) => (Number.isNaN(x) ? null : Math.round(x * 100) / 100);
  const int = (x) => (Number.isNaN(x) ? null : Math.round(x));
  const leg = (c) => {
    if (!c) return null;
    t.readSlot(c.slot, scratch, 0);
    return {
      securityId: c.securityId, lotSize: c.lotSize, ltp: price(scratch[0]), bid: price(scratch[1]), ask: price(scratch[2]), bidQty: int(scratch[3]), askQty: int(scratch[4]),
      volume: int(scratch[5]), oi: int(scratch[6]), prevClose: price(scratch[7]), ltt: int(scratch[8]), updatedAt: int(scratch[9]),
      // OI change against the previous session's close (slot field prevOi); the Greeks are off here: no analytics table.
      oiChange: int(scratch[6] - scratch[14]), ...ANALYTICS_OFF,
    };
  };
  const u = market.skeleton.underlyings[chain.underlyingIndex];
  t.readSlot(u.spot.slot, scratch, 0);
  return {
    symbol: chain.symbol, exchange: chain.exchange, expiry: chain.expiry, tags: chain.tags, tradingDate: market.skeleton.tradingDate, generation, servedAt,
    spot: { securityId: u.spot.securityId, segment: u.spot.segment, ltp: price(scratch[0]), updatedAt: int(scratch[9]) },
    analytics: null,
    rows: chain.rows.map((r) => ({ strike: r.strike, ce: leg(r.ce), pe: leg(r.pe) })),
  };
}

/** A leg's analytics keys when the market has no analytics table (OPTCHAIN_ANALYTICS=off). */
const ANALYTICS_OFF = Object.freeze({ iv: null, delta: null, gamma: null, theta: null, vega: null, ivPrice: null, ivFrom: null, ivNullReason: 'off' });

const enc = new TextEncoder();
let sink = 0;

/** Row names of {@link run}'s result (bench/run.mjs picks its rows by them). */
export const T = {
  json: 'chain JSON, full build (byte encoder, reused buffer)',
  jsonTicks: 'chain JSON, rebuild after 5 ticks (leg cache)',
  ticksOnly: 'reference: the 5 tick writes alone',
  fb: 'chain FlatBuffers (row structs, reused buffer)',
  jsonFresh: 'chain JSON, fresh buffer per build',
  fbFresh: 'chain FlatBuffers, fresh buffer per build',
  naive: 'baseline: objects + JSON.stringify + UTF-8',
  stringify: 'reference: JSON.stringify of prebuilt objects',
  copyJson: 'limit: raw copy of the same JSON bytes',
  copyFb: 'limit: raw copy of the same FlatBuffers bytes',
  hitJson: 'cache hit JSON (servedAt patched)',
  hitFb: 'cache hit FlatBuffers (servedAt patched)',
  snap: 'snapshot: whole universe, FlatBuffers',
  copySnap: 'limit: raw copy of the same snapshot bytes',
};

/**
 * Runs the benchmark; resolves to result rows. `bench` overrides tinybench options (e.g.
 * `{ time: 50, iterations: 8 }` for bench/run.mjs's smoke run).
 */
export async function run({ quick = false, bench: override = {} } = {}) {
  const skeleton = syntheticSkeleton();
  const table = PriceTable.allocate(skeleton.slotCount, skeleton.chains.length);
  fillTable(skeleton, table);
  const market = new Market(skeleton, table);
  const chain = skeleton.chains[0]; // NIFTY weekly, 250 rows
  const gen = table.generation(chain.index);
  // Full builds re-read and re-print every leg; the leg cache would turn a rebuild of an
  // unchanged chain into copies, so it is off for the "full build" rows.
  const json = new JsonChainEncoder({ legCache: false });
  const jsonLegs = new JsonChainEncoder();
  const fb = new FlatbuffersChainEncoder();
  const snapshot = new SnapshotEncoder();
  const jsonBody = json.encode(market, chain, gen, NOW).bytes;
  const fbBody = fb.encode(market, chain, gen, NOW).bytes;
  const prebuilt = naiveObjects(market, chain, gen, NOW);
  // Same content check before timing: the fast path must say what the naive path says.
  if (new TextDecoder().decode(jsonBody) !== JSON.stringify(prebuilt)) throw new Error('JSON encoder output differs from the naive JSON.stringify');
  const snapBytes = snapshot.encode(market, skeleton.chains, NOW).slice();
  if (decodeSnapshot(snapBytes).chains.length !== skeleton.chains.length) throw new Error('snapshot lost chains');

  // The limits copy into preallocated Buffers, as the encoders write into reused memory: a
  // fresh allocation per copy would time page faults, not the copy.
  const copyJsonTo = Buffer.alloc(jsonBody.length);
  const copyFbTo = Buffer.alloc(fbBody.length);
  const copySnapTo = Buffer.alloc(snapBytes.length);
  const time = quick ? 300 : 2000;
  let jsonReuse = json.encode(market, chain, gen, NOW);
  let jsonLegsReuse = jsonLegs.encode(market, chain, gen, NOW);
  const chainSlots = chain.rows.flatMap((r) => (r.pe ? [r.ce.slot, r.pe.slot] : [r.ce.slot]));
  let tickNo = 0;
  const tick5 = () => {
    for (let k = 0; k < 5; k++) {
      const slot = chainSlots[(tickNo++ * 7919) % chainSlots.length];
      table.beginWrite(slot);
      table.f64[slot * SLOT_WORDS + 1] = Math.fround(100 + (tickNo % 1000) / 20);
      table.f64[slot * SLOT_WORDS + 10] = NOW + tickNo;
      table.endWrite(slot);
      table.bumpGeneration(chain.index);
    }
  };
  let fbReuse = fb.encode(market, chain, gen, NOW);
  let clock = NOW;
  const cache = new ChainCache(market, { json, flatbuffers: fb }, { now: () => ++clock });
  const chainBench = new Bench({ time, warmup: true, warmupTime: quick ? 100 : 500, ...override });
  chainBench
    .add(T.json, () => { jsonReuse = json.encode(market, chain, gen, NOW, jsonReuse.bytes); sink += jsonReuse.bytes.length; })
    .add(T.jsonTicks, () => { tick5(); jsonLegsReuse = jsonLegs.encode(market, chain, gen, NOW, jsonLegsReuse.bytes); sink += jsonLegsReuse.bytes.length; })
    .add(T.ticksOnly, () => { tick5(); sink += 1; })
    .add(T.fb, () => { fbReuse = fb.encode(market, chain, gen, NOW, fbReuse.bytes); sink += fbReuse.bytes.length; })
    .add(T.jsonFresh, () => { sink += json.encode(market, chain, gen, NOW).bytes.length; })
    .add(T.fbFresh, () => { sink += fb.encode(market, chain, gen, NOW).bytes.length; })
    .add(T.naive, () => { sink += enc.encode(JSON.stringify(naiveObjects(market, chain, gen, NOW))).length; })
    .add(T.stringify, () => { sink += JSON.stringify(prebuilt).length; })
    .add(T.copyJson, () => { sink += copyJsonTo.set(jsonBody) ?? jsonBody.length; })
    .add(T.copyFb, () => { sink += copyFbTo.set(fbBody) ?? fbBody.length; })
    .add(T.hitJson, () => { sink += cache.get(chain, 'json').bytes.length; })
    .add(T.hitFb, () => { sink += cache.get(chain, 'flatbuffers').bytes.length; });
  await chainBench.run();

  const snapBench = new Bench({ time: quick ? 500 : 3000, warmup: true, warmupTime: quick ? 200 : 1000, ...override });
  snapBench
    .add(T.snap, () => { sink += snapshot.encode(market, skeleton.chains, NOW).length; })
    .add(T.copySnap, () => { sink += copySnapTo.set(snapBytes) ?? snapBytes.length; });
  await snapBench.run();

  // Medians head the table: on a shared 2-core box a descheduled sample inflates the mean.
  const st = {};
  for (const task of [...chainBench.tasks, ...snapBench.tasks]) {
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state} ${r.error ?? ''}`);
    st[task.name] = { p50: r.latency.p50 * 1000, mean: r.period * 1000, p99: r.latency.p99 * 1000 };
  }
  const rows = [];
  const push = (name, bytes, against, baseline, target) =>
    rows.push({ name, value: st[name].p50, mean: st[name].mean, p99: st[name].p99, unit: 'µs', bytes, baseline, ratio: st[name].p50 / st[against].p50, target });
  push(T.json, jsonBody.length, T.naive, 'naive JSON.stringify', 120);
  push(T.jsonTicks, jsonBody.length, T.json, 'JSON full build');
  push(T.ticksOnly, 0, T.jsonTicks, 'rebuild after 5 ticks');
  push(T.fb, fbBody.length, T.naive, 'naive JSON.stringify', 30);
  push(T.jsonFresh, jsonBody.length, T.json, 'reused buffer');
  push(T.fbFresh, fbBody.length, T.fb, 'reused buffer');
  push(T.naive, jsonBody.length, T.naive, 'naive JSON.stringify');
  push(T.stringify, jsonBody.length, T.naive, 'naive JSON.stringify');
  push(T.copyJson, jsonBody.length, T.json, 'JSON build');
  push(T.copyFb, fbBody.length, T.fb, 'FlatBuffers build');
  push(T.hitJson, jsonBody.length, T.json, 'JSON build');
  push(T.hitFb, fbBody.length, T.fb, 'FlatBuffers build');
  push(T.snap, snapBytes.length, T.copySnap, 'raw copy', 15000);
  push(T.copySnap, snapBytes.length, T.snap, 'snapshot build');
  if (sink === 0) throw new Error('nothing was built');
  return { rows, universe: { ...skeleton.totals, slots: skeleton.slotCount, chainRows: chain.rows.length } };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { rows, universe } = await run({ quick: process.argv.includes('--quick') });
  console.log(`chain build (node ${process.version}; universe ${universe.underlyings} underlyings, ${universe.chains} chains, ${universe.contracts} contracts; chain of ${universe.chainRows} rows)`);
  const f = (x) => (x >= 1000 ? x.toFixed(0) : x.toFixed(1));
  console.table(rows.map((r) => ({
    task: r.name,
    'median µs': f(r.value),
    'mean µs': f(r.mean),
    'p99 µs': f(r.p99),
    bytes: r.bytes.toLocaleString('en-US'),
    vs: `${r.ratio.toFixed(2)}× ${r.baseline}`,
    target: r.target ? `<= ${r.target} µs ${r.value <= r.target ? 'met' : 'MISSED'}` : '',
  })));
}
