import { describe, expect, it } from 'vitest';
import { black76Price } from '../src/analytics/black-76.js';
import { impliedVolatility, normalisedImpliedVol, type SolverStats } from '../src/analytics/implied-volatility.js';
import { IvReason } from '../src/analytics/iv-reason.js';
import { normalisedTimeValue, normalisedTimeValueComplement, normalisedVega } from '../src/analytics/normalised-black.js';
import { solveOption } from '../src/analytics/option-analytics.js';
import { referenceImpliedVol, referenceNormalisedOtm, referencePrice } from './helpers/black76-reference.js';

const EPS = 2.220446049250313e-16;
const RATE = 0.065;
const MINUTE = 1 / (365 * 24 * 60);

describe('normalised Black time value', () => {
  it('matches the payoff-integral reference to ~1e-14 relative across moneyness and total volatility', () => {
    let worst = 0;
    for (const x of [0, -1e-8, -1e-4, -0.01, -0.05, -0.2, -0.5, -1, -2, -4]) {
      for (const s of [1e-5, 1e-4, 1e-3, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 2, 4]) {
        const ref = referenceNormalisedOtm(x, s);
        if (!(ref > 1e-290)) continue;
        // The prefactor e^{−(x/s)²/2} alone carries a relative error of ~(x/s)²·ε.
        const allowed = 64 * EPS * (1 + (x / s) ** 2);
        const err = Math.abs(normalisedTimeValue(x, s) - ref) / ref;
        expect(err, `x=${x} s=${s}`).toBeLessThanOrEqual(allowed);
        worst = Math.max(worst, err / allowed);
      }
    }
    expect(worst).toBeLessThanOrEqual(1);
  });
});

describe('normalised implied volatility', () => {
  it('inverts β(x, s) to within a few ulp times the condition number, in at most 6 iterations', () => {
    const stats: SolverStats = { iterations: 0 };
    let maxIterations = 0;
    for (const x of [0, -1e-12, -1e-8, -1e-4, -1e-3, -0.01, -0.05, -0.2, -0.5, -1, -2, -4, -10, -30]) {
      for (let e = -6; e <= 0.8; e += 0.1) {
        const s = 10 ** e;
        const beta = normalisedTimeValue(x, s);
        const complement = normalisedTimeValueComplement(x, s);
        if (!(beta > 1e-300) || !(complement > 1e-300)) continue;
        const got = normalisedImpliedVol(beta, complement, x, stats);
        maxIterations = Math.max(maxIterations, stats.iterations);
        // |ds/s| = |dβ/β| · β/(s·β′): the input's own rounding, amplified by the conditioning.
        const cond = Math.min(beta, complement) / (s * normalisedVega(x, s));
        expect(Math.abs(got - s) / s, `x=${x} s=${s}`).toBeLessThanOrEqual(16 * EPS * Math.max(1, cond));
      }
    }
    expect(maxIterations).toBeLessThanOrEqual(6);
  });
});

interface GridPoint {
  forward: number;
  strike: number;
  t: number;
  vol: number;
  isCall: boolean;
}

function grid(): GridPoint[] {
  const points: GridPoint[] = [];
  const moneyness = [0.3, 0.5, 0.7, 0.85, 0.95, 0.99, 1, 1.01, 1.05, 1.15, 1.4, 2, 3];
  const expiries = [5 * MINUTE, 30 * MINUTE, 120 * MINUTE, 1 / 365, 7 / 365, 30 / 365, 90 / 365, 1, 2];
  const vols = [0.01, 0.05, 0.15, 0.3, 0.6, 1, 2, 3];
  for (const forward of [24_000, 500]) {
    for (const m of moneyness) for (const t of expiries) for (const vol of vols) for (const isCall of [true, false]) points.push({ forward, strike: Math.round(forward * m), t, vol, isCall });
  }
  return points;
}

