/**
 * The JSON encoder's leg cache (rendered leg bytes keyed by slot version) must never show a
 * stale leg: after a tick, with a second table on the same skeleton, or when a read overlaps
 * a write in progress.
 */
import { describe, expect, it } from 'vitest';
import { JsonChainEncoder } from '../src/chain/json-chain-encoder.js';
import { Market } from '../src/chain/market.js';
import { referenceChain, fillRandom, rng } from './chain-encoder.case.js';
import { fullQuote, tableFor, tinySkeleton, writeTick } from './helpers/tiny-skeleton.js';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('JSON leg cache', () => {
  it('re-renders exactly the legs that ticked, over many rounds of random ticks', () => {
    const s = tinySkeleton();
    const m = new Market(s, tableFor(s));
    fillRandom(m, 1);
    const cached = new JsonChainEncoder();
    const plain = new JsonChainEncoder({ legCache: false });
    const r = rng(99);
    for (let round = 0; round < 200; round++) {
      const slot = Math.floor(r() * s.slotCount);
      writeTick(m.table, s, slot, r() < 0.5 ? fullQuote(1 + Math.floor(r() * 10000) / 20) : { volume: Math.floor(r() * 1e6) });
      for (const c of s.chains) {
        const g = m.table.generation(c.index);
        const a = text(cached.encode(m, c, g, 1786000000000 + round).bytes);
        expect(a).toBe(text(plain.encode(m, c, g, 1786000000000 + round).bytes));
        expect(a).toBe(JSON.stringify(referenceChain(m, c, g, 1786000000000 + round)));
      }
    }
  });

  it('does not carry legs over to another table of the same skeleton', () => {
    const s = tinySkeleton();
    const [t1, t2] = [tableFor(s), tableFor(s)];
    const c = s.chains[0]!;
    const slot = c.rows[0]!.ce!.slot;
    writeTick(t1, s, slot, { ltp: 11 }); // version 2 in both tables,
    writeTick(t2, s, slot, { ltp: 22 }); // different data
    const enc = new JsonChainEncoder();
    const a = JSON.parse(text(enc.encode(new Market(s, t1), c, 1, 1786000000000).bytes)) as { rows: { ce: { ltp: number } }[] };
    const b = JSON.parse(text(enc.encode(new Market(s, t2), c, 1, 1786000000000).bytes)) as { rows: { ce: { ltp: number } }[] };
    expect([a.rows[0]!.ce.ltp, b.rows[0]!.ce.ltp]).toEqual([11, 22]);
  });

  it('does not cache a leg read while a write was in progress', () => {
    const s = tinySkeleton();
    const m = new Market(s, tableFor(s));
    const c = s.chains[0]!;
    const slot = c.rows[0]!.ce!.slot;
    writeTick(m.table, s, slot, { ltp: 5 });
    const enc = new JsonChainEncoder();
    enc.encode(m, c, 1, 1786000000000);
    // A writer stalls mid-write (odd version): the reader gives up after its retries and the
    // leg it printed must not be remembered under any version.
    m.table.beginWrite(slot);
    m.table.f64[slot * 16 + 1] = 6;
    enc.encode(m, c, 1, 1786000000000);
    m.table.f64[slot * 16 + 1] = 7;
    m.table.endWrite(slot);
    const after = JSON.parse(text(enc.encode(m, c, 2, 1786000000000).bytes)) as { rows: { ce: { ltp: number } }[] };
    expect(after.rows[0]!.ce.ltp).toBe(7);
  });
});
