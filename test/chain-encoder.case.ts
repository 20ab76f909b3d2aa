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
import type { ChainAnalyticsJson, ChainJson, IvNullReason, LegJson } from '../src/client/types.js';
import { decodeChainJson } from '../src/client/decode.js';
import { AC, AL, CHAIN_HEAD_WORDS, LEG_WORDS } from '../src/price-table/analytics-layout.js';
import { AnalyticsTable } from '../src/price-table/analytics-table.js';
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

const REASONS: readonly IvNullReason[] = ['pending', 'noPrice', 'belowIntrinsic', 'aboveUpperBound', 'expired', 'noForward', 'noTimeValue'];
const FROM = [null, 'mid', 'ltp'] as const;
const SOURCES = [null, 'parity', 'spot'] as const;

/** Plain-object reference of docs/contract.md §5's chain JSON, from single-field reads (analytics: raw reads of a quiet table). */
export function referenceChain(market: Market, chain: Chain, generation: number, servedAt: number): ChainJson {
  const t = market.table;
  const a = market.analytics;
  const block = a === null ? 0 : a.blockStart(chain.index);
  const raw = (x: number): number | null => (Number.isNaN(x) ? null : x);
  const sig = (x: number, digits = 6): number | null => (Number.isNaN(x) ? null : Number(x.toPrecision(digits)));
  const fixed3 = (x: number): number | null => (Number.isNaN(x) ? null : Number(x.toFixed(3)));
  const legAnalytics = (i: number): Pick<LegJson, 'iv' | 'delta' | 'gamma' | 'theta' | 'vega' | 'ivPrice' | 'ivFrom' | 'ivNullReason'> => {
    if (a === null) return { iv: null, delta: null, gamma: null, theta: null, vega: null, ivPrice: null, ivFrom: null, ivNullReason: 'off' };
    const w = block + CHAIN_HEAD_WORDS + i * LEG_WORDS;
    const code = a.f64[w + AL.CODE]!;
    return {
      iv: sig(a.f64[w + AL.IV]!), delta: sig(a.f64[w + AL.DELTA]!), gamma: sig(a.f64[w + AL.GAMMA]!), theta: sig(a.f64[w + AL.THETA]!), vega: sig(a.f64[w + AL.VEGA]!),
      ivPrice: fixed3(a.f64[w + AL.PRICE]!),
      ivFrom: code > 0 ? FROM[code]! : null,
      ivNullReason: code > 0 ? null : REASONS[-code]!,
    };
  };
  const chainAnalytics = (): ChainAnalyticsJson | null => {
    if (a === null) return null;
    const f = (k: number): number => a.f64[block + k]!;
    const int = (k: number): number | null => raw(Math.round(f(k)));
    const price2 = (k: number): number | null => raw(Math.round(f(k) * 100) / 100);
    return {
      generation: a.generation(chain.index), priceGeneration: int(AC.PRICE_GENERATION), computedAt: int(AC.COMPUTED_AT), asOf: int(AC.AS_OF),
      yearsToExpiry: sig(f(AC.T), 10), forward: fixed3(f(AC.FORWARD)), forwardSource: SOURCES[f(AC.FORWARD_SOURCE)]!, parityPairs: int(AC.PARITY_PAIRS),
      atmStrike: price2(AC.ATM_STRIKE), atmIv: sig(f(AC.ATM_IV)), pcrOi: sig(f(AC.PCR_OI)), pcrVolume: sig(f(AC.PCR_VOLUME)), maxPain: price2(AC.MAX_PAIN),
      ceOi: int(AC.CE_OI), peOi: int(AC.PE_OI), ceOiChange: int(AC.CE_OI_CHANGE), peOiChange: int(AC.PE_OI_CHANGE),
    };
  };
  const field = (slot: number, name: FieldName): number | null => {
    const x = t.readField(slot, FIELD_NAMES.indexOf(name) + 1);
    return Number.isNaN(x) ? null : x;
  };
  const price = (x: number | null): number | null => (x === null ? null : Math.round(x * 100) / 100);
  const int = (x: number | null): number | null => (x === null ? null : Math.round(x));
  const oiChange = (slot: number): number | null => {
    const oi = field(slot, 'oi');
    const prev = field(slot, 'prevOi');
    return oi === null || prev === null ? null : Math.round(oi - prev);
  };
  const leg = (c: Contract | null, i: number): LegJson | null =>
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
          oiChange: oiChange(c.slot),
          ...legAnalytics(i),
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
    analytics: chainAnalytics(),
    rows: chain.rows.map((r, i) => ({ strike: r.strike, ce: leg(r.ce, 2 * i), pe: leg(r.pe, 2 * i + 1) })),
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
    pick('prevOi', Math.floor(r() * 1e8));
    writeTick(table, skeleton, slot, fields);
  }
}