describe('implied volatility against the independent bisection reference', () => {
  it('agrees to full precision on the grid (deep ITM/OTM, 5 minutes to 2 years, 1 %–300 %, prices at the 0.05 tick)', () => {
    const out = new Float64Array(5);
    let solved = 0;
    let worst = 0;
    let worstWellConditioned = 0;
    let worstExcess = 0;
    for (const p of grid()) {
      const df = Math.exp(-RATE * p.t);
      const price = Math.round(referencePrice(p.forward, p.strike, p.t, RATE, p.vol, p.isCall) / 0.05) * 0.05;
      const code = solveOption(price, p.forward, p.strike, p.t, df, p.isCall, out);
      const intrinsic = df * Math.max(p.isCall ? p.forward - p.strike : p.strike - p.forward, 0);
      const bound = df * (p.isCall ? p.forward : p.strike);
      const label = JSON.stringify({ ...p, price });
      if (!(price > 0)) {
        expect(code, label).toBe(IvReason.noPrice);
        continue;
      }
      if (price <= intrinsic) {
        expect(code, label).toBe(IvReason.belowIntrinsic);
        continue;
      }
      if (price >= bound) {
        expect(code, label).toBe(IvReason.aboveUpperBound);
        continue;
      }
      expect(code, label).toBe(1);
      const ref = referenceImpliedVol(price, p.forward, p.strike, p.t, RATE, p.isCall);
      expect(ref, label).toBeGreaterThan(0);
      solved++;
      const err = Math.abs(out[0]! / 100 - ref) / ref;
      // Conditioning of the price → IV map: the price's own last bit moves the IV by ulp·cond.
      const h = 1e-6 * ref;
      const vega = (referencePrice(p.forward, p.strike, p.t, RATE, ref + h, p.isCall) - referencePrice(p.forward, p.strike, p.t, RATE, ref - h, p.isCall)) / (2 * h);
      const cond = price / (ref * vega);
      // 1e-12: the reference's bisection width; 64 ulp × cond: both sides' price evaluations.
      const allowed = 1e-12 + 64 * EPS * cond;
      expect(err, `${label} iv=${out[0]} ref=${ref * 100} cond=${cond}`).toBeLessThanOrEqual(allowed);
      worst = Math.max(worst, err);
      worstExcess = Math.max(worstExcess, err / allowed);
      if (cond < 1e3) worstWellConditioned = Math.max(worstWellConditioned, err);
    }
    console.log(`IV grid: ${solved} solved points; worst relative IV error ${worst.toExponential(2)} (${worstWellConditioned.toExponential(2)} where the price→IV condition number is below 1e3); worst error / allowance ${worstExcess.toFixed(3)}`);
    expect(solved).toBeGreaterThan(1500);
  });
});

describe('null IV reasons', () => {
  const out = new Float64Array(5);
  const F = 24_000;
  const t = 7 / 365;
  const df = Math.exp(-RATE * t);

  it('gives a reason and NaN outputs, never 0, for prices with no volatility', () => {
    expect(solveOption(Number.NaN, F, 24_000, t, df, true, out)).toBe(IvReason.noPrice);
    expect(solveOption(0, F, 24_000, t, df, true, out)).toBe(IvReason.noPrice);
    expect(solveOption(-1, F, 24_000, t, df, true, out)).toBe(IvReason.noPrice);
    expect(solveOption(df * 1000 - 0.05, F, 23_000, t, df, true, out)).toBe(IvReason.belowIntrinsic);
    expect(solveOption(df * 1000, F, 23_000, t, df, true, out)).toBe(IvReason.belowIntrinsic);
    expect(solveOption(df * 1000 - 0.05, F, 25_000, t, df, false, out)).toBe(IvReason.belowIntrinsic);
    expect(solveOption(df * F, F, 25_000, t, df, true, out)).toBe(IvReason.aboveUpperBound);
    expect(solveOption(df * 25_000 + 1, F, 25_000, t, df, false, out)).toBe(IvReason.aboveUpperBound);
    expect(solveOption(100, F, 24_000, 0, 1, true, out)).toBe(IvReason.expired);
    expect(solveOption(100, F, 24_000, -1e-6, 1, true, out)).toBe(IvReason.expired);
    expect(solveOption(100, Number.NaN, 24_000, t, df, true, out)).toBe(IvReason.noForward);
    for (const v of out) expect(v).toBeNaN();
  });

  it('calls a time value lost in the price rounding noTimeValue rather than inventing a vol', () => {
    const intrinsic = df * (F - 1000);
    expect(solveOption(intrinsic * (1 + 2 * EPS), F, 1000, t, df, true, out)).toBe(IvReason.noTimeValue);
    expect(out[0]).toBeNaN();
  });

  it('impliedVolatility returns NaN outside the bounds and σ inside', () => {
    expect(impliedVolatility(1, F, 30_000, t, df, false)).toBeNaN();
    const sigma = impliedVolatility(black76Price(F, 24_500, t, df, 0.17, true), F, 24_500, t, df, true);
    expect(Math.abs(sigma - 0.17) / 0.17).toBeLessThan(1e-13);
  });

  it('recovers an option minutes before expiry and a 2-year far-OTM wing', () => {
    for (const [K, tt, vol, isCall] of [
      [24_010, 3 * MINUTE, 0.12, true],
      [23_990, 1 * MINUTE, 0.4, false],
      [60_000, 2, 0.25, true],
      [6_000, 2, 0.5, false],
    ] as const) {
      const d = Math.exp(-RATE * tt);
      const price = black76Price(F, K, tt, d, vol, isCall);
      expect(solveOption(price, F, K, tt, d, isCall, out)).toBe(1);
      expect(Math.abs(out[0]! / 100 - vol) / vol).toBeLessThan(1e-12);
    }
  });
});
