import { describe, expect, it } from 'vitest';
import { buildMultiBody, classifyAnswer, classifyNetworkError, parseMultiAnswer } from '../src/margin/dhan-margin-api.js';
import { canonicalSet, positionSetHash } from '../src/margin/position-set.js';
import { TokenBucketLimiter } from '../src/margin/token-bucket.js';
import { statusOf } from '../src/errors.js';

describe('basket margin request (docs/dhan-protocol.md §3.3)', () => {
  it('sends dhanClientId, includePosition/includeOrder false and a scripList in units with string ids', () => {
    const body = buildMultiBody('1000000001', [
      { exchangeSegment: 'NSE_FNO', securityId: 47317, quantity: 130, price: 152.8000030517578 },
      { exchangeSegment: 'NSE_FNO', securityId: 47331, quantity: -65, price: 101.1 },
    ]);
    expect(body).toEqual({
      dhanClientId: '1000000001',
      includePosition: false,
      includeOrder: false,
      scripList: [
        { exchangeSegment: 'NSE_FNO', transactionType: 'BUY', quantity: 130, productType: 'MARGIN', securityId: '47317', price: 152.8, triggerPrice: 0 },
        { exchangeSegment: 'NSE_FNO', transactionType: 'SELL', quantity: 65, productType: 'MARGIN', securityId: '47331', price: 101.1, triggerPrice: 0 },
      ],
    });
  });
});

describe('basket margin answer shapes', () => {
  it('reads the live camelCase numeric shape', () => {
    const live = { totalMargin: 75923.77, spanMargin: 12761.45, exposure: 59450.82, equityMargin: 0.0, foMargin: 75923.77, commodity: 0.0, currency: 0.0, hedgeBenefit: 0.0, userFundLimit: 0.0, insufficientFund: 0.0 };
    expect(parseMultiAnswer(live)).toEqual({ totalMargin: 75923.77, spanMargin: 12761.45, exposureMargin: 59450.82 });
  });

  it('reads the classic docs snake_case string shape', () => {
    const classic = { total_margin: '151000.50', span_margin: '100000.25', exposure_margin: '51000.25', equity_margin: '0', fo_margin: '151000.50', commodity_margin: '0', currency: 'INR', hedge_benefit: '0' };
    expect(parseMultiAnswer(classic)).toEqual({ totalMargin: 151000.5, spanMargin: 100000.25, exposureMargin: 51000.25 });
  });

  it('unwraps a {status, data} envelope and refuses a body without a total', () => {
    expect(parseMultiAnswer({ status: 'success', data: { totalMargin: 10, spanMargin: 6, exposure: 4 } })).toEqual({ totalMargin: 10, spanMargin: 6, exposureMargin: 4 });
    expect(parseMultiAnswer({ spanMargin: 1 })).toBeUndefined();
    expect(parseMultiAnswer({ total_margin: 'n/a' })).toBeUndefined();
    expect(parseMultiAnswer(null)).toBeUndefined();
  });
});

describe('Dhan failure mapping', () => {
  const cases: [string, number, unknown, string, number, boolean][] = [
    ['DH-901 auth', 401, { errorType: 'Invalid_Authentication', errorCode: 'DH-901', errorMessage: 'Client ID or user generated access token is invalid or expired.' }, 'MARGIN_AUTH_FAILED', 502, false],
    ['DH-904 rate limit', 429, { errorType: 'Rate_Limit', errorCode: 'DH-904', errorMessage: 'Too many requests' }, 'MARGIN_RATE_LIMITED', 503, true],
    ['DH-905 input', 400, { errorType: 'Input_Exception', errorCode: 'DH-905', errorMessage: 'Missing required fields' }, 'MARGIN_UPSTREAM_ERROR', 502, false],
    ['DH-908 internal', 500, { errorCode: 'DH-908', errorMessage: 'x' }, 'MARGIN_UNAVAILABLE', 503, true],
    ['807 token expired (HTTP 200!)', 200, { status: 'failed', data: { 807: 'Access token expired' } }, 'MARGIN_AUTH_FAILED', 502, false],
    ['805 too many', 400, { status: 'failed', data: { 805: 'Too many requests' } }, 'MARGIN_RATE_LIMITED', 503, true],
    ['800 internal', 500, { status: 'failed', data: { 800: 'Internal Server Error' } }, 'MARGIN_UNAVAILABLE', 503, true],
    ['813 bad id', 400, { status: 'failed', data: { 813: 'Invalid SecurityId' } }, 'MARGIN_UPSTREAM_ERROR', 502, false],
    ['bare 429', 429, undefined, 'MARGIN_RATE_LIMITED', 503, true],
    ['bare 503', 503, '<html>', 'MARGIN_UNAVAILABLE', 503, true],
    ['bare 401', 401, undefined, 'MARGIN_AUTH_FAILED', 502, false],
    ['spring 404', 404, { timestamp: 1, status: 404, error: 'Not Found', path: '/v2/x' }, 'MARGIN_UPSTREAM_ERROR', 502, false],
    ['200 without a margin', 200, { hello: 1 }, 'MARGIN_UPSTREAM_ERROR', 502, false],
  ];
  for (const [name, status, body, code, http, retry] of cases) {
    it(name, () => {
      const f = classifyAnswer(status, body);
      expect([f.code, statusOf(f.code), f.retryable]).toEqual([code, http, retry]);
    });
  }

  it('treats timeouts and resets as transient', () => {
    expect(classifyNetworkError(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))).toMatchObject({ code: 'MARGIN_UNAVAILABLE', retryable: true, message: 'Dhan margin service timed out' });
    expect(classifyNetworkError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toMatchObject({ code: 'MARGIN_UNAVAILABLE', retryable: true });
  });
});

