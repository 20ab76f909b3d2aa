/**
 * Feed end to end (docs/contract.md §7 rows "feed packets/s end to end" and "tick → visible latency"):
 * a full ~33k-token universe subscribed through the real FeedSupervisor → feed worker → `ws`
 * client → FeedDecoder → shared price table, fed over loopback WebSocket at rising offered
 * rates until the feed stops keeping up.
 *
 * The sender is a dedicated blaster in its own worker thread: a minimal WebSocket server that
 * answers the handshake, reads the (masked) subscribe messages of each connection, and then
 * writes PRE-ENCODED, PRE-FRAMED Full packets (one packet per WebSocket message, as Dhan sends,
 * docs/dhan-protocol.md §2.8) for exactly the tokens that connection subscribed, paced to the
 * offered rate. Pre-framing keeps the sender far cheaper than the receiver, so the receiver's
 * limit is what is measured. No tick is dropped or coalesced: every frame is a distinct packet
 * and the decoder's packet count is compared with the sender's.
 *
 * Latency (issue 14 §3): at each offered rate two probes run one after the other on the same
 * load. Each asks the blaster for a Full packet for a dedicated token stamped with its send
 * time (µs, in the depth quantities), written behind whatever is already queued, and takes
 * `now − stamp` when the new value is readable in the table (send → readable, an upper bound of
 * frame-arrival → readable: it adds the loopback hop). The OLD probe spins on the main thread
 * over the slot's seqlock version; on a 2-vCPU box that makes three busy threads (sender,
 * feed worker, spinner) for two cores, so its tail is largely its own doing. The NEW probe is a
 * worker thread asleep in `PriceTable.waitForVersionChange` (Atomics.wait slices of 50 µs): the
 * figure reported. p50/p99/p99.9 at 10k and 65k packets/s (what Dhan produces, docs/market-structure.md
 * §5) and at 300k (the old headline rate), idle as well.
 *
 * Combined load: the chain route of the real OptchainServer under `wrk` while the feed ingests
 * 65k packets/s into the same table, HTTP p99 and tick → readable p99 side by side, with wrk
 * alone and the feed alone as baselines, and every packet accounted for.
 *
 * Limits measured in the same run: (1) the blaster's unpaced send rate with the real feed
 * receiving ("max" row), (2) a bare `ws` client that only counts messages (no decode, no
 * table) on the same connections, unpaced — the `ws` receive ceiling on this machine; it also
 * publishes the probe through one seqlock slot write, and both probes measure it at the same
 * rates: the latency floor of `ws` on this machine.
 *
 * Run: `npm run build && node bench/feed-e2e.bench.mjs [--quick] [--rates=…] [--seconds=N] [--no-sim] [--no-max] [--no-combined]`; `--cpu-prof` as a node flag
 * profiles all threads. Exports `run()` → rows `{ name, value, unit, baseline, ratio }`.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'; // RFC 6455 §1.3
const FULL = 162;
const FRAME = FULL + 4; // 0x82, 126, u16 length, payload
const VARIANTS = 2;
const HIGH_WATER = 4 * 1024 * 1024;
/** Pause between latency probes (the main thread spins only while a probe is in flight). */
const PROBE_GAP_MS = 5;
/** Atomics.wait slice of the waiting probe, ms: its resolution (plus the kernel's wake-up). */
const WAIT_SLICE_MS = 0.05;

// ---------------------------------------------------------------------------------------------
// Blaster (worker thread): minimal WebSocket server writing pre-framed Full packets.
// ---------------------------------------------------------------------------------------------

