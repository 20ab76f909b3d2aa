/**
 * Paper orders over HTTP (uWS + the paper routes + the piscina margin worker + a Dhan-shaped
 * margin server on a real socket): fills at the touch, every refusal code with its numbers,
 * idempotent replays, all-or-none baskets, positions and P&L, user isolation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMarket, order, quote, startMarginStub, startPaperServer, type MarginStub, type PaperHarness } from './paper-fixture.js';

let stub: MarginStub;
let h: PaperHarness;
let c: ReturnType<typeof makeMarket>['weekly'];

beforeAll(async () => {
  stub = await startMarginStub();
  h = await startPaperServer({ apiUrl: stub.apiUrl, account: stub.account });
  c = h.market.weekly;
});
afterAll(async () => {
  await h?.close();
  await stub?.close();
});

/** A fresh, tight, deep quote on contract i. */
const fresh = (i: number, bid = 100, ask = 100.5, extra: Partial<{ bidQty: number; askQty: number; at: number }> = {}) => quote(h.market, c[i]!, { bid, ask, ...extra });

describe('authentication', () => {
  it('answers 401 UNAUTHORIZED on every paper route without a valid bearer key', async () => {
    const routes: [string, string, unknown?][] = [
      ['POST', '/v1/paper/orders', order('x', c[0]!, 'BUY')],
      ['GET', '/v1/paper/orders'],
      ['GET', '/v1/paper/positions'],
      ['POST', '/v1/paper/strategies', { name: 's', legs: [] }],
      ['GET', '/v1/paper/strategies'],
      ['PUT', '/v1/paper/strategies/stg_x', { name: 's', legs: [] }],
      ['DELETE', '/v1/paper/strategies/stg_x'],
      ['POST', '/v1/margin', { legs: [] }],
    ];
    for (const [method, path, body] of routes) {
      for (const key of [null, 'ocp_not-a-real-key', 'garbage']) {
        const r = await h.call(method, path, key, body);
        expect(r.status, `${method} ${path} key=${key}`).toBe(401);
        expect(r.body.error.code).toBe('UNAUTHORIZED');
      }
    }
  });
});

describe('fills at the touch', () => {
  it('fills a MARKET BUY at the ask and a SELL at the bid, and reports the resulting set margin', async () => {
    const key = h.user('touch');
    fresh(0, 100.05, 100.55);
    const buy = await h.call('POST', '/v1/paper/orders', key, order('t1', c[0]!, 'BUY', 2));
    expect(buy.status).toBe(201);
    expect(buy.body).toMatchObject({ clientOrderId: 't1', status: 'FILLED', strategyId: null });
    expect(buy.body.fills).toEqual([{ leg: 0, exchangeSegment: 'NSE_FNO', securityId: c[0]!.securityId, side: 'BUY', lots: 2, quantity: 130, price: 100.55, quoteAt: expect.any(Number) }]);
    expect(buy.body.margin).toMatchObject({ totalMargin: 13071.5, source: 'dhan' }); // premium 130 × 100.55
    const sell = await h.call('POST', '/v1/paper/orders', key, order('t2', c[0]!, 'SELL', 1));
    expect(sell.status).toBe(201);
    expect(sell.body.fills[0].price).toBe(100.05);
    const pos = await h.call('GET', '/v1/paper/positions', key);
    expect(pos.body.positions).toHaveLength(1);
    expect(pos.body.positions[0]).toMatchObject({ quantity: 65, lots: 1, avgPrice: 100.55, realizedPnl: -32.5, markPrice: 100.05, unrealizedPnl: -32.5 });
    expect(pos.body).toMatchObject({ funds: 1_000_000, realizedPnl: -32.5, unrealizedPnl: -32.5 });
  });

  it('fills a marketable LIMIT at the touch and refuses a non-marketable one (no resting book)', async () => {
    const key = h.user('limits');
    fresh(1, 50, 50.4);
    const ok = await h.call('POST', '/v1/paper/orders', key, order('l1', c[1]!, 'BUY', 1, { type: 'LIMIT', limitPrice: 51 }));
    expect(ok.status).toBe(201);
    expect(ok.body.fills[0].price).toBe(50.4);
    const no = await h.call('POST', '/v1/paper/orders', key, order('l2', c[1]!, 'SELL', 1, { type: 'LIMIT', limitPrice: 50.1 }));
    expect(no.status).toBe(422);
    expect(no.body.error).toMatchObject({ code: 'LIMIT_NOT_MARKETABLE', details: { leg: 0, side: 'SELL', limitPrice: 50.1, bid: 50, ask: 50.4 } });
  });

  it('marks a short at the ask and shows no mark (not a stale LTP) once the quote is stale', async () => {
    const key = h.user('marks');
    fresh(2, 80, 80.3);
    expect((await h.call('POST', '/v1/paper/orders', key, order('m1', c[2]!, 'SELL', 1))).status).toBe(201);
    fresh(2, 79, 79.4);
    let pos = (await h.call('GET', '/v1/paper/positions', key)).body;
    expect(pos.positions[0]).toMatchObject({ quantity: -65, avgPrice: 80, markPrice: 79.4, unrealizedPnl: 39 });
    quote(h.market, c[2]!, { bid: 1, ask: 1.1, ltp: 1, at: Date.now() - h.config.quoteMaxAgeMs - 1000 });
    pos = (await h.call('GET', '/v1/paper/positions', key)).body;
    expect(pos.positions[0]).toMatchObject({ markPrice: null, unrealizedPnl: null });
    expect(pos.unmarked).toBe(1);
  });
});

