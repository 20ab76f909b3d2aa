/**
 * Paper trading under abuse (issue 15 items 2, 3, 6) over HTTP against the real routes, the
 * piscina margin worker, the writer thread and a Dhan-shaped margin server on a real socket:
 * the per-user token bucket, refusals kept only for the newest N per user, the per-user order
 * queue bound, the order deadline (never filled), quantity rules on /v1/margin and strategies,
 * private file modes, the margin metrics. Hang-ups and deadlines in the margin queue, on every
 * HTTP backend: test/paper-order-disconnect.test.ts.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPaperDb } from '../src/paper/paper-db.js';
import { describe, expect, it } from 'vitest';
import { order, paperSuite, quote, startPaperServer } from './paper-fixture.js';

const suite = paperSuite();

const start = async (env: Record<string, string>) => (suite.harness = await startPaperServer({ apiUrl: suite.stub.apiUrl, account: suite.stub.account, env }));

describe('per-user rate limit', () => {
  it('answers 429 RATE_LIMITED with Retry-After past the burst, for that user only, and counts it in /metrics', async () => {
    // One token per 50 s: eight requests on a loaded box never see a refill.
    const p = await start({ OPTCHAIN_PAPER_RATE_LIMIT_BURST: '5', OPTCHAIN_PAPER_RATE_LIMIT_PER_SEC: '0.02' });
    const a = p.user('a');
    const b = p.user('b');
    const rs = [];
    for (let i = 0; i < 8; i++) rs.push(await p.call('GET', '/v1/paper/positions', a));
    expect(rs.slice(0, 5).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const limited = rs.slice(5);
    for (const r of limited) {
      expect(r.status).toBe(429);
      expect(r.body.error.code).toBe('RATE_LIMITED');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect((await p.call('GET', '/v1/paper/positions', b)).status).toBe(200);
    const metrics = await p.routes.marginStats(); // the worker answers
    expect(metrics.queueDepth).toBe(0);
    const text = await p.server.metrics.registry.metrics();
    expect(text).toMatch(/^optchain_paper_rate_limited_total 3$/m);
    expect(text).toMatch(/^optchain_margin_calls_total \d+$/m);
    expect(text).toMatch(/^optchain_margin_queue_depth 0$/m);
  });
});

describe('persistent offender', () => {
  it('holds the 429s of a user who keeps sending past the limit for a second, others are answered at once', async () => {
    const p = await start({ OPTCHAIN_PAPER_RATE_LIMIT_BURST: '2', OPTCHAIN_PAPER_RATE_LIMIT_PER_SEC: '0.02' });
    const a = p.user('a');
    const timed = async () => {
      const t0 = performance.now();
      const r = await p.call('GET', '/v1/paper/positions', a);
      return { status: r.status, code: r.body.error?.code, retryAfter: r.headers.get('retry-after'), ms: performance.now() - t0 };
    };
    const rs = [];
    for (let i = 0; i < 5; i++) rs.push(await timed());
    expect(rs.map((r) => r.status)).toEqual([200, 200, 429, 429, 429]);
    // refusals 1–2 (up to the burst) come at once; the third within the second is held
    expect(rs[4]!.ms).toBeGreaterThanOrEqual(950);
    expect(rs[4]).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(rs[4]!.retryAfter)).toBeGreaterThanOrEqual(1);
    // another user is not held
    const t0 = performance.now();
    expect((await p.call('GET', '/v1/paper/positions', p.user('b'))).status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(rs[4]!.ms);
    const text = await p.server.metrics.registry.metrics();
    expect(text).toMatch(/^optchain_paper_rate_limited_total 3$/m);
    expect(text).toMatch(/^optchain_paper_rate_limit_held_total 1$/m);
  });
});

describe('stored refusals', () => {
  it('keeps only the newest paperRefusalsKept per user: a replay within them returns the first answer, an evicted one is judged afresh', async () => {
    const p = await start({ OPTCHAIN_PAPER_REFUSALS_KEPT: '3' });
    const k = p.user('r');
    const c = p.market.weekly[0]!;
    quote(p.market, c, { bid: 100, ask: 100.5 });
    const body = (i: number) => order(`ref-${i}`, c, 'BUY', 1, { type: 'LIMIT', limitPrice: 50 });
    for (let i = 0; i < 6; i++) expect((await p.call('POST', '/v1/paper/orders', k, body(i))).body.error.code).toBe('LIMIT_NOT_MARKETABLE');
    const n = p.db.prepare('SELECT COUNT(*) AS n FROM order_requests WHERE order_id IS NULL').get() as { n: number };
    expect(n.n).toBe(3);
    const replay = await p.call('POST', '/v1/paper/orders', k, body(5));
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    // ref-0 was evicted: the same id with a now-marketable body is a new order, not a 409
    const again = await p.call('POST', '/v1/paper/orders', k, { ...body(0), legs: [{ ...body(0).legs[0], limitPrice: 101 }] });
    expect(again.status).toBe(201);
  });
});

describe('queue bound and deadline', () => {
  it('refuses a user\'s order past the queue bound with 429 QUEUE_FULL, and one not decided in time with 503 DEADLINE_EXCEEDED, never filled', async () => {
    const p = await start({ OPTCHAIN_PAPER_QUEUE_PER_USER: '2', OPTCHAIN_PAPER_ORDER_DEADLINE_MS: '400' });
    const k = p.user('q');
    const c = p.market.weekly;
    for (let i = 0; i < 3; i++) quote(p.market, c[i]!, { bid: 100, ask: 100.5, at: Date.now() + 60_000 });
    suite.stub.delayMs = 1500; // Dhan slower than the deadline
    const rs = await Promise.all([0, 1, 2].map((i) => p.call('POST', '/v1/paper/orders', k, order(`q-${i}`, c[i]!, 'SELL'))));
    const codes = rs.map((r) => `${r.status} ${r.body.error?.code}`).sort();
    expect(codes).toEqual(['429 QUEUE_FULL', '503 DEADLINE_EXCEEDED', '503 DEADLINE_EXCEEDED']);
    expect(rs.find((r) => r.status === 429)!.headers.get('retry-after')).toBe('1');
    await new Promise((r) => setTimeout(r, 1700)); // the slow margin answers arrive: still nothing fills
    expect((await p.call('GET', '/v1/paper/orders', k)).body.orders).toEqual([]);
    expect(p.routes.service.stats()).toMatchObject({ filled: 0, queueFull: 1, deadlineExceeded: 2 });
    // nothing was stored: the same clientOrderId goes through once Dhan is quick again (on a
    // loaded box a quick answer can still miss 400 ms; such a try is refused the same way)
    expect(p.db.prepare('SELECT COUNT(*) AS n FROM order_requests').get()).toEqual({ n: 0 });
    suite.stub.delayMs = 0;
    let again = await p.call('POST', '/v1/paper/orders', k, order('q-0', c[0]!, 'SELL'));
    for (let i = 0; i < 5 && again.status === 503; i++) {
      expect(again.body.error.code).toBe('DEADLINE_EXCEEDED');
      again = await p.call('POST', '/v1/paper/orders', k, order('q-0', c[0]!, 'SELL'));
    }
    expect(again.status).toBe(201);
  });
});

describe('quantity rules on margins and strategies', () => {
  it('refuses 10^12 lots, non-whole lots and legs over paperMaxLots with 422 INVALID_QUANTITY before any Dhan call; the freeze quantity binds orders only', async () => {
    const p = await start({ OPTCHAIN_PAPER_MAX_LOTS: '100' });
    const k = p.user('m');
    const c = p.market.weekly[0]!; // lot 65, freeze 1756
    const calls = suite.stub.calls();
    for (const lots of [1e12, 1.5, 0, 101]) {
      const leg = { exchangeSegment: c.segment, securityId: c.securityId, side: 'SELL', lots };
      const m = await p.call('POST', '/v1/margin', k, { legs: [leg] });
      expect(m.status, String(lots)).toBe(422);
      expect(m.body.error.code).toBe('INVALID_QUANTITY');
      const s = await p.call('POST', '/v1/paper/strategies', k, { name: 's', legs: [leg] });
      expect(s.status, String(lots)).toBe(422);
      expect(s.body.error.code).toBe('INVALID_QUANTITY');
    }
    expect(suite.stub.calls()).toBe(calls);
    // 28 lots = 1,820 units > freeze 1,756: too much for one order, a fine holding (two orders)
    const big = { exchangeSegment: c.segment, securityId: c.securityId, side: 'SELL', lots: 28 };
    expect((await p.call('POST', '/v1/margin', k, { legs: [big] })).status).toBe(200);
    expect(suite.stub.calls()).toBe(calls + 1);
    quote(p.market, c, { bid: 100, ask: 100.5, at: Date.now() + 60_000 });
    const o = await p.call('POST', '/v1/paper/orders', k, order('big', c, 'SELL', 28));
    expect(o.status).toBe(422);
    expect(o.body.error).toMatchObject({ code: 'INVALID_QUANTITY', details: { freezeQty: 1756 } });
  });
});

describe('file modes', () => {
  it('narrows an existing data dir to 0700 and creates the database and its WAL files 0600', () => {
    const dir = mkdtempSync(join(tmpdir(), 'optchain-modes-'));
    try {
      const data = join(dir, 'data');
      mkdirSync(data, { mode: 0o755 });
      chmodSync(data, 0o755);
      const db = openPaperDb(data);
      db.prepare('INSERT INTO users (name, key_hash, funds, created_at) VALUES (?, ?, ?, ?)').run('x', 'h', 1, 1);
      expect(statSync(data).mode & 0o777).toBe(0o700);
      for (const f of ['paper.sqlite', 'paper.sqlite-wal', 'paper.sqlite-shm']) expect(statSync(join(data, f)).mode & 0o777, f).toBe(0o600);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