async function blaster() {
  const { encodeFull } = await import('../dist/sim/packet-encoder.js');
  const { SEGMENT_CODE } = await import('../dist/dhan/segments.js');
  const { probe: probeToken, base } = workerData;
  const conns = [];
  let rate = 0;
  let unpaced = false;
  let sent = 0;
  let rateStart = 0n;
  let sentAtRateStart = 0;
  let blocked = 0;

  const fullValues = (v, bidQty = 1625, askQty = 1365) => ({
    ltp: 100 + v * 0.05, ltq: 75, ltt: 1786000000 + v, atp: 99.5, volume: 1_000_000 + v, totalSellQty: 20000, totalBuyQty: 30000,
    oi: 3786445 + v, oiHigh: 3800000, oiLow: 3700000, open: 95, close: 98.4, high: 104, low: 93,
    depth: [{ bidQty, askQty, bidOrders: 12, askOrders: 9, bid: 99.95, ask: 100.05 }],
  });
  const frameHeader = (buf, off) => {
    buf[off] = 0x82;
    buf[off + 1] = 126;
    buf.writeUInt16BE(FULL, off + 2);
  };

  function build(c) {
    const list = c.subs.filter((s) => !(s.seg === probeToken.seg && s.id === probeToken.id));
    const buf = Buffer.alloc(Math.max(1, list.length * VARIANTS) * FRAME);
    let off = 0;
    for (let v = 0; v < VARIANTS; v++) {
      for (const s of list) {
        frameHeader(buf, off);
        encodeFull(buf, off + 4, s.seg, s.id, fullValues(v + (s.id % 97)));
        off += FRAME;
      }
    }
    c.frames = buf;
    c.count = list.length * VARIANTS;
    c.pos = 0;
    c.dirty = false;
  }

  function writeFrames(c, n) {
    if (c.dirty) build(c);
    if (c.count === 0) return 0;
    let left = n;
    while (left > 0) {
      const take = Math.min(left, c.count - c.pos);
      c.socket.write(c.frames.subarray(c.pos * FRAME, (c.pos + take) * FRAME));
      c.pos = (c.pos + take) % c.count;
      left -= take;
    }
    return n;
  }

  function onClientData(c, chunk) {
    c.inbuf = c.inbuf.length === 0 ? chunk : Buffer.concat([c.inbuf, chunk]);
    for (;;) {
      const b = c.inbuf;
      if (b.length < 2) return;
      const opcode = b[0] & 0x0f;
      let len = b[1] & 0x7f;
      let p = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        p = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        p = 10;
      }
      const masked = (b[1] & 0x80) !== 0;
      const maskAt = p;
      if (masked) p += 4;
      if (b.length < p + len) return;
      const payload = Buffer.from(b.subarray(p, p + len));
      if (masked) for (let i = 0; i < len; i++) payload[i] ^= b[maskAt + (i & 3)];
      c.inbuf = b.subarray(p + len);
      if (opcode === 1) {
        const msg = JSON.parse(payload.toString('utf8'));
        for (const i of msg.InstrumentList ?? []) c.subs.push({ seg: SEGMENT_CODE[i.ExchangeSegment], id: Number(i.SecurityId) });
        c.dirty = true;
      } else if (opcode === 9) {
        const pong = Buffer.alloc(2 + len);
        pong[0] = 0x8a;
        pong[1] = len;
        payload.copy(pong, 2);
        c.socket.write(pong);
      } else if (opcode === 8) {
        c.socket.end();
      }
    }
  }

  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket) => {
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}${GUID}`).digest('base64');
    socket.setNoDelay(true);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const c = { socket, subs: [], inbuf: Buffer.alloc(0), frames: null, count: 0, pos: 0, dirty: true, url: req.url };
    conns.push(c);
    socket.on('data', (d) => onClientData(c, d));
    socket.on('error', () => {});
    socket.on('close', () => conns.splice(conns.indexOf(c), 1));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));

  const probeBuf = Buffer.alloc(FRAME);
  const onControl = (m) => {
    if (m.type === 'probe-port') {
      // A prober thread's own line to this thread, so probes never queue behind the main thread.
      m.port.on('message', onControl);
    } else if (m.type === 'probe') {
      const c = conns.find((k) => k.subs.some((s) => s.seg === probeToken.seg && s.id === probeToken.id));
      if (c === undefined) return;
      frameHeader(probeBuf, 0);
      const stamp = Math.round((performance.timeOrigin + performance.now() - base) * 1000);
      encodeFull(probeBuf, 4, probeToken.seg, probeToken.id, fullValues(m.seq, stamp >>> 0, m.seq));
      c.socket.write(Buffer.from(probeBuf));
      sent++;
    } else if (m.type === 'rate') {
      rate = m.pps;
      unpaced = m.pps === Infinity;
      rateStart = process.hrtime.bigint();
      sentAtRateStart = sent;
    } else if (m.type === 'stats') {
      parentPort.postMessage({ type: 'stats', id: m.id, sent, blocked, conns: conns.length, subscribed: conns.reduce((n, c) => n + c.subs.length, 0) });
    } else if (m.type === 'close') {
      rate = 0;
      for (const c of conns) c.socket.destroy();
      server.close();
      parentPort.close();
    }
  };
  parentPort.on('message', onControl);

  let lastTick = process.hrtime.bigint();
  const loop = () => {
    if (rate > 0 && conns.length > 0) {
      const now = process.hrtime.bigint();
      if (unpaced) {
        // As fast as the receiver drains: top each socket up to the high-water mark.
        for (const c of conns) {
          if (c.socket.writableLength < HIGH_WATER) sent += writeFrames(c, 256);
          else blocked++;
        }
      } else if (now - lastTick >= 1_000_000n) {
        lastTick = now;
        let due = Math.floor((rate * Number(now - rateStart)) / 1e9) - (sent - sentAtRateStart);
        // Never more than 20 ms worth in one go: a sender that fell behind reports a lower
        // achieved rate instead of dumping a burst.
        due = Math.min(due, Math.ceil(rate / 50));
        if (due > 0) {
          const per = Math.floor(due / conns.length);
          let extra = due - per * conns.length;
          for (const c of conns) {
            const n = per + (extra-- > 0 ? 1 : 0);
            if (n === 0) continue;
            if (c.socket.writableLength >= HIGH_WATER) {
              blocked++;
              continue;
            }
            sent += writeFrames(c, n);
          }
        }
      }
    }
    // Unpaced: spin (the receiver is the limit); paced or idle: sleep to the next millisecond
    // so the sender does not steal a core from the receiver on a 2-core machine.
    if (unpaced && rate > 0) setImmediate(loop);
    else setTimeout(loop, 1);
  };
  loop();
  parentPort.postMessage({ type: 'ready', port: server.address().port });
}

// ---------------------------------------------------------------------------------------------
// Bare ws receiver (worker thread): counts messages, decodes nothing — the ws ceiling.
// ---------------------------------------------------------------------------------------------

async function bareReceiver() {
  const { default: WebSocket } = await import('ws');
  const { url, shards, probe, handle } = workerData;
  const { PriceTable, F } = await import('../dist/price-table/price-table.js');
  const table = PriceTable.attach(handle);
  let messages = 0;
  let bytes = 0;
  const sockets = shards.map((msgs) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => {
      for (const m of msgs) ws.send(m);
    });
    ws.on('message', (d) => {
      messages++;
      bytes += d.length;
      // The probe token: publish (stamp, seq) through one seqlock slot write, as the decoder would.
      if (d.length === 162 && d[3] === probe.seg && d.readUInt32LE(4) === probe.id) {
        table.beginWrite(0);
        table.f64[F.BID_QTY] = d.readUInt32LE(62);
        table.f64[F.ASK_QTY] = d.readUInt32LE(66);
        table.endWrite(0);
      }
    });
    ws.on('error', () => {});
    return ws;
  });
  parentPort.on('message', (m) => {
    if (m.type === 'stats') parentPort.postMessage({ type: 'stats', id: m.id, messages, bytes });
    if (m.type === 'close') {
      for (const ws of sockets) ws.terminate();
      parentPort.close();
    }
  });
  parentPort.postMessage({ type: 'ready' });
}

// ---------------------------------------------------------------------------------------------
// Prober (worker thread): the waiting probe. Asks the blaster for a stamped packet over its own
// port, then sleeps in PriceTable.waitForVersionChange (Atomics.wait slices) until the probe
// slot's new value is readable: no core is burnt while waiting, unlike the main-thread spin.
// ---------------------------------------------------------------------------------------------

async function prober() {
  const { PriceTable, F } = await import('../dist/price-table/price-table.js');
  const { handle, slot, base, port, seqBase } = workerData;
  const table = PriceTable.attach(handle);
  let seq = seqBase;
  const sleepMs = (ms) => new Promise((r) => setTimeout(r, ms));
  parentPort.on('message', async (m) => {
    if (m.type === 'close') {
      port.close();
      parentPort.close();
      return;
    }
    if (m.type !== 'run') return;
    const t0 = performance.now();
    const lat = [];
    let lost = 0;
    while (performance.now() - t0 < m.seconds * 1000) {
      const want = ++seq;
      let version = table.version(slot);
      port.postMessage({ type: 'probe', seq: want });
      const deadline = performance.now() + 2000;
      let ok = false;
      while (performance.now() < deadline) {
        version = table.waitForVersionChange(slot, version, deadline - performance.now(), m.sliceMs);
        if (table.readField(slot, F.ASK_QTY) === want) {
          ok = true;
          break;
        }
      }
      const now = performance.timeOrigin + performance.now();
      if (ok) lat.push(now - base - table.readField(slot, F.BID_QTY) / 1000);
      else lost++;
      await sleepMs(m.gapMs);
    }
    parentPort.postMessage({ type: 'result', id: m.id, lat, lost });
  });
  parentPort.postMessage({ type: 'ready' });
}

/** Starts a prober on `table`'s `slot` with its own port to `blast`. */
async function startProber(self, blast, table, slot, base, seqBase) {
  const { port1, port2 } = new MessageChannel();
  blast.postMessage({ type: 'probe-port', port: port1 }, [port1]);
  const w = new Worker(self, { workerData: { role: 'prober', handle: table.handle(), slot, base, port: port2, seqBase }, transferList: [port2] });
  await new Promise((r) => w.once('message', r));
  return w;
}

/** Runs the waiting probe for `seconds`: sorted latencies (ms) and probes never seen. */
function waitProbe(w, seconds, gapMs = PROBE_GAP_MS, sliceMs = WAIT_SLICE_MS) {
  const id = Math.random();
  return new Promise((resolve) => {
    const on = (m) => {
      if (m.type === 'result' && m.id === id) {
        w.off('message', on);
        resolve({ lat: m.lat.sort((a, b) => a - b), lost: m.lost });
      }
    };
    w.on('message', on);
    w.postMessage({ type: 'run', id, seconds, gapMs, sliceMs });
  });
}

/** p50 / p99 / p99.9 / max of sorted latencies. */
function pcts(sorted) {
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), p999: percentile(sorted, 99.9), max: sorted.at(-1), n: sorted.length };
}

// ---------------------------------------------------------------------------------------------
// Main thread.
// ---------------------------------------------------------------------------------------------

/** A ~33.4k-token universe shaped like docs/market-structure.md §4.2 (3-expiry month). */
function universe() {
  const tokens = [];
  const chainsOfSlot = [];
  let chain = 0;
  let fno = 35_000;
  let bfo = 1_100_000;
  const underlying = (spotSeg, spotId, optSeg, chains, perChain) => {
    const spotSlot = tokens.length;
    tokens.push({ slot: spotSlot, segment: spotSeg, securityId: spotId, kind: 'spot', underlyingIndex: 0 });
    chainsOfSlot.push([]);
    for (let c = 0; c < chains; c++, chain++) {
      chainsOfSlot[spotSlot].push(chain);
      for (let k = 0; k < perChain; k++) {
        const id = optSeg === 'BSE_FNO' ? bfo++ : fno++;
        tokens.push({ slot: tokens.length, segment: optSeg, securityId: id, kind: 'option', underlyingIndex: 0 });
        chainsOfSlot.push([chain]);
      }
    }
  };
  underlying('IDX_I', 13, 'NSE_FNO', 6, 164); // NIFTY ≈ 982
  underlying('IDX_I', 25, 'NSE_FNO', 4, 168); // BANKNIFTY ≈ 670
  underlying('IDX_I', 51, 'BSE_FNO', 6, 209); // SENSEX ≈ 1252
  for (let s = 0; s < 208; s++) underlying('NSE_EQ', 100 + s, 'NSE_FNO', 3, 48); // ≈ 29.9k
  return { tokens, chainsOfSlot, chains: chain };
}

/**
 * Latency rows: for each offered rate of the latency table (10k, 65k, 300k) and idle, the
 * waiting probe's p50/p99/p99.9 with the old spinning probe's next to it and the bare `ws`
 * floor (both probes) as the baseline, all from the same run.
 */
function latencyRows(steps, idle, bareSteps) {
  const rows = [];
  const at = [['no background traffic', idle, bareSteps.find((b) => b.offered === 0)]];
  for (const r of [10_000, 65_000, 300_000]) {
    const s = steps.find((x) => x.offered === r);
    if (s) at.push([`@${r / 1000}k/s offered`, s, bareSteps.find((b) => b.offered === r)]);
  }
  for (const [label, s, b] of at) {
    for (const [k, name] of [['p50', 'p50'], ['p99', 'p99'], ['p999', 'p99.9']]) {
      rows.push({ name: `tick → readable ${name} ${label} (waiting probe)`, value: s[k], unit: 'ms', baseline: 'bare ws + seqlock publish, waiting probe', ratio: b ? s[k] / b[k] : NaN, spin: s.spin?.[k], bare: b?.[k], bareSpin: b?.spin?.[k], probes: s.n });
    }
  }
  return rows;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

/**
 * The real simulator as the sender: its own packet rate at rising rate multipliers is the
 * "limit" column (the simulator runs on this thread; the feed worker on its own).
 */
async function simPhase({ seconds, log }) {
  let startSimulator;
  try {
    ({ startSimulator } = await import('../dist/sim/sim-server.js'));
  } catch {
    log('  simulator not built: simulator phase skipped');
    return [];
  }
  const { FeedSupervisor } = await import('../dist/feed/feed-supervisor.js');
  const { PriceTable } = await import('../dist/price-table/price-table.js');
  const { MarketClock } = await import('../dist/time/market-clock.js');
  const { loadMaster } = await import('../dist/master/load-master.js');
  const { buildSkeleton } = await import('../dist/skeleton/build-skeleton.js');
  const { pino } = await import('pino');
  const tradingDate = '2026-10-12'; // a 3-expiry month: the largest universe
  const sim = await startSimulator({ host: '127.0.0.1', port: 0, tradingDate, seed: 42 });
  const master = await loadMaster({ source: sim.urls.master, tradingDate, dataDir: null, progress: false });
  const skeleton = buildSkeleton(master.instruments, tradingDate);
  const table = PriceTable.allocate(skeleton.tokens.length, skeleton.chains.length);
  const supervisor = new FeedSupervisor({
    skeleton, table, accounts: { kind: 'static', accounts: sim.accounts }, feedUrl: sim.urls.feed, clock: new MarketClock(sim.clockOffsetMs),
    config: { feedWorkers: 1, feedWatchdogMs: 30_000, feedFirstPacketMs: 120_000, feedBackoffMaxMs: 5_000 },
    logger: pino({ level: 'warn' }),
  });
  await supervisor.start();
  for (let i = 0; i < 300 && supervisor.status().withData < skeleton.tokens.length; i++) await sleep(100);
  log(`simulator → feed: ${skeleton.tokens.length} tokens, ${supervisor.connectionPlan.connections.length} connections; withData ${supervisor.status().withData}`);
  const sentPackets = () => {
    const p = sim.stats().feed.packets;
    return Object.values(p).reduce((n, x) => n + x, 0);
  };
  let best = null;
  for (const rate of [1, 10, 30, 100, 300, 1000]) {
    sim.faults.setRate(rate);
    await sleep(1000);
    await supervisor.refresh();
    const s0 = sentPackets();
    const d0 = supervisor.status().packets;
    const t0 = performance.now();
    await sleep(seconds * 1000);
    await supervisor.refresh();
    const el = (performance.now() - t0) / 1000;
    const sent = (sentPackets() - s0) / el;
    const dec = (supervisor.status().packets - d0) / el;
    const elu = supervisor.utilization()[0] ?? 0;
    log(`  sim rate ×${rate}: simulator sent ${Math.round(sent).toLocaleString('en-US')} packets/s, feed decoded ${Math.round(dec).toLocaleString('en-US')}/s, worker ELU ${(elu * 100).toFixed(0)} %`);
    const prev = best;
    if (best === null || sent > best.sent) best = { rate, sent, dec };
    if (prev !== null && sent < prev.sent * 1.3) break; // ×3 the rate, < 1.3× the packets: the simulator is the limit
    if (dec < 0.97 * sent) break; // the feed fell behind
  }
  sim.faults.setRate(1);
  await supervisor.stop();
  await sim.close();
  return [
    { name: `feed e2e from the simulator (rate ×${best.rate})`, value: Math.round(best.dec), unit: 'packets/s', baseline: 'simulator send rate (limit)', ratio: best.dec / best.sent },
    { name: 'limit: simulator send rate', value: Math.round(best.sent), unit: 'packets/s', baseline: 'simulator send rate (limit)', ratio: 1 },
  ];
}

/**
 * Combined load: the chain route over HTTP under `wrk` (the real OptchainServer on this
 * thread, uWS) while the real feed (FeedSupervisor → feed worker) ingests `pps` packets/s from
 * a blaster into the same table, the waiting probe measuring tick → readable on a NIFTY leg.
 * Baselines in the same phase: wrk with the feed idle, and the probe with no HTTP load. Every
 * packet sent must be decoded (after a drain) and no probe lost.
 */
async function combinedPhase({ seconds, log, self, pps = 65_000 }) {
  const { runWrk, which } = await import('./bench-util.mjs');
  if (!which('wrk')) {
    log('  wrk missing (apt-get install wrk): combined-load row skipped');
    return [];
  }
  const { syntheticSkeleton, fillTable } = await import('./chain-build.bench.mjs');
  const { OptchainServer } = await import('../dist/http/optchain-server.js');
  const { SkeletonIndex } = await import('../dist/skeleton/skeleton-index.js');
  const { FeedSupervisor } = await import('../dist/feed/feed-supervisor.js');
  const { PriceTable } = await import('../dist/price-table/price-table.js');
  const { MarketClock } = await import('../dist/time/market-clock.js');
  const { SEGMENT_CODE } = await import('../dist/dhan/segments.js');
  const { pino } = await import('pino');
  const skeleton = syntheticSkeleton();
  const table = PriceTable.allocate(skeleton.slotCount, skeleton.chains.length);
  fillTable(skeleton, table);
  const index = new SkeletonIndex(skeleton);
  const chain = index.underlying('NIFTY', 'NSE').chains[0];
  const leg = chain.rows.find((r, i) => i >= chain.rows.length / 2 && r.ce !== null).ce;
  const base = Math.floor(performance.timeOrigin + performance.now());
  const blast = new Worker(self, { workerData: { role: 'blaster', probe: { seg: SEGMENT_CODE[leg.segment], id: leg.securityId }, base } });
  const { port: blastPort } = await new Promise((r) => blast.once('message', r));
  const server = new OptchainServer({ mode: 'live' });
  server.setMarket(skeleton, table, index);
  const port = await server.listen('127.0.0.1', 0);
  const url = `http://127.0.0.1:${port}/v1/chains/${chain.symbol}?expiry=${chain.expiry}`;
  const n = Math.ceil(skeleton.slotCount / 25_000);
  const supervisor = new FeedSupervisor({
    skeleton, table, accounts: { kind: 'static', accounts: Array.from({ length: n }, (_, i) => ({ clientId: String(1100000001 + i), accessToken: `bench-${i}` })) },
    feedUrl: `ws://127.0.0.1:${blastPort}/feed`, clock: new MarketClock(0),
    config: { feedWorkers: 1, feedWatchdogMs: 30_000, feedFirstPacketMs: 120_000, feedBackoffMaxMs: 5_000 },
    logger: pino({ level: 'warn' }),
  });
  await supervisor.start();
  for (let i = 0; i < 100; i++) {
    if ((await ask(blast, { type: 'stats' })).subscribed >= supervisor.connectionPlan.subscribed) break;
    await sleep(100);
  }
  const prober = await startProber(self, blast, table, leg.slot, base, 300_000_000);
  const wrkSeconds = Math.max(1, Math.round(seconds));
  const counts = async () => {
    await supervisor.refresh();
    return { sent: (await ask(blast, { type: 'stats' })).sent, decoded: supervisor.status().packets };
  };
  try {
    blast.postMessage({ type: 'rate', pps });
    await sleep(1000);
    const feedAlone = await waitProbe(prober, wrkSeconds);
    blast.postMessage({ type: 'rate', pps: 0 });
    await sleep(500);
    const httpAlone = await runWrk(url, { seconds: wrkSeconds, cpus: null });
    blast.postMessage({ type: 'rate', pps });
    await sleep(700);
    const c0 = await counts();
    const t0 = performance.now();
    const [http, probed] = await Promise.all([runWrk(url, { seconds: wrkSeconds, cpus: null }), waitProbe(prober, wrkSeconds)]);
    const el = (performance.now() - t0) / 1000;
    const c1 = await counts();
    blast.postMessage({ type: 'rate', pps: 0 });
    let end = await counts();
    for (let i = 0; i < 100 && end.decoded < end.sent; i++) {
      await sleep(100);
      end = await counts();
    }
    const st = supervisor.status();
    const lostTicks = end.sent - end.decoded;
    const tick = pcts(probed.lat);
    const tickAlone = pcts(feedAlone.lat);
    const ingest = (c1.decoded - c0.decoded) / el;
    log(`  combined: wrk ${Math.round(http.rps).toLocaleString('en-US')} req/s p50 ${http.p50.toFixed(2)} / p99 ${http.p99.toFixed(2)} ms (feed idle: ${Math.round(httpAlone.rps).toLocaleString('en-US')} req/s, p99 ${httpAlone.p99.toFixed(2)} ms, ${http.non2xx + http.socketErrors} errors); feed ${Math.round(ingest).toLocaleString('en-US')} packets/s, tick → readable p50 ${tick.p50.toFixed(3)} / p99 ${tick.p99.toFixed(3)} / p99.9 ${tick.p999.toFixed(3)} ms (no HTTP load: p99 ${tickAlone.p99.toFixed(3)} ms); lost ticks ${lostTicks}, lost probes ${probed.lost}, decode errors ${st.decodeErrors}`);
    if (st.decodeErrors !== 0) throw new Error(`decode errors in the combined phase: ${JSON.stringify(st.errors)}`);
    const note = `${chain.symbol} ${chain.expiry} JSON, wrk -t1 -c50 for ${wrkSeconds} s while the feed ingests ${Math.round(ingest).toLocaleString('en-US')} packets/s (offered ${pps.toLocaleString('en-US')}); ${tick.n} probes`;
    return [
      { name: `combined: chain HTTP p99 under wrk, feed ingesting ${pps / 1000}k/s`, value: http.p99, unit: 'ms', baseline: 'same wrk run, feed idle', ratio: http.p99 / httpAlone.p99, rps: http.rps, rpsAlone: httpAlone.rps, p50: http.p50, errors: http.non2xx + http.socketErrors, note },
      { name: `combined: chain HTTP req/s under wrk, feed ingesting ${pps / 1000}k/s`, value: http.rps, unit: 'req/s', baseline: 'same wrk run, feed idle', ratio: http.rps / httpAlone.rps },
      { name: `combined: tick → readable p99 under wrk, feed ingesting ${pps / 1000}k/s (waiting probe)`, value: tick.p99, unit: 'ms', baseline: 'same feed, no HTTP load', ratio: tick.p99 / tickAlone.p99, p50: tick.p50, p999: tick.p999, probes: tick.n, probesLost: probed.lost },
      { name: `combined: ticks lost (sent − decoded after drain), feed ingesting ${pps / 1000}k/s`, value: lostTicks, unit: `of ${end.sent} sent`, baseline: 'sent', ratio: end.decoded / end.sent, decodedPerSec: ingest },
    ];
  } finally {
    blast.postMessage({ type: 'rate', pps: 0 });
    prober.postMessage({ type: 'close' });
    await supervisor.stop();
    await server.close();
    blast.postMessage({ type: 'close' });
    await sleep(200);
  }
}

