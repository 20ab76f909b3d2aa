/**
 * Row builders shared by the synthetic master's sections: one function per row shape of the
 * detailed CSV (docs/dhan-protocol.md §1.3, example rows docs/dhan-protocol.md §1.6), each returning a complete line with
 * the trailing comma and a newline. Builders take pre-formatted fields so the hot loops format
 * each number once.
 *
 * @module
 */
import { defaultUniverseSize, sizeProfile, type SizeProfile } from './synthetic-size.js';
import { STOCKS } from './synthetic-stocks.js';
import { DETAILED_COLUMNS } from '../master/columns.js';
import type { Segment } from '../dhan/segments.js';
import { ascii, type ByteSink } from './synthetic-bytes.js';
import { BAND_UNIT, STRIKE_UNIT, bandField, displayDay, lotField, symbolMonth } from './synthetic-format.js';

/** The header line: the 32 live columns plus the trailing comma (docs/dhan-protocol.md §1.3). */
export const HEADER_LINE = `${DETAILED_COLUMNS.join(',')},\n`;

/**
 * Columns 18–29 of a derivative row: no bracket/cover orders, no surveillance, buy and sell
 * allowed, CO/BO percentages and MTF leverage zero (as in the live rows of docs/dhan-protocol.md §1.6).
 */
export const DERIV_FLAGS = 'N,N,N,NA,A,0,0,0,0,0,0,0';

/** Mutable state of one generation run: the trading date, the seed and row counts. */
export class GenContext {
  /** Data rows written per segment. */
  readonly rowsBySegment: Record<Segment, number> = {
    IDX_I: 0, NSE_EQ: 0, NSE_FNO: 0, NSE_CURRENCY: 0, BSE_EQ: 0, MCX_COMM: 0, BSE_CURRENCY: 0, BSE_FNO: 0,
  };

  constructor(
    readonly tradingDate: string,
    readonly seed: number,
    /** How big the universe is (synthetic-size.ts). */
    readonly profile: SizeProfile = sizeProfile(defaultUniverseSize(), STOCKS.length),
  ) {}

  /** Counts `n` rows of `segment`. */
  count(segment: Segment, n: number): void {
    this.rowsBySegment[segment] += n;
  }

  /** Total data rows so far. */
  get rows(): number {
    let n = 0;
    for (const v of Object.values(this.rowsBySegment)) n += v;
    return n;
  }
}

/** The constant parts of every option row of one chain (one underlying, one expiry). */
export interface OptionChainFields {
  /** `NSE`, `BSE`, `MCX`. */
  readonly exch: string;
  /** Segment letter: `D`, `M`, `C`. */
  readonly letter: string;
  /** `OPTIDX`, `OPTSTK`, `OPTFUT`, `OPTCUR`. */
  readonly instrument: string;
  readonly underlyingId: number;
  readonly underlyingSymbol: string;
  /** INSTRUMENT_TYPE: `OP` for NSE options, `OPTIDX` for SENSEX, … */
  readonly instrumentType: string;
  readonly series: string;
  readonly lot: number;
  readonly expiry: string;
  /** TICK_SIZE field, already formatted (`5.0000`). */
  readonly tickField: string;
  readonly flag: string;
  readonly freezeQty: number;
}

/** Largest option row in bytes (the longest real ones are under 250). */
const MAX_OPTION_ROW = 512;
const CALL = ascii(' CALL,');
const PUT = ascii(' PUT,');
const CE_SUFFIX = ascii('-CE,');
const PE_SUFFIX = ascii('-PE,');
const CE_FIELD = ascii(',CE');
const PE_FIELD = ascii(',PE');
const COMMA = 44;

/**
 * Writes the option rows of one chain straight into a {@link ByteSink}. The chain's constant
 * text is encoded once; per row only the id, strike, side and band are formatted.
 */
export class OptionChainWriter {
  private readonly head: Uint8Array;
  private readonly mid1: Uint8Array;
  private readonly fixedName: Uint8Array | null;
  private readonly namePrefix: Uint8Array;
  private readonly displayPrefix: Uint8Array;
  private readonly mid2: Uint8Array;
  private readonly mid3: Uint8Array;
  private readonly tail: Uint8Array;

  /**
   * @param fixedSymbolName SYMBOL_NAME when the exchange uses one name for the whole series
   *   (SENSEX `BSXOPT`, MCX `CRUDEOIL`); otherwise rows get `SYMBOL-Mon2026-STRIKE-CE`.
   */
  constructor(f: OptionChainFields, fixedSymbolName?: string) {
    this.head = ascii(`${f.exch},${f.letter},`);
    this.mid1 = ascii(`,NA,${f.instrument},${f.underlyingId},${f.underlyingSymbol},`);
    this.fixedName = fixedSymbolName === undefined ? null : ascii(`${fixedSymbolName},`);
    this.namePrefix = ascii(`${f.underlyingSymbol}-${symbolMonth(f.expiry)}-`);
    this.displayPrefix = ascii(`${f.underlyingSymbol} ${displayDay(f.expiry)} `);
    this.mid2 = ascii(`${f.instrumentType},${f.series},${lotField(f.lot)},${f.expiry},`);
    this.mid3 = ascii(`,${f.tickField},${f.flag},${DERIV_FLAGS},`);
    this.tail = ascii(`,${f.freezeQty},\n`);
  }

