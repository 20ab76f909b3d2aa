/**
 * Handshake refusals the simulator does not produce (it accepts, then sends code 50): a feed
 * endpoint that answers the upgrade with HTTP 401 or 429 (real ws servers on 127.0.0.1).
 * Run `npm run build` first (the feed worker runs from dist/).
 */
import { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { FeedSupervisor } from '../src/feed/feed-supervisor.js';
import { PriceTable } from '../src/price-table/price-table.js';
import { MarketClock } from '../src/time/market-clock.js';
import type { Skeleton, SlotToken } from '../src/skeleton/types.js';
import { captureLogger, sleep, waitFor } from './helpers/feed-harness.js';

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

async function refusingServer(status: number): Promise<{ url: string; attempts: () => number }> {
  let attempts = 0;
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    verifyClient: (_info, cb) => {
      attempts++;
      cb(false, status);
    },
  });
  servers.push(wss);
  await new Promise((r) => wss.once('listening', r));
  const { port } = wss.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}/`, attempts: () => attempts };
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
    timings: { backoffBaseMs: 100, statsMs: 100, tooManyBackoffMs: 1500, authRetryMs: 60_000 },
  });
  return { sup, lines };
}

describe('feed handshake refusals', () => {
  it('HTTP 401 at the upgrade is an auth error: surfaced, parked, not retried', async () => {
    const srv = await refusingServer(401);
    const { sup, lines } = supervisor(srv.url);
    try {
      await sup.start();
      await waitFor(async () => (await sup.refresh(), sup.status().connections[0]?.state === 'auth-error'), 10_000, 'auth error');
      const c = sup.status().connections[0]!;
      expect(c.authError).toMatch(/401/);
      const n = srv.attempts();
      await sleep(1000);
      expect(srv.attempts()).toBe(n); // parked until the accounts change or authRetryMs
      expect(lines.join('')).not.toContain('c2VjcmV0LXRva2Vu');
      expect(JSON.stringify(sup.status())).not.toContain('c2VjcmV0LXRva2Vu');
    } finally {
      await sup.stop();
    }
  }, 30_000);

  it('HTTP 429 at the upgrade is treated like 805: the long backoff, not the short one', async () => {
    const srv = await refusingServer(429);
    const { sup } = supervisor(srv.url);
    try {
      await sup.start();
      await waitFor(() => srv.attempts() >= 1, 10_000, 'first attempt');
      await sleep(1000);
      // A 100 ms ordinary backoff would have retried several times by now; 805/429 waits ≥ 1.1 s.
      expect(srv.attempts()).toBe(1);
      await sup.refresh();
      expect(sup.status().connections[0]!.lastError).toMatch(/429/);
      expect(sup.status().connections[0]!.state).toBe('backoff');
    } finally {
      await sup.stop();
    }
  }, 30_000);
});
