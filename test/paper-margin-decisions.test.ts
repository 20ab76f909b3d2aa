/**
 * "Prices from the WebSocket continuously; margins from REST only at decision points"
 * (issue 7): margin calls counted by the simulator's own `/v2/margincalculator/multi` counter
 * while paper orders, what-if margins and strategies go through the HTTP routes and ticks flow
 * into the price table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../src/sim/sim-server.js';
import { masterCsv, order, quote, startPaperServer, TRADING_DATE, type PaperHarness } from './paper-fixture.js';

const MULTI = '/v2/margincalculator/multi';
let sim: SimHandle;
let h: PaperHarness;
let c: PaperHarness['market']['weekly'];
let signer: { clientId: string; accessToken: string };
const calls = () => sim.stats().rest[MULTI]!.calls;
const singles = () => sim.stats().rest['/v2/margincalculator']!.calls;

beforeAll(async () => {
  sim = await startSimulator({ tradingDate: TRADING_DATE, seed: 11, masterCsv: masterCsv(), restLatencyMs: [5, 15] });
  signer = { ...sim.accounts[0]! };
  h = await startPaperServer({ apiUrl: sim.urls.api, account: () => signer, env: { OPTCHAIN_PAPER_RATE_LIMIT_BURST: '1000' } }); // the test loops faster than a client may
  c = h.market.weekly;
  for (let i = 0; i < c.length; i++) quote(h.market, c[i]!, { bid: 100 - i, ask: 100.5 - i });
});
afterAll(async () => {
  await h?.close();
  await sim?.close();
});

/** Writes `n` ticks over every weekly contract, receive times advancing by `stepMs` from now. */
async function tickStorm(n: number, stepMs: number): Promise<void> {
  const t0 = Date.now();
  for (let k = 0; k < n; k++) {
    const i = k % c.length;
    const wiggle = (k % 7) * 0.05;
    quote(h.market, c[i]!, { bid: 100 - i + wiggle, ask: 100.5 - i + wiggle, at: t0 + Math.floor(k / c.length) * stepMs });
    if (k % 5000 === 0) await new Promise((r) => setImmediate(r));
  }
}

describe('margin calls happen at decision points only', () => {
  it('one call per order, none for ticks, a cache hit for the same set, a new call after a quantity change', async () => {
    const key = h.user('decisions');
    const n0 = calls();

    const o1 = await h.call('POST', '/v1/paper/orders', key, order('d1', c[0]!, 'SELL', 1));
    expect(o1.status).toBe(201);
    expect(o1.body.margin.source).toBe('dhan');
    expect(calls()).toBe(n0 + 1);

    // the same position set: served from the cache
    const m1 = await h.call('POST', '/v1/margin', key, { legs: [] });
    expect(m1.status).toBe(200);
    expect(m1.body).toMatchObject({ totalMargin: o1.body.margin.totalMargin, source: 'cache', computedAt: o1.body.margin.computedAt });
    expect(calls()).toBe(n0 + 1);

    // "minutes" of ticks: 200k ticks whose receive times span 10 minutes, plus 1.5 s of wall time
    // with reads of the marked positions in between; none of it is a decision point
    await tickStorm(200_000, 30);
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      await tickStorm(2_000, 1);
      expect((await h.call('GET', '/v1/paper/positions', key)).status).toBe(200);
    }
    expect(calls()).toBe(n0 + 1);

    // a quantity change: a new set, one new call
    const o2 = await h.call('POST', '/v1/paper/orders', key, order('d2', c[0]!, 'SELL', 1));
    expect(o2.status).toBe(201);
    expect(o2.body.margin.source).toBe('dhan');
    expect(o2.body.margin.totalMargin).toBeGreaterThan(o1.body.margin.totalMargin);
    expect(calls()).toBe(n0 + 2);

    // a replayed order is not a decision point
    expect((await h.call('POST', '/v1/paper/orders', key, order('d2', c[0]!, 'SELL', 1))).status).toBe(201);
    expect(calls()).toBe(n0 + 2);

    // a refused (infeasible) order never reaches the margin service
    quote(h.market, c[5]!, { bid: 100, ask: 99 });
    expect((await h.call('POST', '/v1/paper/orders', key, order('d3', c[5]!, 'BUY', 1))).body.error.code).toBe('CROSSED_QUOTE');
    expect(calls()).toBe(n0 + 2);

    // a what-if on top of the positions: one call, then a cache hit
    const whatIf = { legs: [{ exchangeSegment: 'NSE_FNO', securityId: c[2]!.securityId, side: 'BUY', lots: 2 }] };
    expect((await h.call('POST', '/v1/margin', key, whatIf)).body.source).toBe('dhan');
    expect((await h.call('POST', '/v1/margin', key, whatIf)).body.source).toBe('cache');
    expect(calls()).toBe(n0 + 3);

    // placing exactly that what-if leaves exactly the set just priced: a cache hit
    const o4 = await h.call('POST', '/v1/paper/orders', key, { clientOrderId: 'd4', legs: [{ exchangeSegment: 'NSE_FNO', securityId: c[2]!.securityId, side: 'BUY', lots: 2, type: 'MARKET' }] });
    expect(o4.status).toBe(201);
    expect(o4.body.margin.source).toBe('cache');
    expect(calls()).toBe(n0 + 3);
    // …and the set changed, so the older sets are gone: asking for the previous set is a new call
    expect((await h.call('POST', '/v1/margin', key, { legs: [{ exchangeSegment: 'NSE_FNO', securityId: c[2]!.securityId, side: 'SELL', lots: 2 }] })).body.source).toBe('dhan');
    expect(calls()).toBe(n0 + 4);
    expect(singles()).toBe(0);
  });

  it('a multi-leg order is one /multi call for the whole resulting set, never single-leg calls', async () => {
    const key = h.user('basket');
    const n0 = calls();
    const legs = [0, 2, 4, 6].map((i, k) => ({ exchangeSegment: 'NSE_FNO', securityId: c[i]!.securityId, side: k % 2 === 0 ? 'SELL' : 'BUY', lots: 1, type: 'MARKET' }));
    const r = await h.call('POST', '/v1/paper/orders', key, { clientOrderId: 'ic', legs });
    expect(r.status).toBe(201);
    expect(r.body.fills).toHaveLength(4);
    expect(calls()).toBe(n0 + 1);
    expect(singles()).toBe(0);
  });

  it('strategies: deploy and modify are decision points; an unchanged leg set is a cache hit; remove makes no call', async () => {
    const key = h.user('strategist');
    const n0 = calls();
    const legs = [
      { exchangeSegment: 'NSE_FNO', securityId: c[0]!.securityId, side: 'SELL', lots: 1 },
      { exchangeSegment: 'NSE_FNO', securityId: c[2]!.securityId, side: 'BUY', lots: 1 },
    ];
    const s = await h.call('POST', '/v1/paper/strategies', key, { name: 'bear call', legs });
    expect(s.status).toBe(201);
    expect(s.body).toMatchObject({ name: 'bear call', margin: { source: 'dhan' } });
    expect(s.body.legs).toHaveLength(2);
    expect(calls()).toBe(n0 + 1);

    const renamed = await h.call('PUT', `/v1/paper/strategies/${s.body.id}`, key, { name: 'renamed', legs: [...legs].reverse() });
    expect(renamed.status).toBe(200);
    expect(renamed.body.margin).toMatchObject({ source: 'cache', totalMargin: s.body.margin.totalMargin });
    expect(calls()).toBe(n0 + 1);

    const bigger = await h.call('PUT', `/v1/paper/strategies/${s.body.id}`, key, { name: 'renamed', legs: legs.map((l) => ({ ...l, lots: 2 })) });
    expect(bigger.body.margin.source).toBe('dhan');
    expect(bigger.body.margin.totalMargin).toBeGreaterThan(s.body.margin.totalMargin);
    expect(calls()).toBe(n0 + 2);

    expect((await h.call('GET', '/v1/paper/strategies', key)).body.strategies.map((x: any) => x.id)).toEqual([s.body.id]);
    expect((await h.call('DELETE', `/v1/paper/strategies/${s.body.id}`, key)).status).toBe(200);
    expect((await h.call('GET', `/v1/paper/strategies/${s.body.id}`, key)).status).toBe(404);
    expect(calls()).toBe(n0 + 2);
  });
});

