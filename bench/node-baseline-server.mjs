/**
 * The baseline of the HTTP rows in bench/run.mjs: what a user would build instead of optchain —
 * `node:http`, a `Map` store of chains whose leg objects the tick handler updates in place, and
 * `JSON.stringify` of the chain on every request (no serialization cache).
 *
 * It serves the very chain optchain serves (the runner fetches optchain's JSON body and hands
 * it over with `--chain <file>`), so the bytes on the wire are the same. This is the cheapest
 * form of that design (the chain object is prebuilt; a request does not assemble it from
 * per-token quotes), so the comparison flatters the baseline, not optchain.
 *
 * Routes: `GET /v1/chains/:symbol?expiry=` (stored chain, stringified per request),
 * `GET /busy/v1/chains/:symbol?expiry=` (a tick updates one leg of the chain first: the
 * uncached row; it costs the same, since nothing is cached), `GET /hello`.
 *
 * Prints one JSON line `{"type":"ready","port":…}` on stdout when listening.
 */
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { exitWithParent } from './bench-util.mjs';

const { values: args } = parseArgs({ options: { chain: { type: 'string' } } });
const chain = JSON.parse(readFileSync(args.chain, 'utf8'));
const store = new Map([[`${chain.symbol}:${chain.expiry}`, chain]]);
const firstExpiry = new Map([[chain.symbol, chain.expiry]]);
const tickLeg = chain.rows.find((r) => r.ce !== null).ce;
let ticks = 0;

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
const server = createServer((req, res) => {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  let path = q < 0 ? url : url.slice(0, q);
  if (path === '/hello') {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end('{"hello":"world"}');
    return;
  }
  let busy = false;
  if (path.startsWith('/busy/')) {
    busy = true;
    path = path.slice(5);
  }
  if (!path.startsWith('/v1/chains/')) {
    res.writeHead(404, JSON_HEADERS);
    res.end('{"error":{"code":"NOT_FOUND","message":"no route"}}');
    return;
  }
  const symbol = decodeURIComponent(path.slice(11)).toUpperCase();
  const expiry = (q < 0 ? null : new URLSearchParams(url.slice(q + 1)).get('expiry')) ?? firstExpiry.get(symbol);
  const c = store.get(`${symbol}:${expiry}`);
  if (c === undefined) {
    res.writeHead(404, JSON_HEADERS);
    res.end('{"error":{"code":"UNKNOWN_SYMBOL","message":"unknown chain"}}');
    return;
  }
  if (busy) {
    ticks++;
    tickLeg.ltp = Math.round((100 + (ticks % 2000) * 0.05) * 100) / 100;
    tickLeg.updatedAt = Date.now();
    c.generation++;
  }
  c.servedAt = Date.now();
  res.writeHead(200, JSON_HEADERS);
  res.end(JSON.stringify(c));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ type: 'ready', pid: process.pid, port: server.address().port })}\n`);
});
const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
exitWithParent(stop);
