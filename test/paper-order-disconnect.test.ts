/**
 * What happens to a paper order whose client hangs up, or whose deadline passes, before the
 * decision (issue 15 item 3; README "Paper trading and margins", "Under load"), on every HTTP
 * backend that runs here. The client is a raw TCP socket on 127.0.0.1 that sends the request
 * and closes, as a client that timed out does; margins come from the real piscina worker (or,
 * where a rate budget must stay empty for a whole test, the same MarginService inline with a
 * slower bucket) over a real socket to a Dhan-shaped margin server.
 *
 * The rule under test: before the decision (the fill or a stored refusal handed to the database
 * writer) a hang-up cancels the order and a passed deadline refuses it — never filled, nothing
 * stored, the same clientOrderId free to send again; after the decision the order stands, is on
 * disk, and its clientOrderId replays the first answer.
 */
import { connect, type Socket } from 'node:net';
import Database from 'better-sqlite3';
import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import { availableBackends } from './http/backends.js';
import { InlineMarginBackend } from './helpers/inline-margin.js';
import { order, paperSuite, quote, startPaperServer, type PaperHarness } from './paper-fixture.js';

const suite = paperSuite();

/** Polls `cond` every 10 ms; fails after `ms` (generous: the machine is shared). */
async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A raw socket that sends one order and can hang up; counts every byte the server sends back. */
interface HangingClient {
  received(): number;
  closed(): boolean;
  hangUp(): void;
}

