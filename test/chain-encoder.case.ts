/**
 * The shared contract suite every ChainEncoder passes (docs/engineering.md §5.4, hono's
 * `*.case.test.ts` pattern). The reference chain is built here with plain objects from
 * single-field reads, independently of the encoders, and compared byte-for-byte through
 * JSON.stringify (which also pins the contract's key order).
 */
import { describe, expect, it } from 'vitest';
import type { ChainEncoder } from '../src/chain/chain-encoder.js';
import { JsonChainEncoder } from '../src/chain/json-chain-encoder.js';
import { Market } from '../src/chain/market.js';
import type { ChainJson, LegJson } from '../src/client/types.js';
import { decodeChainJson } from '../src/client/decode.js';
import { FIELD_NAMES, type FieldName } from '../src/price-table/layout.js';
import type { Chain, Contract, Skeleton } from '../src/skeleton/types.js';
import { fullQuote, makeSkeleton, tableFor, tinySkeleton, writeTick, type UnderlyingSpec } from './helpers/tiny-skeleton.js';
import { Rng } from '../src/util/random.js';

/** What each encoder test file passes in. */
export interface EncoderUnderTest {
  readonly make: () => ChainEncoder;
  /** Decodes the encoder's bytes into the contract's JSON shape. */
  readonly decode: (bytes: Uint8Array) => ChainJson;
}

/** Uniforms in [0, 1) from the project's seeded PRNG (src/util/random.ts), so a failure reproduces. */
export function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

/** Plain-object reference of docs/contract.md §5's chain JSON, from single-field reads. */
export function referenceChain(market: Market, chain: Chain, generation: number, servedAt: number): ChainJson {
  const t = market.table;
  const field = (slot: number, name: FieldName): number | null => {
    const x = t.readField(slot, FIELD_NAMES.indexOf(name) + 1);
    return Number.isNaN(x) ? null : x;
  };
  const price = (x: number | null): number | null => (x === null ? null : Math.round(x * 100) / 100);
  const int = (x: number | null): number | null => (x === null ? null : Math.round(x));
  const leg = (c: Contract | null): LegJson | null =>
    c === null
      ? null
      : {
          securityId: c.securityId,
          lotSize: c.lotSize,
          ltp: price(field(c.slot, 'ltp')),
          bid: price(field(c.slot, 'bid')),
          ask: price(field(c.slot, 'ask')),
          bidQty: int(field(c.slot, 'bidQty')),
          askQty: int(field(c.slot, 'askQty')),
          volume: int(field(c.slot, 'volume')),
          oi: int(field(c.slot, 'oi')),
          prevClose: price(field(c.slot, 'prevClose')),
          ltt: int(field(c.slot, 'ltt')),
          updatedAt: int(field(c.slot, 'updatedAt')),
        };
  const u = market.skeleton.underlyings[chain.underlyingIndex]!;
  return {
    symbol: chain.symbol,
    exchange: chain.exchange,
    expiry: chain.expiry,
    tags: [...chain.tags],
    tradingDate: market.skeleton.tradingDate,
    generation,
    servedAt,
    spot: u.spot ? { securityId: u.spot.securityId, segment: u.spot.segment, ltp: price(field(u.spot.slot, 'ltp')), updatedAt: int(field(u.spot.slot, 'updatedAt')) } : null,
    rows: chain.rows.map((r) => ({ strike: r.strike, ce: leg(r.ce), pe: leg(r.pe) })),
  };
}

/** Fills every slot with random float32 quotes, leaving ~20% of fields undelivered. */
export function fillRandom(market: Market, seed: number): void {
  const r = rng(seed);
  const { skeleton, table } = market;
  for (let slot = 0; slot < skeleton.slotCount; slot++) {
    if (r() < 0.1) continue; // never ticked at all
    const fields: Partial<Record<FieldName, number>> = {};
    const pick = (name: FieldName, value: number): void => {
      if (r() < 0.8) fields[name] = value;
    };
    const paise = (max: number): number => Math.fround(Math.round(r() * max * 20) / 20);
    pick('ltp', paise(30000));
    pick('bid', paise(30000));
    pick('ask', r() < 0.05 ? 0 : paise(30000)); // a delivered 0 is 0, never null
    pick('bidQty', Math.floor(r() * 1e6));
    pick('askQty', Math.floor(r() * 1e6));
    pick('volume', Math.floor(r() * 5e8));
    pick('oi', Math.floor(r() * 1e8));
    pick('prevClose', paise(30000));
    pick('ltt', 1786000000 + Math.floor(r() * 40000));
    pick('updatedAt', 1786000000000 + Math.floor(r() * 4e7));
    pick('open', paise(100));
    writeTick(table, skeleton, slot, fields);
  }
}

