/**
 * Handshake refusals the simulator does not produce (it accepts, then sends code 50): a feed
 * endpoint that answers the upgrade with HTTP 401 or 429 (real ws servers on 127.0.0.1).
 *
 * Each behaviour is checked twice: end to end through the supervisor and its worker thread on
 * real time (the retry comes, and not sooner than the rule allows — measured between the
 * server's own attempt timestamps), and on one connection with an injected scheduler, where
 * "no retry before the limit" is time moved to one millisecond short of it, not a sleep.
 * Run `npm run build` first (the feed worker runs from dist/).
 */
import { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveTimings, FeedSupervisor } from '../src/feed/feed-supervisor.js';
import { UpstreamConnection } from '../src/feed/upstream-connection.js';
import { PriceTable } from '../src/price-table/price-table.js';
import { MarketClock } from '../src/time/market-clock.js';
import type { Skeleton, SlotToken } from '../src/skeleton/types.js';
import { captureLogger, waitFor } from './helpers/feed-harness.js';
import { ManualScheduler } from './helpers/manual-scheduler.js';

const tokens: SlotToken[] = [
  { slot: 0, segment: 'IDX_I', securityId: 13, kind: 'spot', underlyingIndex: 0 },
  { slot: 1, segment: 'NSE_FNO', securityId: 40001, kind: 'option', underlyingIndex: 0 },
  { slot: 2, segment: 'NSE_FNO', securityId: 40002, kind: 'option', underlyingIndex: 0 },
];
const skeleton = { tradingDate: '2026-08-17', tokens, chainsOfSlot: [[0], [0], [0]], slotCount: 3, chains: [{}] } as unknown as Skeleton;

let servers: WebSocketServer[] = [];
afterEach(() => {
  for (const s of servers) s.close();
  servers = [];
});