describe('refusals (422 with the code and the numbers)', () => {
  it('refuses each infeasible order before any margin call, and stores nothing but the refusal', async () => {
    const key = h.user('refusals');
    const now = Date.now();
    quote(h.market, c[4]!, { bid: 100, ask: 100.5, at: now - h.config.quoteMaxAgeMs - 5000 });
    quote(h.market, c[5]!, { bid: 100.5, ask: 100 });
    quote(h.market, c[6]!, { bid: 100, ask: 100 });
    quote(h.market, c[7]!, { bid: 100, ask: 125 });
    quote(h.market, c[8]!, { bid: 1, ask: 1.2 });
    quote(h.market, c[9]!, { bid: 100, ask: 100.5, askQty: 64, bidQty: 1000 });
    fresh(10);
    const cases: [string, Record<string, unknown>, string, Record<string, unknown>][] = [
      ['r-noquote', order('r-noquote', c[3]!, 'BUY'), 'NO_QUOTE', { leg: 0, bid: null, ask: null }],
      ['r-stale', order('r-stale', c[4]!, 'BUY'), 'STALE_QUOTE', { leg: 0, quoteMaxAgeMs: h.config.quoteMaxAgeMs }],
      ['r-crossed', order('r-crossed', c[5]!, 'BUY'), 'CROSSED_QUOTE', { bid: 100.5, ask: 100 }],
      ['r-locked', order('r-locked', c[6]!, 'SELL'), 'CROSSED_QUOTE', { bid: 100, ask: 100 }],
      ['r-spread-abs', order('r-spread-abs', c[7]!, 'BUY'), 'SPREAD_TOO_WIDE', { spread: 25, maxSpreadAbs: h.config.maxSpreadAbs }],
      ['r-spread-rel', order('r-spread-rel', c[8]!, 'BUY'), 'SPREAD_TOO_WIDE', { spread: 0.2, maxSpreadRel: h.config.maxSpreadRel }],
      ['r-liquidity', order('r-liquidity', c[9]!, 'BUY'), 'INSUFFICIENT_LIQUIDITY', { quantity: 65, displayedQty: 64, side: 'BUY' }],
      ['r-unknown', { clientOrderId: 'r-unknown', legs: [{ exchangeSegment: 'NSE_FNO', securityId: 999999, side: 'BUY', lots: 1, type: 'MARKET' }] }, 'UNKNOWN_INSTRUMENT', { securityId: 999999 }],
      ['r-unknown-seg', { clientOrderId: 'r-unknown-seg', legs: [{ exchangeSegment: 'BSE_FNO', securityId: c[10]!.securityId, side: 'BUY', lots: 1 }] }, 'UNKNOWN_INSTRUMENT', { exchangeSegment: 'BSE_FNO' }],
      ['r-fraction', order('r-fraction', c[10]!, 'BUY', 1.5), 'INVALID_QUANTITY', { lots: 1.5, lotSize: 65 }],
      ['r-zero', order('r-zero', c[10]!, 'BUY', 0), 'INVALID_QUANTITY', { lots: 0 }],
      ['r-freeze', order('r-freeze', c[10]!, 'BUY', 28), 'INVALID_QUANTITY', { quantity: 1820, freezeQty: 1756, maxLots: 27 }],
      ['r-band', order('r-band', c[10]!, 'BUY', 1, { type: 'LIMIT', limitPrice: 600 }), 'PRICE_OUTSIDE_BAND', { limitPrice: 600, lowerLimit: 0.05, upperLimit: 500 }],
    ];
    const before = stub.calls();
    for (const [id, body, code, details] of cases) {
      const r = await h.call('POST', '/v1/paper/orders', key, body);
      expect(r.status, id).toBe(422);
      expect(r.body.error.code, id).toBe(code);
      expect(r.body.error.details, id).toMatchObject(details);
      expect(typeof r.body.error.message).toBe('string');
    }
    expect(stub.calls()).toBe(before); // feasibility comes before any margin call
    expect((await h.call('GET', '/v1/paper/orders', key)).body.orders).toEqual([]);
    expect((await h.call('GET', '/v1/paper/positions', key)).body.positions).toEqual([]);
  });

  it('refuses INSUFFICIENT_MARGIN when the resulting set needs more than funds + realized P&L (one margin call)', async () => {
    const key = h.user('poor', 100_000);
    fresh(11, 100, 100.5);
    const before = stub.calls();
    const r = await h.call('POST', '/v1/paper/orders', key, order('p1', c[11]!, 'SELL', 1)); // 65 × 2000 = 130,000
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'INSUFFICIENT_MARGIN', details: { requiredMargin: 130000, funds: 100000, realizedPnl: 0, available: 100000 } });
    expect(stub.calls()).toBe(before + 1);
    // a hedged basket fits: the long leg halves the short's margin (basket, not a sum of legs)
    fresh(12, 20, 20.2);
    const ok = await h.call('POST', '/v1/paper/orders', key, {
      clientOrderId: 'p2',
      legs: [
        { exchangeSegment: 'NSE_FNO', securityId: c[11]!.securityId, side: 'SELL', lots: 1, type: 'MARKET' },
        { exchangeSegment: 'NSE_FNO', securityId: c[12]!.securityId, side: 'BUY', lots: 1, type: 'MARKET' },
      ],
    });
    expect(ok.status).toBe(201);
    expect(ok.body.margin.totalMargin).toBe(66313); // (97,500 + 32,500) / 2 + 65 × 20.2
    expect(stub.calls()).toBe(before + 2);
    expect(stub.singleCalls()).toBe(0);
    const last = stub.bodies[stub.bodies.length - 1];
    expect(last.scripList.map((l: any) => [l.transactionType, l.securityId, l.quantity])).toEqual([
      ['BUY', String(c[12]!.securityId), 65],
      ['SELL', String(c[11]!.securityId), 65],
    ]);
  });

  it('answers 400 for a malformed body and 409/404 where they belong', async () => {
    const key = h.user('bad');
    expect((await h.call('POST', '/v1/paper/orders', key, { legs: [] })).status).toBe(400);
    expect((await h.call('POST', '/v1/paper/orders', key, { clientOrderId: 'b', legs: [{ exchangeSegment: 'NSE_EQ', securityId: 1, side: 'BUY', lots: 1 }] })).body.error.code).toBe('BAD_REQUEST');
    expect((await h.call('POST', '/v1/paper/orders', key, { clientOrderId: 'b', legs: [{ exchangeSegment: 'NSE_FNO', securityId: 1, side: 'BUY', lots: 1, type: 'LIMIT' }] })).status).toBe(400);
    const r = await h.call('POST', '/v1/paper/orders', key, { ...order('b2', c[10]!, 'BUY'), strategyId: 'stg_nope' });
    expect([r.status, r.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });
});

