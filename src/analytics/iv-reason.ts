/**
 * The codes the analytics carry per leg and per chain, shared by the math (src/analytics/),
 * the analytics table and the encoders. One number per leg says both things: a positive code
 * names the price the IV was solved from (`ivFrom`), a code ≤ 0 is why there is no IV (then
 * IV and every Greek are null, never NaN or 0 on the wire).
 *
 * @module
 */

/** Why an option has no IV (the JSON `ivReason`); codes ≤ 0. */
export const IvReason = Object.freeze({
  /** Not computed yet (the analytics worker has not seen this leg's chain). */
  pending: 0,
  /** No usable price: no sane two-sided quote and no LTP. */
  noPrice: -1,
  /** Price at or below the discounted intrinsic value against the forward: no time value. */
  belowIntrinsic: -2,
  /** Price at or above the no-arbitrage bound (df·F for a call, df·K for a put). */
  aboveUpperBound: -3,
  /** The expiry's 15:30 IST close has passed. */
  expired: -4,
  /** No forward: no put-call parity pair and no spot. */
  noForward: -5,
  /** The time value is too small against the price to carry a volatility in double precision. */
  noTimeValue: -6,
});

/** A reason's name, as the JSON `ivReason` spells it. */
export type IvReasonName = keyof typeof IvReason;

/** Reason names by code: `IV_REASON_NAMES[-code]`. */
export const IV_REASON_NAMES: readonly IvReasonName[] = Object.freeze(['pending', 'noPrice', 'belowIntrinsic', 'aboveUpperBound', 'expired', 'noForward', 'noTimeValue']);

/** Which price the IV was solved from (codes > 0): see iv-price.ts for the rule. */
export const IvFrom = Object.freeze({ mid: 1, ltp: 2 });

/** `ivFrom` names by code: `IV_FROM_NAMES[code]` (index 0 is "no IV"). */
export const IV_FROM_NAMES = Object.freeze([null, 'mid', 'ltp'] as const);

/** Where a chain's forward came from. */
export const ForwardSource = Object.freeze({
  /** No forward: no parity pair and no spot; every leg is `noForward`. */
  none: 0,
  /** Median of put-call parity over near-the-money strikes (parity-forward.ts). */
  parity: 1,
  /** Fallback: the underlying's LTP × e^{rT}. */
  spot: 2,
});

/** Forward source names by code: `FORWARD_SOURCE_NAMES[code]`. */
export const FORWARD_SOURCE_NAMES = Object.freeze([null, 'parity', 'spot'] as const);
