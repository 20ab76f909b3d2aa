/**
 * The server under test for bench/paper-load.bench.mjs: one process holding the real
 * OptchainServer (uWS, the chain routes) and the real paper routes (SQLite on a disk-backed
 * temp dir, the piscina margin worker) signing margin calls against the real simulator's REST
 * (Dhan's rate limits and latency), exactly as `optchain serve` wires them in sim mode — but
 * with quotes written by a timer instead of the feed, so that every order reaches the checks
 * the bench wants (fillable legs at bid 100 / ask 100.5, 100 000 deep, fresh every 100 ms).
 *
 * `--dist DIR` picks the compiled tree to load (the bench runs the same load against the
 * previous commit's `dist/` and this one's, in the same run). Prints one JSON line
 * `{"type":"ready", port, keys, legs}`; `GET /bench/elu` answers the event-loop utilisation of
 * this (the HTTP) thread since start, which is how the bench measures the main-thread time
 * each order costs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const { values: args } = parseArgs({ options: { dist: { type: 'string' }, date: { type: 'string', default: '2026-08-17' } } });
const distRoot = resolve(args.dist ?? new URL('../dist', import.meta.url).pathname);
const dist = (p) => pathToFileURL(join(distRoot, p)).href;
const { startSimulator } = await import(dist('sim/sim-server.js'));
const { parseMaster } = await import(dist('master/parse-master.js'));
const { buildSkeleton } = await import(dist('skeleton/build-skeleton.js'));
const { PriceTable } = await import(dist('price-table/price-table.js'));
const { F, SLOT_WORDS } = await import(dist('price-table/layout.js'));
const { OptchainServer } = await import(dist('http/optchain-server.js'));
const { registerPaperRoutes } = await import(dist('paper/paper-routes.js'));
const { openPaperDb } = await import(dist('paper/paper-db.js'));
const { createUser } = await import(dist('paper/api-keys.js'));
const { loadConfig } = await import(dist('config/config.js'));
const { exitWithParent } = await import('./bench-util.mjs');

// The data dir must sit on a real disk: fsync on tmpfs is free and would hide the cost measured here.
const dataDir = mkdtempSync(join(process.env.PAPER_BENCH_DIR ?? new URL('.', import.meta.url).pathname, '.paper-bench-'));
const sim = await startSimulator({ host: '127.0.0.1', port: 0, tradingDate: args.date, seed: 7 });
const masterBytes = Buffer.from(await (await fetch(sim.urls.master)).arrayBuffer());
const skeleton = buildSkeleton(parseMaster(masterBytes).instruments, args.date);
const table = PriceTable.allocate(skeleton.slotCount, skeleton.chains.length);

const config = loadConfig({ OPTCHAIN_DATA_DIR: dataDir, OPTCHAIN_LOG_LEVEL: 'silent' });
const server = new OptchainServer({ mode: 'sim', maxBodyBytes: config.httpMaxBodyBytes });
const market = server.setMarket(skeleton, table);
const db = openPaperDb(dataDir);
const keys = Object.fromEntries(['flood', 'a', 'b', 'c'].map((n) => [n, createUser(db, n, 1e12).key]));
const paper = registerPaperRoutes(server.http, { getMarket: () => market, config, db, marginApiUrl: sim.urls.api, marginAccount: async () => sim.accounts[0] });

// Quotes on the NIFTY near chain (the chain the bench reads) — the order legs come from it.
const nifty = skeleton.chains.find((c) => c.symbol === 'NIFTY' && c.exchange === 'NSE');
const contracts = nifty.rows.flatMap((r) => [r.ce, r.pe].filter(Boolean));
const writeQuotes = () => {
  const now = Date.now();
  for (const c of contracts) {
    const b = c.slot * SLOT_WORDS;
    table.beginWrite(c.slot);
    table.f64[b + F.LTP] = 100.25;
    table.f64[b + F.BID] = 100;
    table.f64[b + F.ASK] = 100.5;
    table.f64[b + F.BID_QTY] = 100_000;
    table.f64[b + F.ASK_QTY] = 100_000;
    table.f64[b + F.UPDATED_AT] = now;
    table.endWrite(c.slot);
  }
  table.bumpGeneration(nifty.index);
};
writeQuotes();
const ticker = setInterval(writeQuotes, 100);

const elu0 = performance.eventLoopUtilization();
server.http.route('GET', '/bench/elu', () => ({ body: performance.eventLoopUtilization(elu0) }));
server.http.route('GET', '/bench/margin-stats', async () => ({ body: await paper.marginStats() }));

const port = await server.listen('127.0.0.1', 0);
const legs = contracts.map((c) => ({ exchangeSegment: c.segment, securityId: c.securityId }));
process.stdout.write(`${JSON.stringify({ type: 'ready', port, keys, legs, symbol: 'NIFTY', expiry: nifty.expiry, slots: skeleton.slotCount })}\n`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  clearInterval(ticker);
  await server.close();
  await paper.close();
  db.close();
  await sim.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', shutdown);
exitWithParent(shutdown);
