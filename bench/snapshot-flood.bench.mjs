/**
 * Issue 15 item 1: chain serving under a `/v1/snapshot` flood. Same run, same server
 * (bench-target.mjs, full synthetic universe, pinned to CPU 0), a ticker writing
 * `--tick-rate` ticks/s into random slots (so snapshots go stale as in market hours):
 *
 * 1. quiet: wrk on the cached-or-not NIFTY chain alone (the baseline);
 * 2. before: the same while a second wrk keeps 20 connections asking for the whole-universe
 *    snapshot built per request (`/bench/snapshot-legacy`: the code path before issue 15);
 * 3. after: the same against `/v1/snapshot` (cached per generation vector, assembled from the
 *    chain cache, bounded, yielding between slices).
 *
 * Reported: chain req/s and p99 in each phase as a ratio to quiet (target: p99 under the
 * flood ≤ 2× quiet), and what the flood itself got (snapshots/s, MB/s, non-2xx = 503 busy).
 * Both wrk processes run on CPU 1 (the client core). Each phase also reports the server's
 * event-loop delay (`/bench/loop-delay`: how long a ready chain request could have waited).
 *
 * Run alone: `npm run build && node bench/snapshot-flood.bench.mjs [--quick] [--backend uws|node]
 * [--runs N] [--no-before] [--profile DIR]` (`--profile`: the server runs under
 * `node --cpu-prof`, profile written to DIR on exit; summarise with bench/profile-summary.mjs).
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { get, getJson, runWrk, sleep, spawnReady, stopChild } from './bench-util.mjs';

/** Runs the three phases against a fresh target; resolves `{ rows, phases }`. */
export async function runSnapshotFlood({ quick = false, log = console.log, serverCpus = '0', clientCpus = '1', tickRate = 10_000, backend = undefined, before = true, profileDir = undefined } = {}) {
  const universe = quick ? 'synthetic' : 'master';
  const nodeArgs = ['--expose-gc', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
  const env = backend ? { ...process.env, OPTCHAIN_HTTP_BACKEND: backend } : process.env;
  const target = await spawnReady(fileURLToPath(new URL('./bench-target.mjs', import.meta.url)), ['--universe', universe], { cpus: serverCpus, nodeArgs, env });
  try {
    const base = `http://127.0.0.1:${target.ready.port}`;
    const c = target.ready.chain;
    const chainUrl = `${base}/v1/chains/${c.symbol}?expiry=${c.expiry}`;
    const probe = await get(`${base}/v1/snapshot`);
    if (probe.status !== 200) throw new Error(`/v1/snapshot answered ${probe.status}`);
    const seconds = quick ? 2 : 8;
    const floodConnections = 20;
    const chainConnections = 10;
    await getJson(`${base}/bench/ticker?rate=${tickRate}`);
    const measure = async (label, floodUrl) => {
      await runWrk(chainUrl, { seconds: quick ? 1 : 2, connections: chainConnections, cpus: clientCpus }); // warm-up
      let flood = null;
      if (floodUrl) {
        flood = runWrk(floodUrl, { seconds: seconds + 3, connections: floodConnections, cpus: clientCpus, headers: ['Accept-Encoding: identity'] });
        await sleep(1500); // let the flood reach its steady state before measuring
      }
      await getJson(`${base}/bench/loop-delay?reset=1`);
      const chain = await runWrk(chainUrl, { seconds, connections: chainConnections, cpus: clientCpus });
      const loop = await getJson(`${base}/bench/loop-delay?reset=1`);
      const f = flood ? await flood : null;
      log(`  ${label}: chain ${Math.round(chain.rps).toLocaleString('en-US')} req/s, p50 ${chain.p50.toFixed(2)} ms, p99 ${chain.p99.toFixed(2)} ms; loop delay p99 ${loop.p99.toFixed(1)} ms, max ${loop.max.toFixed(1)} ms${f ? `; flood ${f.rps.toFixed(1)} snapshots/s, p99 ${f.p99.toFixed(0)} ms, ${f.non2xx} non-2xx, ${f.socketErrors} socket errors` : ''}`);
      return { label, chain, flood: f, loop };
    };
    const phases = {};
    phases.quiet = await measure('quiet (no flood)', null);
    if (before) phases.before = await measure('before: snapshot built per request (20 connections)', `${base}/bench/snapshot-legacy`);
    phases.after = await measure('after: /v1/snapshot cached + bounded (20 connections)', `${base}/v1/snapshot`);
    phases.quiet2 = await measure('quiet again', null);
    await getJson(`${base}/bench/ticker?rate=0`);
    const m = (await get(`${base}/metrics`)).body;
    const quiet = phases.quiet.chain.p99 <= phases.quiet2.chain.p99 ? phases.quiet : phases.quiet2;
    const rows = [];
    const note = (p) => `chain ${Math.round(p.chain.rps).toLocaleString('en-US')} req/s (${(p.chain.rps / quiet.chain.rps * 100).toFixed(0)} % of quiet), p99 ${p.chain.p99.toFixed(2)} ms = ${(p.chain.p99 / quiet.chain.p99).toFixed(2)}× quiet; loop delay p99 ${p.loop.p99.toFixed(1)} ms (quiet ${quiet.loop.p99.toFixed(1)}); flood got ${p.flood.rps.toFixed(1)} snapshots/s (${p.flood.non2xx} × 503 busy); ${tickRate.toLocaleString('en-US')} ticks/s; ${target.ready.backend.name}`;
    for (const [key, figure] of [['before', 'chain p99 under a 20-connection snapshot flood, before (built per request)'], ['after', 'chain p99 under a 20-connection snapshot flood, after (cached, assembled, bounded)']]) {
      const p = phases[key];
      if (p === undefined) continue;
      rows.push({
        section: 'flood', figure, value: p.chain.p99, unit: 'ms', better: 'lower', p50: p.chain.p50, p99: p.chain.p99,
        baseline: { label: 'quiet chain p99', value: quiet.chain.p99 },
        target: key === 'after' ? { text: '≤ 2× quiet p99 (issue 15)', met: p.chain.p99 <= 2 * quiet.chain.p99 } : undefined,
        note: note(p),
      });
    }
    const shared = /optchain_snapshot_requests_total\{outcome="shared"\} (\d+)/.exec(m)?.[1] ?? '0';
    const hits = /optchain_snapshot_requests_total\{outcome="hit"\} (\d+)/.exec(m)?.[1] ?? '0';
    const builds = /optchain_snapshot_build_seconds_count (\d+)/.exec(m)?.[1] ?? '0';
    log(`  /v1/snapshot: ${builds} builds, ${shared} requests shared a build, ${hits} cache hits`);
    return { rows, phases, builds: Number(builds), shared: Number(shared), hits: Number(hits) };
  } finally {
    await stopChild(target.child, 10_000);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false }, 'tick-rate': { type: 'string', default: '10000' }, backend: { type: 'string' },
      runs: { type: 'string', default: '1' }, 'no-before': { type: 'boolean', default: false }, profile: { type: 'string' },
    },
  });
  for (let run = 1; run <= Number(values.runs); run++) {
    const r = await runSnapshotFlood({ quick: values.quick, tickRate: Number(values['tick-rate']), backend: values.backend, before: !values['no-before'], profileDir: values.profile });
    for (const row of r.rows) console.log(`run ${run}: ${row.figure}: ${row.value.toFixed(2)} ms — ${row.note}`);
  }
  process.exit(0);
}
