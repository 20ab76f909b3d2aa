/**
 * The servers of bench/http-node-floor.bench.mjs, in one process (pinned by the bench): bare
 * node:http servers in the configurations issue 12's brief asks about, and a bare uWS app, each
 * answering `GET /hello` (17 B) and `GET /body` (a constant body of `--body-bytes`, by default
 * the size of the cached NIFTY JSON chain) with nothing else around them: no routing, no
 * cache, no interceptors. What these cost per request is what the node:http backend and the
 * uWS backend cannot go below, whatever optchain does.
 *
 * node:http variants (each on its own port):
 * - `default`: `createServer()` with its defaults, `writeHead(200, { … })` with an object;
 * - `flat`: `writeHead(200, 'OK', [name, value, …])` (a flat raw array: no header object,
 *   no setHeader), the body as one Buffer in `end()`;
 * - `flat-no-timers`: `flat` with `keepAliveTimeout: 0`, `headersTimeout: 0`,
 *   `requestTimeout: 0` (no per-request keep-alive timer re-arm, no connection checking);
 * - `flat-corked`: `flat` with `res.cork()` before `writeHead` and `uncork()` after `end()`;
 * - `flat-hwm`: `flat` with `highWaterMark: 1 MiB` and `noDelay: true` on the server;
 * - `flat-no-date`: `flat` with `res.sendDate = false` (a reference only: an origin server
 *   with a clock must send Date, RFC 9110 §6.6.1).
 *
 * Prints one JSON line `{"type":"ready", "pid", "ports": { variant: port }, "uws": port|null}`.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { exitWithParent } from './bench-util.mjs';

const { values: args } = parseArgs({ options: { 'body-bytes': { type: 'string', default: '182620' } } });
const HELLO = Buffer.from('{"hello":"world"}');
// JSON-looking bytes of the chain's size (the kernel copies bytes, their values do not matter).
const BODY = Buffer.alloc(Number(args['body-bytes']), '{"strike":24000.0,"ce":{"ltp":101.25}},');
const TYPE = 'application/json; charset=utf-8';
const HELLO_HEADERS = ['content-type', TYPE, 'content-length', String(HELLO.byteLength)];
const BODY_HEADERS = ['content-type', TYPE, 'content-length', String(BODY.byteLength)];

const pick = (url) => (url === '/body' ? BODY : HELLO);

const variants = {
  default: {
    options: {},
    handler: (req, res) => {
      const body = pick(req.url);
      res.writeHead(200, { 'content-type': TYPE, 'content-length': String(body.byteLength) });
      res.end(body);
    },
  },
  flat: { options: {}, handler: flat },
  'flat-no-timers': { options: { keepAliveTimeout: 0, headersTimeout: 0, requestTimeout: 0 }, handler: flat },
  'flat-corked': {
    options: {},
    handler: (req, res) => {
      res.cork();
      flat(req, res);
      res.uncork();
    },
  },
  'flat-hwm': { options: { highWaterMark: 1024 * 1024, noDelay: true }, handler: flat },
  'flat-no-date': {
    options: {},
    handler: (req, res) => {
      res.sendDate = false;
      flat(req, res);
    },
  },
};

function flat(req, res) {
  const body = req.url === '/body';
  res.writeHead(200, 'OK', body ? BODY_HEADERS : HELLO_HEADERS);
  res.end(body ? BODY : HELLO);
}

const servers = [];
const ports = {};
for (const [name, v] of Object.entries(variants)) {
  const { keepAliveTimeout, ...options } = v.options;
  const srv = createServer(options, v.handler);
  // Long enough for a run unless the variant turns it off (node's default, 5 s, would do too).
  srv.keepAliveTimeout = keepAliveTimeout ?? 60_000;
  await new Promise((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
  servers.push(srv);
  ports[name] = srv.address().port;
}

// The bare uWS app, when a native build loads (the reference the node:http backend is judged by).
let uwsPort = null;
let closeUws = () => {};
try {
  const { loadUws } = await import(new URL('../dist/http/uws.js', import.meta.url).href);
  const uws = loadUws().module;
  const app = uws.App()
    .get('/hello', (res) => {
      res.writeHeader('content-type', TYPE);
      res.end(HELLO);
    })
    .get('/body', (res) => {
      res.writeHeader('content-type', TYPE);
      res.end(BODY);
    });
  const token = await new Promise((resolve, reject) => app.listen('127.0.0.1', 0, (t) => (t ? resolve(t) : reject(new Error('uWS listen failed')))));
  uwsPort = uws.us_socket_local_port(token);
  closeUws = () => uws.us_listen_socket_close(token);
} catch (err) {
  process.stderr.write(`no uWS here: ${err?.message ?? err}\n`);
}

function shutdown() {
  closeUws();
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  process.exit(0);
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
exitWithParent(shutdown);

process.stdout.write(`${JSON.stringify({ type: 'ready', pid: process.pid, ports, uws: uwsPort, bodyBytes: BODY.byteLength, node: process.version })}\n`);
