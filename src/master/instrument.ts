/**
 * One row of the instrument master that the skeleton can use: an option on NSE/BSE, an index
 * (IDX_I) or a cash-market equity. Other rows (futures, MCX, currency) are counted, not kept.
 *
 * @module
 */
import type { Segment } from '../dhan/segments.js';

/** A parsed master row. Prices in rupees; tick size converted from paise (docs/dhan-protocol.md §1.5). */
export interface Instrument {
  readonly exchange: 'NSE' | 'BSE';
  readonly segment: Segment;
  readonly securityId: number;
  /** INSTRUMENT column: `OPTIDX`, `OPTSTK`, `INDEX`, `EQUITY`. */
  readonly instrument: string;
  readonly underlyingSecurityId: number;
  readonly underlyingSymbol: string;
  readonly symbolName: string;
  readonly displayName: string;
  readonly lotSize: number;
  /** YYYY-MM-DD, or '' for rows without an expiry. */
  readonly expiry: string;
  readonly strike: number;
  readonly optionType: 'CE' | 'PE' | null;
  /** Rupees. */
  readonly tickSize: number;
  /** `W`, `M`, or whatever else the file says (`N`, `NA`, `Q`, ''). */
  readonly expiryFlag: string;
  /** Day's price band, rupees; null = unknown (column absent or the field empty), never 0. */
  readonly upperLimit: number | null;
  readonly lowerLimit: number | null;
  /** Exchange freeze quantity in units; null = unknown (column absent or the field empty). */
  readonly freezeQty: number | null;
}

/** Result of parsing a master: the kept rows and honest counts of everything else. */
export interface ParsedMaster {
  readonly instruments: readonly Instrument[];
  readonly stats: MasterStats;
}

/** Counts reported after a parse; `malformed` rows are skipped, never fatal, never silent. */
export interface MasterStats {
  /** Data rows read (header excluded, blank lines excluded). */
  rows: number;
  /** Rows kept (options on NSE/BSE, indices, equities). */
  kept: number;
  /** Rows of other instrument kinds (futures, MCX, currency…), read and ignored. */
  ignored: number;
  /** Exchange-connectivity TEST rows filtered out (docs/contract.md §3). */
  test: number;
  /** Rows that could not be parsed, skipped. */
  malformed: number;
  /** Up to 20 examples of malformed rows: line number and reason. */
  malformedExamples: { line: number; reason: string }[];
  /** Columns in the header we do not know (tolerated). */
  unknownColumns: string[];
  /** Optional columns the header lacks; their values are unknown, never 0 (columns.ts). */
  missingOptionalColumns: string[];
  /** Option rows whose optional column is present but whose value is empty or unreadable (unknown), per column. */
  unknownOptionalValues: Record<string, number>;
  bytes: number;
  parseMs: number;
}
