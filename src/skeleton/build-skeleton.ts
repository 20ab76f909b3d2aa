/**
 * Builds the frozen skeleton for a trading date from the day's master: universe (docs/contract.md §3),
 * expiry selection, every listed strike of each selected expiry (both sides, one-sided strikes
 * kept), and a dense deterministic slot per token. The result is deep-frozen: nothing can
 * change it intraday (anti-drift rules, docs/contract.md §3).
 *
 * Slot order: for each underlying in skeleton order, its spot, then its chains by expiry,
 * rows by strike, CE before PE. Indices come first, which is also the order the feed fills
 * accounts in when capacity is short.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { ErrorCodes, MasterError } from '../errors.js';
import type { Instrument } from '../master/instrument.js';
import { selectExpiries, type ExpiryInfo, type SelectedExpiry } from '../universe/expiry-selection.js';
import { selectUniverse, type UniverseEntry } from '../universe/universe.js';
import type { Segment } from '../dhan/segments.js';
import type { Chain, ChainRow, Contract, Skeleton, SlotToken, Spot, Underlying } from './types.js';

/**
 * Tokens already given a slot, keyed by (segment, security id) (ids are not unique across
 * segments). One Set of small integers per segment: a combined 40-bit key would be a heap
 * number, which hashes several times slower (measured with --cpu-prof on the full master).
 */
class TokenSet {
  private readonly bySegment = new Map<Segment, Set<number>>();

  has(segment: Segment, securityId: number): boolean {
    return this.bySegment.get(segment)?.has(securityId) ?? false;
  }

  /** Adds the token; false when it was already there. */
  add(segment: Segment, securityId: number): boolean {
    let set = this.bySegment.get(segment);
    if (!set) this.bySegment.set(segment, (set = new Set()));
    if (set.has(securityId)) return false;
    set.add(securityId);
    return true;
  }
}

/** Recursively freezes plain objects and arrays. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

const MONTHLY_FLAGS: ReadonlySet<string> = new Set(['M', 'Q', 'H']);

function distinctExpiries(options: readonly Instrument[]): ExpiryInfo[] {
  const byDate = new Map<string, { flaggedMonthly: boolean; flagged: boolean }>();
  for (const o of options) {
    const e = byDate.get(o.expiry) ?? { flaggedMonthly: false, flagged: false };
    // BSE flags SENSEX's quarterly and half-yearly monthlies Q and H, not M (docs/contract.md §3).
    if (MONTHLY_FLAGS.has(o.expiryFlag)) e.flaggedMonthly = true;
    if (e.flaggedMonthly || o.expiryFlag === 'W') e.flagged = true;
    byDate.set(o.expiry, e);
  }
  return [...byDate].map(([date, f]) => ({ date, ...f }));
}

/** Builds the skeleton. Throws NO_CONTRACTS when the master has nothing for the date. */
export function buildSkeleton(instruments: readonly Instrument[], tradingDate: string): Skeleton {
  const universe = selectUniverse(instruments, tradingDate);
  const warnings = [...universe.warnings];
  const underlyings: Underlying[] = [];
  const chains: Chain[] = [];
  const tokens: SlotToken[] = [];
  const chainsOfSlot: number[][] = [];
  const seenTokens = new TokenSet();
  let contractCount = 0;
  let spotCount = 0;

  const addToken = (segment: Segment, securityId: number, kind: 'option' | 'spot', underlyingIndex: number): number => {
    const slot = tokens.length;
    tokens.push(Object.freeze({ slot, segment, securityId, kind, underlyingIndex }));
    chainsOfSlot.push([]);
    return slot;
  };

  for (const entry of universe.entries) {
    const selected = selectExpiries(entry.kind, distinctExpiries(entry.options));
    if (selected.length === 0) continue;
    const underlyingIndex = underlyings.length;
    let spot: Spot | null = null;
    if (entry.spot) {
      if (seenTokens.add(entry.spot.segment, entry.spot.securityId)) {
        spot = Object.freeze({ segment: entry.spot.segment, securityId: entry.spot.securityId, slot: addToken(entry.spot.segment, entry.spot.securityId, 'spot', underlyingIndex) });
        spotCount++;
      } else {
        warnings.push(`${entry.exchange}:${entry.symbol}: spot ${entry.spot.segment}:${entry.spot.securityId} already belongs to another underlying`);
      }
    }
    const underlyingChains = buildChains(entry, selected, underlyingIndex, chains.length, addToken, seenTokens, warnings);
    for (const c of underlyingChains) {
      chains.push(c);
      contractCount += c.contracts;
      for (const r of c.rows) {
        if (r.ce) chainsOfSlot[r.ce.slot]!.push(c.index);
        if (r.pe) chainsOfSlot[r.pe.slot]!.push(c.index);
      }
      if (spot) chainsOfSlot[spot.slot]!.push(c.index);
    }
    underlyings.push(
      Object.freeze({
        index: underlyingIndex,
        symbol: entry.symbol,
        exchange: entry.exchange,
        kind: entry.kind,
        optionSegment: entry.exchange === 'NSE' ? 'NSE_FNO' : 'BSE_FNO',
        spot,
        chains: Object.freeze(underlyingChains),
      }),
    );
  }
  if (contractCount === 0) {
    throw new MasterError(ErrorCodes.NO_CONTRACTS, `instrument master has no option contracts in scope for ${tradingDate}`);
  }
  const skeleton: Skeleton = {
    tradingDate,
    underlyings,
    chains,
    tokens,
    slotCount: tokens.length,
    totals: { underlyings: underlyings.length, chains: chains.length, contracts: contractCount, spots: spotCount },
    chainsOfSlot,
    fingerprint: fingerprint(tradingDate, underlyings),
    warnings,
  };
  for (const list of chainsOfSlot) Object.freeze(list);
  // Every part below the root was frozen as it was made (deepFreeze stops at a frozen object):
  // walking ~500k objects again with Object.values cost ~12 % of parse + skeleton (--cpu-prof).
  return deepFreeze(skeleton);
}

