/**
 * The margin service over an undici MockAgent: faults a real server cannot be made to produce on
 * demand (DH-901, 429 storms, 5xx, the snake_case answer), plus cache, de-duplication and
 * invalidation. The real-socket path (piscina worker + simulator) is in margin-worker.test.ts.
 */
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MarginError } from '../src/errors.js';
import { InlineMarginBackend } from './helpers/inline-margin.js';
import { positionSetHash, type PricedLeg } from '../src/margin/position-set.js';
import type { MarginTask } from '../src/margin/types.js';

const ORIGIN = 'https://api.dhan.test';
const API = `${ORIGIN}/v2`;
const PATH = '/v2/margincalculator/multi';
const account = { clientId: '1100000001', accessToken: 'eyJhbGciOi.test-token.sig' };
const legs: PricedLeg[] = [
  { exchangeSegment: 'NSE_FNO', securityId: 47317, quantity: 65, price: 152.8 },
  { exchangeSegment: 'NSE_FNO', securityId: 47331, quantity: -65, price: 101.1 },
];
const task = (userId = 1, l: PricedLeg[] = legs): MarginTask => ({ userId, setHash: positionSetHash(l), legs: l, account });
const camel = { totalMargin: 75923.77, spanMargin: 12761.45, exposure: 59450.82, equityMargin: 0, foMargin: 75923.77, commodity: 0, currency: 0, hedgeBenefit: 0, userFundLimit: 0, insufficientFund: 0 };

let agent: MockAgent;
let backend: InlineMarginBackend;

function make(opts: Partial<{ timeoutMs: number; cacheTtlMs: number; maxAttempts: number; backoffMs: number; deadlineMs: number }> = {}): InlineMarginBackend {
  return new InlineMarginBackend({ dispatcher: agent, apiUrl: API, timeoutMs: 500, cacheTtlMs: 60_000, backoffMs: 5, ...opts });
}

function intercept() {
  return agent.get(ORIGIN).intercept({ path: PATH, method: 'POST' });
}

/** What the mock received, per call. */
function seen(): { headers: Record<string, string>; body: any }[] {
  return (agent.getCallHistory()?.calls() ?? []).map((c) => ({ headers: c.headers as Record<string, string>, body: JSON.parse(String(c.body)) }));
}

async function failure(p: Promise<unknown>): Promise<MarginError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(MarginError);
    return err as MarginError;
  }
  throw new Error('expected a MarginError');
}

beforeEach(() => {
  agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
});
afterEach(async () => {
  await backend?.close();
  await agent.close();
});

