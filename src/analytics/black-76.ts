/**
 * Black-76 on the forward: the price and the Greeks of one European option, in the units the
 * chain shows (README "Analytics"). A chain's forward F is implied by put-call parity
 * (parity-forward.ts), discounted with df = e^{−rT}; the spot-equivalent S = F·df is what a
 * trader's delta and gamma refer to (the forward moves one for one with the spot at fixed r, T).
 *
 * @module
 */
import { erfcx, INV_SQRT_2PI } from './normal-distribution.js';
import { normalisedTimeValue } from './normalised-black.js';

/** Offsets of the Greeks written by {@link writeGreeks} (and solveOption). */
export const OUT_IV = 0;
export const OUT_DELTA = 1;
export const OUT_GAMMA = 2;
export const OUT_THETA = 3;
export const OUT_VEGA = 4;
/** Float64 words written per option. */
export const OUT_WORDS = 5;

/**
 * Black-76 price (rupees) at volatility `sigma` (decimal): the discounted intrinsic value
 * plus the time value from the cancellation-free normalised form (normalised-black.ts).
 */
export function black76Price(forward: number, strike: number, t: number, df: number, sigma: number, isCall: boolean): number {
  const intrinsic = df * (isCall ? (forward > strike ? forward - strike : 0) : strike > forward ? strike - forward : 0);
  if (!(t > 0) || !(sigma > 0)) return intrinsic;
  const s = sigma * Math.sqrt(t);
  const x = -Math.abs(Math.log(forward / strike));
  return intrinsic + normalisedTimeValue(x, s) * df * Math.sqrt(forward * strike);
}

/**
 * The IV and Greeks at volatility `sigma` (decimal), written to `out[at..at+5)`:
 * - IV in percent (σ·100);
 * - delta ∂V/∂S and gamma ∂²V/∂S² with respect to the spot-equivalent S = F·df (a call's
 *   delta is Φ(d₁), a put's Φ(d₁) − 1);
 * - theta per calendar day, −∂V/∂T / 365 with the forward held fixed (Black-76:
 *   θ = r·V − df·F·φ(d₁)·σ/(2√T));
 * - vega per one volatility point, ∂V/∂σ / 100 = df·F·φ(d₁)·√T / 100.
 * `price` is the option's value at `sigma` (the market price it was solved from), which
 * theta's r·V term needs.
 */
export function writeGreeks(forward: number, strike: number, t: number, df: number, isCall: boolean, sigma: number, price: number, out: Float64Array, at = 0): void {
  writeGreeksAt(forward, t, df, isCall, Math.log(forward / strike), sigma * Math.sqrt(t), price, out, at);
}

/**
 * {@link writeGreeks} from what the IV solve already has: ln(F/K) and the total volatility
 * s = σ√T. One exp (φ(d₁)) and one erfcx (Φ(d₁) = φ(d₁)·√(π/2)·erfcx(−d₁/√2), the tail taken
 * directly so a deep put's or call's delta keeps its digits) — no log, no second exp.
 */
export function writeGreeksAt(forward: number, t: number, df: number, isCall: boolean, lnFK: number, s: number, price: number, out: Float64Array, at: number): void {
  const sqrtT = Math.sqrt(t);
  const sigma = s / sqrtT;
  const d1 = lnFK / s + 0.5 * s;
  const pdf = INV_SQRT_2PI * Math.exp(-0.5 * d1 * d1);
  // Φ(−|d₁|).
  const tail = pdf * SQRT_HALF_PI * erfcx(Math.abs(d1) * Math.SQRT1_2);
  const r = -Math.log(df) / t;
  const dfF = df * forward;
  out[at + OUT_IV] = 100 * sigma;
  out[at + OUT_DELTA] = isCall ? (d1 < 0 ? tail : 1 - tail) : d1 < 0 ? tail - 1 : -tail;
  out[at + OUT_GAMMA] = pdf / (dfF * s);
  out[at + OUT_THETA] = (r * price - (dfF * pdf * sigma) / (2 * sqrtT)) / 365;
  out[at + OUT_VEGA] = (dfF * pdf * sqrtT) / 100;
}

/** √(π/2). */
const SQRT_HALF_PI = 1.2533141373155003;
