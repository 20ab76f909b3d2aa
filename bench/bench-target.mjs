/**
 * The server under test for bench/run.mjs: one process (pinned by the runner) holding the
 * whole universe in the real OptchainServer (the same class `optchain serve` uses, on the HTTP
 * backend OPTCHAIN_HTTP_BACKEND picks; the ready line names it as `backend`), plus
 * the routes the suite needs to measure it against its own limit in the same process.
 *
 * - `--universe master` (full run): the synthetic full-size detailed master for `--date` is
 *   generated (untimed: it is the input), then parsed and turned into the skeleton exactly as
 *   `optchain serve` does (parseMaster → buildSkeleton), timed, with the heap of skeleton +
 *   lookups + price table measured after a forced GC (issue 3: ≤ 2 s, < 150 MB).
 * - `--universe synthetic` (smoke run): chain-build.bench.mjs's in-memory skeleton, no master.
 *
 * Every slot is filled with plausible values (chain-build.bench.mjs fillTable) so the chain
 * bodies have their real size. No feed runs until `/bench/feed` starts one, so the cached
 * rows really are cached.
 *
 * Bench routes (on the same server as the API, so they share its event loop):
 * - `GET /bench/hello` → `{"hello":"world"}` through the same fast-route path as the chain
 *   route (the limit of the cached rows); on `rawPort` a bare hello of the same backend
 *   (`uWS.App()`, or node:http's `createServer`) in the same process;
 * - `GET /bench/static?format=json|fb` → the bench chain's bytes as a constant body (the
 *   limit of the cached rows by size: same bytes, no cache lookup);
 * - `GET /bench/busy?on=1|0` → busy mode: the server's clock hook, which ChainCache.get calls
 *   exactly once per chain request before it reads the generation, first writes a tick into
 *   one slot of the bench chain (seqlock write + generation bump, as the feed worker does),
 *   so every chain request finds a new generation and rebuilds (the uncached rows; the runner
 *   checks the cache-miss counter against the request count);
 * - `GET /bench/feed?url=ws://…` → starts the real FeedSupervisor (feed worker thread) on that
 *   upstream, as app.ts does in live mode; `GET /bench/feed-status` → its status;
 * - `GET /bench/memory?gc=1` → process.memoryUsage() (after a GC when asked);
 * - `GET /bench/ticker?rate=N` → writes N ticks/s (0 stops) into random option slots of the
 *   whole universe, in batches every 5 ms on this thread (seqlock write + generation bump, as
 *   the feed worker does), so snapshots and chains go stale as in market hours;
 * - `GET /bench/snapshot-legacy` → the whole universe encoded per request with one reused
 *   SnapshotEncoder, synchronously: the `/v1/snapshot` of before issue 15 (the flood bench's
 *   "before");
 * - `GET /bench/loop-delay?reset=1` → the main thread's event-loop delay since the last reset
 *   (perf_hooks.monitorEventLoopDelay, 1 ms resolution): p50/p99/max in ms, then resets.
 *
 * Prints one JSON line `{"type":"ready", …}` on stdout when listening. Needs `--expose-gc`.
 */
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

const { values: args } = parseArgs({
  options: {
    universe: { type: 'string', default: 'master' },
    date: { type: 'string', default: '2026-08-17' },
    symbol: { type: 'string', default: 'NIFTY' },
  },
});

const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const { PriceTable, F, SLOT_WORDS } = await import(dist('price-table/price-table.js'));
const { OptchainServer } = await import(dist('http/optchain-server.js'));
const { SkeletonIndex } = await import(dist('skeleton/skeleton-index.js'));
const { loadUws } = await import(dist('http/uws.js'));
const { fillTable, syntheticSkeleton } = await import('./chain-build.bench.mjs');
const { exitWithParent } = await import('./bench-util.mjs');

if (typeof globalThis.gc !== 'function') throw new Error('bench-target.mjs needs node --expose-gc');
const gc = globalThis.gc;
const mb = (n) => n / 1048576;

