/**
 * The option-chain skeleton: the day's structure (underlyings → chains → rows → contracts),
 * frozen at build time and never changed intraday (docs/contract.md §1, §3). Every token the feed
 * subscribes owns one slot of the price table; slot numbers are dense and deterministic.
 *
 * @module
 */
import type { Segment } from '../dhan/segments.js';

/** NSE or BSE (the exchange an underlying's options trade on). */
export type Exchange = 'NSE' | 'BSE';
/** What kind of expiry a chain is (docs/contract.md §2.1), not why it was selected. */
export type ExpiryTag = 'weekly' | 'monthly' | 'quarterly';
export type OptionSide = 'CE' | 'PE';

/** One option contract (one CE or PE token) with its static daily rules. */
export interface Contract {
  /** Dense price-table slot. */
  readonly slot: number;
  readonly segment: 'NSE_FNO' | 'BSE_FNO';
  readonly securityId: number;
  /** The master's SYMBOL_NAME, e.g. `NIFTY-Sep2026-29150-CE` (SENSEX rows carry `BSXOPT`). */
  readonly tradingSymbol: string;
  readonly displayName: string;
  readonly side: OptionSide;
  readonly strike: number;
  /** YYYY-MM-DD. */
  readonly expiry: string;
  readonly lotSize: number;
  /** Rupees (the master's TICK_SIZE is in paise, docs/dhan-protocol.md §1.5). */
  readonly tickSize: number;
  /** Exchange freeze quantity in units; null when the master does not say (the check is then off). */
  readonly freezeQty: number | null;
  /** Day's price band in rupees; null when the master does not say (the check is then off). */
  readonly upperLimit: number | null;
  readonly lowerLimit: number | null;
  readonly chainIndex: number;
  readonly underlyingIndex: number;
}

/** One strike of a chain; a side is null only where the master lists no such contract. */
export interface ChainRow {
  readonly strike: number;
  readonly ce: Contract | null;
  readonly pe: Contract | null;
}

/** One (underlying, expiry) chain. */
export interface Chain {
  readonly index: number;
  readonly underlyingIndex: number;
  readonly symbol: string;
  readonly exchange: Exchange;
  readonly expiry: string;
  readonly tags: readonly ExpiryTag[];
  /** Ascending by strike. */
  readonly rows: readonly ChainRow[];
  /** CE + PE tokens. */
  readonly contracts: number;
}

/** The cash/index instrument an underlying's options are written on. */
export interface Spot {
  readonly segment: Segment;
  readonly securityId: number;
  readonly slot: number;
}

/** An underlying, identified by (exchange, symbol) (docs/contract.md §3). */
export interface Underlying {
  readonly index: number;
  readonly symbol: string;
  readonly exchange: Exchange;
  readonly kind: 'index' | 'stock';
  readonly optionSegment: 'NSE_FNO' | 'BSE_FNO';
  /** Null only when the master has no spot row for it (reported at build time). */
  readonly spot: Spot | null;
  /** Ascending by expiry. */
  readonly chains: readonly Chain[];
}

/** What the feed subscribes for a slot. */
export interface SlotToken {
  readonly slot: number;
  readonly segment: Segment;
  readonly securityId: number;
  readonly kind: 'option' | 'spot';
  readonly underlyingIndex: number;
}

/** Counts reported by the build (and by `optchain skeleton`). */
export interface SkeletonTotals {
  readonly underlyings: number;
  readonly chains: number;
  readonly contracts: number;
  readonly spots: number;
}

/** The frozen skeleton of one trading date. */
export interface Skeleton {
  readonly tradingDate: string;
  /** Indices NIFTY, BANKNIFTY, SENSEX first, then stocks by symbol (NSE before BSE). */
  readonly underlyings: readonly Underlying[];
  /** All chains, index = Chain.index. */
  readonly chains: readonly Chain[];
  /** index = slot: options and spots. */
  readonly tokens: readonly SlotToken[];
  readonly slotCount: number;
  readonly totals: SkeletonTotals;
  /** For each slot, the chains whose generation moves when it changes (a spot → all its chains). */
  readonly chainsOfSlot: readonly (readonly number[])[];
  /** Hex SHA-256 over the canonical structure: same master + date ⇒ same fingerprint. */
  readonly fingerprint: string;
  /** Warnings found while building (e.g. an underlying without a spot row). */
  readonly warnings: readonly string[];
}
