/**
 * The HTTP rows of bench/run.mjs (contract §7 "cached chain req/s", "uncached chain req/s"),
 * by the recipe of engineering.md §6.3: Debian's `wrk -t1 -c50 --latency` pinned to CPU 1,
 * the server pinned to CPU 0, loopback, keep-alive, a warm-up run before each measured run,
 * the server's CPU% and CPU-µs per request read from /proc/<pid>/stat around the run (a
 * server below ~90% CPU is client-bound and says so), and A/B configurations alternated in
 * rounds with the best round kept (noise only ever lowers a throughput).
 *
 * Configurations, all in the same run:
 * - optchain (bench-target.mjs): the bench chain cached (JSON and FlatBuffers), the same chain
 *   with a tick before every request (busy mode: the generation changes every request), the
 *   hello route on the same app (the limit), and a bare uWS.App hello (reference);
 * - baseline (node-baseline-server.mjs): node:http + Map store + JSON.stringify per request,
 *   serving the same chain bytes, without and with a tick per request.
 *
 * Cache hits/misses are read from the server's own /metrics around each run: a "cached" run
 * with misses, or an "uncached" run with hits, fails the section instead of printing a lie.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMeter, get, getJson, promValue, runWrk, spawnReady, stopChild } from './bench-util.mjs';

const MISSES = 'optchain_chain_cache_misses_total{';
const HITS = 'optchain_chain_cache_hits_total{';

/**
 * Runs the HTTP configurations against a running target (`{ ready }` of bench-target.mjs,
 * pinned to CPU 0). Resolves `{ rows, configs }`: `rows` for the suite table, `configs` with
 * every measured run.
 */