// ── the universe ────────────────────────────────────────────────────────────────────────────
const startup = { universe: args.universe };
let skeleton;
let table;
let index;
if (args.universe === 'master') {
  const { generateMaster } = await import(dist('synthetic-master/synthetic-master.js'));
  const { parseMaster } = await import(dist('master/parse-master.js'));
  const { buildSkeleton } = await import(dist('skeleton/build-skeleton.js'));
  const t = performance.now();
  let master = generateMaster(args.date);
  startup.generateMs = performance.now() - t;
  startup.masterBytes = master.bytes;
  startup.masterRows = master.rows;
  gc();
  const before = process.memoryUsage();
  const t0 = performance.now();
  let parsed = parseMaster(master.buffer);
  const t1 = performance.now();
  skeleton = buildSkeleton(parsed.instruments, args.date);
  const t2 = performance.now();
  table = PriceTable.allocate(skeleton.slotCount, skeleton.chains.length);
  index = new SkeletonIndex(skeleton);
  startup.parseMs = t1 - t0;
  startup.skeletonMs = t2 - t1;
  startup.instruments = parsed.instruments.length;
  parsed = null;
  master = null;
  gc();
  const after = process.memoryUsage();
  startup.heapSkeletonMB = mb(after.heapUsed - before.heapUsed);
  startup.tableMB = mb(table.sab.byteLength);
} else {
  gc();
  const before = process.memoryUsage();
  const t0 = performance.now();
  skeleton = syntheticSkeleton();
  startup.skeletonMs = performance.now() - t0;
  table = PriceTable.allocate(skeleton.slotCount, skeleton.chains.length);
  index = new SkeletonIndex(skeleton);
  gc();
  startup.heapSkeletonMB = mb(process.memoryUsage().heapUsed - before.heapUsed);
  startup.tableMB = mb(table.sab.byteLength);
}
fillTable(skeleton, table);

const underlying = index.underlying(args.symbol, 'NSE');
if (!underlying) throw new Error(`no ${args.symbol} in the skeleton`);
const chain = underlying.chains.find((c) => c.tags.includes('weekly')) ?? underlying.chains[0];
const mid = Math.floor(chain.rows.length / 2);
const probeRow = chain.rows.findIndex((r, i) => i >= mid && r.ce !== null);
const probe = chain.rows[probeRow].ce;
const tickLeg = (chain.rows.find((r, i) => i !== probeRow && r.ce !== null) ?? chain.rows[probeRow]).ce;

// ── busy mode: a tick lands in the chain before every chain request ─────────────────────────
let busy = false;
let busyTicks = 0;
const f64 = table.f64;
function tick() {
  busyTicks++;
  const s = tickLeg.slot;
  const w = s * SLOT_WORDS;
  table.beginWrite(s);
  f64[w + F.LTP] = Math.fround(100 + (busyTicks % 2000) * 0.05);
  f64[w + F.UPDATED_AT] = Date.now();
  table.endWrite(s);
  for (const c of skeleton.chainsOfSlot[s]) table.bumpGeneration(c);
}
const now = () => {
  if (busy) tick();
  return Date.now();
};

// ── the server ──────────────────────────────────────────────────────────────────────────────
// OPTCHAIN_HTTP_BACKEND (auto|uws|node) as for `optchain serve`: OptchainServer takes it as an option, not from the environment.
const server = new OptchainServer({ mode: 'live', now, backend: process.env.OPTCHAIN_HTTP_BACKEND || 'auto' });
server.setMarket(skeleton, table, index);
const HELLO = '{"hello":"world"}';
/** One query parameter of a fast route's request (the backend-neutral RequestView gives the raw query only). */
const param = (req, name) => new URLSearchParams(req.getQuery()).get(name);
server.http.fastRoute('GET', '/bench/hello', () => ({ status: 200, contentType: 'application/json; charset=utf-8', body: HELLO }));
// The chain's cached bytes served as a constant (no cache lookup, no servedAt patch): what
// uWS does with a body of this size on this core, the limit of the cached rows by bytes.
const staticBody = {};
server.http.fastRoute('GET', '/bench/static', (req) => {
  const format = param(req, 'format') === 'fb' ? 'fb' : 'json';
  return { status: 200, contentType: format === 'fb' ? 'application/x-flatbuffers' : 'application/json; charset=utf-8', body: staticBody[format] };
});
server.http.fastRoute('GET', '/bench/busy', (req) => {
  busy = param(req, 'on') === '1';
  return { status: 200, contentType: 'application/json', body: JSON.stringify({ busy, busyTicks }) };
});
server.http.fastRoute('GET', '/bench/memory', (req) => {
  if (param(req, 'gc') === '1') gc();
  return { status: 200, contentType: 'application/json', body: JSON.stringify(process.memoryUsage()) };
});

let tickerTimer = null;
let tickerCount = 0;
server.http.fastRoute('GET', '/bench/ticker', (req) => {
  const rate = Number(param(req, 'rate') ?? 0);
  if (tickerTimer) clearInterval(tickerTimer);
  tickerTimer = null;
  if (rate > 0) {
    const perBatch = Math.max(1, Math.round(rate / 200));
    let seed = 12345;
    tickerTimer = setInterval(() => {
      for (let i = 0; i < perBatch; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        const s = seed % skeleton.slotCount;
        const w = s * SLOT_WORDS;
        table.beginWrite(s);
        f64[w + F.LTP] = Math.fround(50 + (seed % 5000) * 0.05);
        f64[w + F.UPDATED_AT] = Date.now();
        table.endWrite(s);
        for (const c of skeleton.chainsOfSlot[s]) table.bumpGeneration(c);
        tickerCount++;
      }
    }, 5);
  }
  return { status: 200, contentType: 'application/json', body: JSON.stringify({ rate, ticks: tickerCount }) };
});
const { SnapshotEncoder } = await import(dist('chain/snapshot-encoder.js'));
const legacySnapshot = new SnapshotEncoder();
server.http.fastRoute('GET', '/bench/snapshot-legacy', () => ({ status: 200, contentType: 'application/x-flatbuffers', body: legacySnapshot.encode(server.market, skeleton.chains, Date.now()) }));

