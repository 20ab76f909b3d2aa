/**
 * `npm run bench`: the whole benchmark suite in one command, printing ONE table — each row a
 * figure next to its baseline (what a user would build instead) and its limit (what this
 * machine can do at best), all measured in the same run, with the ratios (docs/contract.md §7,
 * issue 8) — and appending it to bench/RESULTS.md with the date, CPU, Node version, commit
 * and load average.
 *
 * Sections (each reuses a component bench or helper in bench/):
 * - http     cached / uncached chain req/s, hello, p50/p99, server CPU% and CPU-µs per request,
 *            on every HTTP backend available (uWS, node:http; rows side by side), vs
 *            node:http + Map + JSON.stringify and vs the hello route on the same server
 *            (http-serve.bench.mjs; wrk pinned to CPU 1, server pinned to CPU 0);
 * - tick     tick → visible in a chain response vs a 500 ms recompute loop, RSS with the
 *            universe live (tick-visible.bench.mjs);
 * - startup  master parse + skeleton time, heap of skeleton + price table (bench-target.mjs),
 *            and in full runs `optchain serve` start-up (serve-startup.bench.mjs);
 * - build    chain build µs JSON / FlatBuffers, snapshot (chain-build.bench.mjs);
 * - decode   decoded packets/s vs raw seqlock writes/s (feed-decode.bench.mjs);
 * - e2e      feed end to end at rising offered rates vs the sender's own rate, tick → readable
 *            (feed-e2e.bench.mjs);
 * - analytics IV + Greeks per option vs plain bisection, whole-universe sweep on one thread
 *            (analytics.bench.mjs).
 *
 * Usage: `npm run bench [-- --quick] [--no-record] [--results FILE] [--json FILE]
 *        [--only http,tick,startup,build,decode,e2e,serve] [--install-wrk] [--no-wrk] [--before DIR]`
 * - `--before DIR`: the http section also measures the build in DIR (a worktree of an older
 *   commit, built, with node_modules) on uWS, in the same rounds, and compares this build's
 *   uWS backend with it. `--http-seconds N`: measured seconds per HTTP run (default 8).
 * - `--quick`: smoke run with tiny workloads (seconds, not minutes); not recorded unless
 *   `--record` is given.
 * - `--no-record`: print only; `--results FILE` records elsewhere; `--json FILE` writes rows.
 * - wrk missing: the HTTP rows come from autocannon (pinned devDependency), each row naming
 *   its tool, with a note that wrk's figures are the comparable ones; `--install-wrk`
 *   installs it with apt-get when running as root (never done silently: it changes the system).
 *
 * Exit code 1 when a section failed (its error is in the table), else 0 — a missed target is
 * a result, not a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { get, loadTool, pinned, repin, spawnReady, stopChild, which } from './bench-util.mjs';

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    record: { type: 'boolean' },
    'no-record': { type: 'boolean', default: false },
    results: { type: 'string' },
    json: { type: 'string' },
    only: { type: 'string' },
    'install-wrk': { type: 'boolean', default: false },
    'no-wrk': { type: 'boolean', default: false },
    date: { type: 'string', default: '2026-08-17' },
    before: { type: 'string' },
    'http-seconds': { type: 'string' },
  },
});
const quick = opt.quick;
const record = opt['no-record'] ? false : (opt.record ?? !quick);
const resultsFile = opt.results ?? fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const SECTIONS = ['http', 'tick', 'startup', 'build', 'decode', 'e2e', 'serve', 'conv', 'flood', 'analytics'];
const only = new Set(opt.only ? opt.only.split(',').map((s) => s.trim()) : SECTIONS);
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section ${s} (${SECTIONS.join(', ')})`);

const log = (...a) => console.log(...a);
const rows = [];
const errors = [];
const notes = [];
const started = new Date();
const cpuList = cpus();
const env = {
  date: started.toISOString(),
  cpu: `${cpuList[0]?.model ?? 'unknown'} × ${cpuList.length}`,
  node: process.version,
  commit: git(['rev-parse', '--short', 'HEAD']),
  dirty: git(['status', '--porcelain', '--', 'src', 'bench', 'schemas']).split('\n').filter(Boolean).length,
  loadStart: loadavg(),
  mode: quick ? 'quick' : 'full',
};

function git(args) {
  try {
    return execFileSync('git', args, { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/**
 * Runs one section, keeping its error as a table row instead of aborting the suite. `force`
 * runs it even when --only leaves it out (the target process other sections need).
 */