function buildChains(
  entry: UniverseEntry,
  selected: readonly SelectedExpiry[],
  underlyingIndex: number,
  firstChainIndex: number,
  addToken: (segment: Segment, securityId: number, kind: 'option' | 'spot', underlyingIndex: number) => number,
  seenTokens: TokenSet,
  warnings: string[],
): Chain[] {
  const wanted = new Map(selected.map((s) => [s.date, s]));
  const byExpiry = new Map<string, Instrument[]>();
  for (const o of entry.options) {
    if (!wanted.has(o.expiry)) continue;
    const list = byExpiry.get(o.expiry) ?? [];
    list.push(o);
    byExpiry.set(o.expiry, list);
  }
  const out: Chain[] = [];
  for (const sel of selected) {
    const rows = byExpiry.get(sel.date) ?? [];
    const chainIndex = firstChainIndex + out.length;
    const strikes = new Map<number, { ce: Instrument | null; pe: Instrument | null }>();
    // Sort by strike, then side, then id so slot assignment is independent of master row order.
    rows.sort((a, b) => a.strike - b.strike || (a.optionType === b.optionType ? a.securityId - b.securityId : a.optionType === 'CE' ? -1 : 1));
    for (const o of rows) {
      if (seenTokens.has(o.segment, o.securityId)) {
        warnings.push(`duplicate token ${o.segment}:${o.securityId} (${o.symbolName}) skipped`);
        continue;
      }
      const s = strikes.get(o.strike) ?? { ce: null, pe: null };
      const side = o.optionType === 'CE' ? 'ce' : 'pe';
      if (s[side]) {
        warnings.push(`${entry.exchange}:${entry.symbol} ${sel.date} ${o.strike} ${o.optionType}: two contracts (${s[side]!.securityId}, ${o.securityId}); kept ${s[side]!.securityId}`);
        continue;
      }
      seenTokens.add(o.segment, o.securityId);
      s[side] = o;
      strikes.set(o.strike, s);
    }
    const chainRows: ChainRow[] = [];
    let contracts = 0;
    for (const [strike, s] of strikes) {
      const make = (o: Instrument | null): Contract | null => {
        if (!o) return null;
        contracts++;
        return Object.freeze({
          slot: addToken(o.segment, o.securityId, 'option', underlyingIndex),
          segment: o.segment as Contract['segment'],
          securityId: o.securityId,
          tradingSymbol: o.symbolName,
          displayName: o.displayName,
          side: o.optionType!,
          strike,
          expiry: o.expiry,
          lotSize: o.lotSize,
          tickSize: o.tickSize,
          freezeQty: o.freezeQty,
          upperLimit: o.upperLimit,
          lowerLimit: o.lowerLimit,
          chainIndex,
          underlyingIndex,
        });
      };
      const ce = make(s.ce);
      const pe = make(s.pe);
      chainRows.push(Object.freeze({ strike, ce, pe }));
    }
    out.push(Object.freeze({ index: chainIndex, underlyingIndex, symbol: entry.symbol, exchange: entry.exchange, expiry: sel.date, tags: Object.freeze(sel.tags), rows: Object.freeze(chainRows), contracts }));
  }
  return out;
}

const leg = (k: Contract | null): string => (k ? `${k.securityId}@${k.slot}:${k.lotSize}:${k.tickSize}:${k.freezeQty}:${k.upperLimit}:${k.lowerLimit}` : '-');

/**
 * The hash of the canonical text below. One update per chain, not per row: the digest of a
 * concatenation is the same, and 150k crossings into the hash binding were ~4 % of the build.
 */
function fingerprint(tradingDate: string, underlyings: readonly Underlying[]): string {
  const h = createHash('sha256');
  h.update(tradingDate);
  for (const u of underlyings) {
    h.update(`|U${u.symbol},${u.exchange},${u.kind},${u.spot ? `${u.spot.segment}:${u.spot.securityId}@${u.spot.slot}` : '-'}`);
    for (const c of u.chains) {
      let text = `|C${c.expiry},${c.tags.join('+')}`;
      for (const r of c.rows) text += `|${r.strike};${leg(r.ce)};${leg(r.pe)}`;
      h.update(text);
    }
  }
  return h.digest('hex');
}
