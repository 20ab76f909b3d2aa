/**
 * The feed against the simulator's connection limit (805) and credential failures (807), with
 * the accounts file re-read on reconnect. Run `npm run build` first (npm test does).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedSupervisor } from '../src/feed/feed-supervisor.js';
import { PriceTable } from '../src/price-table/price-table.js';
import { MarketClock } from '../src/time/market-clock.js';
import type { SimHandle } from '../src/sim/sim-server.js';
import type { Skeleton } from '../src/skeleton/types.js';
import type { AccountsSource } from '../src/dhan/accounts.js';
import { captureLogger, simWithSkeleton, sleep, waitFor } from './helpers/feed-harness.js';

let sim: SimHandle;
let skeleton: Skeleton;
const dir = mkdtempSync(join(tmpdir(), 'optchain-feed-auth-'));

beforeAll(async () => {
  ({ sim, skeleton } = await simWithSkeleton({ stocks: 20 }));
}, 40_000);

afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One account holds 5 connections × this (Dhan's 5000 shrunk to the small test universe). */
const PER_CONNECTION = 1000;
const CAP = 5 * PER_CONNECTION;

function supervisor(accounts: AccountsSource, timings: Record<string, number> = {}, limited = false): { sup: FeedSupervisor; lines: string[] } {
  const { logger, lines } = captureLogger();
  const sup = new FeedSupervisor({
    skeleton,
    table: PriceTable.allocate(skeleton.tokens.length, skeleton.chains.length),
    accounts,
    feedUrl: sim.urls.feed,
    clock: new MarketClock(sim.clockOffsetMs),
    config: { feedWorkers: 1, feedWatchdogMs: 5000, feedFirstPacketMs: 60_000, feedBackoffMaxMs: 1000 },
    logger,
    timings: { backoffBaseMs: 100, statsMs: 200, accountsPollMs: 100, ...timings },
    ...(limited ? { limits: { instrumentsPerConnection: PER_CONNECTION } } : {}),
  });
  return { sup, lines };
}

const openCount = (sup: FeedSupervisor): number => sup.status().connections.filter((c) => c.state === 'open').length;

