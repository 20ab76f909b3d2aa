/**
 * Issue 12's targets for the web conventions, one server (bench-target.mjs, pinned to CPU 0),
 * wrk on CPU 1, same run, configurations alternated over rounds (best kept):
 *
 * - gzip'd (and br) NIFTY chain body size vs the plain body (target: gzip ≤ 20 %);
 * - cached chain JSON served gzip'd vs served plain: req/s and server CPU-µs per request
 *   (target: the compressed copy costs no more than the plain body);
 * - a 304 (If-None-Match with the current tag) vs the hello route (target: ≤ its cost).
 *
 * Run alone: `npm run build && node bench/http-conditional.bench.mjs [--quick]`.
 */
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuMeter, runWrk, spawnReady, stopChild } from './bench-util.mjs';

async function fetchRaw(url, headers = {}) {
  const { request } = await import('undici');
  const r = await request(url, { headers });
  return { status: r.statusCode, headers: r.headers, bytes: new Uint8Array(await r.body.arrayBuffer()) };
}

/** Resolves `{ rows }` for the suite table. */
export async function runConditional({ quick = false, log = console.log, serverCpus = '0', clientCpus = '1' } = {}) {
  const target = await spawnReady(fileURLToPath(new URL('./bench-target.mjs', import.meta.url)), ['--universe', quick ? 'synthetic' : 'master'], { cpus: serverCpus, nodeArgs: ['--expose-gc'] });
  try {
    const base = `http://127.0.0.1:${target.ready.port}`;
    const c = target.ready.chain;
    const chainUrl = `${base}/v1/chains/${c.symbol}?expiry=${c.expiry}`;
    const plain = await fetchRaw(chainUrl);
    const gz = await fetchRaw(chainUrl, { 'accept-encoding': 'gzip' });
    const br = await fetchRaw(chainUrl, { 'accept-encoding': 'br' });
    if (gz.headers['content-encoding'] !== 'gzip' || gunzipSync(gz.bytes).byteLength !== plain.bytes.byteLength) throw new Error('gzip body does not decode to the plain one');
    const etag = plain.headers.etag;
    if ((await fetchRaw(chainUrl, { 'if-none-match': etag })).status !== 304) throw new Error('no 304 for the current tag');
    const configs = [
      { key: 'hello', label: 'hello route, same server (limit)', url: `${base}/bench/hello`, headers: [] },
      { key: 'notModified', label: 'chain 304 (If-None-Match, current tag)', url: chainUrl, headers: [`If-None-Match: ${etag}`] },
      { key: 'plain', label: 'cached chain JSON, identity', url: chainUrl, headers: [] },
      { key: 'gzip', label: 'cached chain JSON, gzip copy', url: chainUrl, headers: ['Accept-Encoding: gzip'] },
      { key: 'br', label: 'cached chain JSON, br copy', url: chainUrl, headers: ['Accept-Encoding: br'] },
    ];
    const rounds = quick ? 1 : 2;
    const seconds = quick ? 1 : 5;
    for (const k of configs) k.runs = [];
    for (let round = 0; round < rounds; round++) {
      for (const k of configs) {
        if (!quick) await runWrk(k.url, { seconds: 1, cpus: clientCpus, headers: k.headers });
        const meter = cpuMeter(target.ready.pid);
        meter.start();
        const w = await runWrk(k.url, { seconds, cpus: clientCpus, headers: k.headers });
        const cpu = meter.stop();
        const run = { rps: w.rps, p50: w.p50, p99: w.p99, cpuPct: cpu.pct, cpuUsPerReq: (cpu.seconds * 1e6) / w.requests, non2xx: w.non2xx };
        k.runs.push(run);
        log(`  ${k.label}: ${Math.round(w.rps).toLocaleString('en-US')} req/s, p99 ${w.p99.toFixed(2)} ms, server CPU ${cpu.pct.toFixed(0)} %, ${run.cpuUsPerReq.toFixed(1)} CPU-µs/req${k.key === 'notModified' ? '' : w.non2xx ? `, ${w.non2xx} non-2xx` : ''}`);
      }
    }
    const best = Object.fromEntries(configs.map((k) => [k.key, { ...k, ...k.runs.reduce((a, b) => (b.rps > a.rps ? b : a)) }]));
    const gzPct = (gz.bytes.byteLength / plain.bytes.byteLength) * 100;
    const brPct = (br.bytes.byteLength / plain.bytes.byteLength) * 100;
    const rows = [
      { section: 'conv', figure: `gzip'd ${c.symbol} chain body (${c.rows} rows)`, value: gzPct, unit: '%', better: 'lower', note: `${gz.bytes.byteLength.toLocaleString('en-US')} of ${plain.bytes.byteLength.toLocaleString('en-US')} B; br ${br.bytes.byteLength.toLocaleString('en-US')} B = ${brPct.toFixed(1)} %`, target: { text: '≤ 20 % of plain (issue 12)', met: gzPct <= 20 } },
      { section: 'conv', figure: 'cached chain JSON served gzip', value: best.gzip.rps, unit: 'req/s', better: 'higher', p50: best.gzip.p50, p99: best.gzip.p99, cpuPct: best.gzip.cpuPct, cpuUsPerReq: best.gzip.cpuUsPerReq, baseline: { label: 'same chain, identity', value: best.plain.rps }, note: `CPU-µs/req ${best.gzip.cpuUsPerReq.toFixed(1)} vs identity ${best.plain.cpuUsPerReq.toFixed(1)}`, target: { text: 'costs ≤ identity (CPU-µs/req, issue 12)', met: best.gzip.cpuUsPerReq <= best.plain.cpuUsPerReq } },
      { section: 'conv', figure: 'cached chain JSON served br', value: best.br.rps, unit: 'req/s', better: 'higher', p50: best.br.p50, p99: best.br.p99, cpuPct: best.br.cpuPct, cpuUsPerReq: best.br.cpuUsPerReq, baseline: { label: 'same chain, identity', value: best.plain.rps } },
      { section: 'conv', figure: 'cached chain JSON, identity', value: best.plain.rps, unit: 'req/s', better: 'higher', p50: best.plain.p50, p99: best.plain.p99, cpuPct: best.plain.cpuPct, cpuUsPerReq: best.plain.cpuUsPerReq },
      { section: 'conv', figure: 'chain 304 Not Modified', value: best.notModified.rps, unit: 'req/s', better: 'higher', p50: best.notModified.p50, p99: best.notModified.p99, cpuPct: best.notModified.cpuPct, cpuUsPerReq: best.notModified.cpuUsPerReq, limit: { label: 'hello route, same server', value: best.hello.rps }, note: `CPU-µs/req ${best.notModified.cpuUsPerReq.toFixed(1)} vs hello ${best.hello.cpuUsPerReq.toFixed(1)}`, target: { text: 'costs ≤ hello (CPU-µs/req, issue 12)', met: best.notModified.cpuUsPerReq <= best.hello.cpuUsPerReq } },
      { section: 'conv', figure: 'hello route, same server', value: best.hello.rps, unit: 'req/s', better: 'higher', p50: best.hello.p50, p99: best.hello.p99, cpuPct: best.hello.cpuPct, cpuUsPerReq: best.hello.cpuUsPerReq },
    ];
    return { rows };
  } finally {
    await stopChild(target.child, 10_000);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
  const { rows } = await runConditional({ quick: values.quick });
  for (const r of rows) console.log(`${r.figure}: ${r.value.toFixed(1)} ${r.unit}${r.note ? ` — ${r.note}` : ''}${r.target ? ` [${r.target.met ? 'met' : 'MISSED'}: ${r.target.text}]` : ''}`);
  process.exit(0);
}