async function section(name, fn, force = false) {
  if (!only.has(name) && !force) return;
  const t0 = performance.now();
  log(`\n[${name}]`);
  try {
    await fn();
  } catch (err) {
    errors.push({ section: name, message: err?.stack ?? String(err) });
    rows.push({ section: name, figure: `${name}: ERROR`, error: String(err?.message ?? err).split('\n')[0] });
    log(`  ERROR: ${err?.stack ?? err}`);
  }
  log(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

// ── wrk / taskset ───────────────────────────────────────────────────────────────────────────
const WRK_HELP = 'wrk is not installed: install it with `apt-get install -y wrk` (Debian/Ubuntu, as root), then re-run `npm run bench` (or `npm run bench -- --install-wrk` as root). HTTP rows skipped.';
// --no-wrk behaves as if wrk were missing (the smoke test checks that path too).
let wrk = opt['no-wrk'] ? null : which('wrk');
if (!wrk && !opt['no-wrk'] && only.has('http') && opt['install-wrk'] && process.getuid?.() === 0 && which('apt-get')) {
  log('installing wrk with apt-get (--install-wrk) …');
  spawnSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'inherit' });
  wrk = which('wrk');
}
const wrkVersion = wrk ? (spawnSync(wrk, ['-v'], { encoding: 'utf8' }).stdout ?? '').split('\n')[0].trim() : null;
// Without wrk the HTTP rows still run, on autocannon; every HTTP figure names its tool.
const httpTool = loadTool({ noWrk: !wrk });
const AUTOCANNON_NOTE = 'wrk is not installed: the HTTP rows were measured with autocannon (a Node client, slower per request than wrk, so its figures are lower and not comparable with wrk rows); `apt-get install -y wrk` (or `npm run bench -- --install-wrk` as root) for the reference figures.';
const canPin = pinned('0').length > 0 && cpuList.length >= 2;
const serverCpus = canPin ? '0' : null;
const clientCpus = canPin ? '1' : null;
if (!canPin) notes.push(`not pinned: ${cpuList.length < 2 ? 'fewer than 2 CPUs' : 'taskset missing (apt-get install -y util-linux)'}; HTTP figures share cores with the client`);

log(`optchain bench (${env.mode}) — ${env.date}\n  ${env.cpu}, Node ${env.node}, commit ${env.commit}${env.dirty ? ` (+${env.dirty} uncommitted files in src/bench/schemas)` : ''}, load average ${env.loadStart.map((x) => x.toFixed(2)).join(' ')}`);
if (env.loadStart[0] > cpuList.length * 0.5) notes.push(`machine busy at start (load average ${env.loadStart.map((x) => x.toFixed(2)).join(' ')} on ${cpuList.length} CPUs): absolute figures are low, ratios measured in the same run are the ones to read`);

// ── the server under test: http, tick, startup share one target process ─────────────────────
// HTTP rows are measured on each of these backends that runs here (OPTCHAIN_HTTP_BACKEND).
const HTTP_BACKENDS = ['uws', 'node'];
let target = null;
let chainFile = null;
const needTarget = ['tick', 'startup'].some((s) => only.has(s)) || (only.has('http') && httpTool !== null);
if (needTarget) {
  await section('startup', async () => {
    const universe = quick ? 'synthetic' : 'master';
    target = await spawnReady(fileURLToPath(new URL('./bench-target.mjs', import.meta.url)), ['--universe', universe, '--date', opt.date], { cpus: serverCpus, nodeArgs: ['--expose-gc'] });
    const s = target.ready.startup;
    const u = target.ready.universe;
    log(`  target: ${u.underlyings} underlyings, ${u.chains} chains, ${u.contracts} contracts, ${u.slots} slots; ${universe === 'master' ? `master ${(s.masterBytes / 1048576).toFixed(1)} MB, ${s.masterRows} rows, parse ${s.parseMs.toFixed(0)} ms, ` : ''}skeleton ${s.skeletonMs.toFixed(0)} ms, heap Δ ${s.heapSkeletonMB.toFixed(1)} MB + table ${s.tableMB.toFixed(1)} MB`);
    if (!only.has('startup')) return;
    if (universe === 'master') {
      const total = s.parseMs + s.skeletonMs;
      rows.push({ section: 'startup', figure: 'master parse (full synthetic detailed master)', value: s.parseMs, unit: 'ms', better: 'lower', note: `${(s.masterBytes / 1048576).toFixed(1)} MB, ${s.masterRows.toLocaleString('en-US')} rows → ${s.instruments.toLocaleString('en-US')} instruments` });
      rows.push({ section: 'startup', figure: 'skeleton build', value: s.skeletonMs, unit: 'ms', better: 'lower', note: `${u.contracts.toLocaleString('en-US')} contracts + ${u.underlyings} spots, ${u.chains} chains` });
      rows.push({ section: 'startup', figure: 'master parse + skeleton', value: total, unit: 'ms', better: 'lower', target: { text: '≤ 2000 ms (issue 3)', met: total <= 2000 } });
    } else {
      rows.push({ section: 'startup', figure: 'skeleton build (quick: synthetic skeleton, no master parse)', value: s.skeletonMs, unit: 'ms', better: 'lower' });
    }
    const heap = s.heapSkeletonMB + s.tableMB;
    rows.push({ section: 'startup', figure: 'heap: skeleton + lookups + price table', value: heap, unit: 'MB', better: 'lower', note: `V8 heap Δ ${s.heapSkeletonMB.toFixed(1)} MB after GC + SharedArrayBuffer ${s.tableMB.toFixed(1)} MB, ${u.slots.toLocaleString('en-US')} slots`, target: { text: '< 150 MB (issue 3)', met: heap < 150 } });
  }, true);
}

