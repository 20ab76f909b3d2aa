/**
 * Sim mode plumbing: the simulator running in a worker thread (spawned from dist/, as every
 * worker is) answers on its URLs and takes fault controls by message; `optchain sim` prints
 * its URLs and accounts one per line and exits 0 on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedSimulator, type EmbeddedSimHandle } from '../src/sim/embedded-sim.js';
import { MarketClock } from '../src/time/market-clock.js';
import { captureLogger, waitFor } from './helpers/feed-harness.js';
import { connectFeed, feedUrl, subMsg } from './helpers/sim-client.js';

let sim: EmbeddedSimHandle | null = null;
/** The embedded run's control secret, to compare with another run's. */
let sim0Secret = '';

afterAll(async () => {
  await sim?.close();
});

describe('embedded simulator (worker thread)', () => {
  it('starts off the main thread, serves the feed and takes faults and stats by message', async () => {
    sim = await startEmbeddedSimulator({ tradingDate: '2026-08-17', seed: 3 });
    expect(sim.accounts).toHaveLength(5);
    sim0Secret = sim.controlSecret;
    expect(sim0Secret).toMatch(/^[0-9a-f]{32}$/);
    expect(sim.urls.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2$/);
    // The session clock says the market is open, whatever the wall clock says.
    expect(new MarketClock(sim.clockOffsetMs).isSessionOpen()).toBe(true);
    const head = await fetch(sim.urls.master, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const c = connectFeed(feedUrl(sim.urls.feed, sim.accounts[0]!));
    await c.opened;
    c.send(subMsg(15, [{ seg: 'IDX_I', id: '13' }]));
    await c.waitFor(() => c.packets.some((p) => p.type === 'ticker' && p.header.segment === 0), 5000, 'index ticker packets');
    const stats = await sim.stats();
    expect(stats.feed.connectionsOpen).toBe(1);
    expect(await sim.faults.dropConnections()).toBe(1);
    expect((await c.closed).code).toBe(1006);
    const fresh = await sim.faults.expireToken(sim.accounts[0]!.clientId);
    expect(sim.accounts[0]!.accessToken).toBe(fresh.accessToken);
    await sim.close();
    await expect(sim.stats()).rejects.toThrow();
    await expect(fetch(sim.urls.master, { method: 'HEAD' })).rejects.toThrow();
    sim = null;
  });
});

describe('embedded simulator recovery', () => {
  it('restarts a killed simulator thread on the same port, waiting while the port is taken, with the same secret and clock', async () => {
    const { createServer } = await import('node:net');
    const { logger, lines } = captureLogger();
    const h = await startEmbeddedSimulator({ tradingDate: '2026-08-17', seed: 3 }, { logger, testHooks: true, restartBaseMs: 200, restartMaxMs: 400 });
    try {
      const before = { urls: { ...h.urls }, secret: h.controlSecret, offset: h.clockOffsetMs };
      await expect(startEmbeddedSimulator({ tradingDate: '2026-08-17', seed: 3 }).then(async (other) => {
        await expect(other.crashForTest('throw')).rejects.toThrow(/test hooks are disabled/);
        await other.close();
      })).resolves.toBeUndefined();
      await h.crashForTest('terminate');
      // Someone takes the port while the simulator is down: the restart keeps retrying.
      const squatter = createServer();
      await new Promise<void>((resolve, reject) => {
        squatter.once('error', reject);
        squatter.listen(h.port, '127.0.0.1', () => resolve());
      });
      expect(h.status()).toMatchObject({ up: false, restarts: 1 });
      // Restarts fail on the taken port, and are retried (not given up).
      await waitFor(() => lines.filter((l) => l.includes('restart failed; retrying')).length >= 2, 30_000, 'two failed restarts');
      expect(h.status().up).toBe(false);
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
      const t0 = performance.now();
      await h.ready();
      const ms = performance.now() - t0;
      expect(ms).toBeLessThan(30_000);
      expect(h.status()).toMatchObject({ up: true, restarts: 1 });
      expect(h.urls).toEqual(before.urls);
      expect(h.controlSecret).toBe(before.secret);
      expect(h.clockOffsetMs).toBe(before.offset);
      // The new thread answers on the old URLs, with the old secret, on the old session clock.
      const info = await fetch(`${h.urls.control}/info`, { headers: { authorization: `Bearer ${h.controlSecret}` } });
      expect(info.status).toBe(200);
      expect(((await info.json()) as { clockOffsetMs: number }).clockOffsetMs).toBe(before.offset);
      expect((await h.stats()).feed.connectionsOpen).toBe(0);
      console.log(`embedded simulator: listening again ${Math.round(ms)} ms after the port was freed`);
    } finally {
      await h.close();
    }
  }, 120_000);
});

describe('optchain sim', () => {
  it('prints master, feed, api and account lines, then exits 0 on SIGTERM', async () => {
    const bin = fileURLToPath(new URL('../bin/optchain.js', import.meta.url));
    const child = spawn(process.execPath, [bin, 'sim', '--port', '0'], { env: { ...process.env, OPTCHAIN_TRADING_DATE: '2026-08-17' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const start = Date.now();
    while (!out.split('\n').some((l) => l.startsWith('control-secret '))) {
      if (Date.now() - start > 25_000) throw new Error(`no output: ${out} ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^master http:\/\/127\.0\.0\.1:\d+\/api-data\/api-scrip-master-detailed\.csv$/);
    expect(lines[1]).toMatch(/^feed ws:\/\/127\.0\.0\.1:\d+$/);
    expect(lines[2]).toMatch(/^api http:\/\/127\.0\.0\.1:\d+\/v2$/);
    expect(lines.slice(3, -1).every((l) => /^account \d+ \S+$/.test(l))).toBe(true);
    expect(lines.slice(3, -1)).toHaveLength(5); // DEFAULT_SIM_ACCOUNTS: ⌈~112k tokens / 25,000⌉
    expect(lines.at(-1)).toMatch(/^control-secret [0-9a-f]{32}$/);
    const res = await fetch(lines[0]!.slice('master '.length), { method: 'HEAD' });
    expect(res.status).toBe(200);
    // The control API answers only with the printed secret; without it, 401 in the contract's shape.
    const controlBase = lines[0]!.slice('master '.length).replace(/\/api-data\/.*$/, '/sim');
    const secret = lines.at(-1)!.split(' ')[1]!;
    for (const headers of [{}, { authorization: 'Bearer 00000000000000000000000000000000' }, { authorization: secret }]) {
      const denied = await fetch(`${controlBase}/faults/expire-token`, { method: 'POST', headers, body: JSON.stringify({ clientId: '1100000001' }) });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    }
    expect((await fetch(`${controlBase}/stats`)).status).toBe(401);
    const ok = await fetch(`${controlBase}/stats`, { headers: { authorization: `Bearer ${secret}` } });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    // Another run gets another secret.
    expect(secret).not.toBe(sim0Secret);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