describe('feed limits and credentials against the simulator', () => {
  it('with one account: subscribes what fits (indices first), reports the shortfall, and rides out an 805 intruder without thrashing', async () => {
    const [acct] = sim.accounts;
    const { sup, lines } = supervisor({ kind: 'static', accounts: [acct!] }, { tooManyBackoffMs: 800 }, true);
    const intruder: WebSocket[] = [];
    try {
      await sup.start();
      const plan = sup.connectionPlan!;
      expect(plan.connections).toHaveLength(5);
      expect(skeleton.tokens.length).toBeGreaterThan(CAP);
      expect(plan.subscribed).toBe(CAP);
      expect(plan.unsubscribed).toBe(skeleton.tokens.length - CAP);
      // The index underlyings (slots first) are all inside what fits.
      for (const u of skeleton.underlyings.filter((x) => x.kind === 'index')) {
        for (const c of u.chains) for (const r of c.rows) for (const k of [r.ce, r.pe]) if (k) expect(k.slot).toBeLessThan(CAP);
      }
      const st0 = sup.status();
      expect(st0.unsubscribed).toBe(plan.unsubscribed);
      expect(st0.unsubscribedExamples.length).toBeGreaterThan(0);
      // The shortfall names the arithmetic: ⌈tokens / 5,000 per account here⌉ accounts, 1 configured.
      expect([st0.accounts, st0.accountsNeeded]).toEqual([1, Math.ceil(skeleton.tokens.length / CAP)]);
      expect(st0.problems).toContain(`${plan.unsubscribed} tokens unsubscribed (account capacity ${CAP}): ${skeleton.tokens.length} tokens need ${st0.accountsNeeded} Dhan accounts at ${CAP} each, 1 configured`);
      expect(lines.some((l) => l.includes('"level":"error"') && l.includes('cannot be subscribed'))).toBe(true);
      await waitFor(() => openCount(sup) === 5 && sim.stats().feed.subscriptions === CAP, 30_000, 'five open connections');

      // A sixth socket on the same client id (another program using the account): Dhan sends 805 to the oldest.
      const before805 = sim.stats().feed.disconnects['805'] ?? 0;
      const acceptedBefore = sim.stats().feed.connectionsAccepted;
      const ws = new WebSocket(`${sim.urls.feed}?version=2&token=${encodeURIComponent(acct!.accessToken)}&clientId=${acct!.clientId}&authType=2`);
      intruder.push(ws);
      ws.on('error', () => undefined);
      // The kicked connection waits out the 805 backoff instead of coming straight back.
      await waitFor(async () => (await sup.refresh(), sup.status().connections.some((c) => c.lastDisconnectReason === 805 && c.state === 'backoff')), 5000, 'an 805 on one of ours');
      const hit = sup.status().connections.find((c) => c.lastDisconnectReason === 805)!;
      expect(hit.lastError).toMatch(/805/);

      // Four seconds with the intruder present: the account's 805 run backs off 1×, 2×, 4×…
      // (a fixed 0.8 s retry would have cycled five or more times).
      for (let i = 0; i < 40; i++) {
        expect(sim.stats().feed.connectionsByClient[acct!.clientId] ?? 0).toBeLessThanOrEqual(5);
        await sleep(100);
      }
      const count805 = (sim.stats().feed.disconnects['805'] ?? 0) - before805;
      expect(count805).toBeGreaterThanOrEqual(1);
      expect(count805).toBeLessThanOrEqual(4);
      expect(sim.stats().feed.connectionsAccepted - acceptedBefore).toBeLessThanOrEqual(1 + count805);

      // The intruder leaves: all five come back with their shards, exactly once.
      ws.close();
      await waitFor(() => openCount(sup) === 5 && sim.stats().feed.connectionsOpen === 5, 20_000, () => `recovery: ${JSON.stringify(sup.status().connections.map((c) => c.state))}`);
      await waitFor(() => sim.stats().feed.subscriptions >= CAP, 10_000, 'resubscribed');
      expect(sim.stats().feed.subscriptions).toBe(CAP);
      expect(sim.stats().feed.activeInstruments).toBe(CAP);
    } finally {
      for (const w of intruder) w.terminate();
      await sup.stop();
    }
  }, 60_000);

  it('surfaces an expired token as an auth error, waits without hammering, and recovers when the token file changes', async () => {
    const [a, b] = sim.accounts;
    writeFileSync(join(dir, 'a.token'), `${a!.accessToken}\n`);
    const accountsPath = join(dir, 'accounts.json');
    writeFileSync(accountsPath, JSON.stringify([{ clientId: a!.clientId, tokenFile: 'a.token' }, { clientId: b!.clientId, accessToken: b!.accessToken }]));
    const { sup, lines } = supervisor({ kind: 'file', path: accountsPath }, { authRetryMs: 60_000 });
    try {
      await sup.start();
      const n = sup.connectionPlan!.connections.length;
      await waitFor(() => openCount(sup) === n && sim.stats().feed.subscriptions === skeleton.tokens.length, 30_000, 'all open');

      // Dhan's daily rollover: the old token expires (807 to its sockets), a new one exists.
      const fresh = sim.faults.expireToken(a!.clientId);
      const mine = sup.status().connections.filter((c) => c.account === a!.clientId);
      await waitFor(async () => {
        await sup.refresh();
        return sup.status().connections.filter((c) => c.account === a!.clientId).every((c) => c.state === 'auth-error');
      }, 5000, 'auth errors surfaced');
      const st = sup.status();
      for (const c of st.connections.filter((x) => x.account === a!.clientId)) {
        expect(c.authError).toMatch(/807/);
        expect(c.lastDisconnectReason).toBe(807);
      }
      expect(st.connections.filter((x) => x.account === b!.clientId).every((c) => c.state === 'open')).toBe(true);
      expect(st.problems.some((p) => p.includes('auth error'))).toBe(true);
      expect(lines.some((l) => l.includes('credentials refused'))).toBe(true);

      // Parked: no retry with the dead token while the file is unchanged.
      const failures = sim.stats().feed.authFailures;
      const accepted = sim.stats().feed.connectionsAccepted;
      await sleep(1500);
      expect(sim.stats().feed.authFailures).toBe(failures);
      expect(sim.stats().feed.connectionsAccepted).toBe(accepted);

      // The operator (or a token job) writes the new token: picked up on the next connect.
      writeFileSync(join(dir, 'a.token'), `${fresh.accessToken}\n`);
      await waitFor(() => openCount(sup) === n, 10_000, () => `recovered: ${JSON.stringify(sup.status().connections.map((c) => [c.state, c.lastError]))}`);
      await waitFor(() => sim.stats().feed.subscriptions >= skeleton.tokens.length, 10_000, 'resubscribed');
      expect(sim.stats().feed.subscriptions).toBe(skeleton.tokens.length);
      expect(sim.stats().feed.authFailures).toBe(failures);
      await sup.refresh();
      expect(sup.status().connections.every((c) => c.authError === null)).toBe(true);
      expect(mine.length).toBeGreaterThan(0);
      // No token in the log or the status, old or new.
      const text = lines.join('') + JSON.stringify(sup.status());
      for (const t of [a!.accessToken, fresh.accessToken, b!.accessToken]) expect(text).not.toContain(t);
    } finally {
      await sup.stop();
    }
  }, 60_000);
});
