/**
 * Black-76 implied volatility to full double precision, with the structure of Jäckel's "Let's
 * Be Rational" (Wilmott 2015, sections 3–5) on the normalised time value β(s) of normalised-black.ts:
 *
 * 1. Four branches around the inflection point s_c = √(2|x|) of β, whose tangent meets 0 at
 *    s_l = s_c − β(s_c)/β′(s_c) and the bound e^{x/2} at s_h = s_c + (e^{x/2} − β(s_c))/β′(s_c).
 * 2. An initial guess per branch from a rational cubic (rational-cubic.ts) that matches β's
 *    values, slopes and curvature at the branch ends: on [s_l, s_c] and [s_c, s_h] directly
 *    in s(β); below s_l through the "lower map" f = (2π/√27)|x|Φ(−|x|/(√3 s))³ (which β
 *    approaches like f ≈ β as β → 0, so f(β) is nearly linear and inverts in closed form);
 *    above s_h through the "upper map" f = Φ(−s/2) (likewise near the bound).
 * 3. Householder's third-order step on an objective chosen per branch to be nearly linear in
 *    s and computed without losing digits: 1/ln β(s) − 1/ln β* below s_l (β is there like
 *    e^{−x²/2s²}), β(s) − β* in the middle, ln(e^{x/2} − β*) − ln(e^{x/2} − β(s)) above s_h,
 *    the distance to the bound computed directly (normalisedTimeValueComplement).
 *
 * The guess is good to ~1e-3–1e-6 relative, and the step converges with order 4, so one or two
 * steps reach full precision. The loop stops as soon as a step is below {@link CONVERGED}·s:
 * the error after such a step is of the order of (step/s)⁴ ≤ 1e-16. A bracket that every
 * evaluation tightens catches a step leaving it (bisection then), so the iteration cannot
 * diverge or cycle in the far wings. β′ = e^{−(h²+t²)/2}/√(2π) comes with each evaluation of β
 * (normalised-black.ts `lastVega`); β″/β′ = x²/s³ − s/4.
 *
 * @module
 */
import { INV_SQRT_2PI, erfcx, inverseNormCdf, normCdf } from './normal-distribution.js';
import { lastVega, normalisedTimeValue, normalisedTimeValueComplement } from './normalised-black.js';
import { controlForLeftCurvature, controlForRightCurvature, rationalCubic } from './rational-cubic.js';

const MAX_ITERATIONS = 40;
const EPS = 2.220446049250313e-16;
/**
 * A step below this fraction of s is the last: Householder(3) leaves an error of order
 * (step/s)⁴ after it, below ε here (checked against continuing the iteration on the test grid).
 */
const CONVERGED = 2 ** -14;
const SQRT_3 = 1.7320508075688772;
const TWO_PI = 6.283185307179586;
/** 2π/√27, the lower map's constant. */
const LOWER_MAP_C = 1.2091995761561452;
/** √(π/2). */
const SQRT_HALF_PI = 1.2533141373155003;
/** √(DBL_MAX): Jäckel's guard on the upper map's curvature. */
const SQRT_DBL_MAX = 1.3407807929942596e154;

/** Optional counters for tests and benchmarks. */
export interface SolverStats {
  /** Householder steps (β evaluations) of the last solve. */
  iterations: number;
}

/** Objective codes. */
const LOWER = 0;
const MIDDLE = 1;
const UPPER = 2;

/**
 * The lower map f(β(s)) = (2π/√27)·|x|·Φ(−z)³, z = |x|/(√3·s), and its first two derivatives in
 * β, at s (Jäckel 2015 section 4, eq. (4.5)–(4.7)): written to `lowerMap[0..3)`. Φ(−z) and Φ(−z)/φ(z)
 * are taken from erfcx so nothing overflows for large z.
 */