function sendOrder(port: number, key: string, body: unknown): Promise<HangingClient> {
  const json = JSON.stringify(body);
  const request =
    `POST /v1/paper/orders HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${key}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let closed = false;
    const socket: Socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(request);
      resolve({ received: () => bytes, closed: () => closed, hangUp: () => socket.destroy() });
    });
    socket.on('data', (b: Buffer) => (bytes += b.byteLength));
    socket.on('close', () => (closed = true));
    socket.on('error', reject);
  });
}

/** Whether any margin call that reached "Dhan" since call number `from` carried this contract. */
const dhanSaw = (securityId: number, from: number): boolean =>
  suite.stub.bodies.slice(from).some((b: { scripList: { securityId: string }[] }) => b.scripList.some((l) => l.securityId === String(securityId)));

const metric = async (p: PaperHarness, line: RegExp): Promise<boolean> => line.test(await p.server.metrics.registry.metrics());

for (const { name: backend } of availableBackends()) {
  describe(`paper orders whose client hangs up or whose deadline passes (${backend})`, () => {
    const start = (env: Record<string, string>) => startPaperServer({ apiUrl: suite.stub.apiUrl, account: suite.stub.account, env, backend }).then((p) => (suite.harness = p));

    it('cancels an order whose client hangs up while its margin call waits for Dhan\'s rate budget: withdrawn from the queue, never sent, never filled, counted', async () => {
      const p = await start({ OPTCHAIN_PAPER_QUEUE_PER_USER: '30', OPTCHAIN_PAPER_RATE_LIMIT_BURST: '200', OPTCHAIN_PAPER_RATE_LIMIT_PER_SEC: '200', OPTCHAIN_PAPER_ORDER_DEADLINE_MS: '30000' });
      const k = p.user('w');
      const [probe, target] = [p.market.weekly[0]!, p.market.weekly[2]!];
      for (const c of [probe, target]) quote(p.market, c, { bid: 100, ask: 100.5, at: Date.now() + 120_000 });
      const seen = suite.stub.bodies.length;
      const s0 = await p.routes.marginStats();
      // 15 distinct what-ifs of the same user: ~5 spend the budget's burst (5 a second), the
      // rest wait in the user's queue, so the order's margin call queues behind them (~2 s).
      const whatIfs = Array.from({ length: 15 }, (_, i) =>
        p.call('POST', '/v1/margin', k, { includePositions: false, legs: [{ exchangeSegment: probe.segment, securityId: probe.securityId, side: 'SELL', lots: i + 1 }] }));
      await until('the what-ifs to reach the margin service', async () => (await p.routes.marginStats()).misses - s0.misses === 15);
      const s1 = await p.routes.marginStats();
      expect(s1.limiterWaits - s0.limiterWaits).toBeGreaterThanOrEqual(5);

      const client = await sendOrder(p.port, k, order('queued-1', target, 'SELL'));
      await until('the order\'s margin call to wait for a token', async () => {
        const s = await p.routes.marginStats();
        return s.misses - s0.misses === 16 && s.limiterWaits - s1.limiterWaits === 1;
      });
      expect((await p.routes.marginStats()).queueDepth).toBeGreaterThan(0);
      expect(dhanSaw(target.securityId, seen)).toBe(false);
      client.hangUp();

      await until('the queued call to be withdrawn', async () => (await p.routes.marginStats()).queueCancelled - s0.queueCancelled === 1);
      for (const r of await Promise.all(whatIfs)) expect(r.status).toBe(200); // the queue drained past where the order stood
      expect(dhanSaw(target.securityId, seen)).toBe(false);
      expect(client.received()).toBe(0);
      expect(p.routes.service.stats()).toMatchObject({ filled: 0, cancelled: 1, deadlineExceeded: 0 });
      expect(p.db.prepare('SELECT COUNT(*) AS n FROM order_requests').get()).toEqual({ n: 0 });
      expect((await p.call('GET', '/v1/paper/orders', k)).body.orders).toEqual([]);
      expect(await metric(p, /^optchain_paper_orders_total\{outcome="cancelled"\} 1$/m)).toBe(true);
      expect(await metric(p, /^optchain_margin_queue_refused_total\{reason="cancelled"\} 1$/m)).toBe(true);
      expect(await metric(p, /^optchain_http_requests_total\{route="\/v1\/paper\/orders",method="POST",status="499"\} 1$/m)).toBe(true);
      // nothing was stored: the same clientOrderId goes through now
      expect((await p.call('POST', '/v1/paper/orders', k, order('queued-1', target, 'SELL'))).status).toBe(201);
    });

    it('cancels an order whose client hangs up while its margin call is at Dhan: the late answer fills nothing', async () => {
      const p = await start({ OPTCHAIN_PAPER_ORDER_DEADLINE_MS: '30000' });
      const k = p.user('d');
      const c = p.market.weekly[0]!;
      quote(p.market, c, { bid: 100, ask: 100.5, at: Date.now() + 120_000 });
      suite.stub.delayMs = 1500;
      const calls = suite.stub.calls();
      const client = await sendOrder(p.port, k, order('gone-1', c, 'SELL'));
      await until('the margin call to reach Dhan', () => suite.stub.calls() === calls + 1);
      client.hangUp();
      await until('the order to be cancelled', () => p.routes.service.stats().cancelled === 1);
      await new Promise((r) => setTimeout(r, 1800)); // Dhan's answer arrives: still nothing fills
      expect(client.received()).toBe(0);
      expect(p.routes.service.stats()).toMatchObject({ filled: 0, cancelled: 1 });
      expect(p.db.prepare('SELECT COUNT(*) AS n FROM order_requests').get()).toEqual({ n: 0 });
      expect(await metric(p, /^optchain_paper_orders_total\{outcome="cancelled"\} 1$/m)).toBe(true);
      suite.stub.delayMs = 0;
      expect((await p.call('POST', '/v1/paper/orders', k, order('gone-1', c, 'SELL'))).status).toBe(201);
    });

    it('keeps an order whose client hangs up after the decision: on disk, counted filled, and its clientOrderId replays the fill', async () => {
      const p = await start({});
      const k = p.user('k');
      const c = p.market.weekly[0]!;
      quote(p.market, c, { bid: 100, ask: 100.5, at: Date.now() + 120_000 });
      // Another process holds the database's write lock, so the decided fill waits in the
      // writer thread (busy_timeout 5 s) while the client goes away.
      const other = new Database(`${p.dataDir}/paper.sqlite`);
      other.exec('BEGIN IMMEDIATE');
      let client: HangingClient;
      try {
        client = await sendOrder(p.port, k, order('kept-1', c, 'SELL'));
        await until('the fill to be handed to the writer', () => p.routes.writer.stats().pending === 1);
        client.hangUp();
        await until('the socket to close', () => client.closed());
        await new Promise((r) => setTimeout(r, 300)); // the server sees the hang-up while the write waits
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      await until('the write to commit', () => p.routes.writer.stats().pending === 0 && p.routes.service.stats().filled === 1);
      expect(client.received()).toBe(0);
      expect(p.routes.service.stats()).toMatchObject({ filled: 1, cancelled: 0 });
      // on disk, read by a fresh connection
      const disk = new Database(`${p.dataDir}/paper.sqlite`, { readonly: true });
      const row = disk.prepare('SELECT order_id AS orderId, http_status AS status FROM order_requests WHERE client_order_id = ?').get('kept-1') as { orderId: string; status: number };
      disk.close();
      expect(row.status).toBe(201);
      expect(row.orderId).toMatch(/^[0-9a-f-]{36}$/);
      const replay = await p.call('POST', '/v1/paper/orders', k, order('kept-1', c, 'SELL'));
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body).toMatchObject({ id: row.orderId, clientOrderId: 'kept-1', status: 'FILLED' });
      const positions = (await p.call('GET', '/v1/paper/positions', k)).body.positions;
      expect(positions).toMatchObject([{ securityId: c.securityId, quantity: -c.lotSize }]);
      expect(await metric(p, /^optchain_paper_orders_total\{outcome="filled"\} 1$/m)).toBe(true);
      expect(await metric(p, /^optchain_http_requests_total\{route="\/v1\/paper\/orders",method="POST",status="499"\} 1$/m)).toBe(true);
    });

    it('refuses an order whose deadline passes while its margin call waits for the rate budget: 503 DEADLINE_EXCEEDED, never sent, never filled', async () => {
      // One token per 20 s: after the first order the budget stays empty for the whole test.
      const pool = new Pool(new URL(suite.stub.apiUrl).origin);
      const margin = new InlineMarginBackend({ dispatcher: pool, apiUrl: suite.stub.apiUrl, timeoutMs: 5000, cacheTtlMs: 60_000, buckets: [{ burst: 1, perSecond: 0.05 }] }, () => pool.close());
      const p = (suite.harness = await startPaperServer({ apiUrl: suite.stub.apiUrl, account: suite.stub.account, env: { OPTCHAIN_PAPER_ORDER_DEADLINE_MS: '800' }, backend, marginBackend: margin }));
      const k = p.user('t');
      const [first, late] = [p.market.weekly[0]!, p.market.weekly[2]!];
      for (const c of [first, late]) quote(p.market, c, { bid: 100, ask: 100.5, at: Date.now() + 120_000 });
      expect((await p.call('POST', '/v1/paper/orders', k, order('first', first, 'SELL'))).status).toBe(201);
      const seen = suite.stub.bodies.length;
      const t0 = performance.now();
      const r = await p.call('POST', '/v1/paper/orders', k, order('late', late, 'SELL'));
      const ms = performance.now() - t0;
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('DEADLINE_EXCEEDED');
      expect(ms).toBeGreaterThanOrEqual(750);
      expect((await p.routes.marginStats()).queueExpired).toBe(1);
      expect(dhanSaw(late.securityId, seen)).toBe(false);
      expect(p.routes.service.stats()).toMatchObject({ filled: 1, deadlineExceeded: 1 });
      const stored = p.db.prepare('SELECT client_order_id AS id FROM order_requests').all();
      expect(stored).toEqual([{ id: 'first' }]);
      expect((await p.call('GET', '/v1/paper/orders', k)).body.orders.map((o: { clientOrderId: string }) => o.clientOrderId)).toEqual(['first']);
      expect(await metric(p, /^optchain_paper_orders_total\{outcome="deadline"\} 1$/m)).toBe(true);
      expect(await metric(p, /^optchain_margin_queue_refused_total\{reason="deadline"\} 1$/m)).toBe(true);
    });
  });
}