async function refusingServer(status: number): Promise<{ url: string; attempts: () => number; at: number[] }> {
  const at: number[] = [];
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    verifyClient: (_info, cb) => {
      at.push(performance.now());
      cb(false, status);
    },
  });
  servers.push(wss);
  await new Promise((r) => wss.once('listening', r));
  const { port } = wss.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}/`, attempts: () => at.length, at };
}

function supervisor(feedUrl: string): { sup: FeedSupervisor; lines: string[] } {
  const { logger, lines } = captureLogger();
  const sup = new FeedSupervisor({
    skeleton,
    table: PriceTable.allocate(3, 1),
    accounts: { kind: 'static', accounts: [{ clientId: '1100000009', accessToken: 'eyJhbGciOiJIUzUxMiJ9.c2VjcmV0LXRva2Vu.signature-part' }] },
    feedUrl,
    clock: new MarketClock(0),
    config: { feedWorkers: 1, feedWatchdogMs: 5000, feedFirstPacketMs: 60_000, feedBackoffMaxMs: 1000 },
    logger,
    timings: { backoffBaseMs: 100, statsMs: 100, tooManyBackoffMs: 1500, authRetryMs: 1500 },
  });
  return { sup, lines };
}

const TOKEN = 'eyJhbGciOiJIUzUxMiJ9.c2VjcmV0LXRva2Vu.signature-part';

/** One connection on an injected scheduler (jitter pinned to its middle). */
function manualConnection(feedUrl: string): { conn: UpstreamConnection; sched: ManualScheduler; lines: string[] } {
  const sched = new ManualScheduler();
  const lines: string[] = [];
  const timings = deriveTimings({ feedWorkers: 1, feedWatchdogMs: 5000, feedFirstPacketMs: 60_000, feedBackoffMaxMs: 1000 }, { backoffBaseMs: 100, tooManyBackoffMs: 1500, authRetryMs: 60_000, accountsPollMs: 1000 });
  const conn = new UpstreamConnection({
    id: 0,
    account: '1100000009',
    index: 0,
    tokens: 3,
    subscribeMessages: [],
    accounts: { kind: 'static', accounts: [{ clientId: '1100000009', accessToken: TOKEN }] },
    feedUrl,
    clock: new MarketClock(0),
    timings,
    decode: () => 0,
    acquireSocket: () => true,
    releaseSocket: () => undefined,
    log: (level, msg, fields) => lines.push(JSON.stringify({ level, msg, ...fields })),
    random: () => 0.5,
    scheduler: sched,
  });
  return { conn, sched, lines };
}

describe('feed handshake refusals', () => {
  it('end to end: HTTP 401 at the upgrade is an auth error, surfaced and parked until authRetryMs', async () => {
    const srv = await refusingServer(401);
    const { sup, lines } = supervisor(srv.url);
    try {
      await sup.start();
      await waitFor(async () => (await sup.refresh(), sup.status().connections[0]?.state === 'auth-error'), 10_000, 'auth error');
      const c = sup.status().connections[0]!;
      expect(c.authError).toMatch(/401/);
      await waitFor(() => srv.attempts() >= 2, 10_000, 'the retry after authRetryMs');
      // Parked, not retried on the short backoff: the second attempt waited authRetryMs (1.5 s).
      expect(srv.at[1]! - srv.at[0]!).toBeGreaterThanOrEqual(1450);
      expect(lines.join('')).not.toContain('c2VjcmV0LXRva2Vu');
      expect(JSON.stringify(sup.status())).not.toContain('c2VjcmV0LXRva2Vu');
    } finally {
      await sup.stop();
    }
  }, 30_000);

  it('end to end: HTTP 429 at the upgrade is treated like 805: the long backoff, not the short one', async () => {
    const srv = await refusingServer(429);
    const { sup } = supervisor(srv.url);
    try {
      await sup.start();
      await waitFor(() => srv.attempts() >= 2, 10_000, 'the retry');
      // A 100 ms ordinary backoff would retry within ~100 ms; 805/429 waits 1.5 s ± 25 %.
      expect(srv.at[1]! - srv.at[0]!).toBeGreaterThanOrEqual(1100);
      await sup.refresh();
      expect(sup.status().connections[0]!.lastError).toMatch(/429/);
    } finally {
      await sup.stop();
    }
  }, 30_000);

  it('injected clock: 401 parks the connection for exactly authRetryMs, then it retries', async () => {
    const srv = await refusingServer(401);
    const { conn, sched, lines } = manualConnection(srv.url);
    try {
      conn.start();
      await waitFor(() => conn.currentState === 'auth-error', 10_000, 'auth error');
      expect(srv.attempts()).toBe(1);
      // The poll runs every second; the retry is due 60 s after the refusal (whole polls).
      sched.advance(59_999);
      expect(conn.currentState).toBe('auth-error');
      expect(srv.attempts()).toBe(1);
      sched.advance(1);
      expect(conn.currentState).toBe('connecting');
      await waitFor(() => srv.attempts() === 2 && conn.currentState === 'auth-error', 10_000, 'second refusal');
      expect(lines.join('')).not.toContain('c2VjcmV0LXRva2Vu');
    } finally {
      await conn.stop();
    }
  }, 30_000);

  it('injected clock: 429 waits the long backoff (1.5 s, then 3 s), never the 100 ms one', async () => {
    const srv = await refusingServer(429);
    const { conn, sched } = manualConnection(srv.url);
    try {
      conn.start();
      await waitFor(() => srv.attempts() === 1 && conn.currentState === 'backoff', 10_000, 'first refusal');
      sched.advance(1499);
      expect(conn.currentState).toBe('backoff');
      sched.advance(1);
      expect(conn.currentState).toBe('connecting');
      await waitFor(() => srv.attempts() === 2 && conn.currentState === 'backoff', 10_000, 'second refusal');
      // The run of refusals escalates: twice the wait.
      sched.advance(2999);
      expect(conn.currentState).toBe('backoff');
      sched.advance(1);
      expect(conn.currentState).toBe('connecting');
      await waitFor(() => srv.attempts() === 3, 10_000, 'third attempt');
      expect(conn.stats().lastError).toMatch(/429/);
    } finally {
      await conn.stop();
    }
  }, 30_000);
});