const lowerMap = new Float64Array(3);
function computeLowerMap(x: number, s: number): void {
  const ax = -x;
  const z = ax / (SQRT_3 * s);
  const y = z * z;
  const ex = erfcx(z * Math.SQRT1_2);
  const phiRatio = SQRT_HALF_PI * ex; // Φ(−z)/φ(z)
  const cdf = 0.5 * Math.exp(-0.5 * y) * ex; // Φ(−z)
  const s2 = s * s;
  lowerMap[0] = LOWER_MAP_C * ax * cdf * cdf * cdf;
  // fp = 2π·y·Φ²·e^{y+s²/8} with Φ²·e^y = erfcx²/4.
  lowerMap[1] = 0.5 * Math.PI * y * ex * ex * Math.exp(0.125 * s2);
  lowerMap[2] = ((TWO_PI * y) / s) * cdf * Math.exp(2 * y + 0.25 * s2) * (2 * z + phiRatio * (0.25 * s2 - 2 - 2 * y));
}

/** s with lower map value f: |x| / (√3·|Φ⁻¹((f/((2π/√27)|x|))^{1/3})|). */
function inverseLowerMap(x: number, f: number): number {
  const q = inverseNormCdf(Math.cbrt(f / (LOWER_MAP_C * -x)));
  return Math.abs(x / (SQRT_3 * q));
}

/**
 * Total volatility s = σ√T with β(x, s) = beta, for x ≤ 0 and 0 < beta < e^{x/2}.
 * `complement` is e^{x/2} − beta computed by the caller from the price (more accurate than
 * subtracting here when beta is close to the bound). NaN when no s > 0 gives the value in
 * double precision.
 */
