/**
 * Black-76 in normalised form (Jäckel, "Let's Be Rational", Wilmott 2015, section 2): with
 * x = ln(F/K) and total volatility s = σ√T, the undiscounted price divided by √(FK) is
 * b(x, s) = e^{x/2}Φ(x/s + s/2) − e^{−x/2}Φ(x/s − s/2) for a call. The time value (price
 * minus intrinsic) is the same for a call and a put and symmetric in x, so everything here
 * works on the out-of-the-money value β(s) = b(−|x|, s) ∈ (0, e^{−|x|/2}).
 *
 * Why not the textbook formula: its two terms cancel. Near the money with a short expiry
 * (s ≈ 1e-4, an option minutes before expiry) or far out of the money with a small s, the
 * difference keeps only a few of the 16 digits. Writing h = x/s, t = s/2,
 *   β = ½·e^{−(h²+t²)/2}·[erfcx(y₁) − erfcx(y₂)],  y₁,₂ = (−h ∓ t)/√2,
 * removes the exponential range problem; where the interval [y₁, y₂] is thin against the
 * scale on which erfcx varies, the difference itself is integrated instead,
 *   erfcx(y₁) − erfcx(y₂) = ∫ g(y) dy,  g(y) = −erfcx′(y) = 2/√π − 2y·erfcx(y) > 0,
 * with Gauss–Legendre (2, 4 or 8 points by width) on an integrand that is smooth on that interval, so no digit
 * is lost to cancellation anywhere (test/analytics-implied-vol.test.ts checks the grid
 * against a quadrature reference that never subtracts).
 *
 * ∂β/∂s = e^{−(h²+t²)/2}/√(2π) exactly, which gives the solver its derivatives for free.
 *
 * @module
 */
import { erfcx, INV_SQRT_2PI, INV_SQRT_PI } from './normal-distribution.js';

/** Gauss–Legendre nodes and weights on [−1, 1] for `n` points, computed once by Newton on Pₙ. */
function gaussLegendre(n: number): { x: Float64Array; w: Float64Array } {
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = z;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (z * p1 - p0)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-17) break;
    }
    x[i] = z;
    w[i] = 2 / ((1 - z * z) * dp * dp);
  }
  return { x, w };
}
// n-point Gauss–Legendre errs like r^{2n} for a half-width r against the scale max(1, y) on
// which g varies: 2 points suffice to 1e-16 below r = 1e-4, 4 below 1e-2, 8 below 0.1 (THIN).
const GL2 = gaussLegendre(2);
const GL4 = gaussLegendre(4);
const GL8 = gaussLegendre(8);

/** Where the asymptotic series of g takes over (its smallest term is ~e^{−y²} there). */
const G_ASYMPTOTIC = 8;

/**
 * g(y) = −erfcx′(y) = 2/√π − 2y·erfcx(y). The direct form loses log₁₀(2y²) digits (≤ 2.1
 * below 8); above 8 the asymptotic series (2/√π)·Σ (−1)ⁿ⁺¹(2n−1)!!/(2y²)ⁿ is summed instead.
 */
export function erfcxSlope(y: number): number {
  if (y < G_ASYMPTOTIC) return 2 * INV_SQRT_PI - 2 * y * erfcx(y);
  const inv = 1 / (2 * y * y);
  let term = inv;
  let sum = inv;
  for (let n = 2; n < 60; n++) {
    term *= -(2 * n - 1) * inv;
    sum += term;
    if (Math.abs(term) < 1e-17 * sum) break;
  }
  return 2 * INV_SQRT_PI * sum;
}

/**
 * ∫ g(y) dy over [m − r, m + r] by Gauss–Legendre. Taking the centre and half-width
 * (not the end points) matters: y₂ − y₁ recomputed from rounded end points near y ≈ 7 with a
 * width of 1e-5 keeps only ~10 digits.
 */
function integrateSlope(m: number, r: number): number {
  const rel = r / (m > 1 ? m : 1);
  const rule = rel <= 1e-4 ? GL2 : rel <= 1e-2 ? GL4 : GL8;
  const xs = rule.x;
  const ws = rule.w;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += ws[i]! * erfcxSlope(m + r * xs[i]!);
  return s * r;
}

/** The interval is "thin" below this width relative to max(1, y): cancellation would cost ≥ 1 digit there. */
const THIN = 0.2;

/**
 * Below this t = s/2 the small-t expansion is exact to double precision (Jäckel 2015 section 3:
 * τ = 2·ε^{1/16} ≈ 0.21 for the twelfth order in t).
 */
const SMALL_T = 0.21;
/**
 * Below this h = x/s Jäckel switches to an asymptotic expansion; here the general evaluation
 * below takes over (the thin-interval quadrature, accurate there), since realistic options
 * have |h| ≤ 4–5 and the quadrature is only slower, never less exact.
 */
const SMALL_T_MIN_H = -10;
/** √π/2. */
const HALF_SQRT_PI = 0.886226925452758;

