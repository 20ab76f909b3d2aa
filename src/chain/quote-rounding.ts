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
