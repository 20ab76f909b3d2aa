/**
 * The simulator's margin calculator (docs/dhan-protocol.md §3.1–§3.3): answer shapes (camelCase
 * numbers), the SPAN-like model's asymmetries (short ≫ long, a hedged basket < the sum of its
 * legs), Dhan's error bodies (DH-901/904/905), the 20/s per-client rate limit, latency, and the
 * per-endpoint call counts tests rely on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instrument } from '../src/master/instrument.js';
import { startSimulator, type SimHandle } from '../src/sim/sim-server.js';
import { parseMaster } from '../src/master/parse-master.js';

let sim: SimHandle;
let chain: Instrument[];
let spot: number;
let equity: Instrument;

beforeAll(async () => {
  sim = await startSimulator({ tradingDate: '2026-08-17', seed: 11, restLatencyMs: [30, 40] });
  const all = parseMaster(await (await fetch(sim.urls.master)).text()).instruments;
  const monthly = all.filter((x) => x.underlyingSymbol === 'NIFTY' && x.optionType && x.expiryFlag === 'M').map((x) => x.expiry).sort()[0];
  chain = all.filter((x) => x.underlyingSymbol === 'NIFTY' && x.optionType && x.expiry === monthly);
  const strikes = [...new Set(chain.map((x) => x.strike))].sort((a, b) => a - b);
  spot = strikes[strikes.length >> 1]!;
  equity = all.find((x) => x.segment === 'NSE_EQ' && x.underlyingSymbol === 'RELIANCE')!;
});

afterAll(async () => {
  await sim?.close();
});

function leg(strike: number, side: 'CE' | 'PE', tx: 'BUY' | 'SELL', lots = 1) {
  const x = chain.find((c) => c.optionType === side && Math.abs(c.strike - strike) < 1e-6);
  if (!x) throw new Error(`no ${strike} ${side}`);
  return { exchangeSegment: 'NSE_FNO', transactionType: tx, quantity: x.lotSize * lots, productType: 'MARGIN', securityId: String(x.securityId), price: 0, triggerPrice: 0 };
}

function nearestStrike(k: number): number {
  return chain.reduce((best, x) => (Math.abs(x.strike - k) < Math.abs(best - k) ? x.strike : best), chain[0]!.strike);
}

async function post(path: string, body: unknown, headers: Record<string, string> | null = null, account = 0) {
  const a = sim.accounts[account]!;
  const h = headers ?? { 'access-token': a.accessToken, 'client-id': a.clientId };
  const t0 = performance.now();
  const res = await fetch(`${sim.urls.api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...h }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const ms = performance.now() - t0;
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, ms };
}

const single = (b: Record<string, unknown>, account = 0) => post('/margincalculator', { dhanClientId: sim.accounts[account]!.clientId, ...b }, null, account);
const multi = (legs: unknown[], extra: Record<string, unknown> = {}, account = 0) =>
  post('/margincalculator/multi', { dhanClientId: sim.accounts[account]!.clientId, includePosition: false, includeOrder: false, scripList: legs, ...extra }, null, account);

describe('answers', () => {
  it('single: the documented camelCase shape; a short option costs far more than a long one', async () => {
    const atm = nearestStrike(spot);
    const buy = await single(leg(atm, 'CE', 'BUY'));
    const sell = await single(leg(atm, 'CE', 'SELL'));
    for (const r of [buy, sell]) {
      expect(r.status).toBe(200);
      expect(Object.keys(r.body).sort()).toEqual(['availableBalance', 'brokerage', 'exposureMargin', 'insufficientBalance', 'leverage', 'spanMargin', 'totalMargin', 'variableMargin']);
      for (const [k, v] of Object.entries(r.body)) if (k !== 'leverage') expect(typeof v).toBe('number');
      expect(r.body.leverage).toMatch(/^\d+\.\d\dX$/);
      expect(r.ms).toBeGreaterThanOrEqual(25);
    }
    expect(buy.body.spanMargin).toBe(0);
    expect(buy.body.totalMargin as number).toBeGreaterThan(0);
    expect(sell.body.spanMargin as number).toBeGreaterThan(0);
    expect(sell.body.exposureMargin as number).toBeGreaterThan(0);
    expect(sell.body.totalMargin as number).toBeGreaterThan(3 * (buy.body.totalMargin as number));
    // NIFTY 1-lot short ATM: SPAN + exposure in the lakh range, as on Dhan (docs/dhan-protocol.md §3.3 example ~76k for a condor).
    expect(sell.body.totalMargin as number).toBeGreaterThan(50_000);
    expect(sell.body.totalMargin as number).toBeLessThan(400_000);
  });

  it('multi: the live camelCase shape; an iron condor costs less than the sum of its legs', async () => {
    const atm = nearestStrike(spot);
    const w = nearestStrike(atm * 1.02);
    const ww = nearestStrike(atm * 1.04);
    const p = nearestStrike(atm * 0.98);
    const pp = nearestStrike(atm * 0.96);
    const legs = [leg(ww, 'CE', 'BUY'), leg(pp, 'PE', 'BUY'), leg(w, 'CE', 'SELL'), leg(p, 'PE', 'SELL')];
    const basket = await multi(legs);
    expect(basket.status).toBe(200);
    expect(Object.keys(basket.body).sort()).toEqual(
      ['commodity', 'currency', 'equityMargin', 'exposure', 'foMargin', 'hedgeBenefit', 'insufficientFund', 'spanMargin', 'totalMargin', 'userFundLimit'].sort(),
    );
    for (const v of Object.values(basket.body)) expect(typeof v).toBe('number');
    let sum = 0;
    for (const l of legs) sum += (await single(l)).body.totalMargin as number;
    const total = basket.body.totalMargin as number;
    expect(total).toBeLessThan(sum * 0.6);
    expect(basket.body.hedgeBenefit as number).toBeGreaterThan(0);
    expect(total).toBeCloseTo(basket.body.foMargin as number, 1);
    expect(basket.body.equityMargin).toBe(0);
    // Without dhanClientId and flags, as the live call of docs/dhan-protocol.md §3.3 was made, it still answers.
    const bare = await post('/margincalculator/multi', { scripList: legs });
    expect(bare.status).toBe(200);
    expect(bare.body.totalMargin).toBeCloseTo(total, -2);
  });

  it('cash-market legs: delivery 100 %, intraday 20 %', async () => {
    const base = { exchangeSegment: 'NSE_EQ', transactionType: 'BUY', quantity: 10, securityId: String(equity.securityId), price: 1000 };
    const cnc = await single({ ...base, productType: 'CNC' });
    const mis = await single({ ...base, productType: 'INTRADAY' });
    expect(cnc.body.totalMargin).toBe(10_000);
    expect(mis.body.totalMargin).toBe(2_000);
    expect(mis.body.leverage).toBe('5.00X');
  });
});

describe('errors', () => {
  const good = () => leg(nearestStrike(spot), 'PE', 'SELL');

  it('bad or missing credentials → 401 DH-901', async () => {
    const body = { dhanClientId: sim.accounts[0]!.clientId, ...good() };
    for (const headers of [{}, { 'access-token': 'nope' }, { 'access-token': sim.accounts[0]!.accessToken, 'client-id': sim.accounts[1]!.clientId }]) {
      const r = await post('/margincalculator', body, headers);
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ errorType: 'Invalid_Authentication', errorCode: 'DH-901', errorMessage: expect.any(String) });
    }
  });

  it('bad input → 400 DH-905 Input_Exception', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // a fresh rate-limit window: these 12 calls stay under 20/s
    const g = good();
    const bad: [string, () => Promise<{ status: number; body: Record<string, unknown> }>][] = [
      ['not JSON', () => post('/margincalculator', '{"dhanClientId":')],
      ['no dhanClientId', () => post('/margincalculator', g)],
      ['numeric securityId', () => single({ ...g, securityId: Number(g.securityId) })],
      ['unknown securityId', () => single({ ...g, securityId: '999999999' })],
      ['not a lot multiple', () => single({ ...g, quantity: g.quantity + 1 })],
      ['CNC on F&O', () => single({ ...g, productType: 'CNC' })],
      ['bad side', () => single({ ...g, transactionType: 'SHORT' })],
      ['index is not tradable', () => single({ ...g, exchangeSegment: 'IDX_I', securityId: '13' })],
      ['classic-docs keys', () => post('/margincalculator/multi', { includeOrders: false, scripts: [g] })],
      ['includeOrder not boolean', () => multi([g], { includeOrder: 'yes' })],
      ['empty scripList', () => multi([])],
      ['someone else\'s dhanClientId', () => post('/margincalculator/multi', { dhanClientId: sim.accounts[1]!.clientId, scripList: [g] })],
    ];
    for (const [name, run] of bad) {
      const r = await run();
      expect(r.status, name).toBe(400);
      expect(r.body.errorType, name).toBe('Input_Exception');
      expect(r.body.errorCode, name).toBe('DH-905');
    }
  });

  it('unknown paths get a Spring-style 404; GET on the calculator a 405', async () => {
    const r = await fetch(`${sim.urls.api}/marketfeed/ltp`, { method: 'POST' });
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ status: 404, error: 'Not Found', path: '/v2/marketfeed/ltp' });
    const g = await fetch(`${sim.urls.api}/margincalculator`);
    expect(g.status).toBe(405);
    await g.arrayBuffer();
  });

  it('more than 20 requests in a second from one client id → 429 DH-904 (the other client is unaffected)', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // a fresh window
    const g = good();
    const burst = await Promise.all(Array.from({ length: 26 }, () => multi([g], {}, 1)));
    const ok = burst.filter((r) => r.status === 200).length;
    const limited = burst.filter((r) => r.status === 429);
    expect(ok).toBe(20);
    expect(limited).toHaveLength(6);
    expect(limited[0]!.body).toEqual({ errorType: 'Rate_Limit', errorCode: 'DH-904', errorMessage: expect.any(String) });
    expect((await multi([g], {}, 0)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await multi([g], {}, 1)).status).toBe(200);
  });
});

describe('latency and counts', () => {
  it('slow REST fault adds latency; stats count calls per endpoint', async () => {
    const before = sim.stats().rest;
    sim.faults.setRestLatency(300);
    try {
      const r = await multi([leg(nearestStrike(spot), 'CE', 'BUY')]);
      expect(r.status).toBe(200);
      expect(r.ms).toBeGreaterThanOrEqual(320);
    } finally {
      sim.faults.setRestLatency(0);
    }
    const after = sim.stats().rest;
    expect(after['/v2/margincalculator/multi']!.calls).toBe(before['/v2/margincalculator/multi']!.calls + 1);
    expect(after['/v2/margincalculator']!.calls).toBe(before['/v2/margincalculator']!.calls);
    expect(after['/v2/margincalculator/multi']!.errors['429']).toBe(6);
  });
});