describe('idempotency by clientOrderId', () => {
  it('replays the first answer for the same body, changes nothing, and makes no margin call', async () => {
    const key = h.user('idem');
    fresh(13, 60, 60.5);
    const first = await h.call('POST', '/v1/paper/orders', key, order('same', c[13]!, 'BUY', 1));
    expect(first.status).toBe(201);
    const calls = stub.calls();
    fresh(13, 70, 70.5); // the market moved: a new fill would differ
    // same body, keys in another order
    const again = await h.call('POST', '/v1/paper/orders', key, { legs: [{ type: 'MARKET', lots: 1, side: 'BUY', securityId: c[13]!.securityId, exchangeSegment: 'NSE_FNO' }], clientOrderId: 'same' });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(stub.calls()).toBe(calls);
    const orders = (await h.call('GET', '/v1/paper/orders', key)).body.orders;
    expect(orders).toHaveLength(1);
    expect((await h.call('GET', '/v1/paper/positions', key)).body.positions[0].quantity).toBe(65);
  });

  it('replays a stored refusal even after the market would now accept the order', async () => {
    const key = h.user('idem-refusal');
    quote(h.market, c[14]!, { bid: 100, ask: 150 });
    const first = await h.call('POST', '/v1/paper/orders', key, order('r', c[14]!, 'BUY'));
    expect([first.status, first.body.error.code]).toEqual([422, 'SPREAD_TOO_WIDE']);
    fresh(14);
    const again = await h.call('POST', '/v1/paper/orders', key, order('r', c[14]!, 'BUY'));
    expect(again.status).toBe(422);
    expect(again.body).toEqual(first.body);
    expect((await h.call('GET', '/v1/paper/positions', key)).body.positions).toEqual([]);
  });

  it('answers 409 DUPLICATE_CLIENT_ORDER_ID for the same id with a different body', async () => {
    const key = h.user('idem-409');
    fresh(15);
    expect((await h.call('POST', '/v1/paper/orders', key, order('dup', c[15]!, 'BUY', 1))).status).toBe(201);
    const r = await h.call('POST', '/v1/paper/orders', key, order('dup', c[15]!, 'BUY', 2));
    expect([r.status, r.body.error.code]).toEqual([409, 'DUPLICATE_CLIENT_ORDER_ID']);
    expect((await h.call('GET', '/v1/paper/positions', key)).body.positions[0].quantity).toBe(65);
  });

  it('serialises concurrent submissions of one id: one fill, identical answers', async () => {
    const key = h.user('idem-race');
    fresh(16);
    const rs = await Promise.all(Array.from({ length: 5 }, () => h.call('POST', '/v1/paper/orders', key, order('race', c[16]!, 'BUY', 1))));
    expect(rs.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(rs.map((r) => r.body.id)).size).toBe(1);
    expect((await h.call('GET', '/v1/paper/positions', key)).body.positions[0].quantity).toBe(65);
  });
});