/**
 * Runs the benchmark; resolves to result rows. `seconds` overrides the measuring time per step
 * (bench/run.mjs's smoke run uses a fraction of a second).
 */
export async function run({ quick = false, log = console.log, rates: onlyRates = null, sim = !quick, unpaced = true, combined = !quick, seconds: secondsOverride = null } = {}) {
  const { FeedSupervisor } = await import('../dist/feed/feed-supervisor.js');
  const { PriceTable } = await import('../dist/price-table/price-table.js');
  const { F } = await import('../dist/price-table/layout.js');
  const { MarketClock } = await import('../dist/time/market-clock.js');
  const { SEGMENT_CODE } = await import('../dist/dhan/segments.js');
  const { subscribeMessagesFor } = await import('../dist/feed/connection-plan.js');
  const { pino } = await import('pino');

  const u = universe();
  const probeSlot = u.tokens.findIndex((t, i) => i > 10 && t.kind === 'option');
  const probeToken = { seg: SEGMENT_CODE[u.tokens[probeSlot].segment], id: u.tokens[probeSlot].securityId };
  const base = Math.floor(performance.timeOrigin + performance.now());
  const self = new URL(import.meta.url);

  const blast = new Worker(self, { workerData: { role: 'blaster', probe: probeToken, base } });
  const { port } = await new Promise((r) => blast.once('message', r));
  const feedUrl = `ws://127.0.0.1:${port}/feed`;
  const accounts = [{ clientId: '1100000001', accessToken: 'bench-a' }, { clientId: '1100000002', accessToken: 'bench-b' }];

  const table = PriceTable.allocate(u.tokens.length, u.chains);
  const skeleton = { tradingDate: '2026-08-17', tokens: u.tokens, chainsOfSlot: u.chainsOfSlot, slotCount: u.tokens.length };
  const supervisor = new FeedSupervisor({
    skeleton, table, accounts: { kind: 'static', accounts }, feedUrl, clock: new MarketClock(0),
    config: { feedWorkers: 1, feedWatchdogMs: 30_000, feedFirstPacketMs: 120_000, feedBackoffMaxMs: 5_000 },
    logger: pino({ level: 'warn' }),
  });
  await supervisor.start();
  const plan = supervisor.connectionPlan;
  for (let i = 0; i < 100; i++) {
    const s = await ask(blast, { type: 'stats' });
    if (s.subscribed === plan.subscribed) break;
    await sleep(100);
  }
  const subscribedAtBlaster = (await ask(blast, { type: 'stats' })).subscribed;
  log(`feed e2e: ${u.tokens.length} tokens, ${plan.connections.length} connections (${plan.accounts.length} accounts), ${plan.workers} worker; blaster sees ${subscribedAtBlaster} subscriptions`);

  const decoded = async () => {
    await supervisor.refresh();
    return supervisor.status().packets;
  };

  let seq = 1;
  /**
   * Probes for `seconds`: ask the blaster for a stamped packet, spin until `seenSeq()` shows it,
   * record now − stamp. Returns sorted latencies (ms) and the number of probes never seen.
   */
  async function probe(seconds, seenSeq, stampUs) {
    const t0 = performance.now();
    const lat = [];
    let lost = 0;
    while (performance.now() - t0 < seconds * 1000) {
      const want = seq++;
      blast.postMessage({ type: 'probe', seq: want });
      const deadline = performance.now() + 2000;
      let ok = false;
      while (performance.now() < deadline) {
        if (seenSeq() === want) {
          ok = true;
          break;
        }
      }
      const now = performance.timeOrigin + performance.now();
      if (ok) lat.push(now - base - stampUs() / 1000);
      else lost++;
      await sleep(PROBE_GAP_MS);
    }
    lat.sort((a, b) => a - b);
    return { lat, lost };
  }

  /** The spinning probe's view of a probe slot: readable once its seqlock version moved and the copy is consistent. */
  const spinReader = (t, slot) => {
    let lastVersion = t.version(slot);
    let lastSeq = 0;
    return {
      seq: () => {
        const v = t.version(slot);
        if (v !== lastVersion) {
          lastVersion = v;
          lastSeq = t.readField(slot, F.ASK_QTY);
        }
        return lastSeq;
      },
      stamp: () => t.readField(slot, F.BID_QTY),
    };
  };
  const feedSpin = spinReader(table, probeSlot);
  const feedProber = await startProber(self, blast, table, probeSlot, base, 100_000_000);

  async function step(pps, seconds) {
    blast.postMessage({ type: 'rate', pps });
    await sleep(quick ? 300 : 700);
    supervisor.utilization();
    const s0 = await ask(blast, { type: 'stats' });
    const d0 = await decoded();
    const t0 = performance.now();
    // Old and new probe on the same load, one after the other: the spinning main thread, then
    // the prober thread that sleeps in Atomics.wait.
    const spun = await probe(seconds, feedSpin.seq, feedSpin.stamp);
    const waited = await waitProbe(feedProber, seconds);
    const elapsed = (performance.now() - t0) / 1000;
    const s1 = await ask(blast, { type: 'stats' });
    const d1 = await decoded();
    const elu = supervisor.utilization()[0] ?? 0;
    return {
      offered: pps,
      sentPerSec: (s1.sent - s0.sent) / elapsed,
      decodedPerSec: (d1 - d0) / elapsed,
      backlog: s1.sent - d1,
      blocked: s1.blocked - s0.blocked,
      ...pcts(waited.lat),
      probes: waited.lat.length,
      probesLost: waited.lost,
      spin: { ...pcts(spun.lat), lost: spun.lost },
      workerElu: elu,
    };
  }

  // 10k and 65k: what Dhan really produces at a realistic peak and at the upper bound for the
  // whole universe (docs/market-structure.md §5); 300k: the old headline rate; then up to the limit.
  const rates = onlyRates ?? (quick ? [65_000, 300_000] : [10_000, 65_000, 100_000, 200_000, 300_000, 400_000, 500_000, 600_000, 800_000, 1_000_000, 1_200_000, 1_500_000]);
  const seconds = secondsOverride ?? (quick ? 1.5 : 4);
  const steps = [];
  // Latency floor: probes only, no background traffic (what the machine and the path cost).
  const idle = await step(0, seconds);
  const fmt = (x) => `p50 ${x.p50?.toFixed(3)} / p99 ${x.p99?.toFixed(3)} / p99.9 ${x.p999?.toFixed(3)} ms (${x.n} probes)`;
  log(`  idle (probes only): waiting probe ${fmt(idle)}; spinning probe ${fmt(idle.spin)}`);
  for (const r of rates) {
    const s = await step(r, seconds);
    steps.push(s);
    log(`  offered ${r.toLocaleString('en-US')}/s: sent ${Math.round(s.sentPerSec).toLocaleString('en-US')}/s, decoded ${Math.round(s.decodedPerSec).toLocaleString('en-US')}/s, backlog ${s.backlog}; waiting probe ${fmt(s)}; spinning probe ${fmt(s.spin)}; worker ELU ${(s.workerElu * 100).toFixed(0)} %`);
    // Let the backlog drain before the next step.
    blast.postMessage({ type: 'rate', pps: 0 });
    for (let i = 0; i < 50; i++) {
      const sent = (await ask(blast, { type: 'stats' })).sent;
      if ((await decoded()) >= sent) break;
      await sleep(100);
    }
    if (s.decodedPerSec < 0.97 * r || s.backlog > r / 2) break;
  }
  const max = unpaced ? await step(Infinity, seconds) : { decodedPerSec: NaN, sentPerSec: NaN, p50: NaN, p99: NaN, spin: {}, workerElu: NaN };
  if (unpaced) steps.push(max);
  if (unpaced) log(`  unpaced: sent ${Math.round(max.sentPerSec).toLocaleString('en-US')}/s, decoded ${Math.round(max.decodedPerSec).toLocaleString('en-US')}/s, waiting probe ${fmt(max)}, worker ELU ${(max.workerElu * 100).toFixed(0)} %`);
  blast.postMessage({ type: 'rate', pps: 0 });
  await sleep(500);
  const final = supervisor.status();
  const sentTotal = (await ask(blast, { type: 'stats' })).sent;
  await supervisor.refresh();
  const decodedTotal = supervisor.status().packets;
  await supervisor.stop();
  feedProber.postMessage({ type: 'close' });
  if (final.decodeErrors !== 0) throw new Error(`decode errors during the bench: ${JSON.stringify(final.errors)}`);

  // The ws ceiling: the same connections and subscriptions, a client that only counts (and
  // publishes the probe through an Atomics store, so its latency is the path without our code).
  const shards = plan.connections.map((c) => subscribeMessagesFor(c.instruments));
  const bareTable = PriceTable.allocate(1, 0);
  const bare = new Worker(self, { workerData: { role: 'bare', url: `${feedUrl}?bare=1`, shards, probe: probeToken, handle: bareTable.handle() } });
  await new Promise((r) => bare.once('message', r));
  await sleep(1000);
  const bareSpin = spinReader(bareTable, 0);
  const bareProber = await startProber(self, blast, bareTable, 0, base, 200_000_000);
  /** The floor at one offered rate: both probes on the bare client's slot. */
  const bareAt = async (pps) => {
    blast.postMessage({ type: 'rate', pps });
    if (pps > 0) await sleep(quick ? 300 : 700);
    const spun = await probe(seconds, bareSpin.seq, bareSpin.stamp);
    const waited = await waitProbe(bareProber, seconds);
    const r = { offered: pps, ...pcts(waited.lat), lost: waited.lost, spin: { ...pcts(spun.lat), lost: spun.lost } };
    log(`  bare ws client + seqlock publish @${pps.toLocaleString('en-US')}/s: waiting probe ${fmt(r)}; spinning probe ${fmt(r.spin)}`);
    return r;
  };
  const bareSteps = [];
  for (const pps of [0, ...rates.filter((r) => r === 10_000 || r === 65_000 || r === 300_000)]) bareSteps.push(await bareAt(pps));
  bareProber.postMessage({ type: 'close' });
  blast.postMessage({ type: 'rate', pps: Infinity });
  await sleep(quick ? 300 : 700);
  const b0 = await ask(bare, { type: 'stats' });
  const tb = performance.now();
  await sleep(seconds * 1000);
  const b1 = await ask(bare, { type: 'stats' });
  const bareRate = (b1.messages - b0.messages) / ((performance.now() - tb) / 1000);
  log(`  bare ws client (count only), unpaced: ${Math.round(bareRate).toLocaleString('en-US')} messages/s`);
  blast.postMessage({ type: 'rate', pps: 0 });
  bare.postMessage({ type: 'close' });
  blast.postMessage({ type: 'close' });
  await sleep(200);

  const simRows = sim ? await simPhase({ seconds, log }) : [];
  const combinedRows = combined ? await combinedPhase({ seconds, log, self }) : [];
  const env = { node: process.version, cpu: (await import('node:os')).cpus()[0]?.model, cores: (await import('node:os')).cpus().length, loadavg: (await import('node:os')).loadavg() };
  log(`  load average at the end: ${env.loadavg.map((x) => x.toFixed(2)).join(' ')} on ${env.cores} cores (${env.cpu})`);

  const sustained = steps.filter((s) => s.offered !== Infinity && s.decodedPerSec >= 0.97 * s.offered && s.backlog <= s.offered / 2);
  const best = sustained.at(-1);
  return [
    { name: 'feed e2e sustained packets/s (highest offered rate kept up with)', value: Math.round(best?.decodedPerSec ?? 0), unit: 'packets/s', baseline: 'bare ws client messages/s', ratio: (best?.decodedPerSec ?? 0) / bareRate },
    { name: 'feed e2e max packets/s (unpaced sender)', value: Math.round(max.decodedPerSec), unit: 'packets/s', baseline: 'bare ws client messages/s', ratio: max.decodedPerSec / bareRate },
    { name: 'limit: bare ws client messages/s (no decode)', value: Math.round(bareRate), unit: 'messages/s', baseline: 'bare ws client messages/s', ratio: 1 },
    ...latencyRows(steps, idle, bareSteps),
    ...simRows,
    ...combinedRows,
    { name: 'packets sent = packets decoded (nothing lost or coalesced)', value: decodedTotal, unit: `decoded of ${sentTotal} sent`, baseline: 'sent', ratio: decodedTotal / sentTotal },
  ].map((r) => ({ ...r, steps, bareSteps, env }));
}