describe('margin service over MockAgent', () => {
  it('makes one signed /multi call for the whole basket and serves the identical set from the cache', async () => {
    backend = make();
    intercept().reply(200, camel).times(1);
    const r1 = await backend.compute(task());
    expect(r1).toMatchObject({ totalMargin: 75923.77, spanMargin: 12761.45, exposureMargin: 59450.82, source: 'dhan' });
    const calls = seen();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body.scripList).toHaveLength(2);
    expect(calls[0]!.body).toMatchObject({ dhanClientId: account.clientId, includePosition: false, includeOrder: false });
    expect(calls[0]!.headers['access-token']).toBe(account.accessToken);
    expect(calls[0]!.headers['client-id']).toBe(account.clientId);
    const r2 = await backend.compute(task());
    expect(r2).toMatchObject({ totalMargin: 75923.77, source: 'cache', computedAt: r1.computedAt });
    expect((await backend.stats()).upstreamCalls).toBe(1);
    agent.assertNoPendingInterceptors();
  });

  it('caches per user: the same set for another user is its own call', async () => {
    backend = make();
    intercept().reply(200, camel).times(2);
    await backend.compute(task(1));
    await backend.compute(task(2));
    expect((await backend.stats()).upstreamCalls).toBe(2);
  });

  it('joins identical concurrent requests into one call', async () => {
    backend = make();
    intercept().reply(200, camel).delay(50).times(1);
    const rs = await Promise.all([backend.compute(task()), backend.compute(task()), backend.compute(task())]);
    expect(rs.map((r) => r.totalMargin)).toEqual([75923.77, 75923.77, 75923.77]);
    const s = await backend.stats();
    expect([s.upstreamCalls, s.dedupHits]).toEqual([1, 2]);
  });

  it('tolerates the snake_case string answer', async () => {
    backend = make();
    intercept().reply(200, { total_margin: '151000.50', span_margin: '100000.25', exposure_margin: '51000.25', currency: 'INR', hedge_benefit: '0' });
    expect(await backend.compute(task())).toMatchObject({ totalMargin: 151000.5, spanMargin: 100000.25, exposureMargin: 51000.25, source: 'dhan' });
  });

  it('maps DH-901 (401) to 502 MARGIN_AUTH_FAILED without retrying, and keeps the token out of the error', async () => {
    backend = make();
    intercept().reply(401, { errorType: 'Invalid_Authentication', errorCode: 'DH-901', errorMessage: 'Client ID or user generated access token is invalid or expired.' }).times(1);
    const e = await failure(backend.compute(task()));
    expect([e.status, e.code]).toEqual([502, 'MARGIN_AUTH_FAILED']);
    expect(e.details).toMatchObject({ dhanCode: 'DH-901', upstreamStatus: 401, attempts: 1 });
    expect(JSON.stringify(e.toJSON())).not.toContain(account.accessToken);
    expect((await backend.stats()).upstreamCalls).toBe(1);
  });

  it('retries 429/DH-904 a bounded number of times, then answers 503 MARGIN_RATE_LIMITED', async () => {
    backend = make({ maxAttempts: 3, deadlineMs: 5000 });
    intercept().reply(429, { errorType: 'Rate_Limit', errorCode: 'DH-904', errorMessage: 'Too many requests' }).times(3);
    const t0 = Date.now();
    const e = await failure(backend.compute(task()));
    expect([e.status, e.code]).toEqual([503, 'MARGIN_RATE_LIMITED']);
    expect(e.details).toMatchObject({ attempts: 3, dhanCode: 'DH-904' });
    // rate-limit retries wait about a second each (Dhan counts per second, docs/dhan-protocol.md §5)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    agent.assertNoPendingInterceptors();
  });

  it('recovers when a retry succeeds after a 500', async () => {
    backend = make();
    intercept().reply(500, 'oops');
    intercept().reply(200, camel);
    expect(await backend.compute(task())).toMatchObject({ totalMargin: 75923.77, source: 'dhan' });
    expect((await backend.stats()).retries).toBe(1);
  });

  it('answers 503 MARGIN_UNAVAILABLE after bounded retries of 5xx', async () => {
    backend = make({ maxAttempts: 3 });
    intercept().reply(502, '<html>bad gateway</html>').times(3);
    const e = await failure(backend.compute(task()));
    expect([e.status, e.code]).toEqual([503, 'MARGIN_UNAVAILABLE']);
    expect(e.details).toMatchObject({ attempts: 3, upstreamStatus: 502 });
    // a failure is not cached: the next decision point asks again
    intercept().reply(200, camel);
    expect((await backend.compute(task())).source).toBe('dhan');
  });

  it('times out a slow answer within the deadline and answers 503', async () => {
    backend = make({ timeoutMs: 100, maxAttempts: 2, deadlineMs: 400 });
    intercept().reply(200, camel).delay(1000).times(2);
    const t0 = Date.now();
    const e = await failure(backend.compute(task()));
    const took = Date.now() - t0;
    expect([e.status, e.code]).toEqual([503, 'MARGIN_UNAVAILABLE']);
    expect(e.message).toMatch(/timed out/);
    expect(took).toBeLessThan(900);
  });

  it('maps DH-905 to 502 MARGIN_UPSTREAM_ERROR and data-API 807 to 502 MARGIN_AUTH_FAILED', async () => {
    backend = make();
    intercept().reply(400, { errorType: 'Input_Exception', errorCode: 'DH-905', errorMessage: 'Invalid securityId' });
    expect((await failure(backend.compute(task()))).code).toBe('MARGIN_UPSTREAM_ERROR');
    intercept().reply(200, { status: 'failed', data: { 807: 'Access token expired' } });
    const e = await failure(backend.compute(task(2)));
    expect([e.status, e.code]).toEqual([502, 'MARGIN_AUTH_FAILED']);
  });

  it('answers 503 without a call when no account is configured', async () => {
    backend = make();
    const e = await failure(backend.compute({ ...task(), account: null }));
    expect([e.status, e.code]).toEqual([503, 'MARGIN_UNAVAILABLE']);
    expect((await backend.stats()).upstreamCalls).toBe(0);
  });

  it('expires entries after the TTL and drops other sets when the user\'s set changes', async () => {
    backend = make({ cacheTtlMs: 80 });
    intercept().reply(200, camel).times(4);
    const other: PricedLeg[] = [{ exchangeSegment: 'NSE_FNO', securityId: 47317, quantity: 130, price: 152.8 }];
    await backend.compute(task(1));
    await backend.compute(task(1, other));
    expect((await backend.compute(task(1))).source).toBe('cache');
    await backend.invalidate(1, positionSetHash(other));
    expect((await backend.compute(task(1, other))).source).toBe('cache');
    expect((await backend.compute(task(1))).source).toBe('dhan'); // dropped by the invalidation
    await new Promise((r) => setTimeout(r, 100));
    expect((await backend.compute(task(1, other))).source).toBe('dhan'); // expired
    expect((await backend.stats()).upstreamCalls).toBe(4);
  });
});
