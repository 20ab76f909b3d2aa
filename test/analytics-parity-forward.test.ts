import { describe, expect, it } from 'vitest';
import { C, CHAIN_WORDS, L, LEG_WORDS, QUOTE_WORDS, Q } from '../src/analytics/chain-layout.js';
import { computeChainAnalytics } from '../src/analytics/chain-analytics.js';
import { ForwardSource, IvReason } from '../src/analytics/iv-reason.js';
import { PARITY_STRIKES, parityForward } from '../src/analytics/parity-forward.js';
import { syntheticChain } from './helpers/synthetic-chain.js';

const RATE = 0.065;
const RULES = { maxSpreadAbs: 20, maxSpreadRel: 0.1 };
const strikesAround = (lo: number, hi: number, step: number): number[] => Array.from({ length: Math.round((hi - lo) / step) + 1 }, (_, i) => lo + i * step);
const smile = (F: number) => (K: number) => 0.14 * (1 - 0.6 * Math.log(K / F) + 4 * Math.log(K / F) ** 2);

describe('put-call parity forward', () => {
  it('recovers a known forward from noisy tick-rounded quotes, over 40 seeds', () => {
    const out = new Float64Array(2);
    let worst = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const forward = 24_000 + 7.3 * seed;
      const t = (3 + seed) / 365;
      const { strikes, quotes } = syntheticChain({ forward, strikes: strikesAround(22_000, 26_000, 50), t, rate: RATE, vol: smile(forward), halfSpread: 0.5, noise: 0.3, seed });
      parityForward(strikes, quotes, Math.exp(-RATE * t), RULES, out);
      expect(out[1]).toBe(PARITY_STRIKES);
      worst = Math.max(worst, Math.abs(out[0]! - forward));
    }
    // Each strike's estimate is off by at most (noise + tick rounding of both mids)/df ≈ 0.7.
    console.log(`parity forward: worst |F̂ − F| = ${worst.toFixed(3)} rupees on a 24 000 forward (±0.3 noise, 0.05 tick)`);
    expect(worst).toBeLessThan(0.7);
  });

  it('is exact (to the tick rounding) without noise and ignores far strikes', () => {
    const out = new Float64Array(2);
    const forward = 1_234.4;
    const t = 20 / 365;
    const { strikes, quotes } = syntheticChain({ forward, strikes: strikesAround(900, 1600, 10), t, rate: RATE, vol: () => 0.3, halfSpread: 0.2 });
    parityForward(strikes, quotes, Math.exp(-RATE * t), RULES, out);
    expect(Math.abs(out[0]! - forward)).toBeLessThan(0.1);
  });

  it('shrugs off three bad pairs among the seven nearest the money (median)', () => {
    const out = new Float64Array(2);
    const forward = 24_012;
    const t = 10 / 365;
    const { strikes, quotes } = syntheticChain({ forward, strikes: strikesAround(23_000, 25_000, 50), t, rate: RATE, vol: () => 0.13, halfSpread: 0.5 });
    // Stale puts at 23 950, 24 000, 24 050: quoted 25 rupees too high but with a tight spread.
    for (const K of [23_950, 24_000, 24_050]) {
      const p = (2 * strikes.indexOf(K) + 1) * QUOTE_WORDS;
      quotes[p + Q.BID] = quotes[p + Q.BID]! + 25;
      quotes[p + Q.ASK] = quotes[p + Q.ASK]! + 25;
    }
    parityForward(strikes, quotes, Math.exp(-RATE * t), RULES, out);
    expect(Math.abs(out[0]! - forward)).toBeLessThan(0.7);
  });

  it('uses only sane two-sided pairs: one-sided or wide books give no parity', () => {
    const out = new Float64Array(2);
    const forward = 24_000;
    const t = 10 / 365;
    const { strikes, quotes } = syntheticChain({ forward, strikes: strikesAround(23_000, 25_000, 100), t, rate: RATE, vol: () => 0.13, halfSpread: 30 });
    parityForward(strikes, quotes, Math.exp(-RATE * t), RULES, out);
    expect(out[0]).toBeNaN();
    expect(out[1]).toBe(0);
    const tight = syntheticChain({ forward, strikes: strikesAround(23_000, 25_000, 100), t, rate: RATE, vol: () => 0.13, halfSpread: 0.5 });
    for (let leg = 0; leg < 2 * tight.strikes.length; leg += 2) tight.quotes[leg * QUOTE_WORDS + Q.BID] = 0;
    parityForward(tight.strikes, tight.quotes, Math.exp(-RATE * t), RULES, out);
    expect(out[0]).toBeNaN();
  });
});

describe('the chain forward and its source', () => {
  const t = 10 / 365;
  const df = Math.exp(-RATE * t);
  const legs = new Float64Array(2 * 21 * LEG_WORDS);
  const chain = new Float64Array(CHAIN_WORDS);

  it('says parity when parity could be formed', () => {
    const { strikes, quotes } = syntheticChain({ forward: 24_040, strikes: strikesAround(23_000, 25_000, 100), t, rate: RATE, vol: () => 0.13, halfSpread: 0.5 });
    computeChainAnalytics({ strikes, spot: 23_900, t, rate: RATE, rules: RULES }, quotes, legs, chain);
    expect(chain[C.FORWARD_SOURCE]).toBe(ForwardSource.parity);
    expect(chain[C.PARITY_PAIRS]).toBe(PARITY_STRIKES);
    expect(Math.abs(chain[C.FORWARD]! - 24_040)).toBeLessThan(0.7);
  });

  it('falls back to spot·e^{rT} and says so', () => {
    const { strikes, quotes } = syntheticChain({ forward: 24_040, strikes: strikesAround(23_000, 25_000, 100), t, rate: RATE, vol: () => 0.13, halfSpread: 40 });
    computeChainAnalytics({ strikes, spot: 23_990, t, rate: RATE, rules: RULES }, quotes, legs, chain);
    expect(chain[C.FORWARD_SOURCE]).toBe(ForwardSource.spot);
    expect(chain[C.PARITY_PAIRS]).toBe(0);
    expect(chain[C.FORWARD]).toBeCloseTo(23_990 / df, 8);
    // Legs still solve, from their LTPs (the books are too wide for a mid).
    expect(legs[20 * LEG_WORDS + L.CODE]).toBe(2);
  });

  it('without parity or spot every leg is noForward', () => {
    const { strikes, quotes } = syntheticChain({ forward: 24_040, strikes: strikesAround(23_000, 25_000, 100), t, rate: RATE, vol: () => 0.13, halfSpread: 40 });
    computeChainAnalytics({ strikes, spot: Number.NaN, t, rate: RATE, rules: RULES }, quotes, legs, chain);
    expect(chain[C.FORWARD_SOURCE]).toBe(ForwardSource.none);
    expect(chain[C.FORWARD]).toBeNaN();
    expect(chain[C.ATM_STRIKE]).toBeNaN();
    for (let leg = 0; leg < 42; leg++) {
      expect(legs[leg * LEG_WORDS + L.CODE]).toBe(IvReason.noForward);
      expect(legs[leg * LEG_WORDS + L.IV]).toBeNaN();
    }
  });
});