if (!isMainThread && workerData?.role === 'blaster') await blaster();
else if (!isMainThread && workerData?.role === 'prober') await prober();
else if (!isMainThread && workerData?.role === 'bare') await bareReceiver();
else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // --rates=300000,600000 runs only those steps (e.g. under --cpu-prof); --no-sim skips the simulator phase, --no-max the unpaced
  // step, --no-combined the HTTP + feed phase; --seconds=N measures N s per probe and step.
  const ratesArg = process.argv.find((a) => a.startsWith('--rates='));
  const quick = process.argv.includes('--quick');
  const secondsArg = process.argv.find((a) => a.startsWith('--seconds='));
  const rows = await run({
    quick, rates: ratesArg ? ratesArg.slice(8).split(',').map(Number) : null, sim: !quick && !process.argv.includes('--no-sim'), unpaced: !process.argv.includes('--no-max'),
    combined: !quick && !process.argv.includes('--no-combined'), seconds: secondsArg ? Number(secondsArg.slice(10)) : null,
  });
  const num = (x) => (typeof x !== 'number' || Number.isNaN(x) ? '' : x < 100 ? x.toFixed(3) : Math.round(x).toLocaleString('en-US'));
  console.log(`\nfeed end to end (node ${process.version}, loopback WebSocket, Full packets, 1 packet per frame)`);
  console.table(rows.map((r) => ({ row: r.name, value: num(r.value), unit: r.unit, 'old spinning probe': num(r.spin), 'bare ws (waiting)': num(r.bare), 'bare ws (spinning)': num(r.bareSpin), 'vs baseline': `${(r.ratio * 100).toFixed(1)} % of ${r.baseline}` })));
  process.exit(0);
}