describe('multi-leg orders', () => {
  it('fills all legs or none: a bad third leg leaves no order and no position', async () => {
    const key = h.user('basket');
    fresh(17);
    fresh(18);
    quote(h.market, c[19]!, { bid: 10, ask: 10.5, bidQty: 10 });
    const legs = [
      { exchangeSegment: 'NSE_FNO', securityId: c[17]!.securityId, side: 'BUY', lots: 1, type: 'MARKET' },
      { exchangeSegment: 'NSE_FNO', securityId: c[18]!.securityId, side: 'SELL', lots: 1, type: 'MARKET' },
      { exchangeSegment: 'NSE_FNO', securityId: c[19]!.securityId, side: 'SELL', lots: 1, type: 'MARKET' },
    ];
    const r = await h.call('POST', '/v1/paper/orders', key, { clientOrderId: 'b1', legs });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'INSUFFICIENT_LIQUIDITY', details: { leg: 2, displayedQty: 10 } });
    expect((await h.call('GET', '/v1/paper/positions', key)).body.positions).toEqual([]);
    expect((await h.call('GET', '/v1/paper/orders', key)).body.orders).toEqual([]);
    quote(h.market, c[19]!, { bid: 10, ask: 10.5 });
    const ok = await h.call('POST', '/v1/paper/orders', key, { clientOrderId: 'b2', legs });
    expect(ok.status).toBe(201);
    expect(ok.body.fills.map((f: any) => [f.leg, f.side, f.price])).toEqual([[0, 'BUY', 100.5], [1, 'SELL', 100], [2, 'SELL', 10]]);
    expect((await h.call('GET', '/v1/paper/positions', key)).body.positions).toHaveLength(3);
  });

  it('checks liquidity against the sum of legs on the same instrument and side', async () => {
    const key = h.user('sum-liquidity');
    quote(h.market, c[17]!, { bid: 100, ask: 100.5, askQty: 100 });
    const leg = { exchangeSegment: 'NSE_FNO', securityId: c[17]!.securityId, side: 'BUY', lots: 1, type: 'MARKET' };
    const r = await h.call('POST', '/v1/paper/orders', key, { clientOrderId: 's', legs: [leg, leg] });
    expect(r.body.error).toMatchObject({ code: 'INSUFFICIENT_LIQUIDITY', details: { leg: 1, quantity: 130, displayedQty: 100 } });
  });
});

