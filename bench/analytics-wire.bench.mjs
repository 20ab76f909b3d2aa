/**
 * Issue 13 figures for the analytics wiring (bench/RESULTS.md), one process, one run:
 *
 * 1. tick → Greeks visible in a chain response, at the simulator's normal rate: the real
 *    server (startApp from dist/, sim mode, whole universe, analytics worker on) is polled over
 *    HTTP for the nearest NIFTY chain; each new price generation is stamped with the newest
 *    server receive time (`updatedAt`) in that response, and its latency ends at the first
 *    response whose `analytics.priceGeneration` has reached it. Polling adds up to one round
 *    trip, so this is an upper bound. Limit: the poll's own round trip (same run).
 * 2. The analytics worker's CPU: its busy share (time inside passes / wall time, from /health
 *    threads.analytics) at the normal rate and at ×10 (the simulator's setRate fault).
 * 3. Chain throughput with and without analytics: the simulator frozen (rate → ~0), the same
 *    market served through a ChainCache with the analytics table (on) and without it (off =
 *    the build before issue 13 apart from oiChange), cached (`get` on an unchanged generation:
 *    the servedAt patch path) and uncached (a fresh encode per call), JSON and FlatBuffers;
 *    rounds alternated, best kept. Limit for cached: copying the same bytes.
 *
 * Usage: node bench/analytics-wire.bench.mjs [--seconds 15]   (npm run build first)
 */
import pino from 'pino';
import { startApp } from '../dist/app.js';
import { loadConfig } from '../dist/config/config.js';
import { ChainCache } from '../dist/chain/chain-cache.js';
import { JsonChainEncoder } from '../dist/chain/json-chain-encoder.js';
import { FlatbuffersChainEncoder } from '../dist/chain/flatbuffers-chain-encoder.js';
import { Market } from '../dist/chain/market.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const argSeconds = process.argv.indexOf('--seconds');
const SECONDS = argSeconds > 0 ? Number(process.argv[argSeconds + 1]) : 15;
const pct = (xs, p) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const load0 = loadavg().map((x) => x.toFixed(2)).join(' ');

const dir = mkdtempSync(join(tmpdir(), 'optchain-aw-bench-'));
const config = loadConfig({ OPTCHAIN_PORT: '0', OPTCHAIN_SIM_PORT: '0', OPTCHAIN_DATA_DIR: dir, OPTCHAIN_LOG_LEVEL: 'silent' });
const app = await startApp(config, pino({ level: 'silent' }));
const url = `${app.url}/v1/chains/NIFTY`;
const health = async () => (await (await fetch(`${app.url}/health`)).json());

// Warm-up: the feed delivers the universe and the worker's first passes run.
for (let i = 0; i < 60; i++) {
  const h = await health();
  if (h.status === 'ok' && h.threads?.analytics?.passes > 5) break;
  await sleep(500);
}
await sleep(2000);

// 1. tick → Greeks visible
const pending = [];
const lat = [];
const rtt = [];
let lastPg = -1;
const end1 = Date.now() + SECONDS * 1000;
while (Date.now() < end1) {
  const t0 = performance.now();
  const c = await (await fetch(url)).json();
  const now = Date.now();
  rtt.push(performance.now() - t0);
  const a = c.analytics;
  const pg = c.generation - a.generation;
  if (pg > lastPg) {
    let newest = c.spot?.updatedAt ?? 0;
    for (const r of c.rows) for (const l of [r.ce, r.pe]) if (l && l.updatedAt > newest) newest = l.updatedAt;
    if (lastPg >= 0) pending.push({ pg, t: newest });
    lastPg = pg;
  }
  while (pending.length > 0 && a.priceGeneration >= pending[0].pg) lat.push(now - pending.shift().t);
}

// 2. worker CPU at ×1 and ×10
async function busyOver(ms) {
  const samples = [];
  const pps = [];
  const endAt = Date.now() + ms;
  while (Date.now() < endAt) {
    await sleep(1000);
    const h = await health();
    samples.push(h.threads.analytics.busy);
    pps.push(h.feed.packetsPerSec ?? 0);
  }
  const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return { busy: mean(samples.slice(1)), pps: mean(pps.slice(1)), chainsPerSec: (await health()).threads.analytics.chainsPerSec };
}
const cpu1 = await busyOver(8000);
await app.sim.faults.setRate(10);
await sleep(2000);
const cpu10 = await busyOver(8000);