/** A random value spanning many magnitudes and both signs (Greeks run from 1e-9 to 1e4). */
function wide(r: () => number): number {
  return (r() < 0.5 ? -1 : 1) * r() * 10 ** Math.floor(r() * 14 - 9);
}

/**
 * A market with an analytics table whose every chain was published once with random values
 * (as the analytics worker would: through writeChain), ~15% NaN, every code and forward source.
 */
export function withRandomAnalytics(market: Market, seed: number): Market {
  const r = rng(seed);
  const a = AnalyticsTable.allocate(market.skeleton.chains.map((c) => c.rows.length));
  for (const c of market.skeleton.chains) {
    const copy = new Float64Array(a.copyWords(c.index));
    const v = (x: number): number => (r() < 0.15 ? Number.NaN : x);
    copy[AC.FORWARD - 1] = v(20000 + r() * 5000);
    copy[AC.FORWARD_SOURCE - 1] = Math.floor(r() * 3);
    copy[AC.T - 1] = v(r() * 2);
    copy[AC.ATM_STRIKE - 1] = v(24000 + 50 * Math.floor(r() * 20));
    copy[AC.ATM_IV - 1] = v(5 + r() * 60);
    copy[AC.PCR_OI - 1] = v(r() * 3);
    copy[AC.PCR_VOLUME - 1] = v(r() * 3);
    copy[AC.MAX_PAIN - 1] = v(24000 + 50 * Math.floor(r() * 20));
    copy[AC.CE_OI - 1] = v(Math.floor(r() * 1e9));
    copy[AC.PE_OI - 1] = v(Math.floor(r() * 1e9));
    copy[AC.CE_OI_CHANGE - 1] = v(Math.floor((r() - 0.5) * 1e7));
    copy[AC.PE_OI_CHANGE - 1] = v(Math.floor((r() - 0.5) * 1e7));
    copy[AC.PARITY_PAIRS - 1] = Math.floor(r() * 8);
    copy[AC.PRICE_GENERATION - 1] = Math.floor(r() * 1e6);
    copy[AC.COMPUTED_AT - 1] = 1786000000000 + Math.floor(r() * 1e7);
    copy[AC.AS_OF - 1] = 1786000000000 + Math.floor(r() * 1e7);
    for (let i = 0; i < 2 * c.rows.length; i++) {
      const o = CHAIN_HEAD_WORDS - 1 + i * LEG_WORDS;
      const code = Math.floor(r() * 9) - 6; // -6 … 2
      const solved = code > 0;
      copy[o + AL.IV] = solved ? 1 + r() * 299 : Number.NaN;
      copy[o + AL.DELTA] = solved ? (r() - 0.5) * 2 : Number.NaN;
      copy[o + AL.GAMMA] = solved ? Math.abs(wide(r)) : Number.NaN;
      copy[o + AL.THETA] = solved ? wide(r) : Number.NaN;
      copy[o + AL.VEGA] = solved ? Math.abs(wide(r)) : Number.NaN;
      copy[o + AL.PRICE] = solved || r() < 0.3 ? Math.round(r() * 600000) / 20 + (r() < 0.5 ? 0.025 : 0) : Number.NaN;
      copy[o + AL.CODE] = code;
    }
    a.writeChain(c.index, copy);
  }
  return new Market(market.skeleton, market.table, market.index, a);
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
      expect(monthly.rows[0]!.ce).toEqual({
        securityId: 48001, lotSize: 65, ltp: null, bid: null, ask: null, bidQty: null, askQty: null, volume: null, oi: null, prevClose: null, ltt: null, updatedAt: null,
        oiChange: null, iv: null, delta: null, gamma: null, theta: null, vega: null, ivPrice: null, ivFrom: null, ivNullReason: 'off',
      });
      expect(monthly.analytics).toBeNull();
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
      expect(got.rows[1]!.ce).toMatchObject({ securityId: 47317, lotSize: 65, ltp: 152.3, bid: 152.1, ask: 152.8, bidQty: 1625, askQty: 1365, volume: 117567970, oi: 3786445, prevClose: 244.85, ltt: 1786000000, updatedAt: 1786000000099, oiChange: null });
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

    it('matches the reference with an analytics table: every code, NaN, tiny and huge Greeks, oiChange', () => {
      for (const seed of [21, 22, 23]) {
        const base = tiny();
        fillRandom(base, seed);
        const m = withRandomAnalytics(base, seed);
        const enc = under.make();
        for (const c of m.skeleton.chains) {
          const g = m.generation(c.index);
          const got = under.decode(enc.encode(m, c, g, SERVED_AT).bytes);
          expect(JSON.stringify(got)).toBe(JSON.stringify(referenceChain(m, c, g, SERVED_AT)));
          // and again: the second build goes through the leg and analytics caches
          expect(JSON.stringify(under.decode(enc.encode(m, c, g, SERVED_AT).bytes))).toBe(JSON.stringify(referenceChain(m, c, g, SERVED_AT)));
        }
      }
    });

    it('a price tick on an unchanged analytics block: the new oiChange, the cached Greeks', () => {
      const base = tiny();
      fillRandom(base, 41);
      const m = withRandomAnalytics(base, 41);
      const c = m.skeleton.chains[0]!;
      const enc = under.make();
      enc.encode(m, c, m.generation(c.index), SERVED_AT);
      writeTick(m.table, m.skeleton, c.rows[0]!.ce!.slot, { oi: 5_000_000, prevOi: 4_000_000 });
      writeTick(m.table, m.skeleton, c.rows[1]!.pe!.slot, { oi: Number.NaN });
      const g = m.generation(c.index);
      const got = under.decode(enc.encode(m, c, g, SERVED_AT).bytes);
      expect(got.rows[0]!.ce!.oiChange).toBe(1_000_000);
      expect(got.rows[1]!.pe!.oiChange).toBeNull();
      expect(JSON.stringify(got)).toBe(JSON.stringify(referenceChain(m, c, g, SERVED_AT)));
    });

    it('shows a republished chain analytics in the next build (caches keyed by the block version)', () => {
      const base = tiny();
      fillRandom(base, 31);
      const m = withRandomAnalytics(base, 31);
      const a = m.analytics!;
      const c = m.skeleton.chains[0]!;
      const enc = under.make();
      const g0 = m.generation(c.index);
      enc.encode(m, c, g0, SERVED_AT);
      const copy = new Float64Array(a.copyWords(c.index));
      a.readChain(c.index, copy);
      copy[CHAIN_HEAD_WORDS - 1 + AL.IV] = 12.3456789;
      copy[CHAIN_HEAD_WORDS - 1 + AL.CODE] = 1;
      copy[AC.ATM_IV - 1] = 17.25;
      a.writeChain(c.index, copy);
      const g1 = m.generation(c.index);
      expect(g1).toBe(g0 + 1);
      const got = under.decode(enc.encode(m, c, g1, SERVED_AT).bytes);
      expect(got.rows[0]!.ce!.iv).toBe(12.3457);
      expect(got.rows[0]!.ce!.ivFrom).toBe('mid');
      expect(got.analytics!.atmIv).toBe(17.25);
      expect(got.analytics!.generation).toBe(2);
      expect(JSON.stringify(got)).toBe(JSON.stringify(referenceChain(m, c, g1, SERVED_AT)));
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
