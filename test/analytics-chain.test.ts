import { describe, expect, it } from 'vitest';
import { atmIndex, maxPain } from '../src/analytics/chain-aggregates.js';
import { computeChainAnalytics } from '../src/analytics/chain-analytics.js';
import { C, CHAIN_WORDS, L, LEG_WORDS, QUOTE_WORDS, Q } from '../src/analytics/chain-layout.js';
import { isSaneQuote, ivPrice } from '../src/analytics/iv-price.js';
import { IvFrom, IvReason } from '../src/analytics/iv-reason.js';
import { prng, syntheticChain } from './helpers/synthetic-chain.js';

const RATE = 0.065;
const RULES = { maxSpreadAbs: 20, maxSpreadRel: 0.1 };

describe('the ivFrom rule', () => {
  const out = new Float64Array(1);
  it('takes the mid of a sane two-sided quote', () => {
    expect(ivPrice(100, 101, 99, RULES, out)).toBe(IvFrom.mid);
    expect(out[0]).toBe(100.5);
    expect(ivPrice(100, 100, 99, RULES, out)).toBe(IvFrom.mid); // locked: both sides agree
  });
  it('falls back to the LTP when one-sided, crossed or too wide (absolute or relative)', () => {
    for (const [bid, ask] of [
      [0, 101],
      [100, 0],
      [Number.NaN, 101],
      [101, 100],
      [1000, 1021],
      [1, 1.2],
    ]) {
      expect(ivPrice(bid!, ask!, 99, RULES, out), `${bid}/${ask}`).toBe(IvFrom.ltp);
      expect(out[0]).toBe(99);
    }
    expect(isSaneQuote(1000, 1020, RULES)).toBe(true);
    expect(isSaneQuote(1, 1.1, RULES)).toBe(true);
  });
  it('has no price without a sane quote or an LTP', () => {
    expect(ivPrice(0, 101, Number.NaN, RULES, out)).toBe(IvReason.noPrice);
    expect(ivPrice(0, 0, 0, RULES, out)).toBe(IvReason.noPrice);
    expect(out[0]).toBeNaN();
  });
});

/** A chain with OI, volume and previous OI filled in by hand. */
function withOpenInterest(strikes: number[], ce: number[], pe: number[], prevCe: number[], prevPe: number[], volCe: number[], volPe: number[]) {
  const s = Float64Array.from(strikes);
  const quotes = new Float64Array(strikes.length * 2 * QUOTE_WORDS).fill(Number.NaN);
  for (let i = 0; i < strikes.length; i++) {
    const c = 2 * i * QUOTE_WORDS;
    const p = c + QUOTE_WORDS;
    quotes[c + Q.OI] = ce[i]!;
    quotes[p + Q.OI] = pe[i]!;
    quotes[c + Q.PREV_OI] = prevCe[i]!;
    quotes[p + Q.PREV_OI] = prevPe[i]!;
    quotes[c + Q.VOLUME] = volCe[i]!;
    quotes[p + Q.VOLUME] = volPe[i]!;
  }
  return { strikes: s, quotes };
}