// 3. throughput on/off, frozen market
await app.sim.faults.setRate(0.0001);
await sleep(3000);
const on = app.server.market;
const off = new Market(on.skeleton, on.table, on.index, null);
const chain = on.skeleton.chains.find((c) => c.symbol === 'NIFTY');
const encoders = () => ({ json: new JsonChainEncoder(), flatbuffers: new FlatbuffersChainEncoder() });
function rate(fn, ms = 1000) {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
  }
  return (n * 1000) / (performance.now() - t0);
}
const best = {};
let tick = 1786000000000;
for (let round = 0; round < 3; round++) {
  for (const [name, m] of [['on', on], ['off', off]]) {
    for (const fmt of ['json', 'flatbuffers']) {
      const cache = new ChainCache(m, encoders(), { now: () => ++tick });
      const cached = rate(() => cache.get(chain, fmt));
      const enc = encoders()[fmt];
      let reuse;
      const uncached = rate(() => (reuse = enc.encode(m, chain, m.generation(chain.index), ++tick, reuse?.bytes)), 1000);
      const bytes = cache.get(chain, fmt).bytes;
      const dst = new Uint8Array(bytes.length);
      const copy = rate(() => dst.set(bytes));
      for (const [k, v] of [[`${name} ${fmt} cached`, cached], [`${name} ${fmt} uncached`, uncached], [`${name} ${fmt} copy`, copy], [`${name} ${fmt} bytes`, bytes.length]]) best[k] = Math.max(best[k] ?? 0, v);
    }
  }
}
await app.close();
rmSync(dir, { recursive: true, force: true });

const f = (x, d = 0) => Number(x).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const lines = [
  `## ${new Date().toISOString()} — issue 13 analytics wiring (\`node bench/analytics-wire.bench.mjs --seconds ${SECONDS}\`)`,
  '',
  `- Node ${process.version}; universe ${on.skeleton.totals.contracts} contracts, ${on.skeleton.chains.length} chains; NIFTY ${chain.expiry} ${chain.rows.length} rows`,
  `- load average at start ${load0}, at end ${loadavg().map((x) => x.toFixed(2)).join(' ')} (2 CPUs shared with other engineers: read the ratios)`,
  '',
  '| figure | value | baseline / limit (same run) |',
  '| --- | --- | --- |',
  `| tick → Greeks visible in a chain response (sim ×1, ${lat.length} generations) | p50 ${f(pct(lat, 50), 1)} ms, p99 ${f(pct(lat, 99), 1)} ms | poll round trip p50 ${f(pct(rtt, 50), 1)} ms, p99 ${f(pct(rtt, 99), 1)} ms (target p99 ≤ 20 ms) |`,
  `| analytics worker busy share, sim ×1 (${f(cpu1.pps)} packets/s) | ${f(100 * cpu1.busy, 1)} % of one core, ${f(cpu1.chainsPerSec)} chains/s | — |`,
  `| analytics worker busy share, sim ×10 (${f(cpu10.pps)} packets/s) | ${f(100 * cpu10.busy, 1)} % of one core, ${f(cpu10.chainsPerSec)} chains/s | — |`,
];
for (const fmt of ['json', 'flatbuffers']) {
  lines.push(`| ${fmt} cached chain, analytics on / off | ${f(best[`on ${fmt} cached`])} / ${f(best[`off ${fmt} cached`])} per s = ${f(best[`on ${fmt} cached`] / best[`off ${fmt} cached`], 2)} | copy of the same bytes ${f(best[`on ${fmt} copy`])} per s (${f(best[`on ${fmt} bytes`])} vs ${f(best[`off ${fmt} bytes`])} bytes) |`);
  lines.push(`| ${fmt} uncached chain (full encode), analytics on / off | ${f(best[`on ${fmt} uncached`])} / ${f(best[`off ${fmt} uncached`])} per s = ${f(best[`on ${fmt} uncached`] / best[`off ${fmt} uncached`], 2)} | — |`);
}
console.log(lines.join('\n'));
process.exit(0);
