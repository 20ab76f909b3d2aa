/**
 * The detailed instrument master's columns (docs/dhan-protocol.md §1.3), in the order of the live
 * header captured in 2026. The parser reads by name, never by position; this order is what the
 * synthetic master writes.
 *
 * @module
 */

/** Header of Dhan's detailed CSV, in live file order (each line also ends with a trailing comma). */
export const DETAILED_COLUMNS = Object.freeze([
  'EXCH_ID', 'SEGMENT', 'SECURITY_ID', 'ISIN', 'INSTRUMENT', 'UNDERLYING_SECURITY_ID', 'UNDERLYING_SYMBOL',
  'SYMBOL_NAME', 'DISPLAY_NAME', 'INSTRUMENT_TYPE', 'SERIES', 'LOT_SIZE', 'SM_EXPIRY_DATE', 'STRIKE_PRICE',
  'OPTION_TYPE', 'TICK_SIZE', 'EXPIRY_FLAG', 'BRACKET_FLAG', 'COVER_FLAG', 'ASM_GSM_FLAG', 'ASM_GSM_CATEGORY',
  'BUY_SELL_INDICATOR', 'BUY_CO_MIN_MARGIN_PER', 'BUY_CO_SL_RANGE_MAX_PERC', 'BUY_CO_SL_RANGE_MIN_PERC',
  'BUY_BO_MIN_MARGIN_PER', 'BUY_BO_PROFIT_RANGE_MAX_PERC', 'BUY_BO_PROFIT_RANGE_MIN_PERC', 'MTF_LEVERAGE',
  'SM_UPPER_LIMIT', 'SM_LOWER_LIMIT', 'SM_FREEZE_QTY',
] as const);

export type DetailedColumn = (typeof DETAILED_COLUMNS)[number];

/** Columns the skeleton cannot be built without. */
export const REQUIRED_COLUMNS = Object.freeze([
  'EXCH_ID', 'SEGMENT', 'SECURITY_ID', 'INSTRUMENT', 'UNDERLYING_SECURITY_ID', 'UNDERLYING_SYMBOL', 'SYMBOL_NAME',
  'LOT_SIZE', 'SM_EXPIRY_DATE', 'STRIKE_PRICE', 'OPTION_TYPE', 'TICK_SIZE', 'EXPIRY_FLAG',
] as const);

/** Columns used when present (price band, freeze quantity, display name). */
export const OPTIONAL_COLUMNS = Object.freeze(['DISPLAY_NAME', 'SM_UPPER_LIMIT', 'SM_LOWER_LIMIT', 'SM_FREEZE_QTY'] as const);

/** What turns off when an optional column is missing (real 2026-03/04 masters lack some, issue 16). */
const OFF_WITHOUT: Readonly<Record<(typeof OPTIONAL_COLUMNS)[number], string>> = Object.freeze({
  DISPLAY_NAME: 'display names fall back to SYMBOL_NAME',
  SM_UPPER_LIMIT: 'paper price-band check off',
  SM_LOWER_LIMIT: 'paper price-band check off',
  SM_FREEZE_QTY: 'paper freeze-quantity check off',
});

/** One clause naming the missing optional columns and what is therefore off; '' when none is. */
export function describeMissingOptional(missing: readonly string[]): string {
  if (missing.length === 0) return '';
  const off = [...new Set(missing.map((c) => OFF_WITHOUT[c as keyof typeof OFF_WITHOUT]).filter(Boolean))];
  return `optional columns missing: ${missing.join(',')} (${off.join('; ')})`;
}

/**
 * One clause naming the present optional columns whose value was empty or unreadable in some
 * option rows (unknown for those contracts, never 0); '' when there were none.
 */
export function describeUnknownValues(counts: Readonly<Record<string, number>>): string {
  const cols = Object.keys(counts).filter((c) => (counts[c] ?? 0) > 0);
  if (cols.length === 0) return '';
  const off = [...new Set(cols.map((c) => OFF_WITHOUT[c as keyof typeof OFF_WITHOUT]).filter(Boolean))];
  return `optional values unknown: ${cols.map((c) => `${c} in ${counts[c]} option rows`).join(', ')} (${off.join('; ')} for those contracts)`;
}
