/**
 * The server in sim mode heals every thread it depends on (issue 14 §2, issue 15 §5), on the
 * full synthetic universe, in one process as `optchain serve` runs it:
 *
 * - an unauthenticated control call is refused (401) and changes nothing; an authenticated
 *   token expiry parks the account's feed connections in auth-error only until they re-read
 *   the simulator's credentials;
 * - the feed worker, the margin worker and the simulator worker are each killed (uncaught
 *   throw on a crafted message, or `worker.terminate()`), and each time /health comes back to
 *   `ok` within a bound, the simulator holds every skeleton token exactly once (a restarted
 *   simulator counts its subscribe requests from zero: they equal the skeleton, no duplicate),
 *   restarts show in /health and /metrics, and paper state is intact (every order placed
 *   before is still listed, a new order fills with a margin from the simulator).
 *
 * Recovery times are printed for the closing note. Run `npm run build` first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { loadAccounts } from '../src/dhan/accounts.js';
import { MarginWorkerPool } from '../src/margin/margin-pool.js';
import { createUser } from '../src/paper/api-keys.js';
import { openPaperDb } from '../src/paper/paper-db.js';
import type { SimStats } from '../src/sim/sim-server.js';
import { captureLogger, waitFor } from './helpers/feed-harness.js';

const DATE = '2026-08-17';
/** Back to `ok` within this after a kill (default backoffs; the simulator regenerates its master). */
const RECOVERY_BOUND_MS = 60_000;

let app: App;
let dir: string;
let key: string;
let base: string;
let orderSeq = 0;
const placed: string[] = [];
const timings: string[] = [];
let logLines: string[] = [];

interface Health {
  status: string;
  feed: { connections: { account: string; index: number; state: string }[]; subscribed: number; workerRestarts: number; problems: string[] };
  threads: Record<string, { up: boolean; restarts: number; lastExit: string | null }>;
  problems: string[];
}

const health = async (): Promise<Health> => (await (await fetch(`${base}/health`)).json()) as Health;
const metrics = async (): Promise<string> => (await fetch(`${base}/metrics`)).text();
const simStats = (): Promise<SimStats> => app.sim!.stats();

/** `ok`, and the simulator holds every token exactly once on the planned connections. */
async function healed(): Promise<boolean> {
  const h = await health();
  if (h.status !== 'ok') return false;
  try {
    const s = await simStats();
    return s.feed.subscriptions === h.feed.subscribed && s.feed.connectionsOpen === h.feed.connections.length;
  } catch {
    return false; // the simulator thread is being restarted
  }
}