describe('chain aggregates', () => {
  it('finds the strike nearest the forward (lower on a tie)', () => {
    const s = Float64Array.from([100, 110, 120, 130]);
    expect(atmIndex(s, 114.9)).toBe(1);
    expect(atmIndex(s, 115.1)).toBe(2);
    expect(atmIndex(s, 115)).toBe(1);
    expect(atmIndex(s, 50)).toBe(0);
    expect(atmIndex(s, 500)).toBe(3);
    expect(atmIndex(s, Number.NaN)).toBe(-1);
  });

  it('computes max pain by hand on a small chain', () => {
    // Pain(K) = Σ CE_OI·(K − Kᵢ)⁺ + PE_OI·(Kᵢ − K)⁺: at 100 → 1·10 + 1·20 = 30; at 110 → 100·10 + 1·10 = 1010; at 120 → 100·20 + 1·10 = 2010.
    const { strikes, quotes } = withOpenInterest([100, 110, 120], [100, 1, 1], [1, 1, 1], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]);
    expect(maxPain(strikes, quotes)).toBe(100);
    const b = withOpenInterest([100, 110, 120], [5, 20, 30], [50, 20, 10], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]);
    expect(maxPain(b.strikes, b.quotes)).toBe(110);
  });

  it('max pain equals the brute-force O(n²) minimum on random chains', () => {
    const rnd = prng(7);
    for (let trial = 0; trial < 50; trial++) {
      const n = 5 + Math.floor(rnd() * 60);
      const strikes = Array.from({ length: n }, (_, i) => 20_000 + 50 * i);
      const ce = strikes.map(() => (rnd() < 0.1 ? Number.NaN : Math.floor(rnd() * 1e6)));
      const pe = strikes.map(() => Math.floor(rnd() * 1e6));
      const zero = strikes.map(() => 0);
      const { strikes: s, quotes } = withOpenInterest(strikes, ce, pe, zero, zero, zero, zero);
      let best = Number.NaN;
      let bestPain = Number.POSITIVE_INFINITY;
      for (const K of strikes) {
        let pain = 0;
        strikes.forEach((Ki, i) => {
          pain += (ce[i]! > 0 ? ce[i]! : 0) * Math.max(K - Ki, 0) + pe[i]! * Math.max(Ki - K, 0);
        });
        if (pain < bestPain) {
          bestPain = pain;
          best = K;
        }
      }
      expect(maxPain(s, quotes)).toBe(best);
    }
  });

  it('totals OI, PCR by OI and by volume, and OI change from the previous session', () => {
    const { strikes, quotes } = withOpenInterest([100, 110, 120], [10, 20, 30], [60, 20, 40], [5, 25, Number.NaN], [50, 20, 30], [100, 0, 50], [30, 30, 240]);
    const legs = new Float64Array(6 * LEG_WORDS);
    const chain = new Float64Array(CHAIN_WORDS);
    computeChainAnalytics({ strikes, spot: Number.NaN, t: 0.01, rate: RATE, rules: RULES }, quotes, legs, chain);
    expect(chain[C.CE_OI]).toBe(60);
    expect(chain[C.PE_OI]).toBe(120);
    expect(chain[C.PCR_OI]).toBe(2);
    expect(chain[C.PCR_VOLUME]).toBe(2);
    // CE change over the legs that have a previous OI: (10 − 5) + (20 − 25); PE: 10 + 0 + 10.
    expect(chain[C.CE_OI_CHANGE]).toBe(0);
    expect(chain[C.PE_OI_CHANGE]).toBe(20);
    expect(legs[0 * LEG_WORDS + L.OI_CHANGE]).toBe(5);
    expect(legs[2 * LEG_WORDS + L.OI_CHANGE]).toBe(-5);
    expect(legs[4 * LEG_WORDS + L.OI_CHANGE]).toBeNaN();
    expect(legs[5 * LEG_WORDS + L.OI_CHANGE]).toBe(10);
  });

  it('reports null (NaN), not 0, for figures with nothing to stand on', () => {
    const nan = [Number.NaN, Number.NaN];
    const { strikes, quotes } = withOpenInterest([100, 110], nan, nan, nan, nan, nan, nan);
    const legs = new Float64Array(4 * LEG_WORDS);
    const chain = new Float64Array(CHAIN_WORDS);
    computeChainAnalytics({ strikes, spot: Number.NaN, t: 0.01, rate: RATE, rules: RULES }, quotes, legs, chain);
    for (const k of [C.CE_OI, C.PE_OI, C.PCR_OI, C.PCR_VOLUME, C.MAX_PAIN, C.CE_OI_CHANGE, C.PE_OI_CHANGE, C.ATM_IV, C.ATM_STRIKE, C.FORWARD]) expect(chain[k], `word ${k}`).toBeNaN();
    for (let leg = 0; leg < 4; leg++) expect(legs[leg * LEG_WORDS + L.CODE]).toBe(IvReason.noPrice);
  });
});