if (!wrk && httpTool && only.has('http')) notes.push(AUTOCANNON_NOTE);
if (!httpTool && only.has('http')) {
  log(`\n[http]\n  ${WRK_HELP}`);
  notes.push(WRK_HELP);
  rows.push({ section: 'http', figure: 'HTTP rows', skipped: WRK_HELP });
}
if (target) {
  try {
    if (httpTool) await section('http', async () => {
      const { runHttp, backendLabel } = await import('./http-serve.bench.mjs');
      // One target per HTTP backend (the start-up target serves on the one auto picks); a
      // backend that cannot run here is a skipped row with its reason, never a silent gap.
      const targets = [target];
      const others = [];
      try {
        for (const name of HTTP_BACKENDS) {
          if ((target.ready.backend?.name ?? 'uws') === name) continue;
          try {
            const t = await spawnReady(fileURLToPath(new URL('./bench-target.mjs', import.meta.url)), ['--universe', quick ? 'synthetic' : 'master', '--date', opt.date], { cpus: serverCpus, nodeArgs: ['--expose-gc'], env: { ...process.env, OPTCHAIN_HTTP_BACKEND: name } });
            others.push(t);
            const got = t.ready.backend?.name ?? 'uws';
            if (got !== name) throw new Error(`OPTCHAIN_HTTP_BACKEND=${name} served on ${got}`);
            targets.push(t);
          } catch (err) {
            const why = String(err?.message ?? err).split('\n').find((l) => /backend|uws|uWebSockets|node:http/i.test(l)) ?? String(err?.message ?? err).split('\n')[0];
            log(`  ${name} backend: not measured (${why})`);
            rows.push({ section: 'http', figure: `HTTP rows on the ${name} backend`, skipped: `not available here: ${why}` });
          }
        }
        // --before DIR: an older build (its own worktree, built, node_modules linked) served
        // by its own bench-target.mjs on uWS, measured in the same rounds (issue 12: the uWS
        // backend no slower than before the HTTP seam).
        const before = [];
        if (opt.before) {
          const dir = opt.before.replace(/\/$/, '');
          const t = await spawnReady(`${dir}/bench/bench-target.mjs`, ['--universe', quick ? 'synthetic' : 'master', '--date', opt.date], { cpus: serverCpus, nodeArgs: ['--expose-gc'], env: { ...process.env, OPTCHAIN_HTTP_BACKEND: 'uws' } });
          others.push(t);
          const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
          before.push({ ...t, label: `uWS before (${commit})` });
        }
        log(`  backends: ${[...targets.map((t) => backendLabel(t.ready.backend)), ...before.map((t) => t.label)].join(', ')}; tool: ${httpTool}`);
        const roundSeconds = opt['http-seconds'] === undefined ? undefined : Number(opt['http-seconds']);
        const res = await runHttp({ targets, before, roundSeconds, quick, log, serverCpus, clientCpus, tool: httpTool });
        chainFile = res.chainFile;
        rows.push(...res.rows);
        for (const r of res.rows) if (r.cpuPct !== undefined && r.cpuPct < 90) r.clientBound = true;
      } finally {
        for (const t of others) await stopChild(t.child, 10_000);
      }
    });
    await section('tick', async () => {
      if (!chainFile) {
        // The HTTP section (which writes it) was skipped: the baseline still needs the chain.
        const c = target.ready.chain;
        chainFile = join(tmpdir(), `optchain-bench-chain-${process.pid}.json`);
        writeFileSync(chainFile, (await get(`http://127.0.0.1:${target.ready.port}/v1/chains/${c.symbol}?expiry=${c.expiry}`)).body);
      }
      // The feed worker is a second thread: give the process both cores, as in production.
      if (serverCpus !== null) repin(target.ready.pid, '0-1');
      const { runTickVisible } = await import('./tick-visible.bench.mjs');
      const res = await runTickVisible({ target, chainFile, quick, log });
      rows.push(...res.rows);
    });
  } finally {
    await stopChild(target.child, 10_000);
    if (chainFile) rmSync(chainFile, { force: true });
  }
}