  /** One row: `strike` in strike units (1e-5), bands in band units (1e-4). */
  row(out: ByteSink, id: number, strike: number, call: boolean, upper: number, lower: number): void {
    out.reserve(MAX_OPTION_ROW);
    out.bytes(this.head);
    out.uint(id);
    out.bytes(this.mid1);
    if (this.fixedName) {
      out.bytes(this.fixedName);
    } else {
      out.bytes(this.namePrefix);
      out.trimmed(strike, STRIKE_UNIT, 5);
      out.bytes(call ? CE_SUFFIX : PE_SUFFIX);
    }
    out.bytes(this.displayPrefix);
    out.trimmed(strike, STRIKE_UNIT, 5);
    out.bytes(call ? CALL : PUT);
    out.bytes(this.mid2);
    out.fixed(strike, STRIKE_UNIT, 5);
    out.bytes(call ? CE_FIELD : PE_FIELD);
    out.bytes(this.mid3);
    out.fixed(upper, BAND_UNIT, 4);
    out.byte(COMMA);
    out.fixed(lower, BAND_UNIT, 4);
    out.bytes(this.tail);
  }
}

/** One futures row (strike placeholder `-0.01000`, option type `XX`, docs/dhan-protocol.md §1.3). */
export function futureRow(f: Omit<OptionChainFields, 'instrument'> & { instrument: string; id: number; symbolName: string; displayName: string; upper: number; lower: number }): string {
  return `${f.exch},${f.letter},${f.id},NA,${f.instrument},${f.underlyingId},${f.underlyingSymbol},${f.symbolName},${f.displayName},${f.instrumentType},${f.series},${lotField(f.lot)},${f.expiry},-0.01000,XX,${f.tickField},${f.flag},${DERIV_FLAGS},${bandField(f.upper)},${bandField(f.lower)},${f.freezeQty},\n`;
}

/**
 * An IDX_I row, as captured live (docs/dhan-protocol.md §1.6): its own id as UNDERLYING_SECURITY_ID, expiry
 * placeholder `0001-01-01`, flag `N`, meaningless tick `0.0500`, zero bands.
 */
export function indexRow(exch: 'NSE' | 'BSE', id: number, symbol: string, displayName: string): string {
  return `${exch},I,${id},NA,INDEX,${id},${symbol},${symbol},${displayName},INDEX,NA,1.0,0001-01-01,,XX,0.0500,N,N,N,N,NA,A,0,0,0,0,0,0,0,0.0000,0.0000,0,\n`;
}

/** What varies between equity rows. */
export interface EquityFields {
  readonly exch: 'NSE' | 'BSE';
  readonly id: number;
  readonly isin: string;
  readonly symbol: string;
  readonly companyName: string;
  readonly displayName: string;
  readonly series: string;
  readonly tickField: string;
  readonly bracketCover: boolean;
  readonly asmFlag: string;
  readonly asmCategory: string;
  /** Columns 23–28 (CO/BO percentages), pre-joined. */
  readonly coBo: string;
  readonly mtf: string;
  readonly upper: number;
  readonly lower: number;
}

/**
 * An equity row. Both shapes seen live are produced (docs/dhan-protocol.md §1.3 col 13): NSE rows leave expiry,
 * strike and option type empty (as in the captured RELIANCE row), BSE rows carry `0001-01-01`,
 * `0.00000` and `XX`. UNDERLYING_SECURITY_ID is empty, as captured.
 */
export function equityRow(e: EquityFields): string {
  const bc = e.bracketCover ? 'Y,Y' : 'N,N';
  const blank = e.exch === 'NSE' ? ',,' : '0001-01-01,0.00000,XX';
  return `${e.exch},E,${e.id},${e.isin},EQUITY,,${e.symbol},${e.companyName},${e.displayName},ES,${e.series},1.0,${blank},${e.tickField},NA,${bc},${e.asmFlag},${e.asmCategory},A,${e.coBo},${e.mtf},${bandField(e.upper)},${bandField(e.lower)},0,\n`;
}

/**
 * Equity tick in rupees by price band (NSE's 2025 price-linked tick sizes: RELIANCE ₹0.10, a
 * sub-₹250 stock ₹0.01; docs/dhan-protocol.md §1.5).
 */
export function equityTick(price: number): number {
  if (price < 250) return 0.01;
  if (price < 1000) return 0.05;
  if (price < 5000) return 0.1;
  if (price < 10_000) return 0.5;
  if (price < 20_000) return 1;
  return 5;
}
