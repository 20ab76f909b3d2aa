/**
 * Layout of the shared analytics table (issue 13): the second SharedArrayBuffer, written only
 * by the analytics worker (src/analytics-worker/), read by the chain encoders on the main
 * thread. It follows the price table's conventions (src/price-table/layout.ts): Float64 words,
 * NaN = not known (`null` on the wire), a seqlock version in the low Int32 of word 0 of each
 * seqlocked block, one Int32 generation counter per chain after the blocks.
 *
 * Unlike the price table, the seqlock covers a whole chain, not one slot: a chain's analytics
 * are computed together (every IV depends on the chain's one forward), so a reader gets the
 * forward, the ATM figures and every leg of one computation or retries. Block of chain c:
 *
 *   word 0                      seqlock version
 *   words 1 .. CHAIN_FIELDS     the chain fields (offsets {@link AC})
 *   then 2·rows × LEG_WORDS     legs: index 2r = CE at row r, 2r+1 = PE (offsets {@link AL})
 *
 * A reader's copy ({@link AnalyticsTable.readChain}) drops the version word, so in a copy the
 * chain field `AC.X` is at `AC.X - 1` and leg i starts at {@link legOffset}(i).
 *
 * @module
 */

/** Chain field offsets within a chain block (word 0 is the version). */
export const AC = Object.freeze({
  /** The forward of (underlying, expiry), rupees. */
  FORWARD: 1,
  /** ForwardSource code of src/analytics: 0 none, 1 parity, 2 spot. */
  FORWARD_SOURCE: 2,
  /** Years to 15:30 IST of the expiry day at the market clock's AS_OF. */
  T: 3,
  ATM_STRIKE: 4,
  /** Percent. */
  ATM_IV: 5,
  PCR_OI: 6,
  PCR_VOLUME: 7,
  MAX_PAIN: 8,
  CE_OI: 9,
  PE_OI: 10,
  CE_OI_CHANGE: 11,
  PE_OI_CHANGE: 12,
  /** Strikes the parity forward was the median of (0 when not from parity). */
  PARITY_PAIRS: 13,
  /** The price table generation of the chain the computation read (the tick it reflects). */
  PRICE_GENERATION: 14,
  /** Wall-clock Unix ms when the computation was published (comparable with a leg's updatedAt). */
  COMPUTED_AT: 15,
  /** Market-clock Unix ms the time to expiry was measured at (the simulator's clock in sim mode). */
  AS_OF: 16,
});

/** Chain fields per block, version word excluded. */
export const CHAIN_FIELDS = 16;
/** Words of a block before its legs (version + chain fields). */
export const CHAIN_HEAD_WORDS = CHAIN_FIELDS + 1;

/** Leg field offsets within a leg. */
export const AL = Object.freeze({
  /** Implied volatility, percent. */
  IV: 0,
  DELTA: 1,
  GAMMA: 2,
  /** Rupees per calendar day. */
  THETA: 3,
  /** Rupees per one vol point. */
  VEGA: 4,
  /** The option price the IV was solved from (mid or LTP), rupees. */
  PRICE: 5,
  /** > 0: solved, IvFrom code (1 mid, 2 ltp); ≤ 0: IvReason code, IV and Greeks NaN; 0 = pending (never computed). */
  CODE: 6,
});

/** Float64 words per leg. */
export const LEG_WORDS = 7;

/** Offset of leg `i` (2·row + side) inside a reader's copy of a block. */
export function legOffset(i: number): number {
  return CHAIN_FIELDS + i * LEG_WORDS;
}

/** Words of chain block with `rows` strike rows. */
export function blockWords(rows: number): number {
  return CHAIN_HEAD_WORDS + 2 * rows * LEG_WORDS;
}

/** Words a reader's copy of the largest block needs. */
export function copyWords(maxRows: number): number {
  return blockWords(maxRows) - 1;
}
