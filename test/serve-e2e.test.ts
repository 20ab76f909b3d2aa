/**
 * `optchain serve` end to end, as a user runs it: a child process in sim mode (the embedded
 * simulator speaks Dhan's protocols over real sockets), driven over real HTTP. docs/contract.md §5
 * shapes and errors, JSON vs FlatBuffers agreement at equal generation, a paper order with a
 * margin from the simulator's REST, and a clean SIGTERM shutdown with exit code 0.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/net.js';
import { decodeChainFlatbuffer, decodeSnapshot, type ChainJson, type HealthReport, type SkeletonSummaryJson } from '../src/client/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TRADING_DATE = '2026-08-17';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let child: ChildProcess;
let base = '';
let output = '';
let exitCode: number | null = null;
let dataDir = '';
let env: NodeJS.ProcessEnv;

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, { headers });
  return { status: res.status, type: res.headers.get('content-type') ?? '', bytes: new Uint8Array(await res.arrayBuffer()), headers: res.headers };
}
const json = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'optchain-serve-'));
  const [port, simPort] = [await freePort(), await freePort()];
  env = { ...process.env, OPTCHAIN_HOST: '127.0.0.1', OPTCHAIN_PORT: String(port), OPTCHAIN_SIM_PORT: String(simPort), OPTCHAIN_DATA_DIR: dataDir, OPTCHAIN_TRADING_DATE: TRADING_DATE, OPTCHAIN_LOG_LEVEL: 'info' };
  delete env.OPTCHAIN_DHAN_ACCOUNTS;
  child = spawn(process.execPath, [join(ROOT, 'bin/optchain.js'), 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (output += String(d)));
  child.stderr!.on('data', (d) => (output += String(d)));
  child.on('exit', (code) => (exitCode = code));
  const deadline = Date.now() + 90_000;
  while (!/: (http:\/\/\S+)/.test(output)) {
    if (exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start:\n${output}`);
    await sleep(100);
  }
  base = /: (http:\/\/\S+)/.exec(output)![1]!;
  // The feed is live once every token delivered at least one packet.
  while (Date.now() < deadline) {
    const h = json((await get('/health')).bytes) as HealthReport;
    if (h.status === 'ok' && h.feed.withData === h.feed.subscribed) return;
    await sleep(250);
  }
  throw new Error(`feed never became healthy:\n${output.slice(-3000)}`);
}, 120_000);

afterAll(async () => {
  if (exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('optchain serve in sim mode', () => {
  it('prints its URL and says it runs on the simulator', () => {
    expect(output).toMatch(/optchain sim mode, trading date 2026-08-17: http:\/\/127\.0\.0\.1:\d+/);
    expect(output).toContain('started the built-in simulator');
  });

  it('/health: the whole skeleton subscribed exactly once across the simulator\'s five default accounts', async () => {
    const h = json((await get('/health')).bytes) as HealthReport;
    expect(h).toMatchObject({ status: 'ok', tradingDate: TRADING_DATE, mode: 'sim' });
    expect(h.feed.unsubscribed).toBe(0);
    const sum = json((await get('/v1/underlyings')).bytes) as SkeletonSummaryJson;
    expect(h.feed.subscribed).toBe(sum.totals.contracts + sum.totals.spots);
    expect(h.skeleton.contracts).toBe(sum.totals.contracts);
    // The simulator offers 5 accounts by default (enough for the real-size ~112k universe, README); the plan uses each.
    expect(new Set(h.feed.connections.map((c) => c.account)).size).toBe(5);
    for (const c of h.feed.connections) expect(c.tokens).toBeLessThanOrEqual(5000);
    expect(h.feed.connections.reduce((a, c) => a + c.tokens, 0)).toBe(h.feed.subscribed);
  });

  it('/v1/underlyings: indices first, NIFTY with 6 expiries, BANKNIFTY 5, SENSEX 6, stocks 2 (the Aug series)', async () => {
    const sum = json((await get('/v1/underlyings')).bytes) as SkeletonSummaryJson;
    expect(sum.underlyings.slice(0, 3).map((u) => u.symbol)).toEqual(['NIFTY', 'BANKNIFTY', 'SENSEX']);
    expect(sum.underlyings[0]!.expiries.map((e) => e.expiry)).toEqual(['2026-08-18', '2026-08-25', '2026-09-01', '2026-09-29', '2026-12-29', '2027-03-30']);
    expect(sum.underlyings[1]!.expiries).toHaveLength(5);
    expect(sum.underlyings[2]!.expiries).toHaveLength(6);
    const stocks = sum.underlyings.filter((u) => u.kind === 'stock');
    expect(stocks.length).toBeGreaterThan(200);
    // NSE stock monthlies expire on the last Tuesday, BSE's on the last Thursday.
    for (const s of stocks) expect(s.expiries.map((e) => e.expiry)).toEqual(s.exchange === 'NSE' ? ['2026-08-25', '2026-09-29'] : ['2026-08-27', '2026-09-24']);
    expect(stocks.some((s) => s.exchange === 'BSE')).toBe(true);
  });

  it('serves the NIFTY chain: every strike, live prices at 2 dp, JSON and FlatBuffers equal at equal generation', async () => {
    const sum = json((await get('/v1/underlyings')).bytes) as SkeletonSummaryJson;
    const nearest = sum.underlyings[0]!.expiries[0]!;
    for (let attempt = 0; attempt < 20; attempt++) {
      const j = await get('/v1/chains/NIFTY');
      const f = await get('/v1/chains/NIFTY?format=fb');
      expect(j.status).toBe(200);
      expect(f.type).toBe('application/x-flatbuffers');
      const a = json(j.bytes) as ChainJson;
      const b = decodeChainFlatbuffer(f.bytes);
      expect(a.rows).toHaveLength(nearest.strikes);
      expect(a.spot?.ltp).not.toBeNull();
      // No f32 noise in any price or quantity; the Greeks, the chain's analytics and ivPrice (a mid, on the 0.025 grid) carry more digits by design.
      const GREEKS = new Set(['iv', 'delta', 'gamma', 'theta', 'vega', 'ivPrice', 'analytics']);
      const text = JSON.stringify(a, (k, v) => (GREEKS.has(k) ? undefined : v));
      expect(text).not.toMatch(/\d\.\d{3,}/);
      if (a.generation !== b.generation) continue;
      expect({ ...b, servedAt: 0 }).toEqual({ ...a, servedAt: 0 });
      return;
    }
    throw new Error('never saw JSON and FlatBuffers at the same generation');
  });

  it('generation moves as ticks arrive', async () => {
    const g1 = (json((await get('/v1/chains/NIFTY')).bytes) as ChainJson).generation;
    await sleep(1500);
    const g2 = (json((await get('/v1/chains/NIFTY')).bytes) as ChainJson).generation;
    expect(g2).toBeGreaterThan(g1);
  });

  it('serves a whole-universe snapshot that decodes', async () => {
    const r = await get('/v1/snapshot');
    expect(r.status).toBe(200);
    const snap = decodeSnapshot(r.bytes);
    const sum = json((await get('/v1/underlyings')).bytes) as SkeletonSummaryJson;
    expect(snap.chains.length).toBe(sum.totals.chains);
  });

  it('answers bad input in the contract error shape', async () => {
    const cases: [string, number, string][] = [
      ['/v1/chains/NOSUCH', 404, 'UNKNOWN_SYMBOL'],
      ['/v1/chains/NIFTY?expiry=2026-08-19', 404, 'UNKNOWN_EXPIRY'],
      ['/v1/chains/NIFTY?expiry=18-08-2026', 400, 'BAD_REQUEST'],
      ['/v1/chains/SENSEX?exchange=NSE', 404, 'UNKNOWN_SYMBOL'],
      ['/v1/nothing', 404, 'NOT_FOUND'],
    ];
    for (const [path, status, code] of cases) {
      const r = await get(path);
      expect(r.status, path).toBe(status);
      expect(json(r.bytes).error.code, path).toBe(code);
    }
    const post = await fetch(`${base}/v1/chains/NIFTY`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect((await post.json()).error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('places a paper order at the touch with a margin from the simulator', async () => {
    const out = execFileSync(process.execPath, [join(ROOT, 'bin/optchain.js'), 'users', 'add', 'e2e'], { env, encoding: 'utf8' });
    const key = out.trim().split('\n').pop()!;
    const chain = json((await get('/v1/chains/NIFTY')).bytes) as ChainJson;
    const spot = chain.spot!.ltp!;
    const row = chain.rows.reduce((best, r) => (Math.abs(r.strike - spot) < Math.abs(best.strike - spot) ? r : best));
    const body = { clientOrderId: 'e2e-1', legs: [{ exchangeSegment: 'NSE_FNO', securityId: row.ce!.securityId, side: 'BUY', lots: 1, type: 'MARKET' }] };
    const res = await fetch(`${base}/v1/paper/orders`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const order = await res.json();
    expect(res.status, JSON.stringify(order)).toBe(201);
    expect(order.status).toBe('FILLED');
    expect(order.margin.totalMargin).toBeGreaterThan(0);
    const noKey = await fetch(`${base}/v1/paper/orders`);
    expect(noKey.status).toBe(401);
  });

  it('shuts down cleanly on SIGTERM with exit code 0', async () => {
    child.kill('SIGTERM');
    const deadline = Date.now() + 15_000;
    while (exitCode === null && Date.now() < deadline) await sleep(100);
    expect(exitCode).toBe(0);
    expect(output).toContain('shutting down');
    expect(output).not.toMatch(/Assertion|Segmentation|core dumped/);
  });
});
