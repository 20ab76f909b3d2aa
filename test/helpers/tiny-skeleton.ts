/**
 * Hand-built skeleton fixtures for fast unit tests of everything downstream of the skeleton
 * (chains, encoders, HTTP). Slot order follows src/skeleton/build-skeleton.ts: per underlying
 * its spot, then its chains by expiry, rows by strike, CE before PE. `chainsOfSlot` maps an
 * option slot to its chain and a spot slot to all its underlying's chains. Deep-frozen.
 */
import { createHash } from 'node:crypto';
import type { Segment } from '../../src/dhan/segments.js';
import { FIELD_NAMES, SLOT_WORDS, type FieldName } from '../../src/price-table/layout.js';
import { PriceTable } from '../../src/price-table/price-table.js';
import type { Chain, ChainRow, Contract, Exchange, ExpiryTag, Skeleton, SlotToken, Spot, Underlying } from '../../src/skeleton/types.js';

/** One side of a strike in a spec. */
export interface LegSpec {
  securityId: number;
  lotSize: number;
}

/** A chain in a spec; rows in any order (sorted by strike here). */
export interface ChainSpec {
  expiry: string;
  tags: ExpiryTag[];
  rows: { strike: number; ce?: LegSpec | null; pe?: LegSpec | null }[];
}

/** An underlying in a spec, given in skeleton order. */
export interface UnderlyingSpec {
  symbol: string;
  exchange: Exchange;
  kind: 'index' | 'stock';
  spot: { segment: Segment; securityId: number } | null;
  chains: ChainSpec[];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as Record<string, unknown>)) deepFreeze(x);
  }
  return v;
}

/** Builds a frozen skeleton from specs (underlyings kept in the given order). */
export function makeSkeleton(tradingDate: string, specs: readonly UnderlyingSpec[]): Skeleton {
  const tokens: SlotToken[] = [];
  const chainsOfSlot: number[][] = [];
  const underlyings: Underlying[] = [];
  const chains: Chain[] = [];
  let contracts = 0;
  let spots = 0;
  const add = (segment: Segment, securityId: number, kind: 'option' | 'spot', underlyingIndex: number): number => {
    const slot = tokens.length;
    tokens.push({ slot, segment, securityId, kind, underlyingIndex });
    chainsOfSlot.push([]);
    return slot;
  };
  for (const spec of specs) {
    const underlyingIndex = underlyings.length;
    const optionSegment = spec.exchange === 'NSE' ? 'NSE_FNO' : 'BSE_FNO';
    let spot: Spot | null = null;
    if (spec.spot) {
      spot = { ...spec.spot, slot: add(spec.spot.segment, spec.spot.securityId, 'spot', underlyingIndex) };
      spots++;
    }
    const own: Chain[] = [];
    for (const cs of [...spec.chains].sort((a, b) => a.expiry.localeCompare(b.expiry))) {
      const chainIndex = chains.length + own.length;
      const rows: ChainRow[] = [];
      let n = 0;
      for (const rs of [...cs.rows].sort((a, b) => a.strike - b.strike)) {
        const mk = (side: 'CE' | 'PE', l: LegSpec | null | undefined): Contract | null => {
          if (!l) return null;
          n++;
          const mon = MONTHS[Number(cs.expiry.slice(5, 7)) - 1];
          return {
            slot: add(optionSegment, l.securityId, 'option', underlyingIndex),
            segment: optionSegment,
            securityId: l.securityId,
            tradingSymbol: `${spec.symbol}-${mon}${cs.expiry.slice(0, 4)}-${rs.strike}-${side}`,
            displayName: `${spec.symbol} ${cs.expiry} ${rs.strike} ${side === 'CE' ? 'CALL' : 'PUT'}`,
            side,
            strike: rs.strike,
            expiry: cs.expiry,
            lotSize: l.lotSize,
            tickSize: 0.05,
            freezeQty: 0,
            upperLimit: 0,
            lowerLimit: 0,
            chainIndex,
            underlyingIndex,
          };
        };
        const ce = mk('CE', rs.ce);
        const pe = mk('PE', rs.pe);
        rows.push({ strike: rs.strike, ce, pe });
        if (ce) chainsOfSlot[ce.slot]!.push(chainIndex);
        if (pe) chainsOfSlot[pe.slot]!.push(chainIndex);
      }
      own.push({ index: chainIndex, underlyingIndex, symbol: spec.symbol, exchange: spec.exchange, expiry: cs.expiry, tags: [...cs.tags], rows, contracts: n });
      contracts += n;
      if (spot) chainsOfSlot[spot.slot]!.push(chainIndex);
    }
    chains.push(...own);
    underlyings.push({ index: underlyingIndex, symbol: spec.symbol, exchange: spec.exchange, kind: spec.kind, optionSegment, spot, chains: own });
  }
  const fingerprint = createHash('sha256').update(JSON.stringify({ tradingDate, specs })).digest('hex');
  return deepFreeze({
    tradingDate,
    underlyings,
    chains,
    tokens,
    slotCount: tokens.length,
    totals: { underlyings: underlyings.length, chains: chains.length, contracts, spots },
    chainsOfSlot,
    fingerprint,
    warnings: [],
  });
}

