/**
 * The simulator's live feed over a real socket: the master it serves over HTTP, what a
 * subscription receives in each mode (docs/dhan-protocol.md §2.7), framing (one packet per frame, stacked as an
 * option, docs/dhan-protocol.md §2.8), prices on the tick grid, LTT on the session clock (docs/dhan-protocol.md §2.9), and unsubscribe.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodedPacket } from './helpers/packet-decoder.js';
import type { Instrument } from '../src/master/instrument.js';
import { startSimulator, type SimHandle } from '../src/sim/sim-server.js';
import { parseMaster } from '../src/master/parse-master.js';
import { onTickGrid } from '../src/sim/market-model.js';
import { connectFeed, feedUrl, sleep, subMsg, type SimFeedClient } from './helpers/sim-client.js';

let sim: SimHandle;
let instruments: Instrument[];
const byKey = new Map<string, Instrument>();
const SEG: Record<number, string> = { 0: 'IDX_I', 1: 'NSE_EQ', 2: 'NSE_FNO', 4: 'BSE_EQ', 8: 'BSE_FNO' };
const clients: SimFeedClient[] = [];

beforeAll(async () => {
  sim = await startSimulator({ tradingDate: '2026-08-17', seed: 42, rate: 3 });
  const res = await fetch(sim.urls.master);
  expect(res.status).toBe(200);
  const text = await res.text();
  expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
  instruments = parseMaster(text).instruments;
  for (const x of instruments) byKey.set(`${x.segment}:${x.securityId}`, x);
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await sim?.close();
});

function open(): SimFeedClient {
  const c = connectFeed(feedUrl(sim.urls.feed, sim.accounts[0]!));
  clients.push(c);
  return c;
}

/** NIFTY options of the nearest expiry closest to the money (by strike around the median). */
function niftyNear(n: number): Instrument[] {
  const opts = instruments.filter((x) => x.underlyingSymbol === 'NIFTY' && x.optionType);
  const nearest = opts.map((x) => x.expiry).sort()[0];
  const chain = opts.filter((x) => x.expiry === nearest).sort((a, b) => a.strike - b.strike);
  const mid = chain[chain.length >> 1]!.strike;
  return chain.sort((a, b) => Math.abs(a.strike - mid) - Math.abs(b.strike - mid)).slice(0, n);
}

function instOf(p: DecodedPacket): Instrument {
  const x = byKey.get(`${SEG[p.header.segment]}:${p.header.securityId}`);
  if (!x) throw new Error(`packet for an instrument not in the master: ${p.header.segment}/${p.header.securityId}`);
  return x;
}

