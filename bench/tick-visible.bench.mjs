/**
 * "Tick → visible in a chain response" (docs/contract.md §7 "tick → visible latency") and the
 * memory of the server with the whole universe live, for bench/run.mjs.
 *
 * Sender: feed-e2e.bench.mjs's blaster (a worker thread: a minimal Dhan-like WebSocket server
 * writing pre-framed Full packets for exactly what each connection subscribed, paced to a
 * background rate, plus on request a probe packet for one token whose bid quantity carries
 * its send time in µs and whose ask quantity carries a sequence number).
 *
 * optchain: bench-target.mjs starts the real FeedSupervisor (feed worker thread, `ws`,
 * decoder, seqlock writes) against the blaster with the whole skeleton subscribed; once every
 * token has delivered a packet the background rate runs (docs/market-structure.md §5: a realistic
 * peak of 10k–25k packets/s), then each probe is sent and the chain route is polled over one
 * keep-alive connection until the probe's sequence number shows in the probe leg; latency =
 * receive time of that response − the probe's send stamp. The poll loop's own round trip is
 * included, so this is an upper bound.
 *
 * Baseline: peer-snapshot-server.mjs (500 ms recompute loop, the common peer design) fed by its
 * own blaster with the same background rate spread over its chain's tokens, probed the same way.
 */
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { SEGMENT_CODE } from '../dist/dhan/segments.js';
import { get, getJson, rssMB, sleep, spawnReady, stopChild } from './bench-util.mjs';

function startBlaster(probe, base) {
  const w = new Worker(new URL('./feed-e2e.bench.mjs', import.meta.url), { workerData: { role: 'blaster', probe, base } });
  return new Promise((resolve, reject) => {
    w.once('error', reject);
    w.once('message', (m) => resolve({ worker: w, port: m.port }));
  });
}

/** Closes the blaster's sockets, then ends the thread (its pacing timer would keep it alive). */
async function closeBlaster(worker) {
  worker.postMessage({ type: 'close' });
  await sleep(100);
  await worker.terminate();
}

