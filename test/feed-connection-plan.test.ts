import { describe, expect, it } from 'vitest';
import { modeFor, planConnections, subscribeMessagesFor, MAX_CONNECTIONS_PER_ACCOUNT } from '../src/feed/connection-plan.js';
import { parseFeedRequest } from '../src/dhan/subscribe-message.js';
import type { SlotToken } from '../src/skeleton/types.js';

/** A skeleton-like token list: `indices` index underlyings (spot + options), then stocks. */
function tokens(opts: { indices: number; indexOptions: number; stocks: number; stockOptions: number }): SlotToken[] {
  const out: SlotToken[] = [];
  let fno = 40_000;
  let u = 0;
  const add = (segment: SlotToken['segment'], securityId: number, kind: SlotToken['kind']): void => {
    out.push({ slot: out.length, segment, securityId, kind, underlyingIndex: u });
  };
  for (let i = 0; i < opts.indices; i++, u++) {
    add('IDX_I', 13 + i, 'spot');
    for (let k = 0; k < opts.indexOptions; k++) add(i === 2 ? 'BSE_FNO' : 'NSE_FNO', fno++, 'option');
  }
  for (let s = 0; s < opts.stocks; s++, u++) {
    add(s % 7 === 6 ? 'BSE_EQ' : 'NSE_EQ', 1000 + s, 'spot');
    for (let k = 0; k < opts.stockOptions; k++) add(s % 7 === 6 ? 'BSE_FNO' : 'NSE_FNO', fno++, 'option');
  }
  return out;
}

const key = (t: { segment: string; securityId: number }): string => `${t.segment}:${t.securityId}`;