await section('build', async () => {
  const { run, T } = await import('./chain-build.bench.mjs');
  const { rows: r, universe } = await run({ quick, bench: quick ? { time: 40, warmupTime: 10, iterations: 5, warmupIterations: 2 } : {} });
  const by = Object.fromEntries(r.map((x) => [x.name, x]));
  const naive = { label: 'objects + JSON.stringify', value: by[T.naive].value };
  const note = (x) => `median; mean ${x.mean.toFixed(1)} µs, p99 ${x.p99.toFixed(1)} µs; ${x.bytes.toLocaleString('en-US')} B`;
  const copy = (name) => ({ label: 'raw copy of the bytes', value: by[name].value });
  const json = by[T.json];
  const fb = by[T.fb];
  rows.push({ section: 'build', figure: `chain build JSON, ${universe.chainRows} rows, from scratch`, value: json.value, unit: 'µs', better: 'lower', baseline: naive, limit: copy(T.copyJson), target: { text: '≤ 120 µs (issue 6)', met: json.value <= 120 }, note: note(json) });
  if (T.jsonTicks && by[T.jsonTicks]) {
    const t = by[T.jsonTicks];
    rows.push({ section: 'build', figure: `chain rebuild JSON after a few ticks, ${universe.chainRows} rows`, value: t.value, unit: 'µs', better: 'lower', baseline: naive, limit: copy(T.copyJson), target: { text: '≤ 120 µs (issue 6)', met: t.value <= 120 }, note: `${T.jsonTicks}; ${note(t)}` });
  }
  rows.push({ section: 'build', figure: `chain build FlatBuffers, ${universe.chainRows} rows`, value: fb.value, unit: 'µs', better: 'lower', baseline: naive, limit: copy(T.copyFb), target: { text: '≤ 30 µs (issue 6)', met: fb.value <= 30 }, note: note(fb) });
  const hit = by[T.hitJson];
  rows.push({ section: 'build', figure: 'chain cache hit JSON (servedAt patched)', value: hit.value, unit: 'µs', better: 'lower', note: `no copy: the cached bytes are sent as they are (a raw copy of them takes ${by[T.copyJson].value.toFixed(2)} µs)` });
  const snap = by[T.snap];
  rows.push({ section: 'build', figure: `snapshot, whole universe (${universe.contracts.toLocaleString('en-US')} contracts, ${universe.chains} chains)`, value: snap.value / 1000, unit: 'ms', better: 'lower', limit: { label: 'raw copy of the bytes', value: by[T.copySnap].value / 1000 }, target: { text: '≤ 15 ms (issue 6)', met: snap.value <= 15000 }, note: note(snap) });
});

// conv: ETag/304 and compression targets (issue 12); flood: chain p99 under a snapshot flood
// (issue 15). Each starts its own target process.
if (wrk) {
  await section('conv', async () => {
    const { runConditional } = await import('./http-conditional.bench.mjs');
    rows.push(...(await runConditional({ quick, log, serverCpus, clientCpus })).rows);
  });
  await section('flood', async () => {
    const { runSnapshotFlood } = await import('./snapshot-flood.bench.mjs');
    rows.push(...(await runSnapshotFlood({ quick, log, serverCpus, clientCpus })).rows);
  });
} else {
  // Their runs are wrk's only so far (no autocannon path): say so in the table.
  for (const s of ['conv', 'flood'].filter((x) => only.has(x))) rows.push({ section: s, figure: `${s} rows`, skipped: 'measured with wrk only; install it (`apt-get install -y wrk`)' });
}

