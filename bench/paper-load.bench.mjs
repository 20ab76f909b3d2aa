/**
 * Paper trading under abuse (issue 15 items 2–3), each figure as a ratio to its quiet value
 * from the same run, and optionally the same load against a previous build (`--before DIR`,
 * a compiled `dist/` of the older commit, or several comma-separated) so before/after come from
 * one run on one machine:
 *
 * - **order flood**: chain p99 (wrk on the NIFTY near chain) while one user floods orders that
 *   are refused (non-marketable LIMIT legs, a new clientOrderId each), vs the quiet chain p99
 *   — the target is ≤ 2×; with the flood's answers by status (429 = the per-user rate limit);
 * - **main-thread time per order**: event-loop active time of the HTTP thread per filled order
 *   (sequential orders, the quiet loop's own activity subtracted) — the fsync a synchronous
 *   commit costs shows up here, a commit in the writer thread does not;
 * - **cross-user queueing**: user B's order latency (each order a new position set, so a Dhan
 *   margin call) while user A floods `/v1/margin` with distinct baskets, vs B's quiet latency
 *   — margin calls share Dhan's 10/s budget, fair queuing keeps B's wait near one slot. Two
 *   clients: closed-loop (the next order as soon as the last is answered: it asks for more than
 *   half the budget, so its fair share bounds it) and paced (`--pace` ms between orders, as a
 *   user placing orders rather than a script): the fair queue's held-back token is for the latter.
 *
 * Usage: `node bench/paper-load.bench.mjs [--before DIR] [--seconds N] [--orders N] [--pace MS] [--json FILE] [--prof DIR]`
 * (needs `npm run build` and wrk on PATH). Prints one JSON line per build and a table.
 * `--prof DIR` writes a V8 CPU profile of each server process there (`--cpu-prof`), to see
 * where the HTTP thread's time goes under the flood (bench/profile-summary.mjs reads it).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { runWrk, sleep, spawnReady, stopChild, which } from './bench-util.mjs';

const { values: opt } = parseArgs({
  options: {
    before: { type: 'string' },
    after: { type: 'string', default: new URL('../dist', import.meta.url).pathname },
    seconds: { type: 'string', default: '5' },
    orders: { type: 'string', default: '30' },
    pace: { type: 'string', default: '700' },
    json: { type: 'string' },
    prof: { type: 'string' },
  },
});
const seconds = Number(opt.seconds);
const ORDERS = Number(opt.orders);
const PACE_MS = Number(opt.pace);
const FLOOD_CONNECTIONS = 32;

const pct = (xs, p) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** One keep-alive pool per user, so a flood cannot share sockets with the user it is measured against. */
function client(base, key, connections) {
  const pool = new Pool(base, { connections, pipelining: 1, headersTimeout: 60_000, bodyTimeout: 60_000 });
  return {
    async post(path, body) {
      const t0 = performance.now();
      const res = await pool.request({ path, method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await res.body.text();
      return { status: res.statusCode, ms: performance.now() - t0, text };
    },
    async getJson(path) {
      const res = await pool.request({ path, method: 'GET' });
      return JSON.parse(await res.body.text());
    },
    close: () => pool.close(),
  };
}

/** Runs `make()` on `n` loops until stop() resolves; counts answers by status. */
function flood(n, make) {
  const byStatus = {};
  let stopped = false;
  let sent = 0;
  const loops = Array.from({ length: n }, async () => {
    while (!stopped) {
      const i = sent++;
      try {
        const r = await make(i);
        byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
      } catch {
        byStatus.error = (byStatus.error ?? 0) + 1;
      }
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return byStatus;
    },
  };
}

async function measure(label, dist) {
  const { child, ready } = await spawnReady(new URL('./paper-target.mjs', import.meta.url).pathname, ['--dist', dist], {
    timeoutMs: 180_000,
    nodeArgs: opt.prof ? ['--cpu-prof', '--cpu-prof-dir', opt.prof, '--cpu-prof-name', `paper-${label}.cpuprofile`] : [],
  });
  const base = `http://127.0.0.1:${ready.port}`;
  const chainUrl = `${base}/v1/chains/NIFTY?expiry=${ready.expiry}`;
  const legs = ready.legs;
  const floodC = client(base, ready.keys.flood, FLOOD_CONNECTIONS);
  const aC = client(base, ready.keys.a, FLOOD_CONNECTIONS);
  const bC = client(base, ready.keys.b, 1);
  const cC = client(base, ready.keys.c, 1);
  const out = { label, dist };
  try {
    // ── quiet chain, then chain under one user's refused-order flood ──────────────────────
    await runWrk(chainUrl, { seconds: 1, connections: 10, cpus: null });
    const quiet = await runWrk(chainUrl, { seconds, connections: 10, cpus: null });
    const f = flood(FLOOD_CONNECTIONS, (i) => {
      const l = legs[i % legs.length];
      return floodC.post('/v1/paper/orders', { clientOrderId: `flood-${i}`, legs: [{ ...l, side: 'BUY', lots: 1, type: 'LIMIT', limitPrice: 50 }] });
    });
    await sleep(500);
    const loaded = await runWrk(chainUrl, { seconds, connections: 10, cpus: null });
    const floodStatus = await f.stop();
    out.chain = { quietP99: quiet.p99, quietRps: quiet.rps, floodP99: loaded.p99, floodRps: loaded.rps, p99Ratio: loaded.p99 / quiet.p99, floodAnswers: floodStatus };

    // ── main-thread time per filled order ───────────────────────────────────────────────
    const elu = () => bC.getJson('/bench/elu');
    const idle0 = await elu();
    await sleep(2000);
    const idle1 = await elu();
    const idleRate = (idle1.active - idle0.active) / (idle1.idle + idle1.active - idle0.idle - idle0.active);
    const quietLat = [];
    const e0 = await elu();
    for (let i = 0; i < ORDERS; i++) {
      const r = await bC.post('/v1/paper/orders', { clientOrderId: `b-${i}`, legs: [{ ...legs[i % legs.length], side: 'BUY', lots: 1, type: 'MARKET' }] });
      if (r.status !== 201) throw new Error(`quiet order ${i}: ${r.status} ${r.text.slice(0, 200)}`);
      quietLat.push(r.ms);
    }
    const e1 = await elu();
    const wall = e1.idle + e1.active - e0.idle - e0.active;
    out.mainThreadMsPerOrder = Math.max(0, e1.active - e0.active - idleRate * wall) / ORDERS;
    /** `ORDERS` orders of one user, `PACE_MS` apart (after each answer); latencies and statuses. */
    const paced = async (c, prefix) => {
      const lat = [];
      const status = {};
      for (let i = 0; i < ORDERS; i++) {
        await sleep(PACE_MS);
        const r = await c.post('/v1/paper/orders', { clientOrderId: `${prefix}-${i}`, legs: [{ ...legs[(i + 3) % legs.length], side: 'BUY', lots: 1, type: 'MARKET' }] });
        status[r.status] = (status[r.status] ?? 0) + 1;
        lat.push(r.ms);
      }
      return { lat, status };
    };
    const quietPaced = await paced(bC, 'bp');

    // ── user C's orders while user A floods margin baskets ──────────────────────────────
    const m = flood(FLOOD_CONNECTIONS, (i) => {
      const l = legs[(i * 7) % legs.length];
      return aC.post('/v1/margin', { includePositions: false, legs: [{ ...l, side: 'SELL', lots: 1 + (i % 997) }] });
    });
    await sleep(1000);
    const loadedLat = [];
    const cStatus = {};
    for (let i = 0; i < ORDERS; i++) {
      const r = await cC.post('/v1/paper/orders', { clientOrderId: `c-${i}`, legs: [{ ...legs[i % legs.length], side: 'BUY', lots: 1, type: 'MARKET' }] });
      cStatus[r.status] = (cStatus[r.status] ?? 0) + 1;
      loadedLat.push(r.ms);
    }
    const loadedPaced = await paced(cC, 'cp');
    const marginStatus = await m.stop();
    out.crossUserPaced = {
      paceMs: PACE_MS, quietP50: pct(quietPaced.lat, 50), quietP99: pct(quietPaced.lat, 99), loadedP50: pct(loadedPaced.lat, 50), loadedP99: pct(loadedPaced.lat, 99),
      p50Ratio: pct(loadedPaced.lat, 50) / pct(quietPaced.lat, 50), p99Ratio: pct(loadedPaced.lat, 99) / pct(quietPaced.lat, 99), orderAnswers: loadedPaced.status,
    };
    out.crossUser = {
      quietP50: pct(quietLat, 50), quietP99: pct(quietLat, 99), loadedP50: pct(loadedLat, 50), loadedP99: pct(loadedLat, 99),
      p50Ratio: pct(loadedLat, 50) / pct(quietLat, 50), p99Ratio: pct(loadedLat, 99) / pct(quietLat, 99), orderAnswers: cStatus, marginFloodAnswers: marginStatus,
    };
  } finally {
    await Promise.all([floodC.close(), aC.close(), bC.close(), cC.close()]);
    await stopChild(child, 15_000);
  }
  return out;
}

if (!which('wrk')) throw new Error('wrk is not on PATH (apt-get install wrk)');
const load = { start: loadavg().map((x) => x.toFixed(2)).join(' ') };
const results = [];
// `--before A,B`: several older builds, each labelled by its directory name, in the order given.
for (const dir of opt.before ? opt.before.split(',') : []) results.push(await measure(`before ${dir.replace(/\/dist\/?$/, '').split('/').pop()}`, dir));
results.push(await measure('after', opt.after));
load.end = loadavg().map((x) => x.toFixed(2)).join(' ');
for (const r of results) console.log(JSON.stringify(r));
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '—');
console.log(`\nload average ${load.start} → ${load.end}`);
console.log(`| build | chain p99 quiet → under order flood (ratio) | main-thread ms per filled order | order p50/p99 quiet → under another user's margin flood (ratios), closed loop | the same, paced ${PACE_MS} ms | flood answers |`);
console.log('| --- | --- | --- | --- | --- | --- |');
const lat = (x) => `${f2(x.quietP50)}/${f2(x.quietP99)} → ${f2(x.loadedP50)}/${f2(x.loadedP99)} ms (×${f2(x.p50Ratio)}/×${f2(x.p99Ratio)})`;
for (const r of results) {
  console.log(
    `| ${r.label} | ${f2(r.chain.quietP99)} → ${f2(r.chain.floodP99)} ms (×${f2(r.chain.p99Ratio)}) | ${r.mainThreadMsPerOrder.toFixed(3)} | ${lat(r.crossUser)} | ${lat(r.crossUserPaced)} | orders ${JSON.stringify(r.chain.floodAnswers)}; margin ${JSON.stringify(r.crossUser.marginFloodAnswers)}; C ${JSON.stringify(r.crossUser.orderAnswers)}, paced ${JSON.stringify(r.crossUserPaced.orderAnswers)} |`,
  );
}
if (opt.json) writeFileSync(opt.json, JSON.stringify({ load, results }, null, 2));
