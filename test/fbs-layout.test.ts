import * as flatbuffers from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { Chain as FbChain, Leg, Row } from '../src/chain/fbs/chain_generated.js';
import { FlatbuffersChainEncoder } from '../src/chain/flatbuffers-chain-encoder.js';
import { FLAG_LISTED } from '../src/chain/flatbuffers-chain-writer.js';
import { Market } from '../src/chain/market.js';
import { fillRandom } from './chain-encoder.case.js';
import { tableFor, tinySkeleton, writeTick } from './helpers/tiny-skeleton.js';

describe('FlatBuffers chain layout', () => {
  it('fills row structs in bulk byte-for-byte like the generated createRow path', () => {
    const s = tinySkeleton();
    const m = new Market(s, tableFor(s));
    fillRandom(m, 3);
    const bulk = new FlatbuffersChainEncoder();
    const generic = new FlatbuffersChainEncoder({ bulkRows: false });
    for (const c of s.chains) {
      const g = m.table.generation(c.index);
      expect(bulk.encode(m, c, g, 1786000000123).bytes).toEqual(generic.encode(m, c, g, 1786000000123).bytes);
    }
  });

  it('marks listed sides with FLAG_LISTED and delivered fields in the mask, NaN elsewhere', () => {
    const s = tinySkeleton();
    const m = new Market(s, tableFor(s));
    const chain = s.chains[1]!; // NIFTY monthly: 24000 CE only, 24500 both, 25000 PE only
    writeTick(m.table, s, chain.rows[0]!.ce!.slot, { ltp: Math.fround(10.05), volume: 0, updatedAt: 1786000000000 });
    const bytes = new FlatbuffersChainEncoder().encode(m, chain, 1, 1786000000123).bytes;
    const bb = new flatbuffers.ByteBuffer(bytes);
    expect(FbChain.bufferHasIdentifier(bb)).toBe(true);
    const fb = FbChain.getRootAsChain(bb);
    expect(fb.rowsLength()).toBe(3);
    const row = fb.rows(0, new Row())!;
    const ce = row.ce(new Leg())!;
    const pe = row.pe(new Leg())!;
    expect(ce.flags()).toBe(FLAG_LISTED);
    expect(ce.delivered()).toBe((1 << 0) | (1 << 5) | (1 << 9)); // ltp, volume, updated_at
    expect(ce.ltp()).toBe(10.05);
    expect(ce.volume()).toBe(0);
    expect(ce.bid()).toBeNaN();
    expect(pe.flags() & FLAG_LISTED).toBe(0); // absent from the skeleton …
    const listedNoTicks = fb.rows(1, new Row())!.pe(new Leg())!;
    expect(listedNoTicks.flags()).toBe(FLAG_LISTED); // … versus listed, never ticked
    expect(listedNoTicks.delivered()).toBe(0);
    expect(listedNoTicks.ltp()).toBeNaN();
    expect(fb.spot()!.delivered()).toBe(0);
    expect(fb.spotSegment()).toBe('IDX_I');
  });
});