function bigSkeleton(rows: number): Skeleton {
  const spec: UnderlyingSpec = {
    symbol: 'BIG', exchange: 'NSE', kind: 'index', spot: { segment: 'IDX_I', securityId: 99 },
    chains: [{ expiry: '2026-08-18', tags: ['weekly'], rows: Array.from({ length: rows }, (_, i) => ({ strike: 10000 + i * 50, ce: { securityId: 100000 + i, lotSize: 75 }, pe: i % 7 === 3 ? null : { securityId: 200000 + i, lotSize: 75 } })) }],
  };
  return makeSkeleton('2026-08-17', [spec]);
}

const SERVED_AT = 1786000000123;

/** Registers the suite for one encoder. */
export function runChainEncoderSuite(name: string, under: EncoderUnderTest): void {
  describe(`ChainEncoder contract: ${name}`, () => {
    const tiny = (): Market => {
      const s = tinySkeleton();
      return new Market(s, tableFor(s));
    };
    const chainOf = (m: Market, symbol: string, exchange: 'NSE' | 'BSE', expiry: string): Chain =>
      m.skeleton.chains.find((c) => c.symbol === symbol && c.exchange === exchange && c.expiry === expiry)!;

    it('shows never-delivered fields as null, absent sides as null, and a missing spot as null', () => {
      const m = tiny();
      const enc = under.make();
      const monthly = under.decode(enc.encode(m, chainOf(m, 'NIFTY', 'NSE', '2026-08-25'), 0, SERVED_AT).bytes);
      expect(monthly.spot).toEqual({ securityId: 13, segment: 'IDX_I', ltp: null, updatedAt: null });
      expect(monthly.rows.map((r) => r.strike)).toEqual([24000, 24500, 25000]);
      expect(monthly.rows[0]!.pe).toBeNull();
      expect(monthly.rows[2]!.ce).toBeNull();
      expect(monthly.rows[0]!.ce).toEqual({ securityId: 48001, lotSize: 65, ltp: null, bid: null, ask: null, bidQty: null, askQty: null, volume: null, oi: null, prevClose: null, ltt: null, updatedAt: null });
      const nospot = under.decode(enc.encode(m, chainOf(m, 'NOSPOT', 'NSE', '2026-08-25'), 0, SERVED_AT).bytes);
      expect(nospot.spot).toBeNull();
      expect(nospot.rows[0]!.ce!.ltp).toBeNull();
    });

    it('rounds float32 prices to the paise and keeps quantities, volume, OI and times integral', () => {
      const m = tiny();
      const c = chainOf(m, 'NIFTY', 'NSE', '2026-08-18');
      const ce = c.rows[1]!.ce!;
      writeTick(m.table, m.skeleton, ce.slot, {
        ltp: Math.fround(152.3), bid: Math.fround(152.1), ask: Math.fround(152.8), bidQty: 1625, askQty: 1365, volume: 117567970, oi: 3786445,
        prevClose: Math.fround(244.85), ltt: 1786000000, updatedAt: 1786000000099,
      });
      writeTick(m.table, m.skeleton, m.skeleton.underlyings[0]!.spot!.slot, { ltp: Math.fround(24410.5), updatedAt: 1786000000001 });
      expect(Math.fround(152.3)).not.toBe(152.3); // the fixture really carries f32 noise
      const got = under.decode(under.make().encode(m, c, 4711, SERVED_AT).bytes);
      expect(got.rows[1]!.ce).toEqual({ securityId: 47317, lotSize: 65, ltp: 152.3, bid: 152.1, ask: 152.8, bidQty: 1625, askQty: 1365, volume: 117567970, oi: 3786445, prevClose: 244.85, ltt: 1786000000, updatedAt: 1786000000099 });
      expect(got.spot).toEqual({ securityId: 13, segment: 'IDX_I', ltp: 24410.5, updatedAt: 1786000000001 });
      expect(got.generation).toBe(4711);
      expect(got.servedAt).toBe(SERVED_AT);
      expect(got.tradingDate).toBe('2026-08-17');
      expect(got.tags).toEqual(['weekly']);
    });

    it('keeps one-sided and fractional strikes', () => {
      const m = tiny();
      writeTick(m.table, m.skeleton, chainOf(m, 'RELIANCE', 'NSE', '2026-09-29').rows[1]!.ce!.slot, fullQuote(12.35));
      const got = under.decode(under.make().encode(m, chainOf(m, 'RELIANCE', 'NSE', '2026-09-29'), 1, SERVED_AT).bytes);
      expect(got.tags).toEqual(['monthly', 'quarterly']);
      expect(got.rows[1]!.strike).toBe(1452.5);
      expect(got.rows[1]!.pe).toBeNull();
      expect(got.rows[1]!.ce!.ltp).toBe(12.35);
      expect(got.rows[1]!.ce!.bid).toBe(12.15);
    });

    it('matches the plain-object reference exactly (values, nulls and key order) on random tables', () => {
      for (const seed of [1, 2, 3]) {
        const m = tiny();
        fillRandom(m, seed);
        const enc = under.make();
        for (const c of m.skeleton.chains) {
          const g = m.table.generation(c.index);
          const got = under.decode(enc.encode(m, c, g, SERVED_AT + seed).bytes);
          expect(JSON.stringify(got)).toBe(JSON.stringify(referenceChain(m, c, g, SERVED_AT + seed)));
        }
      }
    });

    it('encodes a 2,000-row chain (buffer growth) identically to the reference, twice in a row', () => {
      const s = bigSkeleton(2000);
      const m = new Market(s, tableFor(s));
      fillRandom(m, 42);
      const enc = under.make();
      const c = s.chains[0]!;
      const ref = JSON.stringify(referenceChain(m, c, 7, SERVED_AT));
      expect(JSON.stringify(under.decode(enc.encode(m, c, 7, SERVED_AT).bytes))).toBe(ref);
      expect(JSON.stringify(under.decode(enc.encode(m, c, 7, SERVED_AT).bytes))).toBe(ref);
    });

    it('returns owned bytes: a later encode does not change an earlier body', () => {
      const m = tiny();
      fillRandom(m, 5);
      const enc = under.make();
      const [a, b] = [m.skeleton.chains[0]!, m.skeleton.chains[4]!];
      const first = enc.encode(m, a, 1, SERVED_AT);
      const copy = Uint8Array.from(first.bytes);
      enc.encode(m, b, 2, SERVED_AT);
      expect(first.bytes).toEqual(copy);
    });

    it('writes into the memory of a reused body when it fits, and allocates when it does not', () => {
      const m = tiny();
      fillRandom(m, 6);
      const enc = under.make();
      const [a, b] = [m.skeleton.chains[0]!, m.skeleton.chains[2]!]; // 3 rows, then 1 row
      const first = enc.encode(m, a, 1, SERVED_AT);
      const fresh = Uint8Array.from(enc.encode(m, b, 2, SERVED_AT).bytes);
      const reused = enc.encode(m, b, 2, SERVED_AT, first.bytes);
      expect(reused.bytes.buffer).toBe(first.bytes.buffer);
      expect(reused.bytes).toEqual(fresh);
      expect(JSON.stringify(under.decode(reused.bytes))).toBe(JSON.stringify(referenceChain(m, b, 2, SERVED_AT)));
      const small = enc.encode(m, b, 2, SERVED_AT);
      const grown = enc.encode(m, a, 1, SERVED_AT, small.bytes.subarray(0, 8));
      expect(grown.bytes.buffer).not.toBe(small.bytes.buffer);
      expect(JSON.stringify(under.decode(grown.bytes))).toBe(JSON.stringify(referenceChain(m, a, 1, SERVED_AT)));
    });

    it('decodes to the same object as the JSON encoder for the same chain and generation', () => {
      const m = tiny();
      fillRandom(m, 9);
      const enc = under.make();
      const json = new JsonChainEncoder();
      for (const c of m.skeleton.chains) {
        const g = m.table.generation(c.index);
        expect(under.decode(enc.encode(m, c, g, SERVED_AT).bytes)).toEqual(decodeChainJson(json.encode(m, c, g, SERVED_AT).bytes));
      }
    });

    it('patches servedAt in place and changes nothing else (equal generation ⇒ equal body apart from servedAt)', () => {
      const m = tiny();
      fillRandom(m, 11);
      const enc = under.make();
      const c = m.skeleton.chains[0]!;
      const e = enc.encode(m, c, 3, SERVED_AT);
      const before = under.decode(e.bytes);
      expect(enc.patchServedAt(e, SERVED_AT + 777)).toBe(true);
      expect(e.servedAt).toBe(SERVED_AT + 777);
      const after = under.decode(e.bytes);
      expect(after.servedAt).toBe(SERVED_AT + 777);
      expect({ ...after, servedAt: 0 }).toEqual({ ...before, servedAt: 0 });
      // and the patched body equals a fresh build at the new servedAt
      expect(e.bytes).toEqual(enc.encode(m, c, 3, SERVED_AT + 777).bytes);
    });

    it('shows a tick in the next build and the generation it was labelled with', () => {
      const m = tiny();
      const enc = under.make();
      const c = m.skeleton.chains[0]!;
      const g0 = m.table.generation(c.index);
      writeTick(m.table, m.skeleton, c.rows[0]!.pe!.slot, { ltp: Math.fround(99.95), updatedAt: 1786000000500 });
      const g1 = m.table.generation(c.index);
      expect(g1).toBeGreaterThan(g0);
      const got = under.decode(enc.encode(m, c, g1, SERVED_AT).bytes);
      expect(got.generation).toBe(g1);
      expect(got.rows[0]!.pe!.ltp).toBe(99.95);
      expect(got.rows[0]!.pe!.updatedAt).toBe(1786000000500);
      expect(got.rows[0]!.pe!.bid).toBeNull();
    });
  });
}