describe('positions and P&L', () => {
  it('nets buys and sells with average price and realized P&L, flips through zero', async () => {
    const key = h.user('pnl');
    quote(h.market, c[0]!, { bid: 99.5, ask: 100 });
    await h.call('POST', '/v1/paper/orders', key, order('a', c[0]!, 'BUY', 1)); // +65 @ 100
    quote(h.market, c[0]!, { bid: 109.5, ask: 110 });
    await h.call('POST', '/v1/paper/orders', key, order('b', c[0]!, 'BUY', 1)); // +65 @ 110 → avg 105
    let p = (await h.call('GET', '/v1/paper/positions', key)).body.positions[0];
    expect(p).toMatchObject({ quantity: 130, avgPrice: 105, realizedPnl: 0 });
    quote(h.market, c[0]!, { bid: 120, ask: 120.5 });
    await h.call('POST', '/v1/paper/orders', key, order('c', c[0]!, 'SELL', 3)); // close 130 @ 120 (+1950), open −65 @ 120
    p = (await h.call('GET', '/v1/paper/positions', key)).body.positions[0];
    expect(p).toMatchObject({ quantity: -65, avgPrice: 120, realizedPnl: 1950 });
    quote(h.market, c[0]!, { bid: 114.5, ask: 115 });
    await h.call('POST', '/v1/paper/orders', key, order('d', c[0]!, 'BUY', 1)); // close −65 @ 115 (+325)
    const all = (await h.call('GET', '/v1/paper/positions', key)).body;
    expect(all.positions[0]).toMatchObject({ quantity: 0, avgPrice: 0, realizedPnl: 2275, unrealizedPnl: 0 });
    expect(all.realizedPnl).toBe(2275);
    expect((await h.call('GET', '/v1/paper/orders', key)).body.orders.map((o: any) => o.clientOrderId)).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('user isolation', () => {
  it('never shows or changes another user\'s orders, positions, strategies or margins', async () => {
    const alice = h.user('alice');
    const bob = h.user('bob');
    fresh(1);
    const a = await h.call('POST', '/v1/paper/orders', alice, order('shared-id', c[1]!, 'BUY', 1));
    expect(a.status).toBe(201);
    const s = await h.call('POST', '/v1/paper/strategies', alice, { name: 'alice-straddle', legs: [{ exchangeSegment: 'NSE_FNO', securityId: c[1]!.securityId, side: 'SELL', lots: 1 }] });
    expect(s.status).toBe(201);
    // bob sees nothing of alice's
    expect((await h.call('GET', '/v1/paper/orders', bob)).body.orders).toEqual([]);
    expect((await h.call('GET', '/v1/paper/positions', bob)).body.positions).toEqual([]);
    expect((await h.call('GET', '/v1/paper/strategies', bob)).body.strategies).toEqual([]);
    for (const [m, body] of [['GET', undefined], ['PUT', { name: 'x', legs: [{ exchangeSegment: 'NSE_FNO', securityId: c[1]!.securityId, side: 'BUY', lots: 1 }] }], ['DELETE', undefined]] as const) {
      const r = await h.call(m, `/v1/paper/strategies/${s.body.id}`, bob, body);
      expect([r.status, r.body.error.code]).toEqual([404, 'NOT_FOUND']);
    }
    // bob's clientOrderId space is his own: the same id is a new order, not a replay or a 409
    const b = await h.call('POST', '/v1/paper/orders', bob, order('shared-id', c[1]!, 'SELL', 1));
    expect(b.status).toBe(201);
    expect(b.body.id).not.toBe(a.body.id);
    // bob cannot attach an order to alice's strategy
    expect((await h.call('POST', '/v1/paper/orders', bob, { ...order('x', c[1]!, 'BUY'), strategyId: s.body.id })).status).toBe(404);
    // bob's margin with includePositions is his own set (short 1 lot), not alice's long
    const mb = await h.call('POST', '/v1/margin', bob, { legs: [] });
    expect(mb.body.totalMargin).toBe(130000);
    const ma = await h.call('POST', '/v1/margin', alice, { legs: [] });
    expect(ma.body.totalMargin).toBe(a.body.margin.totalMargin);
    // alice's things are intact
    expect((await h.call('GET', `/v1/paper/strategies/${s.body.id}`, alice)).body.name).toBe('alice-straddle');
    expect((await h.call('GET', '/v1/paper/positions', alice)).body.positions[0].quantity).toBe(65);
  });
});