describe('a whole chain', () => {
  it('solves every sane leg from its mid, recovers the flat vol within the tick rounding, and gives the ATM strike and IV', () => {
    const forward = 24_037;
    const t = 12 / 365;
    const strikes = Array.from({ length: 61 }, (_, i) => 22_500 + 50 * i);
    const { strikes: s, quotes } = syntheticChain({ forward, strikes, t, rate: RATE, vol: () => 0.15, halfSpread: 0.5 });
    const legs = new Float64Array(s.length * 2 * LEG_WORDS);
    const chain = new Float64Array(CHAIN_WORDS);
    computeChainAnalytics({ strikes: s, spot: Number.NaN, t, rate: RATE, rules: RULES }, quotes, legs, chain);
    expect(chain[C.ATM_STRIKE]).toBe(24_050);
    expect(Math.abs(chain[C.ATM_IV]! - 15)).toBeLessThan(0.02);
    let solved = 0;
    for (let leg = 0; leg < 2 * s.length; leg++) {
      const o = leg * LEG_WORDS;
      const code = legs[o + L.CODE]!;
      if (code <= 0) {
        expect(legs[o + L.IV]).toBeNaN();
        continue;
      }
      const q = leg * QUOTE_WORDS;
      expect(code).toBe(isSaneQuote(quotes[q + Q.BID]!, quotes[q + Q.ASK]!, RULES) ? IvFrom.mid : IvFrom.ltp);
      if (code === IvFrom.mid) solved++;
      // The mid is within half a tick plus the quote rounding of the model price; in vol points
      // that is (0.05 + |Δ|·forward error)/vega.
      const vega = legs[o + L.VEGA]!;
      if (vega > 1) expect(Math.abs(legs[o + L.IV]! - 15), `leg ${leg}`).toBeLessThan((0.05 + 0.7) / vega);
    }
    expect(solved).toBeGreaterThan(60);
  });

  it('names the reason per leg: below intrinsic, above the bound, expired', () => {
    const forward = 24_000;
    const t = 5 / 365;
    const df = Math.exp(-RATE * t);
    const { strikes, quotes } = syntheticChain({ forward, strikes: [23_000, 24_000, 25_000], t, rate: RATE, vol: () => 0.15, halfSpread: 0.5 });
    // CE 23 000 trades below intrinsic; PE 25 000 is bid above the bound df·K; both have wide books.
    quotes[0 * QUOTE_WORDS + Q.BID] = 0;
    quotes[0 * QUOTE_WORDS + Q.LTP] = df * 1000 - 1;
    quotes[5 * QUOTE_WORDS + Q.BID] = 0;
    quotes[5 * QUOTE_WORDS + Q.LTP] = df * 25_000 + 1;
    const legs = new Float64Array(6 * LEG_WORDS);
    const chain = new Float64Array(CHAIN_WORDS);
    computeChainAnalytics({ strikes, spot: 23_990, t, rate: RATE, rules: RULES }, quotes, legs, chain);
    expect(legs[0 * LEG_WORDS + L.CODE]).toBe(IvReason.belowIntrinsic);
    expect(legs[0 * LEG_WORDS + L.PRICE]).toBe(df * 1000 - 1);
    expect(legs[5 * LEG_WORDS + L.CODE]).toBe(IvReason.aboveUpperBound);
    expect(legs[2 * LEG_WORDS + L.CODE]).toBe(IvFrom.mid);
    computeChainAnalytics({ strikes, spot: 23_990, t: -1e-9, rate: RATE, rules: RULES }, quotes, legs, chain);
    for (let leg = 0; leg < 6; leg++) expect(legs[leg * LEG_WORDS + L.CODE]).toBe(IvReason.expired);
  });
});
