/**
 * The option analytics' figures (issue 13), each next to its baseline and its limit measured
 * in the same run:
 *
 * - IV + Greeks for one option (target ≤ 1 µs): solveOption over a mixed set of realistic
 *   options (moneyness within ±4 standard deviations, 1 hour to 1 year, 8 %–80 % vol, prices
 *   on the 0.05 tick), the per-option mean of a pass over the whole set, so branch predictors
 *   and caches see a real mix. Baseline: plain bisection on the Black-76 price to the same
 *   precision (bracket [1e-4, 10], stop at a relative width of 1e-15) plus the same Greeks.
 *   Limit: one Black-76 price evaluation plus the Greeks, the least any solver can do.
 * - Full sweep on one thread (target ≤ 30 ms): computeChainAnalytics over every chain of the
 *   universe from the synthetic detailed master (src/synthetic-master → parseMaster →
 *   buildSkeleton), at its `compact` size (~30k contracts) and its `real` size (~111k, the size
 *   of Dhan's real master). Limit: one Black-76 price per contract over the same inputs.
 *
 * Run: `npm run build && node bench/analytics.bench.mjs [--quick]`. Also exports `run()` for
 * bench/run.mjs: it resolves to rows `{ name, value, unit, baseline, limit, note }`.
 */
import { pathToFileURL } from 'node:url';

const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const A = await import(dist('analytics/index.js'));

const TRADING_DATE = '2026-08-17';
const RATE = 0.065;
const RULES = { maxSpreadAbs: 20, maxSpreadRel: 0.1 };

/** Mulberry32, so every run measures the same inputs. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** A mixed set of options with tick prices that have an IV. */
function optionSet(n) {
  const rnd = prng(13);
  const F = new Float64Array(n);
  const K = new Float64Array(n);
  const T = new Float64Array(n);
  const D = new Float64Array(n);
  const P = new Float64Array(n);
  const C = new Uint8Array(n);
  let i = 0;
  while (i < n) {
    const forward = [24_000, 52_000, 80_000, 1_500, 450][Math.floor(rnd() * 5)];
    const t = Math.exp(Math.log(1 / 8760) + rnd() * Math.log(8760));
    const vol = 0.08 + 0.72 * rnd();
    const strike = forward * Math.exp((rnd() * 8 - 4) * vol * Math.sqrt(t));
    const isCall = rnd() < 0.5;
    const df = Math.exp(-RATE * t);
    const price = Math.round(A.black76Price(forward, strike, t, df, vol, isCall) / 0.05) * 0.05;
    const scratch = new Float64Array(5);
    if (A.solveOption(price, forward, strike, t, df, isCall, scratch) !== 1) continue;
    F[i] = forward;
    K[i] = strike;
    T[i] = t;
    D[i] = df;
    P[i] = price;
    C[i] = isCall ? 1 : 0;
    i++;
  }
  return { n, F, K, T, D, P, C };
}

/** Plain bisection on the Black-76 price, to a relative width of 1e-15, then the Greeks. */
function bisectionSolve(price, forward, strike, t, df, isCall, out) {
  let lo = 1e-4;
  let hi = 10;
  while (hi - lo > 1e-15 * lo) {
    const mid = 0.5 * (lo + hi);
    if (A.black76Price(forward, strike, t, df, mid, isCall) < price) lo = mid;
    else hi = mid;
  }
  const sigma = 0.5 * (lo + hi);
  A.writeGreeks(forward, strike, t, df, isCall, sigma, price, out, 0);
  return sigma;
}

/** Mean ns per option of `fn` over the set; the median of `repeats` passes. */
function perOption(set, repeats, fn) {
  const out = new Float64Array(5);
  let sink = 0;
  const passes = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < set.n; i++) sink += fn(set.P[i], set.F[i], set.K[i], set.T[i], set.D[i], set.C[i] === 1, out);
    passes.push(Number(process.hrtime.bigint() - t0) / set.n);
  }
  if (!Number.isFinite(sink)) throw new Error('a solve returned a non-finite value');
  return median(passes);
}

