/**
 * The baseline of the "tick → visible in a chain response" row of bench/run.mjs: the common
 * peer design (docs/peers.md §1 item 2 and docs/peers.md §2: anurag-roy/all-option-chain's
 * OptionChainCoordinator recomputes the chain every 500 ms and serves that snapshot).
 *
 * Honest in the ways that matter to the latency: it takes the same Dhan-framed Full packets
 * from the same kind of upstream (a `ws` client subscribing in Full mode, ≤ 100 instruments a
 * message), applies each packet to its in-memory store the moment it arrives (so the store is
 * never the delay), recomputes the chain snapshot (`JSON.stringify`) every `--period` ms on a
 * timer, and answers every request with the latest snapshot. A tick becomes visible at the
 * first recompute after it arrives.
 *
 * Args: `--chain <file>` (optchain's JSON body of the chain: the same rows, legs and ids),
 * `--feed ws://…`, `--period 500`. Route: `GET /v1/chains/:symbol?expiry=`.
 * Prints `{"type":"ready","port":…}` once the feed connection is subscribed.
 */
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { exitWithParent } from './bench-util.mjs';

const { values: args } = parseArgs({ options: { chain: { type: 'string' }, feed: { type: 'string' }, period: { type: 'string', default: '500' } } });
const { FullOffset, DepthOffset, HeaderOffset, ResponseCode } = await import(new URL('../dist/dhan/packet-layout.js', import.meta.url).href);
const { buildSubscribeMessages } = await import(new URL('../dist/dhan/subscribe-message.js', import.meta.url).href);

const chain = JSON.parse(readFileSync(args.chain, 'utf8'));
const legs = new Map();
const instruments = [];
for (const r of chain.rows) {
  for (const leg of [r.ce, r.pe]) {
    if (leg === null) continue;
    legs.set(leg.securityId, leg);
    instruments.push({ segment: chain.exchange === 'BSE' ? 'BSE_FNO' : 'NSE_FNO', securityId: leg.securityId });
  }
}
const IST_SHIFT_S = 19_800; // Dhan's LTT is IST-shifted epoch seconds (docs/dhan-protocol.md §2.9)
const price = (x) => Math.round(x * 100) / 100;

/** A peer-style decode: one Full packet at `o` of `d` (a Buffer) into its leg object. */
function onPacket(d, o) {
  if (d[o + HeaderOffset.CODE] !== ResponseCode.FULL) return;
  const leg = legs.get(d.readUInt32LE(o + HeaderOffset.SECURITY_ID));
  if (leg === undefined) return;
  const depth = o + FullOffset.DEPTH;
  leg.ltp = price(d.readFloatLE(o + FullOffset.LTP));
  leg.bid = price(d.readFloatLE(depth + DepthOffset.BID));
  leg.ask = price(d.readFloatLE(depth + DepthOffset.ASK));
  leg.bidQty = d.readUInt32LE(depth + DepthOffset.BID_QTY);
  leg.askQty = d.readUInt32LE(depth + DepthOffset.ASK_QTY);
  leg.volume = d.readUInt32LE(o + FullOffset.VOLUME);
  leg.oi = d.readUInt32LE(o + FullOffset.OI);
  leg.ltt = d.readUInt32LE(o + FullOffset.LTT) - IST_SHIFT_S;
  leg.updatedAt = Date.now();
}

const ws = new WebSocket(`${args.feed}?version=2&token=peer&clientId=peer&authType=2`, { perMessageDeflate: false });
ws.binaryType = 'nodebuffer';
ws.on('message', (d) => {
  // Walk the frame by the header's length (docs/dhan-protocol.md §2.8).
  for (let o = 0; o + 8 <= d.length; ) {
    const len = d.readUInt16LE(o + HeaderOffset.LENGTH);
    if (len < 8 || o + len > d.length) break;
    if (len >= 162) onPacket(d, o);
    o += len;
  }
});
ws.on('error', () => {});
await new Promise((resolve) => ws.once('open', resolve));
for (const m of buildSubscribeMessages(21, instruments)) ws.send(m);

// The recompute loop: the only path from the store to a response.
let body = JSON.stringify(chain);
const period = Number(args.period);
const timer = setInterval(() => {
  chain.generation++;
  chain.servedAt = Date.now();
  body = JSON.stringify(chain);
}, period);

const server = createServer((req, res) => {
  if (!(req.url ?? '').startsWith(`/v1/chains/${chain.symbol}`)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ type: 'ready', pid: process.pid, port: server.address().port, instruments: instruments.length })}\n`);
});
const stop = () => {
  clearInterval(timer);
  ws.terminate();
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
exitWithParent(stop);
