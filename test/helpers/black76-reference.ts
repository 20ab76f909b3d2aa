/**
 * A slow, independent Black-76 reference for the analytics tests. It shares no code and no
 * formula with src/analytics/: no normal CDF, no erfc, no normalised Black function. The
 * out-of-the-money value is the expectation of the payoff, integrated numerically:
 *
 *   with x = ln(F/K) ≤ 0 (the OTM side), s = σ√T and z₀ = |x|/s + s/2 (where the payoff starts),
 *   β = E[(e^{x/2}·e^{sZ − s²/2} − e^{−x/2})⁺] = e^{−x/2}·φ(z₀)·∫₀^∞ expm1(s·u)·e^{−z₀u − u²/2} du
 *
 * (substituting Z = z₀ + u; the exponent x + s·z − s²/2 is exactly s·u there). The integrand is
 * positive and built from expm1, so nothing cancels at any moneyness or volatility; adaptive
 * Gauss–Kronrod (7/15) integrates it to ~1e-15 relative. The price is intrinsic + β·df·√(FK)
 * (a call's ITM value via parity, C − P = df·(F − K), which is exact in this form).
 *
 * The implied volatility is plain bisection on σ over this price, to 1e-12 relative width.
 *
 * @module
 */

const K15_X = [
  0.991455371120812639, 0.949107912342758525, 0.864864423359769073, 0.741531185599394440, 0.586087235467691130, 0.405845151377397167,
  0.207784955007898468, 0,
];
const K15_W = [
  0.022935322010529225, 0.063092092629978553, 0.104790010322250184, 0.140653259715525919, 0.169004726639267903, 0.190350578064785410,
  0.204432940075298892, 0.209482141084727828,
];
const G7_W = [0.129484966168869693, 0.279705391489276668, 0.381830050505118945, 0.417959183673469388];

function gk15(f: (u: number) => number, a: number, b: number): { value: number; error: number } {
  const m = 0.5 * (a + b);
  const h = 0.5 * (b - a);
  const fc = f(m);
  let k = K15_W[7]! * fc;
  let g = G7_W[3]! * fc;
  for (let i = 0; i < 7; i++) {
    const dx = h * K15_X[i]!;
    const s = f(m - dx) + f(m + dx);
    k += K15_W[i]! * s;
    if (i % 2 === 1) g += G7_W[(i - 1) / 2]! * s;
  }
  return { value: k * h, error: Math.abs((k - g) * h) };
}

/**
 * Refines `first` (the GK15 result on [a, b]) by halving until each piece's error estimate is
 * below `tol` or 1e-15 of its value. The absolute tolerance is not halved per level: a GK15
 * error estimate cannot fall below the rounding of its own sum, and halving it would recurse
 * without end.
 */
function adaptive(f: (u: number) => number, a: number, b: number, first: { value: number; error: number }, tol: number, depth: number): number {
  if (depth >= 24 || first.error <= tol || first.error <= 1e-13 * Math.abs(first.value)) return first.value;
  const m = 0.5 * (a + b);
  return adaptive(f, a, m, gk15(f, a, m), tol, depth + 1) + adaptive(f, m, b, gk15(f, m, b), tol, depth + 1);
}

/** Normalised OTM value β(x, s), x ≤ 0, by integrating the payoff. */
export function referenceNormalisedOtm(x: number, s: number): number {
  const ax = Math.abs(x);
  const z0 = ax / s + s / 2;
  const c = z0 - s;
  // The integrand is e^{−cu − u²/2} up to slowly varying factors: for c < 0 a unit-width
  // Gaussian peaked at u = −c, else decaying from u = 0. Stop where it is below e^{−60} of its peak.
  const end = c < 0 ? -c + Math.sqrt(120) : -c + Math.sqrt(c * c + 120);
  // Factored form (φ(z₀) outside the integral) while neither φ(z₀) underflows nor the
  // integrand's peak e^{(s−z₀)²/2} overflows; beyond that (total volatility ≳ 70) the density
  // is folded into one exponent, −(z₀+u)²/2 + s·u, at some cost in relative precision there.
  const factored = z0 < 36 && Math.abs(c) < 36;
  const f = factored
    ? (u: number): number => {
        const su = s * u;
        return su > 1 ? -Math.expm1(-su) * Math.exp(su - z0 * u - 0.5 * u * u) : Math.expm1(su) * Math.exp(-z0 * u - 0.5 * u * u);
      }
    : (u: number): number => {
        const su = s * u;
        const e = -0.5 * (z0 + u) * (z0 + u);
        return su > 1 ? -Math.expm1(-su) * Math.exp(su + e) : Math.expm1(su) * Math.exp(e);
      };
  // The pieces' first GK15 results give the integral's magnitude, so the tolerance can be
  // relative to the whole without a separate pass. |K15 − G7| estimates G7's error; K15's own
  // is far smaller (QUADPACK takes (200·|K15 − G7|)^1.5), so 1e-13 of the whole in |K15 − G7|
  // leaves K15 accurate to ~1e-16.
  const pieces = 8;
  const first: { value: number; error: number }[] = [];
  let magnitude = 0;
  for (let i = 0; i < pieces; i++) {
    const r = gk15(f, (end * i) / pieces, (end * (i + 1)) / pieces);
    first.push(r);
    magnitude += Math.abs(r.value);
  }
  let total = 0;
  for (let i = 0; i < pieces; i++) total += adaptive(f, (end * i) / pieces, (end * (i + 1)) / pieces, first[i]!, magnitude * 1e-13, 0);
  const scale = factored ? Math.exp(-0.5 * z0 * z0) : 1;
  return (Math.exp(0.5 * ax) * scale * total) / Math.sqrt(2 * Math.PI);
}

/** Black-76 price (rupees) from the reference integral. */
export function referencePrice(forward: number, strike: number, t: number, rate: number, sigma: number, isCall: boolean): number {
  const df = Math.exp(-rate * t);
  const x = Math.log(forward / strike);
  const tv = referenceNormalisedOtm(-Math.abs(x), sigma * Math.sqrt(t)) * df * Math.sqrt(forward * strike);
  const intrinsic = df * Math.max(isCall ? forward - strike : strike - forward, 0);
  return intrinsic + tv;
}

/**
 * σ (decimal) with referencePrice(σ) = price, by bisection to 1e-12 relative width on
 * [1e-5, 100] (0.001 % to 10 000 %); NaN when the price is outside the range those bounds give.
 */
export function referenceImpliedVol(price: number, forward: number, strike: number, t: number, rate: number, isCall: boolean): number {
  let lo = 1e-5;
  let hi = 100;
  if (!(referencePrice(forward, strike, t, rate, lo, isCall) < price) || !(referencePrice(forward, strike, t, rate, hi, isCall) > price)) return Number.NaN;
  while (hi - lo > 1e-12 * lo) {
    const mid = 0.5 * (lo + hi);
    if (referencePrice(forward, strike, t, rate, mid, isCall) < price) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}