/** The universe's chains as analytics inputs: strikes, quotes on the tick, OI, volume. */
async function universeChains(universe) {
  const { generateMaster } = await import(dist('synthetic-master/synthetic-master.js'));
  const { parseMaster } = await import(dist('master/parse-master.js'));
  const { buildSkeleton } = await import(dist('skeleton/build-skeleton.js'));
  const { istTime } = await import(dist('time/ist.js'));
  const skeleton = buildSkeleton(parseMaster(generateMaster(TRADING_DATE, { universe }).buffer).instruments, TRADING_DATE);
  const now = istTime(TRADING_DATE, 11, 0);
  const rnd = prng(7);
  const chains = [];
  let contracts = 0;
  for (const chain of skeleton.chains) {
    const n = chain.rows.length;
    if (n === 0) continue;
    const strikes = Float64Array.from(chain.rows, (r) => r.strike);
    const spot = strikes[n >> 1] * (1 + 0.01 * (rnd() - 0.5));
    const t = Math.max(A.yearsToExpiry(A.expiryCloseMs(chain.expiry), now), 1 / 8760);
    const df = Math.exp(-RATE * t);
    const forward = spot / df;
    const atmVol = 0.12 + 0.3 * rnd();
    const quotes = new Float64Array(2 * n * A.QUOTE_WORDS).fill(Number.NaN);
    for (let i = 0; i < n; i++) {
      const row = chain.rows[i];
      for (const [side, isCall] of [[row.ce, true], [row.pe, false]]) {
        if (side === null) continue;
        contracts++;
        const q = (2 * i + (isCall ? 0 : 1)) * A.QUOTE_WORDS;
        const k = Math.log(strikes[i] / forward) / (atmVol * Math.sqrt(t));
        const vol = atmVol * (1 - 0.07 * Math.max(-5, Math.min(5, k)) + 0.03 * Math.min(25, k * k));
        const model = A.black76Price(forward, strikes[i], t, df, vol, isCall);
        const half = Math.max(0.05, 0.004 * model);
        quotes[q + A.Q.BID] = Math.max(0, Math.floor((model - half) / 0.05) * 0.05);
        quotes[q + A.Q.ASK] = Math.ceil((model + half) / 0.05) * 0.05;
        quotes[q + A.Q.LTP] = Math.max(0.05, Math.round(model / 0.05) * 0.05);
        quotes[q + A.Q.OI] = Math.floor(rnd() * 1e6);
        quotes[q + A.Q.PREV_OI] = Math.floor(rnd() * 1e6);
        quotes[q + A.Q.VOLUME] = Math.floor(rnd() * 1e7);
      }
    }
    chains.push({ input: { strikes, spot, t, rate: RATE, rules: RULES }, quotes, legs: new Float64Array(2 * n * A.LEG_WORDS), chain: new Float64Array(A.CHAIN_WORDS), forward, df, contracts: chain.contracts });
  }
  return { chains, contracts };
}

/** Median ms of `repeats` sweeps of `fn` over every chain. */
function sweep(chains, repeats, fn) {
  const times = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    for (const ch of chains) fn(ch);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(times);
}

/** One Black-76 price per leg (the floor of a sweep). */
function priceOnly(ch) {
  const { strikes, t } = ch.input;
  let s = 0;
  for (let i = 0; i < strikes.length; i++) s += A.black76Price(ch.forward, strikes[i], t, ch.df, 0.2, true) + A.black76Price(ch.forward, strikes[i], t, ch.df, 0.2, false);
  ch.chain[0] = s;
}

const analyse = (ch) => A.computeChainAnalytics(ch.input, ch.quotes, ch.legs, ch.chain);

/** The rows; `quick` shrinks the sets and repeats to a smoke run. */
export async function run({ quick = false } = {}) {
  const set = optionSet(quick ? 2_000 : 20_000);
  const repeats = quick ? 3 : 9;
  // Warm-up passes let V8 optimise each path before it is timed.
  perOption(set, 2, A.solveOption);
  perOption(set, 1, bisectionSolve);
  const priceAndGreeks = (price, forward, strike, t, df, isCall, out) => {
    const v = A.black76Price(forward, strike, t, df, 0.2, isCall);
    A.writeGreeks(forward, strike, t, df, isCall, 0.2, v, out, 0);
    return v;
  };
  perOption(set, 2, priceAndGreeks);
  const solve = perOption(set, repeats, A.solveOption);
  const bisect = perOption(set, Math.max(3, repeats >> 1), bisectionSolve);
  const floor = perOption(set, repeats, priceAndGreeks);

  const sweeps = [];
  for (const universe of ['compact', 'real']) {
    const { chains, contracts } = await universeChains(universe);
    sweep(chains, 2, analyse);
    sweep(chains, 2, priceOnly);
    const value = sweep(chains, repeats, analyse);
    const floorValue = sweep(chains, repeats, priceOnly);
    let solved = 0;
    for (const ch of chains) for (let leg = 0; leg < ch.legs.length / A.LEG_WORDS; leg++) if (ch.legs[leg * A.LEG_WORDS + A.L.CODE] > 0) solved++;
    sweeps.push({ name: `full sweep, ${universe} synthetic universe (${contracts.toLocaleString('en-US')} contracts, ${chains.length} chains)`, value, unit: 'ms', target: 30, limit: { label: 'one Black-76 price per contract', value: floorValue }, note: `${solved.toLocaleString('en-US')} legs with an IV; forward, aggregates included; one thread` });
  }

  return {
    rows: [
      { name: 'IV + Greeks, one option', value: solve / 1000, unit: 'µs', target: 1, baseline: { label: 'plain bisection to 1e-15 + Greeks', value: bisect / 1000 }, limit: { label: 'one Black-76 price + Greeks', value: floor / 1000 }, note: `mean over ${set.n.toLocaleString('en-US')} mixed options` },
      ...sweeps,
    ],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { loadavg } = await import('node:os');
  const l0 = loadavg()[0];
  const { rows } = await run({ quick: process.argv.includes('--quick') });
  console.log(`analytics (node ${process.version}; load average ${l0.toFixed(2)} → ${loadavg()[0].toFixed(2)})`);
  console.table(rows.map((r) => ({
    figure: r.name,
    value: `${r.value.toFixed(r.unit === 'µs' ? 3 : 2)} ${r.unit}`,
    target: `≤ ${r.target} ${r.unit} ${r.value <= r.target ? 'met' : 'MISSED'}`,
    baseline: r.baseline ? `${r.baseline.value.toFixed(3)} ${r.unit} (${r.baseline.label}), ${(r.baseline.value / r.value).toFixed(1)}× slower` : '',
    limit: `${r.limit.value.toFixed(3)} ${r.unit} (${r.limit.label}), ratio ${(r.value / r.limit.value).toFixed(2)}`,
    note: r.note,
  })));
}
