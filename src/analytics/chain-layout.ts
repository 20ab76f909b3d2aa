/**
 * The flat Float64 layouts the per-chain analytics read and write (chain-analytics.ts), so
 * the analytics worker can fill its inputs from a seqlock read of the price table and copy
 * the outputs into the analytics table without building objects. NaN means missing on input
 * and null on output, as in the price table.
 *
 * Legs of a chain with n strikes (ascending) are numbered 0..2n−1: leg 2i is the CE at strike
 * i, leg 2i+1 the PE. A leg absent from the skeleton is all NaN.
 *
 * @module
 */

/** Input words per leg (`quotes[leg * QUOTE_WORDS + Q.X]`), copied from the price table. */
export const Q = Object.freeze({
  BID: 0,
  ASK: 1,
  LTP: 2,
  OI: 3,
  VOLUME: 4,
  /** Previous session's closing OI (Prev Close packet, price-table `F.PREV_OI`). */
  PREV_OI: 5,
});
export const QUOTE_WORDS = 6;

/**
 * Output words per leg (`legs[leg * LEG_WORDS + L.X]`). IV..VEGA sit at black-76.ts's OUT_*
 * offsets so the solver writes them in place.
 */
export const L = Object.freeze({
  /** Implied volatility, percent. */
  IV: 0,
  /** ∂V/∂S. */
  DELTA: 1,
  /** ∂²V/∂S². */
  GAMMA: 2,
  /** Rupees per calendar day. */
  THETA: 3,
  /** Rupees per volatility point. */
  VEGA: 4,
  /** The price the IV was solved from (or tried: kept when the solve fails); NaN when none. */
  PRICE: 5,
  /** `ivFrom` code (> 0) or IvReason (≤ 0), iv-reason.ts. */
  CODE: 6,
  /** OI − previous session's closing OI; NaN when either is missing. */
  OI_CHANGE: 7,
});
export const LEG_WORDS = 8;

/** Output words per chain (`chain[C.X]`). */
export const C = Object.freeze({
  /** The forward the legs were solved against, rupees. */
  FORWARD: 0,
  /** ForwardSource code (iv-reason.ts). */
  FORWARD_SOURCE: 1,
  /** Years to expiry (time-to-expiry.ts). */
  T: 2,
  /** Strike nearest the forward. */
  ATM_STRIKE: 3,
  /** Mean IV (percent) of the CE and PE at the ATM strike, or of the one that solved. */
  ATM_IV: 4,
  /** Σ PE OI / Σ CE OI. */
  PCR_OI: 5,
  /** Σ PE volume / Σ CE volume. */
  PCR_VOLUME: 6,
  /** Strike at which option holders' total intrinsic value, by OI, is smallest. */
  MAX_PAIN: 7,
  CE_OI: 8,
  PE_OI: 9,
  /** Σ (OI − previous close OI) over CE legs that have both. */
  CE_OI_CHANGE: 10,
  PE_OI_CHANGE: 11,
  /** Strikes the parity forward's median was taken over (0 unless the source is parity). */
  PARITY_PAIRS: 12,
});
export const CHAIN_WORDS = 13;
