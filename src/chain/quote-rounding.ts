/**
 * How a price-table value is presented (docs/contract.md §5): prices rounded to the paise they were
 * quoted in (Dhan sends float32, so 152.3 arrives as 152.3000030517578), quantities, volume,
 * OI and timestamps as integers, NaN (never delivered) kept as NaN for the encoder to write as
 * `null`. Both encoders apply exactly these functions, so a FlatBuffers decode and a
 * JSON.parse give the same numbers.
 *
 * @module
 */

/**
 * The leg fields a chain shows, as indices into a {@link PriceTable.readSlot} copy (the
 * first ten of FIELD_NAMES in src/price-table/layout.ts, in the contract's key order).
 */
export const LEG_FIELDS = Object.freeze(['ltp', 'bid', 'ask', 'bidQty', 'askQty', 'volume', 'oi', 'prevClose', 'ltt', 'updatedAt'] as const);

/** Number of leg fields shown (a prefix of the slot's fields). */
export const LEG_FIELD_COUNT = LEG_FIELDS.length;

/** The price fields (rounded by `roundPaise`, src/util/round-paise.ts); every other leg field is an integer. */
export const PRICE_FIELDS: readonly string[] = Object.freeze(['ltp', 'bid', 'ask', 'prevClose']);

/** Index of `ltp` within a slot copy (for the spot). */
export const FIELD_LTP = 0;
/** Index of `updatedAt` within a slot copy (for the spot). */
export const FIELD_UPDATED_AT = 9;

/** An integer field (quantities, volume, OI, seconds, ms); NaN stays NaN. */
export function roundInt(x: number): number {
  return Math.round(x) + 0;
}

/** Powers of ten exactly representable as doubles (10^0 … 10^22). */
export const POW10: readonly number[] = Object.freeze(Array.from({ length: 23 }, (_, i) => Number(`1e${i}`)));

/** Significant digits of IV and Greeks on the wire (relative rounding error ≤ 5e-6). */
export const ANALYTICS_SIG_DIGITS = 6;

/** Decimal places that keep `sig` significant digits of `a` > 0 (0 … 22). */
export function sigDecimals(a: number, sig: number): number {
  const dec = sig - 1 - Math.floor(Math.log10(a));
  return dec < 0 ? 0 : dec > 22 ? 22 : dec;
}

/**
 * `x` rounded to `sig` significant digits (IV and Greeks; below 1e-16 they become 0, from
 * 10^sig up they keep every integer digit); NaN
 * stays NaN. The result is `round(|x|·10^d) / 10^d` with both operands exact, so it is the
 * double nearest the printed decimal: what JSON.parse of the JSON encoder's text gives.
 */
export function roundSig(x: number, sig = ANALYTICS_SIG_DIGITS): number {
  if (x !== x || x === 0) return x === x ? 0 : x;
  const a = x < 0 ? -x : x;
  const p = POW10[sigDecimals(a, sig)]!;
  const r = Math.round(a * p) / p;
  return (x < 0 ? -r : r) + 0;
}

/** Decimal places of the price an IV was solved from (a mid of two paise prices has three). */
export const IV_PRICE_DECIMALS = 3;

/** `x` rounded to `dec` ≤ 22 decimal places; NaN stays NaN. */
export function roundFixed(x: number, dec: number): number {
  if (x !== x) return x;
  const p = POW10[dec]!;
  const r = Math.round((x < 0 ? -x : x) * p) / p;
  return (x < 0 ? -r : r) + 0;
}
