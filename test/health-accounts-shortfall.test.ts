/**
 * The account arithmetic at real size (issue 16 §2), against real servers on 127.0.0.1: the
 * real-size universe is ~112k tokens and one Dhan account holds 5 × 5000, so it needs five.
 *
 * - Live mode with two accounts: `optchain sim` (real size, standalone, in Dhan's role) and
 *   `optchain serve` given two of its accounts. /health is `degraded` and says why — accounts
 *   configured/needed/capacity, the tokens left unsubscribed, a problem line — /metrics counts
 *   the same, the skeleton is whole (never trimmed) and the indices, first in slot order, stream.
 * - Sim mode with no configuration: the embedded simulator offers enough accounts, no shortfall.
 *
 * Real size on purpose (the rest of the suite runs compact): at compact size two accounts hold
 * everything and the default config's margin over the need is not what users get.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChainJson, HealthReport } from '../src/client/index.js';
import { accountsNeeded } from '../src/feed/connection-plan.js';
import { startCli, stopCli, untilCli, type CliChild } from './helpers/cli-child.js';

const DATE = '2026-03-23';
const dir = mkdtempSync(join(tmpdir(), 'optchain-shortfall-'));
const children: CliChild[] = [];
const clean = { ...process.env, OPTCHAIN_SIM_UNIVERSE: 'real', OPTCHAIN_TRADING_DATE: DATE, OPTCHAIN_HOST: '127.0.0.1', OPTCHAIN_PORT: '0', OPTCHAIN_LOG_LEVEL: 'info' };
delete clean.OPTCHAIN_DHAN_ACCOUNTS;

afterAll(async () => {
  await stopCli(children);
  rmSync(dir, { recursive: true, force: true });
});

async function serve(env: NodeJS.ProcessEnv): Promise<{ child: CliChild; base: string }> {
  const child = startCli(['serve'], env);
  children.push(child);
  await untilCli('serve did not start', child, () => /mode, trading date [\d-]+: (http:\/\/\S+)/.test(child.out), 150_000);
  return { child, base: /mode, trading date [\d-]+: (http:\/\/\S+)/.exec(child.out)![1]! };
}
interface Totals { totals: { underlyings: number; contracts: number; spots: number } }
/** Skeleton tokens (contracts + spots) from the contract's summary route. */
const tokensOf = async (base: string): Promise<number> => {
  const { totals } = (await (await fetch(`${base}/v1/underlyings`)).json()) as Totals;
  return totals.contracts + totals.spots;
};
const health = async (base: string): Promise<HealthReport> => (await (await fetch(`${base}/health`)).json()) as HealthReport;
const gauge = (metrics: string, series: string): number => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(metrics)?.[1]);

describe('Dhan accounts at real size', () => {
  it('with 2 accounts for ~112k tokens, /health and /metrics report the shortfall and the skeleton stays whole', async () => {
    const sim = startCli(['sim', '--host', '127.0.0.1', '--port', '0'], clean);
    children.push(sim);
    await untilCli('optchain sim did not print its accounts', sim, () => /^control-secret /m.test(sim.out), 150_000);
    const line = (k: string): string => new RegExp(`^${k} (\\S+)`, 'm').exec(sim.out)![1]!;
    const offered = [...sim.out.matchAll(/^account (\S+) (\S+)/gm)].map((m) => ({ clientId: m[1]!, accessToken: m[2]! }));
    writeFileSync(join(dir, 'accounts.json'), JSON.stringify(offered.slice(0, 2)));
    const { child, base } = await serve({
      ...clean,
      OPTCHAIN_DATA_DIR: join(dir, 'live'),
      OPTCHAIN_DHAN_ACCOUNTS: join(dir, 'accounts.json'),
      OPTCHAIN_DHAN_MASTER_URL: line('master'),
      OPTCHAIN_DHAN_FEED_URL: line('feed'),
      OPTCHAIN_DHAN_API_URL: line('api'),
    });
    const tokens = await tokensOf(base);
    expect(tokens).toBeGreaterThan(110_000);
    let h = await health(base);
    const needed = accountsNeeded(tokens);
    expect(needed).toBe(5);
    // What fits is subscribed and streams; wait for it, then read the verdict.
    await untilCli('the subscribed tokens never all had data', child, async () => {
      h = await health(base);
      return h.feed.subscribed > 0 && h.feed.withData >= h.feed.subscribed;
    }, 120_000);
    expect(h.mode).toBe('live');
    expect(h.status).toBe('degraded');
    expect(h.feed.accounts).toEqual({ configured: 2, needed, capacity: 50_000 });
    expect(h.feed.subscribed).toBe(50_000);
    expect(h.feed.unsubscribed).toBe(tokens - 50_000);
    expect(h.feed.problems).toContain(`${tokens - 50_000} tokens unsubscribed (account capacity 50000): ${tokens} tokens need ${needed} Dhan accounts at 25000 each, 2 configured`);
    // Ten connections (5 per account), every one open: the shortfall is capacity, not a fault.
    expect(h.feed.connections).toHaveLength(10);
    expect(h.feed.connections.every((c) => c.state === 'open')).toBe(true);
    expect(child.out).toMatch(/the configured Dhan accounts cannot hold the whole skeleton; add an account/);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(gauge(metrics, 'optchain_feed_tokens{state="unsubscribed"}')).toBe(tokens - 50_000);
    expect(gauge(metrics, 'optchain_feed_tokens{state="subscribed"}')).toBe(50_000);
    expect(gauge(metrics, 'optchain_feed_accounts{kind="configured"}')).toBe(2);
    expect(gauge(metrics, 'optchain_feed_accounts{kind="needed"}')).toBe(needed);

    // Never trimmed: every underlying and contract is served. Indices come first in slot
    // order, so NIFTY streams; the last underlyings' chains are listed without quotes.
    const u = (await (await fetch(`${base}/v1/underlyings`)).json()) as Totals;
    expect(u.totals).toMatchObject({ underlyings: 413, contracts: h.skeleton.contracts });
    expect(h.skeleton.underlyings).toBe(413);
    const nifty = (await (await fetch(`${base}/v1/chains/NIFTY`)).json()) as ChainJson;
    expect(nifty.rows.some((r) => r.ce?.ltp != null)).toBe(true);
    // Two real-size processes are ~2 GB: gone before the next case starts its own.
    await stopCli([child, sim]);
  }, 300_000);

  it('the embedded simulator offers enough accounts by default: no shortfall in sim mode', async () => {
    const { child, base } = await serve({ ...clean, OPTCHAIN_DATA_DIR: join(dir, 'sim') });
    let h = await health(base);
    await untilCli('sim mode never had data for every token', child, async () => {
      h = await health(base);
      return h.feed.subscribed > 0 && h.feed.withData >= h.feed.subscribed;
    }, 120_000);
    const tokens = await tokensOf(base);
    expect(h.mode).toBe('sim');
    expect(h.feed.accounts.needed).toBe(accountsNeeded(tokens));
    expect(h.feed.accounts.configured).toBeGreaterThanOrEqual(h.feed.accounts.needed);
    expect(h.feed.unsubscribed).toBe(0);
    expect(h.feed.subscribed).toBe(tokens);
    expect(h.feed.problems).toEqual([]);
    expect(h.status).toBe('ok');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(gauge(metrics, 'optchain_feed_tokens{state="unsubscribed"}')).toBe(0);
    expect(gauge(metrics, 'optchain_feed_accounts{kind="configured"}')).toBe(h.feed.accounts.configured);
  }, 300_000);
});
