/**
 * All-zero keep-alive headers (docs/dhan-protocol.md §2.5; openalgo PR #912 "tested with live Dhan"
 * and issue #857): the simulator's switch that emits them (option, control API), and the real
 * feed (FeedSupervisor → worker → FeedDecoder) skipping them, counting them in `/metrics` apart
 * from decode errors, and decoding every packet that follows one in the same frame.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { registerFeedMetrics } from '../src/feed/feed-metrics.js';
import { F } from '../src/price-table/layout.js';
import { startSimulator, type SimHandle } from '../src/sim/sim-server.js';
import { simWithSkeleton, testSupervisor, waitFor } from './helpers/feed-harness.js';
import { connectFeed, feedUrl, subMsg, type SimFeedClient } from './helpers/sim-client.js';

const sims: SimHandle[] = [];
const clients: SimFeedClient[] = [];

afterAll(async () => {
  for (const c of clients) await c.close();
  for (const s of sims) await s.close();
});

async function control(sim: SimHandle, name: string, body: unknown): Promise<Response> {
  const base = sim.urls.api.replace(/\/v2$/, '');
  return fetch(`${base}/sim/faults/${name}`, { method: 'POST', headers: { authorization: `Bearer ${sim.controlSecret}` }, body: JSON.stringify(body) });
}

const isZeroHeader = (b: Buffer, at = 0): boolean => b.length >= at + 8 && b.subarray(at, at + 8).every((x) => x === 0);

describe('simulator keep-alive switch', () => {
  it('sends all-zero 8-byte frames at the configured rate, stacks them ahead of packets when stacked, and is switched over the control API', async () => {
    const sim = await startSimulator({ tradingDate: '2026-08-17', seed: 11, roundMs: 20, keepAlivesPerSecond: 200 });
    sims.push(sim);
    const c = connectFeed(feedUrl(sim.urls.feed, sim.accounts[0]!));
    clients.push(c);
    await c.opened;
    c.send(subMsg(15, [{ seg: 'IDX_I', id: '13' }]));
    const zeroFrames = (): Buffer[] => c.frames.filter((f) => f.length === 8 && isZeroHeader(f));
    await c.waitFor(() => zeroFrames().length >= 20, 5000, '20 keep-alive frames');
    // Not stacked: each keep-alive is a frame of its own, never glued to a packet.
    expect(c.frames.filter((f) => f.length > 8 && isZeroHeader(f))).toEqual([]);
    expect(c.packets.filter((p) => p.type === 'keepAlive').length).toBe(zeroFrames().length);
    expect(c.rest).toBe(0);
    expect(sim.stats().feed.keepAlives).toBeGreaterThanOrEqual(20);

    // Stacked: keep-alives share frames with the packets after them (what openalgo saw break).
    let res = await control(sim, 'stacked', { on: true });
    expect(res.status).toBe(200);
    const from = c.frames.length;
    await c.waitFor(() => c.frames.slice(from).some((f) => f.length > 8 && isZeroHeader(f) && !isZeroHeader(f, f.length - 8)), 5000, 'a stacked frame with a keep-alive ahead of a packet');
    expect(c.rest).toBe(0);

    // Off over the control API: no more keep-alives.
    res = await control(sim, 'keep-alives', { perSecond: 0 });
    expect(await res.json()).toEqual({ perSecond: 0 });
    await new Promise((r) => setTimeout(r, 100));
    const sent = sim.stats().feed.keepAlives;
    await new Promise((r) => setTimeout(r, 300));
    expect(sim.stats().feed.keepAlives).toBe(sent);

    // Bad values are refused and change nothing.
    for (const perSecond of [-1, 'many', 1e9]) {
      res = await control(sim, 'keep-alives', { perSecond });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/keep-alives per second/);
    }
    expect(sim.faults.setKeepAlives.bind(sim.faults, 50)).not.toThrow();
    expect(() => sim.faults.setKeepAlives(Number.NaN)).toThrow(/keep-alives per second/);
  });

  it('refuses a bad rate at start with a typed error', async () => {
    await expect(startSimulator({ tradingDate: '2026-08-17', keepAlivesPerSecond: -5 })).rejects.toMatchObject({ code: 'SIM_OPTION_INVALID' });
  });
});

describe('the feed against a simulator that sends keep-alives', () => {
  it('skips them, counts them in /metrics and not in decodeErrors, and loses no packet behind them', async () => {
    const { sim, skeleton } = await simWithSkeleton({ stocks: 2, stacked: true, keepAlivesPerSecond: 400, roundMs: 20 });
    sims.push(sim);
    const { sup, table } = testSupervisor(sim, skeleton);
    try {
      await sup.start();
      await waitFor(async () => {
        await sup.refresh();
        const s = sup.status();
        return s.withData === skeleton.tokens.length && s.keepAlives > 200;
      }, 30_000, () => `withData ${sup.status().withData}/${skeleton.tokens.length}, keepAlives ${sup.status().keepAlives}`);
      const st = sup.status();
      expect(st.decodeErrors).toBe(0);
      expect(st.errors.badLength).toBe(0);
      expect(st.byCode['0']).toBeUndefined();
      // The NIFTY spot is fed by code-2 packets on IDX_I (docs/dhan-protocol.md §2.6), not code 1.
      expect(st.byCode['2']).toBeGreaterThan(0);
      expect(st.byCode['1']).toBeUndefined();
      expect(table.readField(skeleton.underlyings[0]!.spot!.slot, F.LTP)).toBeGreaterThan(1000);

      const registry = new Registry();
      registerFeedMetrics(registry, () => sup.status());
      const text = await registry.metrics();
      const line = text.split('\n').find((l) => l.startsWith('optchain_feed_keepalive_headers_total '));
      expect(Number(line?.split(' ')[1])).toBeGreaterThan(200);
      expect(text).not.toMatch(/optchain_feed_decode_errors_total\{kind="badLength"\} [1-9]/);
    } finally {
      await sup.stop();
    }
  }, 60_000);
});
