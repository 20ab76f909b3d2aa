import { describe, expect, it } from 'vitest';
import { OUT_DELTA, OUT_GAMMA, OUT_IV, OUT_THETA, OUT_VEGA } from '../src/analytics/black-76.js';
import { solveOption } from '../src/analytics/option-analytics.js';
import { referencePrice } from './helpers/black76-reference.js';

const RATE = 0.065;
const HOUR = 1 / (365 * 24);

/** Reference price as a function of the spot-equivalent S = F·e^{−rT}. */
function bySpot(S: number, K: number, t: number, vol: number, isCall: boolean): number {
  return referencePrice(S * Math.exp(RATE * t), K, t, RATE, vol, isCall);
}

describe('Greeks against finite differences of the independent reference price', () => {
  const cases: [number, number, number, boolean][] = [];
  for (const [m, t, vol] of [
    [1, 7 / 365, 0.14],
    [0.97, 30 / 365, 0.18],
    [1.03, 30 / 365, 0.16],
    [0.9, 90 / 365, 0.25],
    [1.1, 1, 0.22],
    [1, 3 * HOUR, 0.12],
    [1.005, 5 * HOUR, 0.3],
    [0.8, 2, 0.6],
  ] as const) {
    cases.push([m, t, vol, true], [m, t, vol, false]);
  }
  const out = new Float64Array(5);

  it.each(cases)('K/F %s, T %s y, σ %s, call %s', (m, t, vol, isCall) => {
    const F = 24_000;
    const K = Math.round(F * m);
    const df = Math.exp(-RATE * t);
    const S = F * df;
    const price = referencePrice(F, K, t, RATE, vol, isCall);
    expect(solveOption(price, F, K, t, df, isCall, out)).toBe(1);
    expect(out[OUT_IV]! / 100).toBeCloseTo(vol, 10);

    const hS = 1e-5 * S;
    const up = bySpot(S + hS, K, t, vol, isCall);
    const down = bySpot(S - hS, K, t, vol, isCall);
    const delta = (up - down) / (2 * hS);
    const gamma = (up - 2 * price + down) / (hS * hS);
    expect(Math.abs(out[OUT_DELTA]! - delta)).toBeLessThan(1e-7);
    expect(Math.abs(out[OUT_GAMMA]! - gamma) / gamma).toBeLessThan(1e-4);
    if (isCall) expect(out[OUT_DELTA]!).toBeGreaterThan(0);
    else expect(out[OUT_DELTA]!).toBeLessThan(0);

    // Theta per calendar day with the forward held fixed (Black-76), r fixed.
    const hT = Math.min(1e-5, t / 1000);
    const theta = -(referencePrice(F, K, t + hT, RATE, vol, isCall) - referencePrice(F, K, t - hT, RATE, vol, isCall)) / (2 * hT) / 365;
    expect(Math.abs(out[OUT_THETA]! - theta) / Math.abs(theta)).toBeLessThan(1e-5);

    // Vega per one volatility point.
    const hV = 1e-5;
    const vega = (referencePrice(F, K, t, RATE, vol + hV, isCall) - referencePrice(F, K, t, RATE, vol - hV, isCall)) / (2 * hV) / 100;
    expect(Math.abs(out[OUT_VEGA]! - vega) / vega).toBeLessThan(1e-6);
  });

  it('put-call parity holds for delta (Δc − Δp = 1) and gamma/vega are equal for a CE and PE', () => {
    const F = 24_000;
    const t = 14 / 365;
    const df = Math.exp(-RATE * t);
    const call = new Float64Array(5);
    const put = new Float64Array(5);
    solveOption(referencePrice(F, 24_300, t, RATE, 0.15, true), F, 24_300, t, df, true, call);
    solveOption(referencePrice(F, 24_300, t, RATE, 0.15, false), F, 24_300, t, df, false, put);
    expect(call[OUT_DELTA]! - put[OUT_DELTA]!).toBeCloseTo(1, 12);
    expect(call[OUT_GAMMA]! / put[OUT_GAMMA]!).toBeCloseTo(1, 9);
    expect(call[OUT_VEGA]! / put[OUT_VEGA]!).toBeCloseTo(1, 9);
  });
});
