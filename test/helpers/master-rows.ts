/**
 * Builds small detailed-master CSVs for tests, in the live column order with the trailing
 * comma (docs/dhan-protocol.md §1.3).
 */
import { DETAILED_COLUMNS } from '../../src/master/columns.js';

type Row = Partial<Record<(typeof DETAILED_COLUMNS)[number], string | number>>;

const base: Row = {
  ISIN: 'NA', SERIES: 'NA', BRACKET_FLAG: 'N', COVER_FLAG: 'N', ASM_GSM_FLAG: 'N', ASM_GSM_CATEGORY: 'NA', BUY_SELL_INDICATOR: 'A',
  BUY_CO_MIN_MARGIN_PER: 0, BUY_CO_SL_RANGE_MAX_PERC: 0, BUY_CO_SL_RANGE_MIN_PERC: 0, BUY_BO_MIN_MARGIN_PER: 0,
  BUY_BO_PROFIT_RANGE_MAX_PERC: 0, BUY_BO_PROFIT_RANGE_MIN_PERC: 0, MTF_LEVERAGE: 0, SM_UPPER_LIMIT: '0.0000', SM_LOWER_LIMIT: '0.0000', SM_FREEZE_QTY: 0,
};

/** An IDX_I row. */
export function indexRow(exchange: 'NSE' | 'BSE', id: number, symbol: string, display = symbol): Row {
  return { ...base, EXCH_ID: exchange, SEGMENT: 'I', SECURITY_ID: id, INSTRUMENT: 'INDEX', UNDERLYING_SECURITY_ID: id, UNDERLYING_SYMBOL: symbol, SYMBOL_NAME: symbol, DISPLAY_NAME: display, INSTRUMENT_TYPE: 'INDEX', LOT_SIZE: '1.0', SM_EXPIRY_DATE: '0001-01-01', STRIKE_PRICE: '', OPTION_TYPE: 'XX', TICK_SIZE: '0.0500', EXPIRY_FLAG: 'N' };
}

/** A cash-market equity row. */
export function equityRow(exchange: 'NSE' | 'BSE', id: number, symbol: string): Row {
  return { ...base, EXCH_ID: exchange, SEGMENT: 'E', SECURITY_ID: id, ISIN: 'INE000000000', INSTRUMENT: 'EQUITY', UNDERLYING_SECURITY_ID: '', UNDERLYING_SYMBOL: symbol, SYMBOL_NAME: `${symbol} LTD`, DISPLAY_NAME: symbol, INSTRUMENT_TYPE: 'ES', SERIES: 'EQ', LOT_SIZE: '1.0', SM_EXPIRY_DATE: '', STRIKE_PRICE: '', OPTION_TYPE: '', TICK_SIZE: '10.0000', EXPIRY_FLAG: 'NA' };
}

/** An option row. */
export function optionRow(o: { exchange?: 'NSE' | 'BSE'; id: number; instrument?: 'OPTIDX' | 'OPTSTK'; underlyingId: number; symbol: string; expiry: string; strike: number; side: 'CE' | 'PE'; flag?: string; lot?: number; tickPaise?: number }): Row {
  const mon = new Date(`${o.expiry}T00:00:00Z`).toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return {
    ...base, EXCH_ID: o.exchange ?? 'NSE', SEGMENT: 'D', SECURITY_ID: o.id, INSTRUMENT: o.instrument ?? 'OPTIDX', UNDERLYING_SECURITY_ID: o.underlyingId,
    UNDERLYING_SYMBOL: o.symbol, SYMBOL_NAME: `${o.symbol}-${mon}${o.expiry.slice(0, 4)}-${o.strike}-${o.side}`, DISPLAY_NAME: `${o.symbol} ${o.strike} ${o.side}`,
    INSTRUMENT_TYPE: 'OP', LOT_SIZE: `${o.lot ?? 65}.0`, SM_EXPIRY_DATE: o.expiry, STRIKE_PRICE: o.strike.toFixed(5), OPTION_TYPE: o.side,
    TICK_SIZE: (o.tickPaise ?? 5).toFixed(4), EXPIRY_FLAG: o.flag ?? 'W', SM_UPPER_LIMIT: '500.0000', SM_LOWER_LIMIT: '0.0500', SM_FREEZE_QTY: 1756,
  };
}

/** A futures row (ignored by the skeleton). */
export function futureRow(id: number, underlyingId: number, symbol: string, expiry: string): Row {
  return { ...base, EXCH_ID: 'NSE', SEGMENT: 'D', SECURITY_ID: id, INSTRUMENT: 'FUTIDX', UNDERLYING_SECURITY_ID: underlyingId, UNDERLYING_SYMBOL: symbol, SYMBOL_NAME: `${symbol}-FUT`, DISPLAY_NAME: `${symbol} FUT`, INSTRUMENT_TYPE: 'FUT', LOT_SIZE: '65.0', SM_EXPIRY_DATE: expiry, STRIKE_PRICE: '-0.01000', OPTION_TYPE: 'XX', TICK_SIZE: '10.0000', EXPIRY_FLAG: 'M' };
}

/** Renders rows under `columns` (default: the live order), each line ending with a comma. */
export function toCsv(rows: Row[], columns: readonly string[] = DETAILED_COLUMNS): string {
  const cell = (v: unknown): string => {
    const s = v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [`${columns.join(',')},`];
  for (const r of rows) lines.push(`${columns.map((c) => cell((r as Record<string, unknown>)[c])).join(',')},`);
  return `${lines.join('\n')}\n`;
}

/** A chain's worth of option rows: strikes × CE/PE with sequential ids. */
export function chainRows(o: { symbol: string; underlyingId: number; expiry: string; strikes: number[]; flag: string; firstId: number; exchange?: 'NSE' | 'BSE'; instrument?: 'OPTIDX' | 'OPTSTK'; lot?: number }): Row[] {
  const rows: Row[] = [];
  let id = o.firstId;
  for (const strike of o.strikes) {
    for (const side of ['CE', 'PE'] as const) rows.push(optionRow({ ...o, id: id++, strike, side }));
  }
  return rows;
}

/** Evenly spaced strikes. */
export function strikes(from: number, step: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i * step);
}
