import * as flatbuffers from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { Chain as FbChain } from '../src/chain/fbs/chain_generated.js';
import { JsonChainEncoder } from '../src/chain/json-chain-encoder.js';
import { Market } from '../src/chain/market.js';
import { SnapshotEncoder } from '../src/chain/snapshot-encoder.js';
import { decodeChainJson, decodeSnapshot } from '../src/client/decode.js';
import { fillRandom } from './chain-encoder.case.js';
import { tableFor, tinySkeleton } from './helpers/tiny-skeleton.js';

describe('SnapshotEncoder', () => {
  it('carries every chain, each equal to its single-chain JSON at its own generation', () => {
    const s = tinySkeleton();
    const m = new Market(s, tableFor(s));
    fillRandom(m, 21);
    const enc = new SnapshotEncoder(1024);
    const json = new JsonChainEncoder();
    const bytes = enc.encode(m, s.chains, 1786000000123);
    const snap = decodeSnapshot(bytes);
    expect(snap.tradingDate).toBe('2026-08-17');
    expect(snap.servedAt).toBe(1786000000123);
    expect(snap.chains.length).toBe(s.chains.length);
    s.chains.forEach((c, i) => {
      expect(snap.chains[i]).toEqual(decodeChainJson(json.encode(m, c, m.table.generation(c.index), 1786000000123).bytes));
    });
    // The identifier tells a snapshot from a chain buffer.
    expect(FbChain.bufferHasIdentifier(new flatbuffers.ByteBuffer(bytes))).toBe(false);
    expect(() => decodeSnapshot(json.encode(m, s.chains[0]!, 0, 1).bytes)).toThrow(/OSNP/);
  });

  it('reuses its builder across builds of different sizes', () => {
    const s = tinySkeleton();
    const m = new Market(s, tableFor(s));
    fillRandom(m, 22);
    const enc = new SnapshotEncoder(256);
    const all = decodeSnapshot(enc.encode(m, s.chains, 1).slice());
    const one = decodeSnapshot(enc.encode(m, [s.chains[3]!], 1).slice());
    const again = decodeSnapshot(enc.encode(m, s.chains, 1).slice());
    expect(one.chains).toEqual([all.chains[3]]);
    expect(again).toEqual(all);
  });
});
