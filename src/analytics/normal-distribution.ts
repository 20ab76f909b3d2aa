/**
 * The standard normal distribution to full double precision: `erfc`, the scaled `erfcx`
 * (e^{x²}·erfc x, which never underflows in the wings) and Φ. The IV solver needs these to
 * the last bits: the simulator's Abramowitz–Stegun Φ (|error| < 1.5e-7, src/sim/black76.ts)
 * would cap the recovered IV at ~6 digits.
 *
 * Method: W. J. Cody's rational Chebyshev approximations, "Rational Chebyshev approximations
 * for the error function", Math. Comp. 23 (1969) 631–638, in the form of his SPECFUN routine
 * CALERF (three ranges: |x| ≤ 0.46875, ≤ 4, > 4; relative error below 1e-16 in each). The
 * coefficients are the published ones. Jäckel's "Let's Be Rational" (2015) uses the same
 * functions for the same reason.
 *
 * @module
 */

const A = [3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947, 0.185777706184603153] as const;
const B = [23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062] as const;
const C = [
  0.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131, 881.95222124176909,
  1712.04761263407058, 2051.07837782607147, 1230.33935479799725, 2.15311535474403846e-8,
] as const;
const D = [
  15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019, 3290.79923573345963,
  4362.61909014324716, 3439.36767414372164, 1230.33935480374942,
] as const;
const P = [0.305326634961232344, 0.360344899949804439, 0.125781726111229246, 0.0160837851487422766, 6.58749161529837803e-4, 0.0163153871373020978] as const;
const Q = [2.56852019228982242, 1.87295284992346047, 0.527905102951428412, 0.0605183413124413191, 0.00233520497626869185] as const;

const INV_SQRT_PI = 0.56418958354775628695;
const INV_SQRT_2PI = 0.3989422804014327;
/** Beyond this erfcx(x) = 1/(x√π) to double precision (Cody's XHUGE). */
const X_HUGE = 6.71e7;

/** erf(x) for |x| ≤ 0.46875 (Cody's first range). */
function erfSmall(x: number): number {
  const ysq = x * x;
  let num = A[4] * ysq;
  let den = ysq;
  num = (num + A[0]) * ysq;
  den = (den + B[0]) * ysq;
  num = (num + A[1]) * ysq;
  den = (den + B[1]) * ysq;
  num = (num + A[2]) * ysq;
  den = (den + B[2]) * ysq;
  return (x * (num + A[3])) / (den + B[3]);
}

/**
 * erfcx(y) for 0.46875 < y (Cody's second and third ranges), Horner unrolled with the
 * coefficients inline: the IV solver calls it several times per option.
 */
function erfcxLarge(y: number): number {
  if (y <= 4) {
    const num = ((((((((C[8] * y + C[0]) * y + C[1]) * y + C[2]) * y + C[3]) * y + C[4]) * y + C[5]) * y + C[6]) * y + C[7]);
    const den = (((((((y + D[0]) * y + D[1]) * y + D[2]) * y + D[3]) * y + D[4]) * y + D[5]) * y + D[6]) * y + D[7];
    return num / den;
  }
  if (y >= X_HUGE) return INV_SQRT_PI / y;
  const z = 1 / (y * y);
  const num = ((((P[5] * z + P[0]) * z + P[1]) * z + P[2]) * z + P[3]) * z;
  const den = ((((z + Q[0]) * z + Q[1]) * z + Q[2]) * z + Q[3]) * z;
  return (INV_SQRT_PI - (z * (num + P[4])) / (den + Q[4])) / y;
}

/**
 * e^{-y²} to full precision: y² is split at a multiple of 1/16 so the rounding error of
 * squaring y is not amplified by the exponential (Cody's device).
 */
function expMinusSquare(y: number): number {
  const y16 = Math.trunc(y * 16) / 16;
  return Math.exp(-y16 * y16) * Math.exp(-(y - y16) * (y + y16));
}

/** Complementary error function erfc(x) = 1 − erf(x), relative precision ~1e-16 for every x. */
export function erfc(x: number): number {
  const y = Math.abs(x);
  if (y <= 0.46875) return 1 - erfSmall(x);
  const r = y >= 26.7 ? 0 : expMinusSquare(y) * erfcxLarge(y);
  return x < 0 ? 2 - r : r;
}

/** Scaled complementary error function e^{x²}·erfc(x); finite for every x ≥ −26.6. */
export function erfcx(x: number): number {
  const y = Math.abs(x);
  if (y <= 0.46875) return Math.exp(x * x) * (1 - erfSmall(x));
  const r = erfcxLarge(y);
  if (x >= 0) return r;
  if (x < -26.628) return Number.POSITIVE_INFINITY;
  const x16 = Math.trunc(x * 16) / 16;
  const e = Math.exp(x16 * x16) * Math.exp((x - x16) * (x + x16));
  return e + e - r;
}

/** Standard normal CDF Φ(z), relative precision ~1e-16 in both tails. */
export function normCdf(z: number): number {
  return 0.5 * erfc(-z * Math.SQRT1_2);
}

/** Standard normal density φ(z). */
export function normPdf(z: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/**
 * Φ⁻¹(p) for 0 < p < 1 by P. J. Acklam's rational approximation (relative error < 1.15e-9),
 * the lower tail computed from p itself so tiny p keep their digits. Only the IV solver's
 * initial guesses use it (implied-volatility.ts); the iteration then reaches full precision,
 * so a refinement step here would be wasted work. NaN outside (0, 1).
 */
export function inverseNormCdf(p: number): number {
  if (!(p > 0 && p < 1)) return Number.NaN;
  if (p < P_LOW) return lowerTailQuantile(p);
  if (p > 1 - P_LOW) return -lowerTailQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((-39.69683028665376 * r + 220.9460984245205) * r - 275.9285104469687) * r + 138.357751867269) * r - 30.66479806614716) * r + 2.506628277459239) * q) /
    (((((-54.47609879822406 * r + 161.5858368580409) * r - 155.6989798598866) * r + 66.80131188771972) * r - 13.28068155288572) * r + 1)
  );
}

/** Acklam's tail region boundary. */
const P_LOW = 0.02425;

/** Φ⁻¹(p) for 0 < p < P_LOW (Acklam's tail form). */
function lowerTailQuantile(p: number): number {
  const q = Math.sqrt(-2 * Math.log(p));
  return (
    (((((-0.007784894002430293 * q - 0.3223964580411365) * q - 2.400758277161838) * q - 2.549732539343734) * q + 4.374664141464968) * q + 2.938163982698783) /
    ((((0.007784695709041462 * q + 0.3224671290700398) * q + 2.445134137142996) * q + 3.754408661907416) * q + 1)
  );
}

export { INV_SQRT_2PI, INV_SQRT_PI };