function ask(worker, msg) {
  const id = Math.random();
  return new Promise((resolve) => {
    const on = (m) => {
      if (m.type === 'stats' && m.id === id) {
        worker.off('message', on);
        resolve(m);
      }
    };
    worker.on('message', on);
    worker.postMessage({ ...msg, id });
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** bidQty / askQty of the leg with `securityId` in a chain JSON body (both servers keep the contract's key order). */
function legQty(body, securityId) {
  const at = body.indexOf(`"securityId":${securityId},`);
  if (at < 0) return null;
  const b = body.indexOf('"bidQty":', at);
  const a = body.indexOf('"askQty":', b);
  return { bidQty: Number.parseInt(body.slice(b + 9, b + 21), 10), askQty: Number.parseInt(body.slice(a + 9, a + 21), 10) };
}

/**
 * Sends `count` probes through `blaster`, polling `url` after each until it shows the probe.
 * Returns sorted latencies (ms), lost probes and polls made.
 */
async function probeLoop({ blaster, url, securityId, base, count, timeoutMs, seqStart }) {
  const lat = [];
  let lost = 0;
  let polls = 0;
  let seq = seqStart;
  const nowUs = () => Math.round((performance.timeOrigin + performance.now() - base) * 1000);
  for (let i = 0; i < count; i++) {
    const want = ++seq;
    blaster.postMessage({ type: 'probe', seq: want });
    const deadline = performance.now() + timeoutMs;
    let seen = false;
    while (performance.now() < deadline) {
      const r = await get(url);
      polls++;
      const q = legQty(r.body, securityId);
      if (q !== null && q.askQty === want) {
        lat.push((nowUs() - q.bidQty) / 1000);
        seen = true;
        break;
      }
    }
    if (!seen) lost++;
    // A random gap, so the probes fall at random phases of any periodic loop on the server.
    await sleep(10 + Math.random() * 40);
  }
  lat.sort((a, b) => a - b);
  return { lat, lost, polls, seq };
}

/**
 * Runs the section against a running bench-target (`{ ready }`). Resolves `{ rows, detail }`.
 * The target is left running with its feed (the runner stops it).
 */
export async function runTickVisible({ target, chainFile, quick = false, log = console.log }) {
  const r = target.ready;
  const baseUrl = `http://127.0.0.1:${r.port}`;
  const chainUrl = `${baseUrl}/v1/chains/${r.chain.symbol}?expiry=${r.chain.expiry}`;
  const probe = { seg: SEGMENT_CODE[r.chain.probe.segment], id: r.chain.probe.securityId };
  const base = Math.floor(performance.timeOrigin + performance.now());
  const background = quick ? 5_000 : 20_000;
  const rows = [];
  const detail = {};

  // ── optchain ──
  const a = await startBlaster(probe, base);
  try {
    const started = await getJson(`${baseUrl}/bench/feed?url=${encodeURIComponent(`ws://127.0.0.1:${a.port}/feed`)}`);
    let st = null;
    for (let i = 0; i < 600; i++) {
      st = await getJson(`${baseUrl}/bench/feed-status`);
      const s = await ask(a.worker, { type: 'stats' });
      if (s.subscribed >= st.subscribed && st.subscribed > 0) break;
      await sleep(100);
    }
    a.worker.postMessage({ type: 'probe', seq: 1 });
    a.worker.postMessage({ type: 'rate', pps: quick ? 100_000 : 200_000 });
    const t0 = performance.now();
    for (let i = 0; i < 600; i++) {
      st = await getJson(`${baseUrl}/bench/feed-status`);
      if (st.fresh >= st.subscribed) break;
      await sleep(100);
    }
    const allLiveMs = performance.now() - t0;
    log(`  optchain feed: ${started.connections} connections (${started.accounts} accounts), ${st.subscribed} subscribed, ${st.fresh} with a packet after ${(allLiveMs / 1000).toFixed(1)} s`);
    a.worker.postMessage({ type: 'rate', pps: background });
    await sleep(quick ? 500 : 2000);
    // The method's own floor: one poll round trip (server build + HTTP + client) with no probe.
    const rtt = [];
    for (let i = 0; i < (quick ? 10 : 50); i++) {
      const t = performance.now();
      await get(chainUrl);
      rtt.push(performance.now() - t);
    }
    rtt.sort((x, y) => x - y);
    detail.pollRtt = { p50: percentile(rtt, 50), p99: percentile(rtt, 99) };
    const mem = await getJson(`${baseUrl}/bench/memory`);
    detail.live = { rssMB: rssMB(r.pid), heapUsedMB: mem.heapUsed / 1048576, externalMB: mem.external / 1048576, arrayBuffersMB: mem.arrayBuffers / 1048576, subscribed: st.subscribed, withData: st.fresh };
    const ours = await probeLoop({ blaster: a.worker, url: chainUrl, securityId: r.chain.probe.securityId, base, count: quick ? 10 : 200, timeoutMs: 3000, seqStart: 10_000_000 });
    const end = await getJson(`${baseUrl}/bench/feed-status`);
    detail.ours = { p50: percentile(ours.lat, 50), p99: percentile(ours.lat, 99), max: ours.lat.at(-1), probes: ours.lat.length, lost: ours.lost, polls: ours.polls, decodeErrors: end.decodeErrors, utilization: end.utilization };
    log(`  optchain tick → visible @${background.toLocaleString('en-US')} packets/s background: p50 ${detail.ours.p50.toFixed(2)} ms, p99 ${detail.ours.p99.toFixed(2)} ms, max ${detail.ours.max?.toFixed(2)} ms (${ours.lat.length} probes, ${ours.lost} lost, ${ours.polls} polls); RSS ${detail.live.rssMB.toFixed(0)} MB, heap ${detail.live.heapUsedMB.toFixed(0)} MB`);
    a.worker.postMessage({ type: 'rate', pps: 0 });
  } finally {
    await closeBlaster(a.worker);
  }

  // ── baseline: the 500 ms recompute loop ──
  const b = await startBlaster(probe, base);
  let peer = null;
  try {
    peer = await spawnReady(new URL('./peer-snapshot-server.mjs', import.meta.url).pathname, ['--chain', chainFile, '--feed', `ws://127.0.0.1:${b.port}/feed`, '--period', '500']);
    for (let i = 0; i < 100; i++) {
      if ((await ask(b.worker, { type: 'stats' })).subscribed >= peer.ready.instruments) break;
      await sleep(50);
    }
    b.worker.postMessage({ type: 'rate', pps: background });
    await sleep(quick ? 600 : 1500);
    const peerUrl = `http://127.0.0.1:${peer.ready.port}/v1/chains/${r.chain.symbol}?expiry=${r.chain.expiry}`;
    const theirs = await probeLoop({ blaster: b.worker, url: peerUrl, securityId: r.chain.probe.securityId, base, count: quick ? 4 : 60, timeoutMs: 3000, seqStart: 20_000_000 });
    detail.peer = { p50: percentile(theirs.lat, 50), p99: percentile(theirs.lat, 99), max: theirs.lat.at(-1), probes: theirs.lat.length, lost: theirs.lost, polls: theirs.polls };
    log(`  baseline (500 ms recompute loop) tick → visible: p50 ${detail.peer.p50.toFixed(1)} ms, p99 ${detail.peer.p99.toFixed(1)} ms (${theirs.lat.length} probes, ${theirs.lost} lost)`);
  } finally {
    if (peer) await stopChild(peer.child);
    await closeBlaster(b.worker);
  }

  const o = detail.ours;
  const p = detail.peer;
  const note = `${r.chain.symbol} ${r.chain.expiry} over HTTP JSON, ${background.toLocaleString('en-US')} packets/s background, ${o.probes} probes (${o.lost} lost) vs ${p.probes}`;
  rows.push({ section: 'tick', figure: 'tick → visible in a chain response, p50', value: o.p50, unit: 'ms', better: 'lower', baseline: { label: '500 ms recompute loop', value: p.p50 }, limit: { label: 'one poll round trip', value: detail.pollRtt.p50 }, note });
  rows.push({ section: 'tick', figure: 'tick → visible in a chain response, p99', value: o.p99, unit: 'ms', better: 'lower', baseline: { label: '500 ms recompute loop', value: p.p99 }, limit: { label: 'one poll round trip', value: detail.pollRtt.p99 } });
  rows.push({ section: 'startup', figure: 'RSS with the whole universe live (feed subscribed, all tokens with data)', value: detail.live.rssMB, unit: 'MB', better: 'lower', note: `heap used ${detail.live.heapUsedMB.toFixed(0)} MB, array buffers ${detail.live.arrayBuffersMB.toFixed(0)} MB; ${detail.live.subscribed} tokens` });
  return { rows, detail };
}
