/**
 * Black-76 implied volatility to full double precision.
 *
 * Method: a safeguarded third-order (Householder) iteration on the normalised time value
 * β(s) of normalised-black.ts, with the three-region structure of Jäckel's "Let's Be
 * Rational" (Wilmott 2015, sections 3–4). With the inflection point s_c = √(2|x|) of β, its tangent
 * meets 0 at s_l = s_c − β(s_c)/β′(s_c) and the upper bound e^{x/2} at s_u = s_c + (e^{x/2} −
 * β(s_c))/β′(s_c). The objective is chosen per region so that it is nearly linear in s and
 * computed without losing digits:
 *   - s < s_l: ln β(s) − ln β* (β is there like e^{−x²/2s²}, a plain difference would be all
 *     exponent);
 *   - s_l ≤ s ≤ s_u: β(s) − β* itself;
 *   - s > s_u: ln(e^{x/2} − β*) − ln(e^{x/2} − β(s)), the distance to the bound computed directly
 *     (normalisedTimeValueComplement), since β* there agrees with the bound in its leading digits.
 * A bracket that every evaluation tightens catches any step leaving it (bisection then), so the
 * iteration cannot diverge or cycle in the wings, unlike a fixed-iteration Newton on the price.
 * The derivatives are exact and cheap: β′ = e^{−(h²+t²)/2}/√(2π), β″/β′ = x²/s³ − s/4.
 *
 * Stop: the step is below 4 ulp of s, the objective is exactly 0, or 40 iterations (never
 * reached on the test grid; 2–4 are typical, bench/analytics.bench.mjs).
 *
 * @module
 */
import { normalisedTimeValue, normalisedTimeValueComplement, normalisedVega } from './normalised-black.js';

const MAX_ITERATIONS = 40;
const EPS = 2.220446049250313e-16;
const SQRT_2PI = 2.5066282746310002;

/** Optional counters for tests and benchmarks. */
export interface SolverStats {
  /** Iterations of the last solve. */
  iterations: number;
}

/** Region codes: which objective the iteration uses. */
const LOWER = 0;
const MIDDLE = 1;
const UPPER = 2;

/**
 * −Φ⁻¹(a) for 0 < a ≤ ½, Abramowitz–Stegun 26.2.23 (|error| < 4.5e-4): only the initial guess
 * of the upper region, which the iteration then refines.
 */
function roughUpperQuantile(a: number): number {
  const t = Math.sqrt(-2 * Math.log(a));
  return t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
}

/**
 * Total volatility s = σ√T with β(x, s) = beta, for x ≤ 0 and 0 < beta < e^{x/2}.
 * `complement` is e^{x/2} − beta computed by the caller from the price (more accurate than
 * subtracting here when beta is close to the bound). NaN when no s > 0 gives the value in
 * double precision.
 */
