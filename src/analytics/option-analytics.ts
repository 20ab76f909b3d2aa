/**
 * One option's analytics from its price: the checks that decide whether a volatility
 * exists (with the reason when not), the implied volatility and the Greeks at it.
 *
 * @module
 */
import { OUT_WORDS, writeGreeksAt } from './black-76.js';
import { normalisedImpliedVol } from './implied-volatility.js';
import { IvReason } from './iv-reason.js';

/**
 * Implied volatility of `price` (rupees) and the Greeks at it, written to `out[at..at+5)`
 * (units in black-76.ts `writeGreeks`; IV in percent). `t` in years (ACT/365), `df` = e^{−rT}.
 * Returns 1 on success, else an {@link IvReason} code ≤ 0 and `out` is NaN (null on the wire):
 * `expired` when t ≤ 0, `noPrice` when the price is missing or ≤ 0, `noForward` without a
 * forward, `belowIntrinsic` at or below df·(F − K)⁺ (or (K − F)⁺), `aboveUpperBound` at or
 * above df·F (call) / df·K (put), `noTimeValue` when the time value is below what double
 * precision can turn into a volatility.
 */
export function solveOption(price: number, forward: number, strike: number, t: number, df: number, isCall: boolean, out: Float64Array, at = 0): number {
  for (let i = 0; i < OUT_WORDS; i++) out[at + i] = Number.NaN;
  if (!(t > 0)) return IvReason.expired;
  if (!(price > 0)) return IvReason.noPrice;
  if (!(forward > 0) || !(strike > 0)) return IvReason.noForward;
  const intrinsic = df * (isCall ? (forward > strike ? forward - strike : 0) : strike > forward ? strike - forward : 0);
  const bound = df * (isCall ? forward : strike);
  const timeValue = price - intrinsic;
  if (!(timeValue > 0)) return IvReason.belowIntrinsic;
  if (!(price < bound)) return IvReason.aboveUpperBound;
  // A time value within a few ulp of the price is rounding noise, not information.
  if (timeValue <= 8 * 2.220446049250313e-16 * price) return IvReason.noTimeValue;
  const norm = df * Math.sqrt(forward * strike);
  const lnFK = Math.log(forward / strike);
  const s = normalisedImpliedVol(timeValue / norm, (bound - price) / norm, lnFK < 0 ? lnFK : -lnFK);
  if (!(s > 0) || !Number.isFinite(s)) return IvReason.noTimeValue;
  writeGreeksAt(forward, t, df, isCall, lnFK, s, price, out, at);
  return 1;
}
