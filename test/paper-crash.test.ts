/**
 * Durability (docs/contract.md §6: "an acknowledged order is never lost and never applied twice"): a
 * paper server process is SIGKILLed in the middle of a stream of orders, restarted on the same
 * data dir, and every acknowledged order is found exactly once, with the positions equal to the
 * sum of the stored fills. The user is created with the real `optchain users add` command.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../src/sim/sim-server.js';
import { buildTestEntry } from './helpers/build-test-entry.js';
import { makeMarket, masterCsv, TRADING_DATE } from './paper-fixture.js';

const ROOT = new URL('..', import.meta.url).pathname;
let sim: SimHandle;
let harness: string;
let dir: string;
let env: NodeJS.ProcessEnv;
const contracts = makeMarket().weekly.slice(0, 4);

function startChild(): Promise<{ child: ChildProcess; base: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [harness], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`harness did not start: ${err}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, base: `http://127.0.0.1:${m[1]}` });
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`harness exited ${code}: ${err}`));
    });
  });
}

async function post(base: string, key: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/v1/paper/orders`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function get(base: string, key: string, path: string): Promise<any> {
  return (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } })).json();
}

function orderBody(i: number): Record<string, unknown> {
  const c = contracts[i % contracts.length]!;
  // alternate sides per instrument so the set flips between held and flat and margins stay small
  const side = Math.floor(i / contracts.length) % 2 === 0 ? 'BUY' : 'SELL';
  return { clientOrderId: `crash-${i}`, legs: [{ exchangeSegment: c.segment, securityId: c.securityId, side, lots: 1, type: 'MARKET' }] };
}

beforeAll(async () => {
  harness = fileURLToPath(await buildTestEntry('paper-harness'));
  sim = await startSimulator({ tradingDate: TRADING_DATE, seed: 5, masterCsv: masterCsv(), restLatencyMs: [2, 6], restRateLimitPerSecond: 1000 });
  dir = mkdtempSync(join(tmpdir(), 'optchain-crash-'));
  writeFileSync(join(dir, 'master.csv'), masterCsv());
  writeFileSync(join(dir, 'accounts.json'), JSON.stringify([sim.accounts[0]]));
  env = {
    ...process.env,
    OPTCHAIN_DATA_DIR: join(dir, 'data'),
    OPTCHAIN_DHAN_API_URL: sim.urls.api,
    OPTCHAIN_DHAN_ACCOUNTS: join(dir, 'accounts.json'),
    OPTCHAIN_HOST: '127.0.0.1',
    OPTCHAIN_PORT: '0',
    OPTCHAIN_LOG_LEVEL: 'warn',
    PAPER_HARNESS_MASTER: join(dir, 'master.csv'),
    PAPER_HARNESS_DATE: TRADING_DATE,
  };
});
afterAll(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('paper state across SIGKILL', () => {
  it('finds every acknowledged order exactly once after a kill mid-stream and a restart', async () => {
    const out = execFileSync(process.execPath, [join(ROOT, 'bin/optchain.js'), 'users', 'add', 'crash', '--funds', '10000000'], { env, encoding: 'utf8' });
    const key = out.trimEnd().split('\n').pop()!;
    expect(key).toMatch(/^ocp_[A-Za-z0-9_-]{43}$/);

    let { child, base } = await startChild();
    const acked = new Map<string, { id: string; body: any }>();
    const sent: number[] = [];
    let next = 0;
    let killed = false;
    const sender = async (): Promise<void> => {
      while (!killed) {
        const i = next++;
        sent.push(i);
        try {
          const r = await post(base, key, orderBody(i));
          if (r.status === 201) acked.set(`crash-${i}`, { id: r.body.id, body: r.body });
          else throw new Error(`unexpected ${r.status} ${JSON.stringify(r.body)}`);
        } catch (err) {
          if (!killed) throw err;
        }
      }
    };
    const senders = [sender(), sender(), sender(), sender()];
    // kill once a good number are acknowledged, at a moment that is not a request boundary
    while (acked.size < 12) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 200));
    child.kill('SIGKILL');
    killed = true;
    await Promise.all(senders);
    await new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
    expect(child.signalCode).toBe('SIGKILL');
    const inFlight = sent.filter((i) => !acked.has(`crash-${i}`));
    expect(inFlight.length).toBeGreaterThan(0); // the kill did land mid-stream

    ({ child, base } = await startChild());
    try {
      const after = (await get(base, key, '/v1/paper/orders')).orders as any[];
      const count = new Map<string, number>();
      for (const o of after) count.set(o.clientOrderId, (count.get(o.clientOrderId) ?? 0) + 1);
      for (const [coid, a] of acked) {
        expect(count.get(coid), coid).toBe(1);
        expect(after.find((o) => o.clientOrderId === coid)).toEqual(a.body);
      }
      expect([...count.values()].every((n) => n === 1)).toBe(true);
      // unacknowledged orders either committed or not; nothing else appears
      for (const coid of count.keys()) expect(sent.map((i) => `crash-${i}`)).toContain(coid);

      // positions are the sum of the stored fills
      const expectPositions = (orders: any[], positions: any[]) => {
        const net = new Map<number, number>();
        for (const o of orders) for (const f of o.fills) net.set(f.securityId, (net.get(f.securityId) ?? 0) + (f.side === 'BUY' ? f.quantity : -f.quantity));
        for (const p of positions) expect(p.quantity, String(p.securityId)).toBe(net.get(p.securityId) ?? 0);
        for (const [id, q] of net) if (q !== 0) expect(positions.find((p) => p.securityId === id)?.quantity).toBe(q);
      };
      expectPositions(after, (await get(base, key, '/v1/paper/positions')).positions);

      // a client retrying everything it sent gets the first answers back and applies nothing twice
      for (const i of sent) {
        const r = await post(base, key, orderBody(i));
        expect(r.status).toBe(201);
        const a = acked.get(`crash-${i}`);
        if (a) expect(r.body).toEqual(a.body);
      }
      const final = (await get(base, key, '/v1/paper/orders')).orders as any[];
      expect(final.map((o) => o.clientOrderId).sort()).toEqual(sent.map((i) => `crash-${i}`).sort());
      expectPositions(final, (await get(base, key, '/v1/paper/positions')).positions);
    } finally {
      child.kill('SIGTERM');
      await new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
    }
  });
});