// analytics: IV + Greeks per option vs plain bisection, whole-universe sweep (issue 13).
await section('analytics', async () => {
  const { run } = await import('./analytics.bench.mjs');
  for (const r of (await run({ quick })).rows) {
    rows.push({ section: 'analytics', figure: r.name, value: r.value, unit: r.unit, better: 'lower', baseline: r.baseline, limit: r.limit, target: { text: `≤ ${r.target} ${r.unit} (issue 13)`, met: r.value <= r.target }, note: r.note });
  }
});

await section('decode', async () => {
  const { run } = await import('./feed-decode.bench.mjs');
  const r = await run({ quick, bench: quick ? { time: 40, warmupTime: 10, iterations: 5, warmupIterations: 2 } : {} });
  const by = Object.fromEntries(r.map((x) => [x.name, x]));
  const limit = { label: 'raw seqlock writes/s (14 stores)', value: by['limit: raw seqlock write (14 stores)'].value };
  const d = by['decode Full, 1 packet/frame (shared chunk)'];
  rows.push({ section: 'decode', figure: 'feed decode + seqlock write, Full packets, 1 per frame, in memory', value: d.value, unit: 'packets/s', better: 'higher', limit, target: { text: '≥ 1,000,000/s (issue 5)', met: d.value >= 1_000_000 } });
  const own = by['decode Full, 1 packet/frame (own ArrayBuffer)'];
  rows.push({ section: 'decode', figure: 'feed decode, each frame in its own ArrayBuffer (as ws delivers)', value: own.value, unit: 'packets/s', better: 'higher', limit, target: { text: '≥ 1,000,000/s (issue 5)', met: own.value >= 1_000_000 } });
});

await section('serve', async () => {
  if (quick) {
    log('  skipped in --quick (the real `optchain serve` start-up takes ~10 s); run the full suite');
    return;
  }
  const { runServeStartup } = await import('./serve-startup.bench.mjs');
  const res = await runServeStartup({ date: opt.date, log });
  rows.push(...res.rows);
});

// Last: feed-e2e.bench.mjs leaves its sender threads pacing (its CLI exits the process), so
// nothing may be measured after it; the runner exits explicitly below.
await section('e2e', async () => {
  const { run } = await import('./feed-e2e.bench.mjs');
  const prefix = (...a) => log(...a.map((x) => (typeof x === 'string' ? x.replace(/^\s*/, '  ') : x)));
  const r = await run(quick ? { quick: true, rates: [20_000], seconds: 0.5, sim: false, log: prefix } : { quick: false, log: prefix });
  const steps = r[0].steps;
  const by = Object.fromEntries(r.map((x) => [x.name, x]));
  for (const s of steps) {
    const paced = s.offered !== Infinity;
    const kept = paced && s.decodedPerSec >= 0.97 * s.offered && s.backlog <= s.offered / 2;
    rows.push({
      section: 'e2e', figure: paced ? `feed e2e, offered ${s.offered.toLocaleString('en-US')}/s${kept ? '' : ' (fell behind)'}` : 'feed e2e, unpaced sender (as fast as it drains)',
      value: s.decodedPerSec, unit: 'packets/s', better: 'higher', limit: { label: "sender's own rate", value: s.sentPerSec },
      note: `readable p50 ${s.p50?.toFixed(2)} / p99 ${s.p99?.toFixed(2)} ms, worker ELU ${(s.workerElu * 100).toFixed(0)} %, backlog ${s.backlog}`,
    });
  }
  const sus = by['feed e2e sustained packets/s (highest offered rate kept up with)'];
  const bare = by['limit: bare ws client messages/s (no decode)'];
  rows.push({ section: 'e2e', figure: 'feed e2e sustained (highest offered rate kept up with)', value: sus.value, unit: 'packets/s', better: 'higher', limit: { label: 'bare ws client, count only', value: bare.value }, target: { text: '≥ 300,000/s (issue 5)', met: sus.value >= 300_000 } });
  // Tick → readable by the waiting probe (a thread asleep in Atomics.wait), the old spinning
  // probe's figure in the note, the bare ws client's (same probe) as the limit (issue 14 §3).
  for (const label of ['no background traffic', '@10k/s offered', '@65k/s offered', '@300k/s offered']) {
    for (const p of ['p50', 'p99', 'p99.9']) {
      const x = by[`tick → readable ${p} ${label} (waiting probe)`];
      if (!x) continue;
      rows.push({
        section: 'e2e', figure: `tick → readable in the table, ${p}, ${label}`, value: x.value, unit: 'ms', better: 'lower', limit: { label: 'bare ws + seqlock publish', value: x.bare },
        note: `waiting probe, ${x.probes} probes; old spinning probe ${x.spin?.toFixed(3)} ms`, ...(p === 'p99' ? { target: { text: '≤ 1 ms (issue 5)', met: x.value <= 1 } } : {}),
      });
    }
  }
  for (const x of r.filter((y) => y.name.startsWith('combined: '))) {
    rows.push({ section: 'e2e', figure: x.name.slice('combined: '.length), value: x.value, unit: x.unit, better: x.unit === 'req/s' ? 'higher' : 'lower', ...(x.unit === 'ms' || x.unit === 'req/s' ? { baseline: { label: x.baseline, value: x.value / x.ratio } } : {}), note: x.note });
  }
  const simRow = r.find((x) => x.name.startsWith('feed e2e from the simulator'));
  if (simRow) rows.push({ section: 'e2e', figure: simRow.name, value: simRow.value, unit: 'packets/s', better: 'higher', limit: { label: 'simulator send rate', value: by['limit: simulator send rate'].value } });
  const lost = by['packets sent = packets decoded (nothing lost or coalesced)'];
  rows.push({ section: 'e2e', figure: 'packets decoded / sent over the whole section', value: lost.ratio * 100, unit: '%', better: 'higher', note: `${lost.value.toLocaleString('en-US')} ${lost.unit}${lost.ratio < 1 ? ' (the rest were in flight when the last step stopped)' : ''}` });
});