export function normalisedImpliedVol(beta: number, complement: number, x: number, stats?: SolverStats): number {
  if (!(beta > 0) || !(complement > 0) || !(x <= 0)) return Number.NaN;
  const bMax = Math.exp(0.5 * x);
  if (!(bMax > 0)) return Number.NaN;
  const sc = Math.sqrt(-2 * x);
  const bc = sc === 0 ? 0 : normalisedTimeValue(x, sc);
  // h = −t at s_c, so h² + t² = |x| and β′(s_c) = e^{x/2}/√(2π) exactly.
  const vc = INV_SQRT_2PI * bMax;

  let region: number;
  let lo: number;
  let hi: number;
  let s: number;
  if (beta < bc) {
    const sl = sc - bc / vc;
    const bl = sl > 0 ? normalisedTimeValue(x, sl) : 0;
    const vl = lastVega;
    if (beta < bl) {
      region = LOWER;
      lo = 0;
      hi = sl;
      computeLowerMap(x, sl);
      const fl = lowerMap[0]!;
      const r = controlForRightCurvature(0, bl, 0, fl, 1, lowerMap[1]!, lowerMap[2]!, true);
      let f = rationalCubic(beta, 0, bl, 0, fl, 1, lowerMap[1]!, r);
      if (!(f > 0)) {
        // Jäckel's fallback for extreme |x| (round-off in the cubic): the quadratic with
        // f(0) = 0, f′(0) = 1 through f(b_l).
        const t = beta / bl;
        f = (fl * t + bl * (1 - t)) * t;
      }
      s = inverseLowerMap(x, f);
    } else {
      region = MIDDLE;
      lo = sl > 0 ? sl : 0;
      hi = sc;
      if (sl > 0) {
        const r = controlForRightCurvature(bl, bc, sl, sc, 1 / vl, 1 / vc, 0, false);
        s = rationalCubic(beta, bl, bc, sl, sc, 1 / vl, 1 / vc, r);
      } else s = (sc * beta) / bc;
    }
  } else {
    const sh = sc + (bMax - bc) / vc;
    // e^{x/2} − β(s_h) directly: near the bound a subtraction would lose the digits that matter.
    const uh = normalisedTimeValueComplement(x, sh);
    const vh = lastVega;
    const bh = bMax - uh;
    lo = sc;
    if (complement >= uh) {
      region = MIDDLE;
      hi = sh;
      const r = controlForLeftCurvature(bc, bh, sc, sh, 1 / vc, 1 / vh, 0, false);
      s = rationalCubic(beta, bc, bh, sc, sh, 1 / vc, 1 / vh, r);
    } else {
      lo = sh;
      hi = Number.POSITIVE_INFINITY;
      // The upper map f = Φ(−s/2) and its derivatives in β at s_h (Jäckel 2015 eq. (4.10)–(4.12)).
      const fh = normCdf(-0.5 * sh);
      const w = (x / sh) * (x / sh);
      const fph = -0.5 * Math.exp(0.5 * w);
      const fpph = SQRT_HALF_PI * Math.exp(w + 0.125 * sh * sh) * (w / sh);
      // 1 − t on [b_h, e^{x/2}] from the complements, without cancelling near the bound.
      const omt = complement / uh;
      let f = Number.NaN;
      if (fpph < SQRT_DBL_MAX) {
        const r = controlForLeftCurvature(bh, bMax, fh, 0, fph, -0.5, fpph, true);
        f = rationalCubic(beta, bh, bMax, fh, 0, fph, -0.5, r, omt);
      }
      if (!(f > 0)) f = (fh * omt + 0.5 * uh * (1 - omt)) * omt;
      s = -2 * inverseNormCdf(f);
      // Jäckel: below half the bound the plain difference is the better-conditioned objective.
      region = beta > 0.5 * bMax ? UPPER : MIDDLE;
    }
  }
  if (!(s > lo && s < hi)) s = Number.isFinite(hi) ? 0.5 * (lo + hi) : 2 * lo;

  const lnBeta = region === LOWER ? Math.log(beta) : 0;
  const x2 = x * x;
  let it = 0;
  while (it < MAX_ITERATIONS) {
    it++;
    const value = region === UPPER ? normalisedTimeValueComplement(x, s) : normalisedTimeValue(x, s);
    const vega = lastVega;
    if (region === UPPER ? value < complement : value > beta) hi = s;
    else lo = s;
    let ds: number;
    if (!(value > 0) || !(vega > 0)) {
      // Underflow far left (lower) or rounding to the bound far right (upper): bisect.
      ds = (Number.isFinite(hi) ? 0.5 * (lo + hi) : 2 * s) - s;
    } else {
      const s2 = s * s;
      const halleyB = x2 / (s2 * s) - 0.25 * s;
      const hh3B = halleyB * halleyB - (3 * x2) / (s2 * s2) - 0.25;
      let newton: number;
      let halley: number;
      let hh3: number;
      if (region === MIDDLE) {
        newton = (beta - value) / vega;
        halley = halleyB;
        hh3 = hh3B;
      } else if (region === LOWER) {
        const lnB = Math.log(value);
        const bpob = vega / value;
        const k = 1 + 2 / lnB;
        newton = (((lnBeta - lnB) * lnB) / lnBeta) / bpob;
        halley = halleyB - bpob * k;
        hh3 = hh3B + 2 * bpob * bpob * (1 + (3 / lnB) * (1 + 1 / lnB)) - 3 * halleyB * bpob * k;
      } else {
        const gp = vega / value;
        newton = -Math.log(complement / value) / gp;
        halley = halleyB + gp;
        hh3 = hh3B + gp * (2 * gp + 3 * halleyB);
      }
      ds = (newton * (1 + 0.5 * halley * newton)) / (1 + newton * (halley + (hh3 * newton) / 6));
      if (!Number.isFinite(ds)) ds = newton;
      if (ds < -0.5 * s) ds = -0.5 * s;
      // Converged: tested before the bracket, since a sub-ulp step can land on the bracket end
      // this very evaluation just set, and bisecting from there would undo the convergence.
      if (Math.abs(ds) <= CONVERGED * s) {
        s += ds;
        break;
      }
    }
    let next = s + ds;
    if (!(next > lo && next < hi)) next = Number.isFinite(hi) ? 0.5 * (lo + hi) : 2 * s;
    s = next;
    if (hi - lo <= 4 * EPS * hi && Number.isFinite(hi)) break;
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