describe('canonical position set', () => {
  it('nets per instrument, drops flat legs, orders buys first, and hashes order-independently', () => {
    const a = [
      { exchangeSegment: 'NSE_FNO' as const, securityId: 5, quantity: -65 },
      { exchangeSegment: 'NSE_FNO' as const, securityId: 3, quantity: 65 },
      { exchangeSegment: 'NSE_FNO' as const, securityId: 5, quantity: -65 },
      { exchangeSegment: 'NSE_FNO' as const, securityId: 9, quantity: 65 },
      { exchangeSegment: 'NSE_FNO' as const, securityId: 9, quantity: -65 },
    ];
    expect(canonicalSet(a).map((l) => [l.securityId, l.quantity])).toEqual([[3, 65], [5, -130]]);
    const b = [
      { exchangeSegment: 'NSE_FNO' as const, securityId: 5, quantity: -130 },
      { exchangeSegment: 'NSE_FNO' as const, securityId: 3, quantity: 65 },
    ];
    expect(positionSetHash(a)).toBe(positionSetHash(b));
    expect(positionSetHash(b)).not.toBe(positionSetHash([{ exchangeSegment: 'NSE_FNO', securityId: 5, quantity: -195 }, { exchangeSegment: 'NSE_FNO', securityId: 3, quantity: 65 }]));
    // ids are not unique across segments
    expect(positionSetHash([{ exchangeSegment: 'NSE_FNO', securityId: 3, quantity: 65 }])).not.toBe(positionSetHash([{ exchangeSegment: 'BSE_FNO', securityId: 3, quantity: 65 }]));
  });
});

describe('token bucket', () => {
  it('allows a burst, then paces, and refuses waits past the bound', async () => {
    let t = 0;
    const lim = new TokenBucketLimiter([{ burst: 5, perSecond: 5 }, { burst: 7, perSecond: 1 / 60 }], () => t);
    for (let i = 0; i < 5; i++) expect(lim.tryTake()).toBe(true);
    expect(lim.tryTake()).toBe(false);
    expect(lim.waitMs()).toBeCloseTo(200, 5);
    t += 200;
    expect(lim.tryTake()).toBe(true);
    t += 200;
    expect(lim.tryTake()).toBe(true); // 7 of the slow bucket used
    t += 1000;
    expect(lim.tryTake()).toBe(false); // the slow bucket is the bound now
    expect(lim.waitMs()).toBeGreaterThan(30_000);
    expect(await lim.take(100)).toBe(false);
    expect(lim.refused).toBe(1);
  });

  it('never lets the default buckets exceed 10 calls in any 1 s window or 250 in any 60 s window', () => {
    let t = 0;
    const lim = new TokenBucketLimiter(undefined, () => t);
    const times: number[] = [];
    // a client that calls as often as it is allowed, for 5 simulated minutes
    while (t < 300_000) {
      if (lim.tryTake()) times.push(t);
      else t += Math.max(1, Math.ceil(lim.waitMs()));
    }
    const maxIn = (w: number) => {
      let best = 0;
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[i]! - times[j]! >= w) j++;
        best = Math.max(best, i - j + 1);
      }
      return best;
    };
    expect(maxIn(1000)).toBeLessThanOrEqual(10);
    expect(maxIn(60_000)).toBeLessThanOrEqual(250);
    expect(times.length).toBeGreaterThan(900); // and it is not needlessly slow: ~200/min sustained
  });
});
