/**
 * The live-mode path, as a user points optchain at Dhan: `optchain sim` runs standalone (in
 * the role of Dhan, other process, real sockets) and `optchain serve` gets Dhan's settings —
 * an accounts file (one token inline, one in a tokenFile), master/feed/API URLs. Checks that the
 * server runs in live mode on exactly that configuration: the master is downloaded and cached
 * under the data dir, every token is subscribed across both accounts, chains are served, and
 * margins are signed with the first configured account.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainJson, HealthReport } from '../src/client/index.js';
import { OPTCHAIN_BIN as BIN, startCli as start, stopCli, untilCli as until, type CliChild } from './helpers/cli-child.js';
import { freePort } from './helpers/net.js';

const DATE = '2026-08-17';

const dir = mkdtempSync(join(tmpdir(), 'optchain-live-'));
let sim: CliChild;
let server: CliChild;
let base = '';
let env: NodeJS.ProcessEnv;
let accounts: { clientId: string; token: string }[] = [];

beforeAll(async () => {
  const simPort = await freePort();
  const clean = { ...process.env };
  delete clean.OPTCHAIN_DHAN_ACCOUNTS;
  sim = start(['sim', '--host', '127.0.0.1', '--port', String(simPort)], { ...clean, OPTCHAIN_TRADING_DATE: DATE });
  await until('optchain sim did not print its accounts', sim, () => /^control-secret /m.test(sim.out));
  const line = (k: string) => new RegExp(`^${k} (\\S+)`, 'm').exec(sim.out)![1]!;
  accounts = [...sim.out.matchAll(/^account (\S+) (\S+)/gm)].map((m) => ({ clientId: m[1]!, token: m[2]! }));
  mkdirSync(join(dir, 'secrets'));
  writeFileSync(join(dir, 'secrets', 'second.jwt'), `${accounts[1]!.token}\n`);
  writeFileSync(join(dir, 'accounts.json'), JSON.stringify([{ clientId: accounts[0]!.clientId, accessToken: accounts[0]!.token }, { clientId: accounts[1]!.clientId, tokenFile: 'secrets/second.jwt' }]));
  env = {
    ...clean,
    OPTCHAIN_HOST: '127.0.0.1',
    OPTCHAIN_PORT: String(await freePort()),
    OPTCHAIN_TRADING_DATE: DATE,
    OPTCHAIN_DATA_DIR: join(dir, 'data'),
    OPTCHAIN_DHAN_ACCOUNTS: join(dir, 'accounts.json'),
    OPTCHAIN_DHAN_MASTER_URL: line('master'),
    OPTCHAIN_DHAN_FEED_URL: line('feed'),
    OPTCHAIN_DHAN_API_URL: line('api'),
  };
  server = start(['serve'], env);
  await until('serve did not start', server, () => /: (http:\/\/\S+)/.test(server.out));
  base = /: (http:\/\/\S+)/.exec(server.out)![1]!;
  await until('feed never had data for every token', server, async () => {
    const h = (await (await fetch(`${base}/health`)).json()) as HealthReport;
    return h.feed.subscribed > 0 && h.feed.withData === h.feed.subscribed;
  });
}, 150_000);

afterAll(async () => {
  await stopCli([server, sim], 5000);
  rmSync(dir, { recursive: true, force: true });
});

describe('optchain serve against a Dhan-compatible upstream (live mode)', () => {
  it('runs in live mode, caches the day\'s master under the data dir, never logs a token', () => {
    expect(server.out).toMatch(/optchain live mode, trading date 2026-08-17/);
    expect(server.out).not.toContain('started the built-in simulator');
    const cached = readdirSync(join(dir, 'data', 'master'));
    expect(cached.some((f) => f.startsWith(`${DATE}-`) && f.endsWith('.csv'))).toBe(true);
    for (const a of accounts) expect(server.out).not.toContain(a.token);
  });

  it('subscribes the whole skeleton across both configured accounts (one via tokenFile)', async () => {
    const h = (await (await fetch(`${base}/health`)).json()) as HealthReport;
    expect(h.mode).toBe('live');
    expect(h.feed.unsubscribed).toBe(0);
    // The simulator offers 5 accounts; accounts.json configures its first two.
    expect(new Set(h.feed.connections.map((c) => c.account))).toEqual(new Set(accounts.slice(0, 2).map((a) => a.clientId)));
    const chain = (await (await fetch(`${base}/v1/chains/BANKNIFTY`)).json()) as ChainJson;
    expect(chain.rows.length).toBeGreaterThan(100);
    expect(chain.rows.some((r) => r.ce?.ltp != null)).toBe(true);
  });

  it('signs margins with the first configured account', async () => {
    const key = execFileSync(process.execPath, [BIN, 'users', 'add', 'live'], { env, encoding: 'utf8' }).trim().split('\n').pop()!;
    const chain = (await (await fetch(`${base}/v1/chains/NIFTY`)).json()) as ChainJson;
    const leg = chain.rows.find((r) => r.ce && r.ce.ask != null)!.ce!;
    const res = await fetch(`${base}/v1/margin`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ legs: [{ exchangeSegment: 'NSE_FNO', securityId: leg.securityId, side: 'SELL', lots: 1 }] }) });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ source: 'dhan' });
    expect(body.totalMargin).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'data', 'paper.sqlite'))).toBe(true);

    // Expire the SECOND account's token upstream: margins still work, so they are not signed with it.
    const control = new URL(env.OPTCHAIN_DHAN_MASTER_URL!).origin;
    const secret = /^control-secret ([0-9a-f]{32})$/m.exec(sim.out)![1]!;
    const expire = (clientId: string) => fetch(`${control}/sim/faults/expire-token`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` }, body: JSON.stringify({ clientId, disconnect: false }) });
    const margin = (side: string) => fetch(`${base}/v1/margin`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ legs: [{ exchangeSegment: 'NSE_FNO', securityId: leg.securityId, side, lots: 2 }] }) });
    expect((await expire(accounts[1]!.clientId)).status).toBe(200);
    expect((await margin('SELL')).status).toBe(200);
    // Expire the FIRST account's token: a new position set now fails as Dhan's auth refusal.
    expect((await expire(accounts[0]!.clientId)).status).toBe(200);
    const refused = await margin('BUY');
    const err = await refused.json();
    expect(refused.status, JSON.stringify(err)).toBe(502);
    expect(err.error.code).toBe('MARGIN_AUTH_FAILED');
  });
});
