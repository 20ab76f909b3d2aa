/**
 * Fault injection (issue #4 §5), on the handle and over the `/sim/faults/*` control routes:
 * dropped and stalled connections, malformed frames, an expired token, slow REST.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../src/sim/sim-server.js';
import { connectFeed, feedUrl, sleep, subMsg, type SimFeedClient } from './helpers/sim-client.js';

let sim: SimHandle;
const clients: SimFeedClient[] = [];
const NIFTY = [{ seg: 'IDX_I', id: '13' }, { seg: 'IDX_I', id: '25' }, { seg: 'IDX_I', id: '51' }];

beforeAll(async () => {
  sim = await startSimulator({ tradingDate: '2026-08-17', seed: 5, pingIntervalMs: 200, silentTimeoutMs: 1000, restLatencyMs: [1, 2] });
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await sim?.close();
});

async function open(account = 0): Promise<SimFeedClient> {
  const c = connectFeed(feedUrl(sim.urls.feed, sim.accounts[account]!));
  clients.push(c);
  await c.opened;
  c.send(subMsg(15, NIFTY));
  await c.waitFor(() => c.packets.some((p) => p.type === 'ticker' && p.header.segment === 0), 3000, 'index ticker packets');
  return c;
}

/** The control API's credentials for this run. */
const auth = (): Record<string, string> => ({ authorization: `Bearer ${sim.controlSecret}` });

async function control(name: string, body: unknown = {}): Promise<Record<string, unknown>> {
  const base = sim.urls.api.replace(/\/v2$/, '');
  const res = await fetch(`${base}/sim/faults/${name}`, { method: 'POST', headers: auth(), body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe('faults', () => {
  it('drops some or all connections (TCP reset, no close frame)', async () => {
    const cs = [await open(), await open(), await open()];
    expect(sim.faults.dropConnections({ count: 2 })).toBe(2);
    const [a, b] = await Promise.all([cs[0]!.closed, cs[1]!.closed]);
    expect(a.code).toBe(1006);
    expect(b.code).toBe(1006);
    await sleep(100);
    expect(cs[2]!.isClosed()).toBe(false);
    expect(await control('drop', { how: 'close' })).toEqual({ affected: 1 });
    expect((await cs[2]!.closed).code).toBe(1001);
    expect(sim.stats().feed.connectionsOpen).toBe(0);
  });

  it('stalls a connection: open but silent, no pongs; the client sees nothing until unstalled', async () => {
    const stalled = await open();
    const alive = await open();
    expect(await control('stall', { count: 1 })).toEqual({ affected: 1 });
    await sleep(100);
    const n = stalled.packets.length;
    const m = alive.packets.length;
    let pongs = 0;
    stalled.ws.on('pong', () => pongs++);
    stalled.ws.ping();
    let serverPings = 0;
    stalled.ws.on('ping', () => serverPings++);
    await sleep(1500); // longer than the silent timeout: a stalled socket is not dropped by the server
    expect(stalled.packets.length).toBe(n);
    expect(pongs).toBe(0);
    expect(serverPings).toBe(0);
    expect(stalled.isClosed()).toBe(false);
    expect(alive.packets.length).toBeGreaterThan(m);
    expect(sim.stats().feed.stalled).toBe(1);
    expect(sim.faults.unstall()).toBe(1);
    await stalled.waitFor(() => stalled.packets.length > n, 3000, 'packets after unstall');
    await Promise.all([stalled.close(), alive.close()]);
  });

  it.each(['truncated', 'bad-length', 'unknown-code', 'garbage'] as const)('sends a malformed frame (%s) the client must survive', async (kind) => {
    const c = await open();
    const before = c.frames.length;
    expect(sim.faults.sendMalformed({ kind })).toBeGreaterThanOrEqual(1);
    await c.waitFor(() => c.frames.length > before, 2000, 'the malformed frame');
    const bad = c.frames.slice(before);
    // At least one frame that a strict decoder cannot take as a clean run of known packets.
    const clean = (f: Buffer): boolean => {
      let off = 0;
      while (off < f.length) {
        if (f.length - off < 8) return false;
        const len = f.readUInt16LE(off + 1);
        if (len < 8 || off + len > f.length || ![1, 2, 4, 5, 6, 7, 8, 50].includes(f[off]!)) return false;
        off += len;
      }
      return true;
    };
    expect(bad.some((f) => !clean(f))).toBe(true);
    await c.close();
  });

  it('expires a token: open connections get 807 and close, the old token is refused on feed and REST, the new one works', async () => {
    const c = await open(1);
    const clientId = sim.accounts[1]!.clientId;
    const old = sim.accounts[1]!.accessToken;
    const fresh = (await control('expire-token', { clientId })) as { clientId: string; accessToken: string };
    expect(fresh.clientId).toBe(clientId);
    expect(sim.accounts[1]!.accessToken).toBe(fresh.accessToken);
    await c.closed;
    const d = c.packets.find((p) => p.type === 'disconnect');
    expect(d?.type === 'disconnect' && d.reasonCode).toBe(807);
    const rest = await fetch(`${sim.urls.api}/margincalculator/multi`, { method: 'POST', headers: { 'access-token': old, 'client-id': clientId }, body: '{}' });
    expect(rest.status).toBe(401);
    await rest.arrayBuffer();
    const again = connectFeed(feedUrl(sim.urls.feed, { clientId, accessToken: old }));
    clients.push(again);
    await again.closed;
    expect(again.packets.find((p) => p.type === 'disconnect')).toMatchObject({ reasonCode: 807 });
    const ok = await open(1);
    await ok.close();
  });

  it('slows REST answers on request and reports stats and info over HTTP', async () => {
    expect(await control('rest-latency', { extraMs: 250 })).toEqual({ extraMs: 250 });
    const a = sim.accounts[0]!;
    const t0 = performance.now();
    const r = await fetch(`${sim.urls.api}/margincalculator/multi`, { method: 'POST', headers: { 'access-token': a.accessToken }, body: '{}' });
    expect(r.status).toBe(400);
    await r.arrayBuffer();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(240);
    await control('rest-latency', { extraMs: 0 });
    const base = sim.urls.api.replace(/\/v2$/, '');
    const stats = (await (await fetch(`${base}/sim/stats`, { headers: auth() })).json()) as { feed: { faultDrops: number }; rest: Record<string, { calls: number }> };
    expect(stats.feed.faultDrops).toBeGreaterThanOrEqual(3);
    expect(stats.rest['/v2/margincalculator/multi']!.calls).toBeGreaterThanOrEqual(2);
    const info = (await (await fetch(`${base}/sim/info`, { headers: auth() })).json()) as { urls: unknown; clockOffsetMs: number; accounts: unknown[] };
    expect(info.urls).toEqual(sim.urls);
    expect(info.clockOffsetMs).toBe(sim.clockOffsetMs);
    expect(info.accounts).toHaveLength(5);
    expect((await fetch(`${base}/sim/faults/nope`, { method: 'POST', headers: auth() })).status).toBe(404);
    const accounts = (await (await fetch(`${base}/sim/accounts`, { headers: auth() })).json()) as unknown[];
    expect(accounts).toEqual(sim.accounts);
  });
});
