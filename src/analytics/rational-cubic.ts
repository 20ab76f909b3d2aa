/**
 * Delbourgo–Gregory rational cubic interpolation ("Shape preserving piecewise rational
 * interpolation", SIAM J. Sci. Stat. Comput. 6 (1985) 967–976), as Jäckel's "Let's Be
 * Rational" (Wilmott 2015, section 4 and its appendix) uses it for the IV solver's initial guess: an
 * interpolant between two points with given slopes and one free control parameter r, which
 * is chosen to match a second derivative at one end while keeping the curve convex (or
 * monotone) where the data are, so the guess never leaves the region it interpolates.
 *
 * r = 3 is the ordinary cubic Hermite interpolant; r → ∞ tends to the straight line.
 *
 * @module
 */

const EPS = 2.220446049250313e-16;
/** r must stay above −1 (the denominator 1 + (r − 3)·t·(1 − t) stays positive). */
const R_MIN = -(1 - Math.sqrt(EPS));
/** Large enough to be the straight line in double precision. */
const R_MAX = 2 / (EPS * EPS);

/** The smallest normal double (C's DBL_MIN): Jäckel's "is zero" threshold. */
const DBL_MIN = 2.2250738585072014e-308;

function isZero(v: number): boolean {
  return Math.abs(v) < DBL_MIN;
}

/**
 * The rational cubic through (xl, yl) and (xr, yr) with slopes dl, dr and control r, at x.
 * `omt` is 1 − t for t = (x − xl)/(xr − xl), passed separately so a caller near xr can give it
 * without the cancellation of 1 − t (NaN: computed here).
 */
export function rationalCubic(x: number, xl: number, xr: number, yl: number, yr: number, dl: number, dr: number, r: number, omt = Number.NaN): number {
  const h = xr - xl;
  if (!(Math.abs(h) > 0)) return 0.5 * (yl + yr);
  const t = (x - xl) / h;
  const u = omt === omt ? omt : 1 - t;
  if (!(r < R_MAX)) return yr * t + yl * u;
  const t2 = t * t;
  const u2 = u * u;
  return (yr * t2 * t + (r * yr - h * dr) * t2 * u + (r * yl + h * dl) * t * u2 + yl * u2 * u) / (1 + (r - 3) * t * u);
}

/** The least r that keeps the interpolant monotone and convex/concave like its data (Delbourgo–Gregory (3.8), (3.18)). */
function minimumControl(dl: number, dr: number, slope: number, preferShape: boolean): number {
  const monotonic = dl * slope >= 0 && dr * slope >= 0;
  const convex = dl <= slope && slope <= dr;
  const concave = dl >= slope && slope >= dr;
  if (!monotonic && !convex && !concave) return R_MIN;
  const drMinusDl = dr - dl;
  const drMinusS = dr - slope;
  const sMinusDl = slope - dl;
  let r1 = -Number.MAX_VALUE;
  let r2 = r1;
  if (monotonic) {
    if (!isZero(slope)) r1 = (dr + dl) / slope;
    else if (preferShape) r1 = R_MAX;
  }
  if (convex || concave) {
    if (!(isZero(sMinusDl) || isZero(drMinusS))) r2 = Math.max(Math.abs(drMinusDl / drMinusS), Math.abs(drMinusDl / sMinusDl));
    else if (preferShape) r2 = R_MAX;
  } else if (monotonic && preferShape) r2 = R_MAX;
  return Math.max(R_MIN, r1, r2);
}

/**
 * The control r of {@link rationalCubic} that gives second derivative `d2l` at the left end,
 * raised to the minimum that preserves the data's shape.
 */
export function controlForLeftCurvature(xl: number, xr: number, yl: number, yr: number, dl: number, dr: number, d2l: number, preferShape: boolean): number {
  const h = xr - xl;
  const num = 0.5 * h * d2l + (dr - dl);
  const den = (yr - yl) / h - dl;
  const r = isZero(num) ? 0 : isZero(den) ? (num > 0 ? R_MAX : R_MIN) : num / den;
  return Math.max(r, minimumControl(dl, dr, (yr - yl) / h, preferShape));
}

/** As {@link controlForLeftCurvature}, for second derivative `d2r` at the right end. */
export function controlForRightCurvature(xl: number, xr: number, yl: number, yr: number, dl: number, dr: number, d2r: number, preferShape: boolean): number {
  const h = xr - xl;
  const num = 0.5 * h * d2r + (dr - dl);
  const den = dr - (yr - yl) / h;
  const r = isZero(num) ? 0 : isZero(den) ? (num > 0 ? R_MAX : R_MIN) : num / den;
  return Math.max(r, minimumControl(dl, dr, (yr - yl) / h, preferShape));
}