async function order(): Promise<{ status: number; body: { id?: string; margin?: { totalMargin: number } } }> {
  const chain = (await (await fetch(`${base}/v1/chains/NIFTY`)).json()) as { spot: { ltp: number }; rows: { strike: number; ce: { securityId: number; ask: number | null } | null }[] };
  const row = chain.rows.filter((r) => r.ce?.ask != null).reduce((best, r) => (Math.abs(r.strike - chain.spot.ltp) < Math.abs(best.strike - chain.spot.ltp) ? r : best));
  const clientOrderId = `heal-${++orderSeq}`;
  const res = await fetch(`${base}/v1/paper/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ clientOrderId, legs: [{ exchangeSegment: 'NSE_FNO', securityId: row.ce!.securityId, side: 'BUY', lots: 1, type: 'MARKET' }] }),
  });
  const body = (await res.json()) as { id?: string; margin?: { totalMargin: number } };
  if (res.status === 201) placed.push(body.id!);
  return { status: res.status, body };
}

/** Every order placed so far is listed exactly once, and a new one fills with a simulator margin. */
async function paperIntact(): Promise<void> {
  const list = (await (await fetch(`${base}/v1/paper/orders`, { headers: { authorization: `Bearer ${key}` } })).json()) as { orders?: { id: string }[] } | { id: string }[];
  const ids = (Array.isArray(list) ? list : (list.orders ?? [])).map((o) => o.id);
  for (const id of placed) expect(ids.filter((x) => x === id)).toHaveLength(1);
  let fresh: Awaited<ReturnType<typeof order>> | null = null;
  await waitFor(async () => (fresh = await order()).status === 201, 20_000, () => `a new order: ${JSON.stringify(fresh)}`);
  expect(fresh!.body.margin!.totalMargin).toBeGreaterThan(0);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'optchain-heal-'));
  const db = openPaperDb(dir);
  key = createUser(db, 'healer', 100_000_000).key;
  db.close();
  const config = loadConfig({ OPTCHAIN_PORT: '0', OPTCHAIN_SIM_PORT: '0', OPTCHAIN_DATA_DIR: dir, OPTCHAIN_TRADING_DATE: DATE, OPTCHAIN_LOG_LEVEL: 'info' });
  const captured = captureLogger();
  logLines = captured.lines;
  app = await startApp(config, captured.logger, { testHooks: true });
  base = app.url;
  await waitFor(healed, 90_000, 'first ok');
  expect((await order()).status).toBe(201);
}, 180_000);

afterAll(async () => {
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('sim mode self-healing', () => {
  it('refuses unauthenticated control calls, and heals from an authenticated token expiry by re-reading the credentials', async () => {
    const sim = app.sim!;
    const account = sim.accounts[0]!.clientId;
    const before = await simStats();
    const denied = await fetch(`${sim.urls.control}/faults/expire-token`, { method: 'POST', body: JSON.stringify({ clientId: account }) });
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    expect((await simStats()).feed.disconnects['807'] ?? 0).toBe(before.feed.disconnects['807'] ?? 0);

    const requests0 = before.feed.subscribeRequests;
    const accountTokens = app.feed()!.connectionPlan!.connections.filter((c) => c.account === account).reduce((n, c) => n + c.instruments.length, 0);
    const t0 = performance.now();
    const res = await fetch(`${sim.urls.control}/faults/expire-token`, { method: 'POST', headers: { authorization: `Bearer ${sim.controlSecret}` }, body: JSON.stringify({ clientId: account }) });
    expect(res.status).toBe(200);
    const fresh = ((await res.json()) as { accessToken: string }).accessToken;
    await waitFor(async () => ((await simStats()).feed.disconnects['807'] ?? 0) > (before.feed.disconnects['807'] ?? 0), 10_000, '807 sent');
    await waitFor(healed, RECOVERY_BOUND_MS, async () => `ok after the expiry: ${JSON.stringify((await health()).feed.problems)}`);
    timings.push(`token expiry (807 → auth-error → re-read → open): ${Math.round(performance.now() - t0)} ms`);
    const h = await health();
    expect(h.feed.connections.filter((c) => c.account === account).every((c) => c.state === 'open')).toBe(true);
    // The simulator now holds the new token, and the connections it accepted used it.
    expect((await loadAccounts(sim.accountsSource)).find((a) => a.clientId === account)!.accessToken).toBe(fresh);
    expect((await simStats()).feed.authFailures).toBe(before.feed.authFailures);
    // Only the expired account's connections subscribed again, each token once.
    expect((await simStats()).feed.subscribeRequests - requests0).toBe(accountTokens);
    await paperIntact();
  }, 90_000);

  it.each(['throw', 'terminate'] as const)('restarts the feed worker killed by %s', async (how) => {
    const feed = app.feed()!;
    const restarts = feed.status().workerRestarts;
    const requests0 = (await simStats()).feed.subscribeRequests;
    const t0 = performance.now();
    await feed.crashWorkerForTest(0, how);
    expect((await health()).status).toBe('degraded');
    await waitFor(healed, RECOVERY_BOUND_MS, async () => `ok after the feed worker ${how}: ${JSON.stringify((await health()).feed.problems)}`);
    timings.push(`feed worker ${how} (all ${feed.status().connections.length} connections): ${Math.round(performance.now() - t0)} ms`);
    const h = await health();
    expect(h.feed.workerRestarts).toBe(restarts + 1);
    // The one worker held every connection: the whole skeleton subscribed again, exactly once.
    expect((await simStats()).feed.subscribeRequests - requests0).toBe(h.feed.subscribed);
    expect(await metrics()).toContain(`optchain_feed_worker_restarts_total{worker="0"} ${restarts + 1}`);
    await paperIntact();
  }, 90_000);

  it.each(['throw', 'terminate'] as const)('replaces the margin worker killed by %s', async (how) => {
    const margin = app.paper.marginBackend;
    expect(margin).toBeInstanceOf(MarginWorkerPool);
    const pool = margin as MarginWorkerPool;
    const restarts = pool.threadStatus().restarts;
    const t0 = performance.now();
    await pool.crashForTest(how);
    await paperIntact();
    timings.push(`margin worker ${how} (kill → next order filled): ${Math.round(performance.now() - t0)} ms`);
    await waitFor(healed, RECOVERY_BOUND_MS, 'ok after the margin worker');
    const h = await health();
    expect(h.threads.margin).toMatchObject({ up: true, restarts: restarts + 1 });
    expect(await metrics()).toContain(`optchain_thread_restarts_total{thread="margin"} ${restarts + 1}`);
  }, 90_000);

  it.each(['throw', 'terminate'] as const)('restarts the simulator killed by %s on the same port; the feed reconnects and resubscribes once', async (how) => {
    const sim = app.sim!;
    const restarts = sim.status().restarts;
    const urls = { ...sim.urls };
    const t0 = performance.now();
    await sim.crashForTest(how);
    const down = await health();
    expect(down.status).toBe('degraded');
    expect(down.threads.sim!.up).toBe(false);
    await waitFor(healed, RECOVERY_BOUND_MS, async () => `ok after the simulator ${how}: ${JSON.stringify(await health())}`);
    timings.push(`simulator ${how} (restart + feed reconnect + resubscribe): ${Math.round(performance.now() - t0)} ms`);
    expect(sim.urls).toEqual(urls);
    const h = await health();
    expect(h.threads.sim).toMatchObject({ up: true, restarts: restarts + 1 });
    if (how === 'throw') expect(h.threads.sim!.lastExit).toMatch(/crash requested by a test hook/);
    // The new simulator counted every subscribe request it ever got: exactly the skeleton, once.
    const s = await simStats();
    expect(s.feed.subscribeRequests).toBe(h.feed.subscribed);
    expect(s.feed.subscriptions).toBe(h.feed.subscribed);
    expect(await metrics()).toContain(`optchain_thread_restarts_total{thread="sim"} ${restarts + 1}`);
    await paperIntact();
  }, 120_000);

  it('never logs the control secret, even while threads die and credentials are re-read', () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('')).not.toContain(app.sim!.controlSecret);
    expect(logLines.some((l) => l.includes('embedded simulator died'))).toBe(true);
  });

  it('prints the recovery times', () => {
    console.log(`recovery times (load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}):\n  ${timings.join('\n  ')}`);
    expect(timings.length).toBe(7);
  });
});
