/**
 * Synthetic option chains for the analytics tests: quotes around Black-76 prices from the
 * independent reference (black76-reference.ts), on the 0.05 tick, in the flat layout of
 * src/analytics/chain-layout.ts, with a seeded PRNG so failures reproduce.
 *
 * @module
 */
import { QUOTE_WORDS, Q } from '../../src/analytics/chain-layout.js';
import { referencePrice } from './black76-reference.js';

/** Mulberry32: small, seeded, good enough for test noise. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticChainOptions {
  readonly forward: number;
  readonly strikes: readonly number[];
  readonly t: number;
  readonly rate: number;
  /** σ(K) (decimal). */
  readonly vol: (strike: number) => number;
  /** Half-spread in rupees around the model price (rounded out to the tick). */
  readonly halfSpread: number;
  /** Uniform noise (± rupees) added to each leg's centre before quoting. */
  readonly noise?: number;
  readonly seed?: number;
}

/** The chain's quotes (bid, ask, ltp = model price on the tick; OI/volume/prevOi NaN). */
export function syntheticChain(o: SyntheticChainOptions): { strikes: Float64Array; quotes: Float64Array } {
  const rnd = prng(o.seed ?? 1);
  const strikes = Float64Array.from(o.strikes);
  const quotes = new Float64Array(strikes.length * 2 * QUOTE_WORDS).fill(Number.NaN);
  for (let i = 0; i < strikes.length; i++) {
    for (const isCall of [true, false]) {
      const q = (2 * i + (isCall ? 0 : 1)) * QUOTE_WORDS;
      const model = referencePrice(o.forward, strikes[i]!, o.t, o.rate, o.vol(strikes[i]!), isCall);
      const centre = model + (o.noise ?? 0) * (2 * rnd() - 1);
      const bid = Math.floor((centre - o.halfSpread) / 0.05) * 0.05;
      const ask = Math.ceil((centre + o.halfSpread) / 0.05) * 0.05;
      quotes[q + Q.BID] = bid > 0 ? bid : 0;
      quotes[q + Q.ASK] = ask;
      quotes[q + Q.LTP] = Math.max(0.05, Math.round(model / 0.05) * 0.05);
    }
  }
  return { strikes, quotes };
}