describe('connection planning', () => {
  it('subscribes every token exactly once within 5 connections × 5000 per account', () => {
    const all = tokens({ indices: 3, indexOptions: 1000, stocks: 208, stockOptions: 145 }); // 33,371 tokens
    expect(all.length).toBeGreaterThan(33_000);
    const plan = planConnections(all, ['1100000001', '1100000002']);
    expect(plan.unsubscribed).toBe(0);
    expect(plan.subscribed).toBe(all.length);
    const seen = new Map<string, number>();
    for (const c of plan.connections) {
      expect(c.instruments.length).toBeLessThanOrEqual(5000);
      expect(c.instruments.length).toBeGreaterThan(0);
      for (const i of c.instruments) seen.set(key(i), (seen.get(key(i)) ?? 0) + 1);
    }
    expect(seen.size).toBe(all.length);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    for (const t of all) expect(seen.has(key(t))).toBe(true);
    // No connection is wasted: ceil(33,371 / 5000) = 7.
    expect(plan.connections.length).toBe(Math.ceil(all.length / 5000));
    const perAccount = new Map<string, number[]>();
    for (const c of plan.connections) perAccount.set(c.account, [...(perAccount.get(c.account) ?? []), c.index]);
    for (const idx of perAccount.values()) {
      expect(idx.length).toBeLessThanOrEqual(MAX_CONNECTIONS_PER_ACCOUNT);
      expect(new Set(idx).size).toBe(idx.length);
      expect(Math.max(...idx)).toBeLessThan(MAX_CONNECTIONS_PER_ACCOUNT);
    }
  });

  it('when capacity is short, takes what fits in slot order (indices first) and reports the rest', () => {
    const all = tokens({ indices: 3, indexOptions: 1000, stocks: 208, stockOptions: 145 });
    const plan = planConnections(all, ['1100000001']);
    expect(plan.capacity).toBe(25_000);
    expect(plan.subscribed).toBe(25_000);
    expect(plan.unsubscribed).toBe(all.length - 25_000);
    expect(plan.connections.length).toBe(5);
    expect(plan.connections.every((c) => c.instruments.length === 5000)).toBe(true);
    // The subscribed set is exactly the first 25,000 slots: the three index spots and all index options among them.
    const subscribedSlots = plan.connections.flatMap((c) => c.instruments.map((i) => i.slot)).sort((a, b) => a - b);
    expect(subscribedSlots[0]).toBe(0);
    expect(subscribedSlots.at(-1)).toBe(24_999);
    expect(plan.unsubscribedSlots[0]).toBe(25_000);
    expect(plan.unsubscribedSlots.length).toBe(plan.unsubscribed);
    for (const t of all.filter((t) => t.segment === 'IDX_I')) expect(subscribedSlots).toContain(t.slot);
    // Connection 0 carries the indices.
    expect(plan.connections[0]!.instruments[0]!.segment).toBe('IDX_I');
  });

  it('with no account, everything is reported unsubscribed and no connection is planned', () => {
    const all = tokens({ indices: 1, indexOptions: 10, stocks: 1, stockOptions: 10 });
    const plan = planConnections(all, []);
    expect(plan.connections).toHaveLength(0);
    expect(plan.unsubscribed).toBe(all.length);
    expect(plan.workers).toBe(0);
  });

  it('merges duplicate client ids (Dhan counts sockets per client id)', () => {
    const all = tokens({ indices: 3, indexOptions: 1000, stocks: 208, stockOptions: 145 });
    const plan = planConnections(all, ['A', 'A']);
    expect(plan.accounts).toEqual(['A']);
    expect(plan.capacity).toBe(25_000);
    expect(plan.connections.length).toBe(5);
  });

  it('spreads connections over accounts and partitions them over workers', () => {
    const all = tokens({ indices: 3, indexOptions: 100, stocks: 20, stockOptions: 100 }); // 2,323 tokens, capacity 3,000
    const plan = planConnections(all, ['A', 'B', 'C'], 2, { instrumentsPerConnection: 500, connectionsPerAccount: 2 });
    expect(plan.connections.length).toBe(Math.ceil(all.length / 500));
    expect(plan.connections.length).toBeLessThanOrEqual(6);
    expect(plan.workers).toBe(2);
    const workers = new Set(plan.connections.map((c) => c.worker));
    expect(workers).toEqual(new Set([0, 1]));
    const sizes = plan.connections.map((c) => c.instruments.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (const a of ['A', 'B', 'C']) expect(plan.connections.filter((c) => c.account === a).length).toBeLessThanOrEqual(2);
    // Each slot belongs to exactly one worker: one writer per slot.
    const owner = new Map<number, number>();
    for (const c of plan.connections) for (const i of c.instruments) {
      expect(owner.has(i.slot)).toBe(false);
      owner.set(i.slot, c.worker);
    }
  });

  it('never plans more workers than connections', () => {
    const all = tokens({ indices: 1, indexOptions: 10, stocks: 0, stockOptions: 0 });
    expect(planConnections(all, ['A'], 4).workers).toBe(1);
  });

  it('drops a token listed twice instead of subscribing it twice', () => {
    const all = tokens({ indices: 1, indexOptions: 3, stocks: 0, stockOptions: 0 });
    const dup = [...all, { ...all[2]!, slot: all.length }];
    const plan = planConnections(dup, ['A']);
    expect(plan.subscribed).toBe(all.length);
  });

  it('uses Full for options, Ticker for index spots, Quote for equity spots', () => {
    expect(modeFor({ kind: 'option', segment: 'NSE_FNO' })).toBe('full');
    expect(modeFor({ kind: 'option', segment: 'BSE_FNO' })).toBe('full');
    expect(modeFor({ kind: 'spot', segment: 'IDX_I' })).toBe('ticker');
    expect(modeFor({ kind: 'spot', segment: 'NSE_EQ' })).toBe('quote');
    expect(modeFor({ kind: 'spot', segment: 'BSE_EQ' })).toBe('quote');
  });

  it('builds ≤100-instrument, single-mode subscribe messages that a strict server accepts, covering the shard once', () => {
    const all = tokens({ indices: 3, indexOptions: 250, stocks: 40, stockOptions: 100 });
    const plan = planConnections(all, ['A']);
    for (const c of plan.connections) {
      const msgs = subscribeMessagesFor(c.instruments);
      const got: string[] = [];
      for (const m of msgs) {
        const r = parseFeedRequest(m);
        expect(r.ok).toBe(true);
        if (!r.ok || r.kind !== 'subscription') throw new Error('not a subscription');
        expect(r.subscribe).toBe(true);
        expect(r.instruments.length).toBeLessThanOrEqual(100);
        for (const i of r.instruments) {
          const want = c.instruments.find((x) => x.segment === i.segment && x.securityId === i.securityId)!;
          expect(r.mode).toBe(want.mode);
          got.push(key(i));
        }
      }
      expect(got.length).toBe(c.instruments.length);
      expect(new Set(got).size).toBe(got.length);
      expect(msgs.length).toBe(['ticker', 'quote', 'full'].reduce((n, m) => n + Math.ceil(c.instruments.filter((i) => i.mode === m).length / 100), 0));
    }
  });
});