env.loadEnd = loadavg();
env.wrk = wrkVersion ?? (httpTool ? `missing (HTTP rows by ${httpTool})` : 'missing');
env.pinning = canPin ? 'server CPU 0, wrk CPU 1 (taskset)' : 'none';

// ── the table ───────────────────────────────────────────────────────────────────────────────
const SECTION_ORDER = ['http', 'conv', 'flood', 'tick', 'build', 'decode', 'e2e', 'startup', 'serve'];
rows.sort((a, b) => SECTION_ORDER.indexOf(a.section) - SECTION_ORDER.indexOf(b.section));
const table = renderTable(rows);
const verdicts = rows.filter((r) => r.target && r.value !== undefined).map((r) => `${r.target.met ? '✔' : '✘'} ${r.figure}: ${fmt(r.value, r.unit)} (target ${r.target.text})`);
log(`\n${table}\n\ntargets:\n${verdicts.map((v) => `  ${v}`).join('\n')}`);
for (const n of notes) log(`note: ${n}`);

if (opt.json) writeFileSync(opt.json, JSON.stringify({ env, rows, errors, notes, targets: verdicts }, null, 2));
if (record) {
  if (!existsSync(resultsFile)) writeFileSync(resultsFile, resultsHeader());
  appendFileSync(resultsFile, renderRecord(env, table, notes, errors, verdicts));
  log(`\nrecorded in ${resultsFile}`);
}
process.exit(errors.length > 0 ? 1 : 0);

// ── formatting ──────────────────────────────────────────────────────────────────────────────
function fmt(v, unit) {
  if (v === undefined || v === null || Number.isNaN(v)) return '—';
  if (unit === 'req/s' || unit === 'packets/s' || unit === 'writes/s' || unit === 'messages/s') return `${Math.round(v).toLocaleString('en-US')}/s`;
  const digits = unit === 'µs' ? (v < 10 ? 2 : 1) : unit === 'ms' ? (v < 10 ? 2 : 1) : unit === 'MB' ? 1 : unit === 's' ? 2 : unit === '%' ? 1 : unit === '×' ? 2 : 0;
  const n = v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${n} ${unit}`;
}

function ratioVsBaseline(r) {
  if (!r.baseline || !(r.baseline.value > 0) || !(r.value > 0)) return '';
  const x = r.better === 'higher' ? r.value / r.baseline.value : r.baseline.value / r.value;
  return `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}×`;
}

function ratioVsLimit(r) {
  if (!r.limit || !(r.limit.value > 0) || !(r.value > 0)) return '';
  const x = r.better === 'higher' ? r.value / r.limit.value : r.limit.value / r.value;
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %`;
}