const both = (ce: number, pe: number, lotSize: number): { ce: LegSpec; pe: LegSpec } => ({ ce: { securityId: ce, lotSize }, pe: { securityId: pe, lotSize } });

/**
 * The tiny fixture: NIFTY (index; a weekly and a monthly chain, the monthly with a CE-only
 * and a PE-only strike), NOSPOT (a stock whose spot row is missing), RELIANCE on NSE (a
 * fractional one-sided strike in a quarterly chain) and RELIANCE on BSE.
 */
export const TINY_SPECS: readonly UnderlyingSpec[] = [
  {
    symbol: 'NIFTY', exchange: 'NSE', kind: 'index', spot: { segment: 'IDX_I', securityId: 13 },
    chains: [
      { expiry: '2026-08-18', tags: ['weekly'], rows: [{ strike: 24300, ...both(47301, 47302, 65) }, { strike: 24400, ...both(47317, 47318, 65) }, { strike: 24500, ...both(47331, 47332, 65) }] },
      { expiry: '2026-08-25', tags: ['monthly'], rows: [{ strike: 24000, ce: { securityId: 48001, lotSize: 65 } }, { strike: 24500, ...both(48011, 48012, 65) }, { strike: 25000, pe: { securityId: 48022, lotSize: 65 } }] },
    ],
  },
  {
    symbol: 'NOSPOT', exchange: 'NSE', kind: 'stock', spot: null,
    chains: [{ expiry: '2026-08-25', tags: ['monthly'], rows: [{ strike: 100, ...both(51001, 51002, 1000) }] }],
  },
  {
    symbol: 'RELIANCE', exchange: 'NSE', kind: 'stock', spot: { segment: 'NSE_EQ', securityId: 2885 },
    chains: [
      { expiry: '2026-08-25', tags: ['monthly'], rows: [{ strike: 1400, ...both(61001, 61002, 500) }, { strike: 1420, ...both(61011, 61012, 500) }] },
      { expiry: '2026-09-29', tags: ['monthly', 'quarterly'], rows: [{ strike: 1400, ...both(62001, 62002, 500) }, { strike: 1452.5, ce: { securityId: 62011, lotSize: 500 } }] },
    ],
  },
  {
    symbol: 'RELIANCE', exchange: 'BSE', kind: 'stock', spot: { segment: 'BSE_EQ', securityId: 500325 },
    chains: [{ expiry: '2026-08-27', tags: ['monthly'], rows: [{ strike: 1400, ...both(1100001, 1100002, 500) }] }],
  },
];

/** The tiny skeleton for `tradingDate` (default 2026-08-17). */
export function tinySkeleton(tradingDate = '2026-08-17'): Skeleton {
  return makeSkeleton(tradingDate, TINY_SPECS);
}

/** A fresh price table sized for `skeleton` (every field NaN). */
export function tableFor(skeleton: Skeleton): PriceTable {
  return PriceTable.allocate(skeleton.slotCount, skeleton.chains.length);
}

/**
 * Writes one tick into a slot the way the feed does: seqlock write, then bump the generation
 * of every chain the slot belongs to (a spot → all its underlying's chains), then count it on
 * the wake word as one decoded frame (what wakes the analytics worker).
 */
export function writeTick(table: PriceTable, skeleton: Skeleton, slot: number, fields: Partial<Record<FieldName, number>>): void {
  table.beginWrite(slot);
  for (const [name, value] of Object.entries(fields)) {
    table.f64[slot * SLOT_WORDS + 1 + FIELD_NAMES.indexOf(name as FieldName)] = value as number;
  }
  table.endWrite(slot);
  for (const c of skeleton.chainsOfSlot[slot]!) table.bumpGeneration(c);
  table.publishTicks();
}

/** A full option quote with float32 prices (as Dhan sends them), for fixtures. */
export function fullQuote(ltp: number, at = 1786000000000): Partial<Record<FieldName, number>> {
  const f = Math.fround;
  return {
    ltp: f(ltp), bid: f(ltp - 0.2), ask: f(ltp + 0.5), bidQty: 1625, askQty: 1365, volume: 117567970, oi: 3786445,
    prevClose: f(ltp * 1.5 + 0.05), ltt: Math.floor(at / 1000), updatedAt: at, open: f(ltp), high: f(ltp + 3), low: f(ltp - 3), atp: f(ltp + 0.1), prevOi: 3700000,
  };
}