export async function runHttp({ target, quick = false, log = console.log, serverCpus = '0', clientCpus = '1' }) {
  const base = `http://127.0.0.1:${target.ready.port}`;
  const c = target.ready.chain;
  const chainPath = `/v1/chains/${c.symbol}?expiry=${c.expiry}`;
  const chainBody = await get(`${base}${chainPath}`);
  if (chainBody.status !== 200) throw new Error(`chain route answered ${chainBody.status}`);
  const chainFile = join(tmpdir(), `optchain-bench-chain-${process.pid}.json`);
  writeFileSync(chainFile, chainBody.body);
  const fbBytes = (await fetch(`${base}${chainPath}&format=fb`).then((r) => r.arrayBuffer())).byteLength;

  const baseline = await spawnReady(new URL('./node-baseline-server.mjs', import.meta.url).pathname, ['--chain', chainFile], { cpus: serverCpus });
  const nodeBase = `http://127.0.0.1:${baseline.ready.port}`;
  const probe = await get(`${nodeBase}${chainPath}`);
  if (probe.status !== 200 || probe.body.length !== chainBody.body.length) throw new Error(`baseline serves ${probe.body.length} bytes, optchain ${chainBody.body.length}`);

  const setBusy = (on) => getJson(`${base}/bench/busy?on=${on ? 1 : 0}`);
  const opt = { pid: target.ready.pid, metrics: `${base}/metrics` };
  const nod = { pid: baseline.ready.pid, metrics: null };
  const configs = [
    { key: 'hello', label: 'uWS hello route, same server (limit)', server: opt, url: `${base}/bench/hello` },
    { key: 'raw', label: 'bare uWS.App hello, same process (reference)', server: opt, url: `http://127.0.0.1:${target.ready.rawPort}/hello`, full: true },
    { key: 'staticJson', label: 'same JSON bytes as a constant uWS body (reference)', server: opt, url: `${base}/bench/static?format=json`, full: true },
    { key: 'cachedJson', label: 'cached chain JSON', server: opt, url: `${base}${chainPath}`, cache: 'hit' },
    { key: 'cachedFb', label: 'cached chain FlatBuffers', server: opt, url: `${base}${chainPath}&format=fb`, cache: 'hit', full: true },
    { key: 'uncachedJson', label: 'uncached chain JSON (tick before every request)', server: opt, url: `${base}${chainPath}`, cache: 'miss', busy: true },
    { key: 'uncachedFb', label: 'uncached chain FlatBuffers (tick before every request)', server: opt, url: `${base}${chainPath}&format=fb`, cache: 'miss', busy: true, full: true },
    { key: 'nodeCached', label: 'baseline node:http + Map + JSON.stringify', server: nod, url: `${nodeBase}${chainPath}` },
    { key: 'nodeBusy', label: 'baseline node:http, tick before every request', server: nod, url: `${nodeBase}/busy${chainPath}` },
  ].filter((k) => !quick || !k.full);

  const rounds = quick ? 1 : 2;
  const seconds = quick ? 1 : 8;
  const warm = quick ? 0 : 3;
  for (const k of configs) k.runs = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const k of configs) {
        if (k.busy) await setBusy(true);
        try {
          if (warm > 0) await runWrk(k.url, { seconds: warm, cpus: clientCpus });
          const m0 = k.server.metrics ? (await get(k.server.metrics)).body : null;
          const meter = cpuMeter(k.server.pid);
          meter.start();
          const w = await runWrk(k.url, { seconds, cpus: clientCpus });
          const cpu = meter.stop();
          const m1 = k.server.metrics ? (await get(k.server.metrics)).body : null;
          const run = { ...w, cpuPct: cpu.pct, cpuUsPerReq: (cpu.seconds * 1e6) / w.requests, userUsPerReq: (cpu.user * 1e6) / w.requests, sysUsPerReq: (cpu.sys * 1e6) / w.requests, raw: undefined };
          if (m0 !== null && k.cache) {
            run.misses = promValue(m1, MISSES) - promValue(m0, MISSES);
            run.hits = promValue(m1, HITS) - promValue(m0, HITS);
            const served = run.misses + run.hits;
            if (k.cache === 'hit' && run.misses > 5) throw new Error(`${k.label}: ${run.misses} cache misses in a cached run`);
            if (k.cache === 'miss' && run.hits > served * 0.01) throw new Error(`${k.label}: ${run.hits} cache hits of ${served} in an uncached run`);
          }
          if (w.non2xx > 0 || w.socketErrors > 0) run.errors = `${w.non2xx} non-2xx, ${w.socketErrors} socket errors`;
          k.runs.push(run);
          log(`  ${k.label}: ${Math.round(w.rps).toLocaleString('en-US')} req/s, p50 ${w.p50.toFixed(2)} ms, p99 ${w.p99.toFixed(2)} ms, server CPU ${cpu.pct.toFixed(0)} %, ${run.cpuUsPerReq.toFixed(1)} CPU-µs/req (user ${run.userUsPerReq.toFixed(1)}, sys ${run.sysUsPerReq.toFixed(1)})${run.misses !== undefined ? `, cache ${run.hits} hits / ${run.misses} misses` : ''}${run.errors ? `, ${run.errors}` : ''}`);
        } finally {
          if (k.busy) await setBusy(false);
        }
      }
    }
  } finally {
    await stopChild(baseline.child);
  }

  const best = {};
  for (const k of configs) best[k.key] = { ...k, ...k.runs.reduce((a, b) => (b.rps > a.rps ? b : a)) };
  const rows = [];
  const httpRow = (k, extra) => {
    const b = best[k];
    if (!b) return;
    rows.push({
      section: 'http', figure: b.label, value: b.rps, unit: 'req/s', better: 'higher', p50: b.p50, p99: b.p99,
      cpuPct: b.cpuPct, cpuUsPerReq: b.cpuUsPerReq, userUsPerReq: b.userUsPerReq, sysUsPerReq: b.sysUsPerReq, errors: b.errors, ...extra,
    });
  };
  const ref = (k, label) => (best[k] ? { label, value: best[k].rps } : null);
  const sizes = `${c.symbol} ${c.expiry}, ${c.rows} rows; JSON ${chainBody.body.length.toLocaleString('en-US')} B, FB ${fbBytes.toLocaleString('en-US')} B`;
  const sameBytes = best.staticJson ? `; ${((best.cachedJson.rps / best.staticJson.rps) * 100).toFixed(0)} % of the same bytes as a constant body` : '';
  httpRow('cachedJson', { baseline: ref('nodeCached', 'node:http + Map + JSON.stringify'), limit: ref('hello', 'uWS hello, same server'), target: { text: '≥ 60 % of hello (issue 6)', met: best.cachedJson.rps >= 0.6 * best.hello.rps }, note: `${sizes}${sameBytes}` });
  httpRow('cachedFb', { baseline: ref('nodeCached', 'node:http + Map + JSON.stringify'), limit: ref('hello', 'uWS hello, same server'), target: best.cachedFb ? { text: '≥ 60 % of hello (issue 6)', met: best.cachedFb.rps >= 0.6 * best.hello.rps } : undefined });
  httpRow('uncachedJson', { baseline: ref('nodeBusy', 'node:http, tick per request'), limit: ref('cachedJson', 'cached JSON') });
  httpRow('uncachedFb', { baseline: ref('nodeBusy', 'node:http, tick per request'), limit: ref('cachedFb', 'cached FlatBuffers') });
  httpRow('staticJson', { limit: ref('hello', 'uWS hello, same server') });
  httpRow('hello', { limit: ref('raw', 'bare uWS.App hello') });
  httpRow('raw', {});
  httpRow('nodeCached', { limit: ref('hello', 'uWS hello, same server') });
  httpRow('nodeBusy', { limit: ref('hello', 'uWS hello, same server') });
  return { rows, configs, chainFile };
}