export function normalisedImpliedVol(beta: number, complement: number, x: number, stats?: SolverStats): number {
  if (!(beta > 0) || !(complement > 0) || !(x <= 0)) return Number.NaN;
  const ax = -x;
  const bMax = Math.exp(0.5 * x);
  const sc = Math.sqrt(2 * ax);
  const bc = sc === 0 ? 0 : normalisedTimeValue(x, sc);
  const vc = sc === 0 ? 1 / SQRT_2PI : normalisedVega(x, sc);
  const sl = sc - bc / vc;
  const su = sc + (bMax - bc) / vc;
  // Only the region boundary on beta's side of β(s_c) is needed: one evaluation, not two.
  const below = beta < bc;
  const bl = below && sl > 0 ? normalisedTimeValue(x, sl) : 0;
  const uu = below ? 0 : normalisedTimeValueComplement(x, su);

  let region: number;
  let lo: number;
  let hi: number;
  let s: number;
  if (beta < bl) {
    region = LOWER;
    lo = 0;
    hi = sl;
    // ln β ≈ −x²/(2s²) + O(ln s): the leading term alone.
    s = ax / Math.sqrt(-2 * Math.log(beta));
  } else if (!below && complement < uu) {
    region = UPPER;
    lo = su;
    hi = Number.POSITIVE_INFINITY;
    // For large s, e^{x/2} − β ≈ 2·cosh(x/2)·Φ(−s/2).
    s = 2 * roughUpperQuantile(Math.min(0.5, complement / (bMax + 1 / bMax)));
  } else {
    region = MIDDLE;
    lo = sl > 0 ? sl : 0;
    hi = su;
    // Piecewise-linear through (β_l, s_l), (β_c, s_c), (β_u, s_u).
    s = below ? lo + ((beta - bl) / (bc - bl)) * (sc - lo) : sc + ((beta - bc) / (bMax - uu - bc)) * (su - sc);
  }
  if (!(s > lo && s < hi)) s = Number.isFinite(hi) ? 0.5 * (lo + hi) : 2 * lo;
  const target = region === LOWER ? Math.log(beta) : region === UPPER ? Math.log(complement) : beta;
  const x2 = x * x;
  let it = 0;
  while (it < MAX_ITERATIONS) {
    it++;
    const value = region === UPPER ? normalisedTimeValueComplement(x, s) : normalisedTimeValue(x, s);
    if (!(value > 0) && region !== MIDDLE) {
      // Underflow far left (lower) or rounding to the bound far right (upper): bisect inwards.
      if (region === UPPER) hi = s;
      else lo = s;
      s = 0.5 * (lo + hi);
      continue;
    }
    // Each objective increases with s.
    const f = region === LOWER ? Math.log(value) - target : region === UPPER ? target - Math.log(value) : value - target;
    if (f === 0) break;
    if (f < 0) lo = s;
    else hi = s;
    const vega = normalisedVega(x, s);
    const s2 = s * s;
    const q = x2 / (s2 * s) - 0.25 * s;
    const qq = q * q - (3 * x2) / (s2 * s2) - 0.25;
    let f1: number;
    let f2: number;
    let f3: number;
    if (region === MIDDLE) {
      f1 = vega;
      f2 = vega * q;
      f3 = vega * qq;
    } else {
      const c = vega / value;
      const sign = region === LOWER ? -1 : 1;
      f1 = c;
      f2 = c * q + sign * c * c;
      f3 = c * qq + sign * 3 * c * c * q + 2 * c * c * c;
    }
    const nu = -f / f1;
    const h2 = f2 / f1;
    const h3 = f3 / f1;
    let step = (nu * (1 + 0.5 * h2 * nu)) / (1 + nu * (h2 + (h3 * nu) / 6));
    if (!Number.isFinite(step)) step = nu;
    // Converged: test before the bracket check, since a sub-ulp step can land on the bracket end
    // that this very evaluation just set, and bisecting from there would undo the convergence.
    if (Math.abs(step) <= 4 * EPS * s) {
      s += step;
      break;
    }
    let next = s + step;
    if (!(next > lo && next < hi)) next = Number.isFinite(hi) ? 0.5 * (lo + hi) : 2 * s;
    s = next;
    if (hi - lo <= 4 * EPS * hi) break;
  }
  if (stats !== undefined) stats.iterations = it;
  return s;
}

/**
 * Black-76 implied volatility σ (decimal, per √year) of `price` for forward `forward`,
 * strike `strike`, `t` years and discount factor `df`; NaN when the price carries no
 * volatility (see option-analytics.ts for the reasons).
 */
export function impliedVolatility(price: number, forward: number, strike: number, t: number, df: number, isCall: boolean, stats?: SolverStats): number {
  if (!(t > 0) || !(price > 0) || !(forward > 0) || !(strike > 0) || !(df > 0)) return Number.NaN;
  const intrinsic = df * (isCall ? (forward > strike ? forward - strike : 0) : strike > forward ? strike - forward : 0);
  const bound = df * (isCall ? forward : strike);
  const norm = df * Math.sqrt(forward * strike);
  const s = normalisedImpliedVol((price - intrinsic) / norm, (bound - price) / norm, -Math.abs(Math.log(forward / strike)), stats);
  return s / Math.sqrt(t);
}