describe('master over HTTP', () => {
  it('serves the detailed CSV with the live header and trailing comma (HEAD too)', async () => {
    const head = await fetch(sim.urls.master, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(10_000_000);
    const res = await fetch(sim.urls.master);
    const text = await res.text();
    expect(text.slice(0, 40)).toBe('EXCH_ID,SEGMENT,SECURITY_ID,ISIN,INSTRUM');
    expect(text.split('\n', 1)[0]!.endsWith('SM_FREEZE_QTY,')).toBe(true);
    expect(sim.urls.api.endsWith('/v2')).toBe(true);
    expect(sim.urls.feed.startsWith('ws://')).toBe(true);
    expect(sim.accounts).toHaveLength(5);
  });
});

describe('feed', () => {
  it('sends Market Status at connect, then Ticker (code 2) + Prev Close for an IDX_I index in Ticker mode, then code-2 index ticks; never a code-1 packet', async () => {
    const c = open();
    await c.opened;
    await c.waitFor(() => c.packets.length >= 1, 3000, 'market status');
    expect(c.packets[0]).toMatchObject({ type: 'marketStatus', header: { code: 7, length: 8 } });
    c.send(subMsg(15, [{ seg: 'IDX_I', id: '13' }]));
    await c.waitFor(() => c.packets.some((p) => p.type === 'prevClose'), 3000, 'prev close');
    const first = c.packets.slice(1, 3);
    // docs/dhan-protocol.md §2.6: index values arrive as ordinary Ticker packets on IDX_I.
    expect(first.map((p) => p.type)).toEqual(['ticker', 'prevClose']);
    expect(first[0]!.header).toMatchObject({ code: 2, length: 16, segment: 0, securityId: 13 });
    expect(first[1]!.header).toMatchObject({ segment: 0, securityId: 13 });
    await c.waitFor(() => c.packets.filter((p) => p.type === 'ticker').length >= 4, 5000, 'index ticks');
    for (const p of c.packets) {
      expect(p.header.code).not.toBe(1);
      if (p.type !== 'ticker') continue;
      expect(p.header).toMatchObject({ segment: 0, securityId: 13 });
      expect(onTickGrid(p.values.ltp, 0.05)).toBe(true);
      expect(p.values.ltp).toBeGreaterThan(10_000);
    }
    expect(c.rest).toBe(0);
  });

  it('sends an IDX_I index subscribed in Quote mode as Quote (code 4) packets without OI, and in Full mode as Full (code 8) with empty depth', async () => {
    const c = open();
    await c.opened;
    c.send(subMsg(17, [{ seg: 'IDX_I', id: '25' }]));
    c.send(subMsg(21, [{ seg: 'IDX_I', id: '51' }]));
    const of = (id: number, type: DecodedPacket['type']) => c.packets.filter((p) => p.header.securityId === id && p.header.segment === 0 && p.type === type);
    await c.waitFor(() => of(25, 'quote').length >= 3 && of(51, 'full').length >= 3, 8000, 'index quote and full ticks');
    for (const p of of(25, 'quote')) {
      if (p.type !== 'quote') continue;
      expect(p.header).toMatchObject({ code: 4, length: 50 });
      expect(p.values.ltp).toBeGreaterThan(10_000);
      // The close field carries the previous close (docs/dhan-protocol.md §2.7), as for any Quote.
      expect(p.values.close).toBeGreaterThan(10_000);
      expect(p.values.high).toBeGreaterThanOrEqual(p.values.low);
    }
    for (const p of of(51, 'full')) {
      if (p.type !== 'full') continue;
      expect(p.header).toMatchObject({ code: 8, length: 162 });
      expect(p.values.ltp).toBeGreaterThan(10_000);
      // An index has no order book: every depth level is zero-filled (docs/dhan-protocol.md §2.6).
      for (const d of p.values.depth) expect(d).toEqual({ bidQty: 0, askQty: 0, bidOrders: 0, askOrders: 0, bid: 0, ask: 0 });
    }
    // Indices are not F&O: no OI packets; and no code-1 packet in any mode.
    expect(c.packets.filter((p) => p.header.segment === 0 && (p.type === 'oi' || p.header.code === 1))).toEqual([]);
    // Prev Close still comes once per IDX_I subscription (docs/dhan-protocol.md §2.7).
    expect(of(25, 'prevClose')).toHaveLength(1);
    expect(of(51, 'prevClose')).toHaveLength(1);
    expect(c.rest).toBe(0);
  });

  it('answers Full, Quote (+OI) and Ticker subscriptions with a snapshot, then ticks; one packet per frame', async () => {
    const c = open();
    await c.opened;
    const near = niftyNear(30);
    const full = near.slice(0, 10);
    const quote = near.slice(10, 20);
    const ticker = near.slice(20, 30);
    const list = (xs: Instrument[]) => xs.map((x) => ({ seg: x.segment, id: String(x.securityId) }));
    c.send(subMsg(21, list(full)));
    c.send(subMsg(17, list(quote)));
    c.send(subMsg(15, list(ticker)));
    // Snapshots: every instrument answers at once.
    await c.waitFor(() => new Set(c.packets.filter((p) => p.type !== 'marketStatus' && p.type !== 'oi').map((p) => p.header.securityId)).size >= 30, 3000, 'snapshots');
    await sleep(1500);
    const types = (ids: Instrument[]) => new Set(c.packets.filter((p) => ids.some((x) => x.securityId === p.header.securityId)).map((p) => p.type));
    // Every subscription also gets one Prev Close (code 6) with the previous session's OI
    // (docs/dhan-protocol.md §2.7: "whenever any instrument is subscribed for any data packet").
    expect([...types(full)].sort()).toEqual(['full', 'prevClose']);
    expect([...types(quote)].sort()).toEqual(['oi', 'prevClose', 'quote']);
    expect([...types(ticker)].sort()).toEqual(['prevClose', 'ticker']);
    for (const x of near) {
      const pc = c.packets.filter((p) => p.type === 'prevClose' && p.header.securityId === x.securityId);
      expect(pc, `prev close of ${x.securityId}`).toHaveLength(1);
      expect(pc[0]!.type === 'prevClose' && pc[0]!.values.prevOi).toBeGreaterThan(0);
    }
    // Ticks beyond the snapshots arrived (the ATM strikes tick several times a second).
    expect(c.packets.length).toBeGreaterThan(60);
    // One packet per WebSocket message by default (docs/dhan-protocol.md §2.8), each exact in length.
    for (const f of c.frames) expect(f.length).toBe(f.readUInt16LE(1));
    expect(c.rest).toBe(0);
    const nowLtt = Math.floor((Date.now() + sim.clockOffsetMs) / 1000) + 19800;
    const lastVolume = new Map<number, number>();
    for (const p of c.packets) {
      if (p.type === 'marketStatus') continue;
      const x = instOf(p);
      if (p.type === 'full' || p.type === 'quote' || p.type === 'ticker') {
        const v = p.values;
        expect(onTickGrid(v.ltp, x.tickSize)).toBe(true);
        if (v.ltt > 0) expect(Math.abs(v.ltt - nowLtt)).toBeLessThan(2 * 3600);
      }
      if (p.type === 'full' || p.type === 'quote') {
        const v = p.values;
        expect(v.close).toBeGreaterThan(0); // the previous close rides in `close` during the session (docs/dhan-protocol.md §2.7)
        expect(onTickGrid(v.close, x.tickSize)).toBe(true);
        const before = lastVolume.get(x.securityId) ?? 0;
        expect(v.volume).toBeGreaterThanOrEqual(before);
        lastVolume.set(x.securityId, v.volume);
        expect(v.ltq % x.lotSize).toBe(0);
      }
      if (p.type === 'full') {
        const d = p.values.depth;
        if (d[0]!.bid > 0 && d[0]!.ask > 0) expect(d[0]!.bid).toBeLessThan(d[0]!.ask);
        for (const l of d) {
          expect(onTickGrid(l.bid, x.tickSize)).toBe(true);
          expect(onTickGrid(l.ask, x.tickSize)).toBe(true);
        }
        expect(p.values.oi).toBeGreaterThanOrEqual(p.values.oiLow);
        expect(p.values.oi).toBeLessThanOrEqual(p.values.oiHigh);
      }
    }
  });

  it('the same instrument may be subscribed in several modes; unsubscribe stops its packets', async () => {
    const c = open();
    await c.opened;
    const x = niftyNear(1)[0]!;
    const one = [{ seg: x.segment, id: String(x.securityId) }];
    c.send(subMsg(15, one));
    c.send(subMsg(21, one));
    await c.waitFor(() => c.packets.some((p) => p.type === 'ticker') && c.packets.some((p) => p.type === 'full'), 3000, 'both modes');
    c.send(subMsg(16, one));
    c.send(subMsg(22, one));
    await sleep(200);
    const n = c.packets.length;
    await sleep(1200);
    expect(c.packets.length).toBe(n);
  });

  it('stacks several packets per message when asked to, still exact by length', async () => {
    const c = open();
    await c.opened;
    const near = niftyNear(40);
    sim.faults.setStacked(true);
    try {
      c.send(subMsg(21, near.map((x) => ({ seg: x.segment, id: String(x.securityId) }))));
      await c.waitFor(() => c.frames.some((f) => f.length > 162), 3000, 'a stacked frame');
      expect(c.rest).toBe(0);
      const stacked = c.frames.filter((f) => f.length > 162);
      // Full packets (162 bytes) stacked, each subscription's snapshot followed by its Prev Close (16).
      expect(stacked[0]!.length % (162 + 16)).toBe(0);
    } finally {
      sim.faults.setStacked(false);
    }
  });

  it('an unknown security id is accepted and simply never streams', async () => {
    const c = open();
    await c.opened;
    c.send(subMsg(21, [{ seg: 'NSE_FNO', id: '9999999' }]));
    await sleep(800);
    expect(c.packets.filter((p) => p.type !== 'marketStatus')).toEqual([]);
    expect(c.isClosed()).toBe(false);
  });

  it('counts what it sent', () => {
    const s = sim.stats();
    expect(s.feed.connectionsAccepted).toBeGreaterThanOrEqual(5);
    expect(s.feed.packets.full).toBeGreaterThan(0);
    expect(s.feed.packets.prevClose).toBeGreaterThan(0);
    expect(s.feed.bytes).toBeGreaterThan(0);
    expect(s.master.requests).toBeGreaterThanOrEqual(2);
    expect(s.session.now).toBeGreaterThan(0);
  });
});