function renderTable(list) {
  const head = ['figure', 'value', 'p50 / p99', 'baseline', '× baseline', 'limit', 'of limit', 'server CPU', 'CPU-µs/req', 'target'];
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`];
  for (const r of list) {
    if (r.error || r.skipped) {
      out.push(`| ${r.figure} | ${r.error ? `ERROR: ${r.error}` : `skipped: ${r.skipped}`} |${' |'.repeat(head.length - 2)}`);
      continue;
    }
    const cells = [
      r.note ? `${r.figure} <br><sub>${r.note}</sub>` : r.figure,
      fmt(r.value, r.unit),
      r.p50 !== undefined ? `${r.p50.toFixed(2)} / ${r.p99.toFixed(2)} ms` : '',
      r.baseline ? `${r.baseline.label}: ${fmt(r.baseline.value, r.unit)}` : '—',
      ratioVsBaseline(r),
      r.limit ? `${r.limit.label}: ${fmt(r.limit.value, r.unit)}` : '—',
      ratioVsLimit(r),
      r.cpuPct !== undefined ? `${r.cpuPct.toFixed(0)} %${r.clientBound ? ' (client-bound)' : ''}` : '',
      r.cpuUsPerReq !== undefined ? `${r.cpuUsPerReq.toFixed(1)}${r.sysUsPerReq !== undefined ? ` (sys ${r.sysUsPerReq.toFixed(1)})` : ''}` : '',
      r.target ? `${r.target.text} ${r.target.met ? '✔ met' : '✘ MISSED'}` : '',
    ];
    out.push(`| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`);
  }
  return out.join('\n');
}

function renderRecord(e, tableText, noteList, errs, targetLines) {
  const load = (l) => l.map((x) => x.toFixed(2)).join(' ');
  return [
    '',
    `## ${e.date} — ${e.mode} run`,
    '',
    `- CPU: ${e.cpu}; Node ${e.node}; commit ${e.commit}${e.dirty ? ` (+${e.dirty} uncommitted files in src/bench/schemas)` : ''}`,
    `- load average at start ${load(e.loadStart)}, at end ${load(e.loadEnd)}`,
    `- wrk: ${e.wrk}; pinning: ${e.pinning}`,
    ...noteList.map((n) => `- note: ${n}`),
    ...errs.map((x) => `- ERROR in ${x.section}: ${x.message.split('\n')[0]}`),
    '',
    tableText,
    '',
    'Targets of the other issues, from this run:',
    '',
    ...targetLines.map((v) => `- ${v}`),
    '',
  ].join('\n');
}

/** The head of a new RESULTS.md (a function: the module exits before a trailing const would be set). */
function resultsHeader() {
  return `# Benchmark results

Appended by \`npm run bench\` (bench/run.mjs): one section per run, newest last. Each row is a
figure next to its baseline (what a user would build instead) and its limit (the best this
machine does for the same work), all measured in the same run; compare ratios across runs,
not absolute numbers (docs/engineering.md §6.3: ratios survive machine noise).

Method, in short:

- HTTP: Debian \`wrk -t1 -c50 --latency\` pinned to CPU 1, the server pinned to CPU 0 with
  \`taskset\`, loopback keep-alive, a 3 s warm-up then 8 s measured, configurations alternated
  over 2 rounds and the best round kept. "server CPU" is the server process's utime+stime from
  /proc over the measured run; below ~90 % the number belongs to the client ("client-bound").
  "CPU-µs/req" is that CPU time per request, with the kernel's share (sys) in brackets.
  Cache hits/misses are checked on the server's /metrics for every run. The uncached rows
  tick one slot of the chain before every request (the generation changes every request).
- Baselines: node:http + a Map store + JSON.stringify per request serving the same chain
  bytes; a 500 ms snapshot recompute loop (the common peer design) for tick → visible.
- Limits: a uWS hello route on the same server; a raw copy of the same bytes; raw seqlock
  writes; the sender's own rate; a bare \`ws\` client that only counts.
- Micro-benchmarks use tinybench medians (a descheduled sample inflates a mean on 2 cores).
- "load average" is recorded because other work shares this 2-core machine.
`;
}