/**
 * The normalised vega e^{−(h²+t²)/2}/√(2π) at the `s` of the last {@link normalisedTimeValue}
 * call, which computes it anyway: the IV iteration needs β and β′ at the same s, and the
 * second exponential would cost as much as the rest of a small-t evaluation. Read it right
 * after the call (single-threaded; nothing else writes it).
 */
export let lastVega = 0;

/**
 * β by Jäckel's small-t expansion (2015, section 3): with Y(z) = Φ(z)/φ(z),
 *   β = φ-prefactor · [Y(h+t) − Y(h−t)] = e^{−(h²+t²)/2}/√(2π) · 2·Σ Y^{(2k+1)}(h)·t^{2k+1}/(2k+1)!,
 * where every odd derivative of Y is a polynomial in h and a = Y′(h) = 1 + h·Y(h). For h < 0,
 * a = (√π/2)·g(−h/√2) with g = −erfcx′ (erfcxSlope: its asymptotic series keeps a's digits
 * where 1 + h·Y would cancel). One erfcx and one exp per evaluation, against 2–8 erfcx for the
 * quadrature, and no difference of nearly equal terms. Twelfth order in t: the last term kept is
 * t^{13}/13!·Y^{(13)}, below ε·β for t < 0.21.
 */
function smallTimeValue(h: number, t: number): number {
  const a = HALF_SQRT_PI * erfcxSlope(-h * Math.SQRT1_2);
  const w = t * t;
  const h2 = h * h;
  const series =
    2 * t *
    (a +
      w *
        ((-1 + 3 * a + a * h2) / 6 +
          w *
            ((-7 + 15 * a + h2 * (-1 + 10 * a + a * h2)) / 120 +
              w *
                ((-57 + 105 * a + h2 * (-18 + 105 * a + h2 * (-1 + 21 * a + a * h2))) / 5040 +
                  w *
                    ((-561 + 945 * a + h2 * (-285 + 1260 * a + h2 * (-33 + 378 * a + h2 * (-1 + 36 * a + a * h2)))) / 362880 +
                      w *
                        ((-6555 + 10395 * a + h2 * (-4680 + 17325 * a + h2 * (-840 + 6930 * a + h2 * (-52 + 990 * a + h2 * (-1 + 55 * a + a * h2))))) / 39916800 +
                          (w * (-89055 + 135135 * a + h2 * (-82845 + 270270 * a + h2 * (-20370 + 135135 * a + h2 * (-1926 + 25740 * a + h2 * (-75 + 2145 * a + h2 * (-1 + 78 * a + a * h2))))))) /
                            6227020800))))));
  lastVega = INV_SQRT_2PI * Math.exp(-0.5 * (h2 + w));
  const b = lastVega * series;
  return b > 0 ? b : 0;
}

/**
 * The normalised out-of-the-money time value β(x, s) for x ≤ 0, s > 0 (0 when it underflows).
 * Also leaves ∂β/∂s at s in {@link lastVega}.
 */
export function normalisedTimeValue(x: number, s: number): number {
  const h = x / s;
  const t = 0.5 * s;
  if (t < SMALL_T && h >= SMALL_T_MIN_H) return smallTimeValue(h, t);
  const pre = 0.5 * Math.exp(-0.5 * (h * h + t * t));
  lastVega = 2 * INV_SQRT_2PI * pre;
  const ym = -h * Math.SQRT1_2;
  const w = Math.SQRT2 * t;
  if (w <= THIN * (ym > 1 ? ym : 1)) return pre * integrateSlope(ym, 0.5 * w);
  const y1 = ym - 0.5 * w;
  const y2 = ym + 0.5 * w;
  // pre underflows to 0 far out of the money (β underflows too) and at very large s (where β is
  // the bound e^{x/2} to double precision, the last branch).
  if (y1 >= -1) return pre === 0 ? 0 : pre * (erfcx(y1) - erfcx(y2));
  return Math.exp(0.5 * x) - pre * (erfcx(-y1) + erfcx(y2));
}

/**
 * The distance to the upper bound, e^{x/2} − β(x, s), for x ≤ 0, computed without
 * subtracting where β is close to the bound (the high-volatility end). Also leaves ∂β/∂s in
 * {@link lastVega}.
 */
export function normalisedTimeValueComplement(x: number, s: number): number {
  const h = x / s;
  const t = 0.5 * s;
  const y1 = -(h + t) * Math.SQRT1_2;
  if (y1 >= 0) return Math.exp(0.5 * x) - normalisedTimeValue(x, s);
  const y2 = (t - h) * Math.SQRT1_2;
  const pre = 0.5 * Math.exp(-0.5 * (h * h + t * t));
  lastVega = 2 * INV_SQRT_2PI * pre;
  return pre * (erfcx(-y1) + erfcx(y2));
}

/** ∂β/∂s = e^{−(h²+t²)/2}/√(2π), the normalised vega. */
export function normalisedVega(x: number, s: number): number {
  const h = x / s;
  const t = 0.5 * s;
  return INV_SQRT_2PI * Math.exp(-0.5 * (h * h + t * t));
}
