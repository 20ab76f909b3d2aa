/**
 * Black-76 option prices and a simple volatility smile for the simulator's market model.
 * Options on index/stock futures-style forwards: F = S·e^{rT}, discounted by e^{-rT}. Pure
 * functions on numbers, no allocation: the model calls them on every option tick.
 *
 * @module
 */

/** Calendar milliseconds in a year, the time unit of T. */
export const YEAR_MS = 365 * 86_400_000;

/**
 * Standard normal CDF, Abramowitz–Stegun 7.1.26 via erf (|error| < 1.5e-7, far below a
 * 5-paise tick on any realistic price).
 */
export function normCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * Black-76 price of a European call (`isCall`) or put on forward `F`, strike `K`, `T` years,
 * volatility `sigma`, rate `r`. At T ≤ 0 or sigma ≤ 0 it is the discounted intrinsic value.
 */
export function black76(F: number, K: number, T: number, sigma: number, r: number, isCall: boolean): number {
  const df = Math.exp(-r * Math.max(T, 0));
  if (T <= 0 || sigma <= 0 || F <= 0 || K <= 0) return df * Math.max(isCall ? F - K : K - F, 0);
  const sd = sigma * Math.sqrt(T);
  const d1 = (Math.log(F / K) + 0.5 * sd * sd) / sd;
  const d2 = d1 - sd;
  return isCall ? df * (F * normCdf(d1) - K * normCdf(d2)) : df * (K * normCdf(-d2) - F * normCdf(-d1));
}

/**
 * Standardised moneyness ln(K/F)/(σ√T): how many standard deviations of the remaining life a
 * strike sits from the forward. Drives the smile, spreads and tick rates.
 */
export function moneyness(F: number, K: number, T: number, atmVol: number): number {
  const sd = atmVol * Math.sqrt(Math.max(T, 1 / (365 * 24 * 4)));
  return Math.log(K / F) / sd;
}

/**
 * Implied volatility at standardised moneyness `x`: a put skew (lower strikes dearer, as on
 * NSE index options) plus curvature, clamped to [0.6σ, 3σ] so far wings stay sane.
 */
export function smileVol(atmVol: number, x: number): number {
  const c = x < -5 ? -5 : x > 5 ? 5 : x;
  const v = atmVol * (1 - 0.07 * c + 0.03 * c * c);
  return v < 0.6 * atmVol ? 0.6 * atmVol : v > 3 * atmVol ? 3 * atmVol : v;
}
