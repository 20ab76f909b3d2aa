/**
 * Everything the analytics table holds for one (underlying, expiry) chain, computed from a
 * snapshot of its quotes: the forward (parity, else spot·e^{rT}), every leg's IV and Greeks
 * (Black-76 on that forward, priced per the `ivFrom` rule), the ATM strike and IV, and the OI
 * figures. Pure and allocation-free: the analytics worker calls it for each chain whose price
 * generation moved and copies `legs` and `chain` into the shared table.
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
 * Computes a chain's analytics. `quotes` holds 2n legs × QUOTE_WORDS (chain-layout.ts `Q`);
 * writes 2n × LEG_WORDS into `legs` (`L`) and CHAIN_WORDS into `chain` (`C`). NaN = null.
 */
export function computeChainAnalytics(input: ChainAnalyticsInput, quotes: Float64Array, legs: Float64Array, chain: Float64Array): void {
  const { strikes, t, rate, rules } = input;
  const n = strikes.length;
  for (let i = 0; i < CHAIN_WORDS; i++) chain[i] = Number.NaN;
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

  for (let leg = 0; leg < 2 * n; leg++) {
    const q = leg * QUOTE_WORDS;
    const o = leg * LEG_WORDS;
    let code = ivPrice(quotes[q + Q.BID]!, quotes[q + Q.ASK]!, quotes[q + Q.LTP]!, rules, price);
    legs[o + L.PRICE] = price[0]!;
    for (let w = L.IV; w <= L.VEGA; w++) legs[o + w] = Number.NaN;
    if (!(t > 0)) code = IvReason.expired;
    else if (code > 0) {
      if (source === ForwardSource.none) code = IvReason.noForward;
      else {
        const solved = solveOption(price[0]!, forward, strikes[leg >> 1]!, t, df, (leg & 1) === 0, legs, o);
        if (solved <= 0) code = solved;
      }
    }
    legs[o + L.CODE] = code;
  }

  const atm = atmIndex(strikes, forward);
  if (atm >= 0) {
    chain[C.ATM_STRIKE] = strikes[atm]!;
    const ce = legs[2 * atm * LEG_WORDS + L.IV]!;
    const pe = legs[(2 * atm + 1) * LEG_WORDS + L.IV]!;
    chain[C.ATM_IV] = ce === ce ? (pe === pe ? 0.5 * (ce + pe) : ce) : pe;
  }
  writeOpenInterest(strikes, quotes, legs, chain);
}