const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
server.http.fastRoute('GET', '/bench/loop-delay', (req) => {
  const ms = (ns) => ns / 1e6;
  const body = JSON.stringify({ p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max), mean: ms(loopDelay.mean), count: loopDelay.count });
  if (param(req, 'reset') === '1') loopDelay.reset();
  return { status: 200, contentType: 'application/json', body };
});

let feed = null;
/** Slot versions when the feed started: the table was prefilled, so "has data" = "version moved since". */
let startVersions = null;
server.route('GET', '/bench/feed', async (req) => {
  const { FeedSupervisor } = await import(dist('feed/feed-supervisor.js'));
  const { MarketClock } = await import(dist('time/market-clock.js'));
  const { pino } = await import('pino');
  // One Dhan account holds 5 × 5000 instruments (docs/market-structure.md §4.1).
  const n = Math.ceil(skeleton.slotCount / 25_000);
  const accounts = Array.from({ length: n }, (_, i) => ({ clientId: String(1100000001 + i), accessToken: `bench-${i}` }));
  feed = new FeedSupervisor({
    skeleton, table, accounts: { kind: 'static', accounts }, feedUrl: req.query.url, clock: new MarketClock(0),
    config: { feedWorkers: 1, feedWatchdogMs: 30_000, feedFirstPacketMs: 120_000, feedBackoffMaxMs: 5_000 },
    logger: pino({ level: 'warn' }),
  });
  startVersions = Int32Array.from({ length: skeleton.slotCount }, (_, i) => table.version(i));
  await feed.start();
  return { body: { connections: feed.connectionPlan.connections.length, accounts: n } };
});
server.route('GET', '/bench/feed-status', async () => {
  if (!feed) return { status: 404, body: { error: 'no feed' } };
  await feed.refresh();
  const s = feed.status();
  let fresh = 0;
  for (let i = 0; i < skeleton.slotCount; i++) if (table.version(i) !== startVersions[i]) fresh++;
  return { body: { fresh, subscribed: s.subscribed, unsubscribed: s.unsubscribed, withData: s.withData, packets: s.packets, decodeErrors: s.decodeErrors, utilization: feed.utilization() } };
});

const port = await server.listen('127.0.0.1', 0);
for (const [format, q] of [['json', ''], ['fb', '&format=fb']]) {
  const r = await fetch(`http://127.0.0.1:${port}/v1/chains/${chain.symbol}?expiry=${chain.expiry}${q}`);
  staticBody[format] = new Uint8Array(await r.arrayBuffer());
}

// The bare hello of the backend serving (uWS.App, or node:http's createServer): what that
// backend itself does on this core with no framework around it.
const backend = server.http.backend;
const rawServer = backend.name === 'uws' ? await bareUwsHello() : await bareNodeHello();
const rawPort = rawServer.port;

async function bareUwsHello() {
  const uws = loadUws().module;
  const app = uws.App().get('/hello', (res) => {
    res.writeHeader('content-type', 'application/json; charset=utf-8');
    res.end(HELLO);
  });
  const token = await new Promise((resolve, reject) => app.listen('127.0.0.1', 0, (t) => (t ? resolve(t) : reject(new Error('raw uWS listen failed')))));
  return { port: uws.us_socket_local_port(token), close: () => uws.us_listen_socket_close(token) };
}

async function bareNodeHello() {
  const { createServer } = await import('node:http');
  const srv = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(HELLO);
  });
  srv.keepAliveTimeout = 60_000;
  await new Promise((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
  return { port: srv.address().port, close: () => {
    srv.closeAllConnections();
    srv.close();
  } };
}

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  if (feed) await feed.stop();
  if (tickerTimer) clearInterval(tickerTimer);
  rawServer.close();
  await server.close();
  process.exit(0);
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
exitWithParent(shutdown);

startup.rssMB = mb(process.memoryUsage().rss);
process.stdout.write(`${JSON.stringify({
  type: 'ready', pid: process.pid, port, rawPort, startup, backend,
  universe: { ...skeleton.totals, slots: skeleton.slotCount },
  chain: {
    symbol: chain.symbol, exchange: chain.exchange, expiry: chain.expiry, rows: chain.rows.length, contracts: chain.contracts,
    probe: { segment: probe.segment, securityId: probe.securityId, strike: probe.strike, side: probe.side, row: probeRow },
    tickLeg: { securityId: tickLeg.securityId, strike: tickLeg.strike },
  },
})}\n`);
