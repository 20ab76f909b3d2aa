import { describe, expect, it } from 'vitest';
import { black76Price, OUT_IV, OUT_THETA } from '../src/analytics/black-76.js';
import { computeChainAnalytics } from '../src/analytics/chain-analytics.js';
import { CHAIN_WORDS, L, LEG_WORDS } from '../src/analytics/chain-layout.js';
import { IvReason } from '../src/analytics/iv-reason.js';
import { solveOption } from '../src/analytics/option-analytics.js';
import { expiryCloseMs, YEAR_MS, yearsToExpiry } from '../src/analytics/time-to-expiry.js';
import { istTime } from '../src/time/ist.js';
import { syntheticChain } from './helpers/synthetic-chain.js';

const RATE = 0.065;
const EXPIRY = '2026-12-03';

describe('time to expiry', () => {
  it('runs to 15:30 IST (10:00 UTC) on the expiry day, calendar ACT/365', () => {
    expect(expiryCloseMs(EXPIRY)).toBe(Date.UTC(2026, 11, 3, 10, 0, 0));
    expect(YEAR_MS).toBe(365 * 24 * 3_600_000);
    expect(yearsToExpiry(expiryCloseMs(EXPIRY), istTime(EXPIRY, 9, 15))).toBeCloseTo(6.25 / (365 * 24), 15);
    // A week earlier, the weekend counts like any day (calendar, not trading, days).
    expect(yearsToExpiry(expiryCloseMs(EXPIRY), istTime('2026-11-26', 15, 30))).toBeCloseTo(7 / 365, 15);
    expect(yearsToExpiry(expiryCloseMs(EXPIRY), istTime(EXPIRY, 15, 30))).toBe(0);
    expect(yearsToExpiry(expiryCloseMs(EXPIRY), istTime(EXPIRY, 15, 31))).toBeLessThan(0);
  });
});

describe('expiry-day behaviour', () => {
  const F = 24_000;
  const K = 24_000;
  const vol = 0.13;
  const close = expiryCloseMs(EXPIRY);
  const out = new Float64Array(5);

  it('decays through the day at the money: the same vol gives a falling price and a steeper theta, and is recovered at every hour', () => {
    let lastPrice = Number.POSITIVE_INFINITY;
    let lastTheta = 0;
    for (const [hh, mm] of [
      [9, 15],
      [10, 30],
      [12, 0],
      [13, 30],
      [14, 45],
      [15, 20],
      [15, 29],
    ] as const) {
      const t = yearsToExpiry(close, istTime(EXPIRY, hh, mm));
      expect(t).toBeGreaterThan(0);
      const df = Math.exp(-RATE * t);
      const price = black76Price(F, K, t, df, vol, true);
      expect(price).toBeLessThan(lastPrice);
      expect(solveOption(price, F, K, t, df, true, out)).toBe(1);
      expect(Math.abs(out[OUT_IV]! / 100 - vol) / vol).toBeLessThan(1e-12);
      expect(out[OUT_THETA]!).toBeLessThan(lastTheta);
      lastPrice = price;
      lastTheta = out[OUT_THETA]!;
    }
  });

  it('a tick-priced quote one minute before the close still has an IV; at and after 15:30 every leg is expired', () => {
    const strikes = [23_900, 24_000, 24_100];
    const tMinute = yearsToExpiry(close, istTime(EXPIRY, 15, 29));
    const { strikes: s, quotes } = syntheticChain({ forward: F, strikes, t: tMinute, rate: RATE, vol: () => 0.2, halfSpread: 0.1 });
    const legs = new Float64Array(6 * LEG_WORDS);
    const chain = new Float64Array(CHAIN_WORDS);
    computeChainAnalytics({ strikes: s, spot: F, t: tMinute, rate: RATE, rules: { maxSpreadAbs: 20, maxSpreadRel: 0.1 } }, quotes, legs, chain);
    // The ATM legs carry time value a minute out; the 23 900 CE / 24 100 PE are ~100 ITM with
    // σ√T ≈ 0.0003, i.e. 14 standard deviations: no time value left above the tick.
    expect(legs[2 * LEG_WORDS + L.CODE]!).toBeGreaterThan(0);
    expect(legs[3 * LEG_WORDS + L.CODE]!).toBeGreaterThan(0);
    for (const at of [istTime(EXPIRY, 15, 30), istTime(EXPIRY, 15, 31), istTime('2026-12-04', 9, 15)]) {
      computeChainAnalytics({ strikes: s, spot: F, t: yearsToExpiry(close, at), rate: RATE, rules: { maxSpreadAbs: 20, maxSpreadRel: 0.1 } }, quotes, legs, chain);
      for (let leg = 0; leg < 6; leg++) {
        expect(legs[leg * LEG_WORDS + L.CODE]).toBe(IvReason.expired);
        expect(legs[leg * LEG_WORDS + L.IV]).toBeNaN();
      }
    }
  });
});
