/**
 * The simulator is as strict as Dhan (docs/dhan-protocol.md §2.1–§2.3, §2.10–§2.11, §7): 100
 * instruments per message, 5000 per connection, 5 connections per client id (the 6th makes
 * the oldest receive 805), credential failures answered with the code-50 packet and a close,
 * malformed requests refused, ping every interval and silent clients dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instrument } from '../src/master/instrument.js';
import { startSimulator, type SimHandle } from '../src/sim/sim-server.js';
import { parseMaster } from '../src/master/parse-master.js';
import { connectFeed, feedUrl, sleep, subMsg, type SimFeedClient } from './helpers/sim-client.js';

let sim: SimHandle;
let options: Instrument[];
const clients: SimFeedClient[] = [];

beforeAll(async () => {
  // Short keep-alive timings so the 10 s / 40 s rules of docs/dhan-protocol.md §2.10 can be watched in a second or two.
  sim = await startSimulator({ tradingDate: '2026-08-17', seed: 7, pingIntervalMs: 200, silentTimeoutMs: 900 });
  const text = await (await fetch(sim.urls.master)).text();
  options = parseMaster(text).instruments.filter((x) => x.segment === 'NSE_FNO');
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await sim?.close();
});

function open(creds = sim.accounts[0]!, extra = '', autoPong = true): SimFeedClient {
  const c = connectFeed(feedUrl(sim.urls.feed, creds, extra), { autoPong });
  clients.push(c);
  return c;
}

function disconnectCode(c: SimFeedClient): number | undefined {
  const p = c.packets.find((x) => x.type === 'disconnect');
  return p?.type === 'disconnect' ? p.reasonCode : undefined;
}

const list = (xs: Instrument[]) => xs.map((x) => ({ seg: x.segment, id: String(x.securityId) }));

describe('instrument limits', () => {
  it('101 instruments in one message → 804 and close', async () => {
    const c = open();
    await c.opened;
    c.send(subMsg(15, list(options.slice(0, 101))));
    await c.closed;
    expect(disconnectCode(c)).toBe(804);
    expect(c.frames.at(-1)!.toString('hex')).toBe('320a00000000000024' + '03');
  });

  it('5000 per connection are fine; the message that would make 5001 → 804 and close', async () => {
    const c = open();
    await c.opened;
    for (let k = 0; k < 5000; k += 100) c.send(subMsg(15, list(options.slice(k, k + 100))));
    // Re-subscribing what is already there does not count twice.
    c.send(subMsg(15, list(options.slice(0, 100))));
    await c.waitFor(() => c.packets.filter((p) => p.type === 'ticker').length >= 5000, 10_000, '5000 snapshots');
    expect(c.isClosed()).toBe(false);
    expect(sim.stats().feed.subscriptions).toBeGreaterThanOrEqual(5000);
    c.send(subMsg(15, list(options.slice(5000, 5001))));
    await c.closed;
    expect(disconnectCode(c)).toBe(804);
    await sleep(50);
    expect(sim.stats().feed.subscriptions).toBe(0);
  });

  it('a 6th connection of a client id makes the oldest receive 805 and close', async () => {
    const creds = sim.accounts[1]!;
    const cs: SimFeedClient[] = [];
    for (let k = 0; k < 5; k++) {
      const c = open(creds);
      await c.opened;
      await c.waitFor(() => c.packets.length > 0, 3000, 'market status');
      cs.push(c);
    }
    expect(sim.stats().feed.connectionsByClient[creds.clientId]).toBe(5);
    const sixth = open(creds);
    await sixth.opened;
    await cs[0]!.closed;
    expect(disconnectCode(cs[0]!)).toBe(805);
    expect(cs[0]!.frames.at(-1)!.toString('hex')).toBe('320a000000000000' + '2503');
    await sleep(100);
    for (const c of [...cs.slice(1), sixth]) expect(c.isClosed()).toBe(false);
    expect(sim.stats().feed.connectionsByClient[creds.clientId]).toBe(5);
    for (const c of [...cs, sixth]) await c.close();
  });
});

describe('authentication', () => {
  it('a token the client id never had → 809; unknown client id → 808; another client\'s token → 808', async () => {
    const [a, b] = sim.accounts as [{ clientId: string; accessToken: string }, { clientId: string; accessToken: string }];
    const cases: [{ clientId: string; accessToken: string }, number][] = [
      [{ clientId: a.clientId, accessToken: 'not-a-token' }, 809],
      [{ clientId: '9999999999', accessToken: a.accessToken }, 808],
      [{ clientId: a.clientId, accessToken: b.accessToken }, 808],
    ];
    for (const [creds, code] of cases) {
      const c = open(creds);
      await c.closed;
      expect(disconnectCode(c)).toBe(code);
      expect(c.packets.filter((p) => p.type !== 'disconnect')).toEqual([]);
    }
  });

  it('a wrong version/authType is an invalid request (814)', async () => {
    const c = connectFeed(`${sim.urls.feed}?version=1&token=${sim.accounts[0]!.accessToken}&clientId=${sim.accounts[0]!.clientId}&authType=2`);
    clients.push(c);
    await c.closed;
    expect(disconnectCode(c)).toBe(814);
  });

  it('an expired token → 807; the new token works', async () => {
    const clientId = sim.accounts[0]!.clientId;
    const old = sim.accounts[0]!.accessToken;
    const fresh = sim.faults.expireToken(clientId, { disconnect: false });
    expect(fresh.accessToken).not.toBe(old);
    const c = open({ clientId, accessToken: old });
    await c.closed;
    expect(disconnectCode(c)).toBe(807);
    expect(c.frames[0]!.toString('hex')).toBe('320a000000000000' + '2703');
    const ok = open({ clientId, accessToken: fresh.accessToken });
    await ok.opened;
    await ok.waitFor(() => ok.packets.some((p) => p.type === 'marketStatus'), 3000, 'market status');
    await ok.close();
  });
});

describe('malformed requests', () => {
  const cases: [string, unknown, number][] = [
    ['not JSON', '{"RequestCode":15,', 814],
    ['numeric SecurityId', { RequestCode: 15, InstrumentCount: 1, InstrumentList: [{ ExchangeSegment: 'NSE_FNO', SecurityId: 42 }] }, 813],
    ['numeric segment', { RequestCode: 15, InstrumentCount: 1, InstrumentList: [{ ExchangeSegment: 2, SecurityId: '42' }] }, 814],
    ['count mismatch', { RequestCode: 15, InstrumentCount: 2, InstrumentList: [{ ExchangeSegment: 'NSE_FNO', SecurityId: '42' }] }, 814],
    ['unknown request code', { RequestCode: 19, InstrumentCount: 1, InstrumentList: [{ ExchangeSegment: 'NSE_FNO', SecurityId: '42' }] }, 814],
  ];
  it.each(cases)('%s → disconnect %i', async (_name, body, code) => {
    const c = open(sim.accounts[1]!);
    await c.opened;
    c.send(body);
    await c.closed;
    expect(disconnectCode(c)).toBe(code);
  });

  it('a binary frame from the client → 814', async () => {
    const c = open(sim.accounts[1]!);
    await c.opened;
    c.ws.send(Buffer.from([12, 0, 0]));
    await c.closed;
    expect(disconnectCode(c)).toBe(814);
  });

  it('{"RequestCode":12} ends the connection without a packet', async () => {
    const c = open(sim.accounts[1]!);
    await c.opened;
    c.send({ RequestCode: 12 });
    const closed = await c.closed;
    expect(closed.code).toBe(1000);
    expect(disconnectCode(c)).toBeUndefined();
  });
});

describe('keep-alive', () => {
  it('pings every interval; a silent client is dropped, an answering one stays', async () => {
    const good = open(sim.accounts[1]!);
    const silent = open(sim.accounts[1]!, '', false);
    let pings = 0;
    good.ws.on('ping', () => pings++);
    await Promise.all([good.opened, silent.opened]);
    const t0 = Date.now();
    const closed = await silent.closed;
    const after = Date.now() - t0;
    expect(closed.code).toBe(1006); // terminated, no close frame
    expect(after).toBeGreaterThan(700);
    expect(after).toBeLessThan(3000);
    expect(good.isClosed()).toBe(false);
    expect(pings).toBeGreaterThanOrEqual(3);
    expect(sim.stats().feed.silentDrops).toBeGreaterThanOrEqual(1);
  });

  it('answers client pings', async () => {
    const c = open(sim.accounts[1]!);
    await c.opened;
    const pong = new Promise<void>((resolve) => c.ws.once('pong', () => resolve()));
    c.ws.ping();
    await pong;
  });
});