describe('a slow or failing margin service', () => {
  it('does not slow other requests: the main thread only awaits the worker', async () => {
    h.server.fastRoute('GET', '/probe', () => ({ status: 200, contentType: 'text/plain', body: 'ok' }));
    const key = h.user('slow');
    sim.faults.setRestLatency(2500);
    try {
      const pending = h.call('POST', '/v1/paper/orders', key, order('slow1', c[1]!, 'SELL', 1));
      await new Promise((r) => setTimeout(r, 100));
      const lat: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        const r = await fetch(`${h.base}/probe`);
        await r.text();
        lat.push(performance.now() - t);
        expect((await h.call('GET', '/v1/paper/positions', key)).status).toBe(200);
      }
      lat.sort((a, b) => a - b);
      // while the margin answer takes 2.5 s: the median probe is fast and none waited on it
      expect(lat[lat.length >> 1]!).toBeLessThan(100);
      expect(lat[lat.length - 1]!).toBeLessThan(1000);
      const r = await pending;
      // the default marginTimeoutMs (5 s) lets a 2.5 s answer through
      expect(r.status).toBe(201);
    } finally {
      sim.faults.setRestLatency(0);
    }
  });

  it('answers 502 MARGIN_AUTH_FAILED when Dhan rejects the token, stores nothing, and the same order succeeds with the rolled-over token', async () => {
    const key = h.user('expired');
    const old = { ...signer };
    sim.faults.expireToken(old.clientId, { disconnect: false });
    // the server still signs with the old token
    const r = await h.call('POST', '/v1/paper/orders', key, order('tok', c[3]!, 'SELL', 1));
    expect([r.status, r.body.error.code]).toEqual([502, 'MARGIN_AUTH_FAILED']);
    expect(JSON.stringify(r.body)).not.toContain(old.accessToken);
    expect((await h.call('GET', '/v1/paper/orders', key)).body.orders).toEqual([]);
    expect((await h.call('GET', '/v1/paper/positions', key)).body.positions).toEqual([]);
    // the account source now yields the new token (as the accounts file would after a rollover)
    signer = { ...sim.accounts[0]! };
    expect(signer.accessToken).not.toBe(old.accessToken);
    const again = await h.call('POST', '/v1/paper/orders', key, order('tok', c[3]!, 'SELL', 1));
    expect(again.status).toBe(201);
    expect((await h.call('GET', '/v1/paper/orders', key)).body.orders).toHaveLength(1);
  });
});
