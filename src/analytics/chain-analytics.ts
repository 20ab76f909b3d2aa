/**
 * Everything the analytics table holds for one (underlying, expiry) chain, computed from a
 * snapshot of its quotes: the forward (parity, else spot·e^{rT}), every leg's IV and Greeks
 * (Black-76 on that forward, priced per the `ivFrom` rule), the ATM strike and IV, and the OI
 * figures. Pure and allocation-free. {@link computeChainAnalytics} is the whole computation;
 * its parts ({@link writeForward}, {@link legInput}, {@link solveLeg},
 * {@link writeChainAggregates}) let the analytics worker re-solve only the legs whose input
 * changed while the chain's forward and T hold (src/analytics-worker/analytics-engine.ts).
 *
 * @module
 */
import { atmIndex, writeOpenInterest } from './chain-aggregates.js';
import { C, CHAIN_WORDS, LEG_WORDS, L, QUOTE_WORDS, Q } from './chain-layout.js';
import { ivPrice, type SpreadRules } from './iv-price.js';
import { ForwardSource, IvReason } from './iv-reason.js';
import { solveOption } from './option-analytics.js';
import { parityForward } from './parity-forward.js';

/** The chain-wide inputs of {@link computeChainAnalytics}. */
export interface ChainAnalyticsInput {
  /** The chain's strikes, ascending, rupees. */
  readonly strikes: Float64Array;
  /** The underlying's LTP (for the fallback forward); NaN when unknown. */
  readonly spot: number;
  /** Years to expiry, time-to-expiry.ts `yearsToExpiry` from the market clock. */
  readonly t: number;
  /** Continuously compounded risk-free rate, decimal per year (config `riskFreeRate`). */
  readonly rate: number;
  /** Sane-quote limits (config `maxSpreadAbs`, `maxSpreadRel`). */
  readonly rules: SpreadRules;
}

const parity = new Float64Array(2);
const price = new Float64Array(1);

/**
 * The chain-wide model inputs of a computation: writes `chain[C.T]`, `C.FORWARD`,
 * `C.FORWARD_SOURCE` and `C.PARITY_PAIRS` (parity forward, else spot·e^{rT}, else none) and
 * returns the discount factor e^{−rT} they were found with. The legs are then solved against
 * exactly these words ({@link solveLeg}), which lets the analytics worker keep one chain's
 * forward and T fixed across several computations (its incremental rule).
 */
export function writeForward(input: ChainAnalyticsInput, quotes: Float64Array, chain: Float64Array): number {
  const { strikes, t, rate, rules } = input;
  const df = Math.exp(-rate * (t > 0 ? t : 0));
  chain[C.T] = t;
  parityForward(strikes, quotes, df, rules, parity);
  let forward = parity[0]!;
  let source: number = ForwardSource.parity;
  if (!(forward > 0)) {
    forward = input.spot > 0 ? input.spot / df : Number.NaN;
    source = forward > 0 ? ForwardSource.spot : ForwardSource.none;
  }
  chain[C.FORWARD] = forward;
  chain[C.FORWARD_SOURCE] = source;
  chain[C.PARITY_PAIRS] = source === ForwardSource.parity ? parity[1]! : 0;
  return df;
}

/**
 * The price leg `leg`'s IV is solved from (the `ivFrom` rule, iv-price.ts): writes it to
 * `out[0]` and returns its IvFrom code, or IvReason.noPrice (out[0] NaN). Everything a leg's
 * analytics depend on besides the chain's forward and T is this pair.
 */
export function legInput(quotes: Float64Array, leg: number, rules: SpreadRules, out: Float64Array): number {
  const q = leg * QUOTE_WORDS;
  return ivPrice(quotes[q + Q.BID]!, quotes[q + Q.ASK]!, quotes[q + Q.LTP]!, rules, out);
}

/**
 * Solves leg `leg` (2i = CE at strike i, 2i+1 = PE) from its {@link legInput} (`code`,
 * `legPrice`) against the forward and T in `chain` ({@link writeForward}, `df` its discount
 * factor): writes L.PRICE, L.IV … L.VEGA and L.CODE of the leg in `legs`. A pure function of
 * its arguments, so solving again with equal arguments gives equal bits.
 */
export function solveLeg(code: number, legPrice: number, strike: number, leg: number, chain: Float64Array, df: number, legs: Float64Array): void {
  const o = leg * LEG_WORDS;
  const t = chain[C.T]!;
  const source = chain[C.FORWARD_SOURCE]!;
  legs[o + L.PRICE] = legPrice;
  for (let w = L.IV; w <= L.VEGA; w++) legs[o + w] = Number.NaN;
  let out = code;
  if (!(t > 0)) out = IvReason.expired;
  else if (code > 0) {
    if (source === ForwardSource.none) out = IvReason.noForward;
    else {
      const solved = solveOption(legPrice, chain[C.FORWARD]!, strike, t, df, (leg & 1) === 0, legs, o);
      if (solved <= 0) out = solved;
    }
  }
  legs[o + L.CODE] = out;
}

/**
 * The figures that need no solve, from the current quotes and the legs as solved: the ATM
 * strike nearest `chain[C.FORWARD]` and its IV, OI and volume totals, PCRs, max pain and each
 * leg's OI change (chain-aggregates.ts). Cheap (O(strikes)): run it on every chain change.
 */
export function writeChainAggregates(strikes: Float64Array, quotes: Float64Array, legs: Float64Array, chain: Float64Array): void {
  const atm = atmIndex(strikes, chain[C.FORWARD]!);
  if (atm >= 0) {
    chain[C.ATM_STRIKE] = strikes[atm]!;
    const ce = legs[2 * atm * LEG_WORDS + L.IV]!;
    const pe = legs[(2 * atm + 1) * LEG_WORDS + L.IV]!;
    chain[C.ATM_IV] = ce === ce ? (pe === pe ? 0.5 * (ce + pe) : ce) : pe;
  } else {
    chain[C.ATM_STRIKE] = Number.NaN;
    chain[C.ATM_IV] = Number.NaN;
  }
  writeOpenInterest(strikes, quotes, legs, chain);
}

/**
 * Computes a chain's analytics. `quotes` holds 2n legs × QUOTE_WORDS (chain-layout.ts `Q`);
 * writes 2n × LEG_WORDS into `legs` (`L`) and CHAIN_WORDS into `chain` (`C`). NaN = null.
 */
export function computeChainAnalytics(input: ChainAnalyticsInput, quotes: Float64Array, legs: Float64Array, chain: Float64Array): void {
  const { strikes, rules } = input;
  const n = strikes.length;
  for (let i = 0; i < CHAIN_WORDS; i++) chain[i] = Number.NaN;
  const df = writeForward(input, quotes, chain);
  for (let leg = 0; leg < 2 * n; leg++) {
    const code = legInput(quotes, leg, rules, price);
    solveLeg(code, price[0]!, strikes[leg >> 1]!, leg, chain, df, legs);
  }
  writeChainAggregates(strikes, quotes, legs, chain);
}
