/**
 * One analytics pass over the universe: for every chain whose price generation moved since it
 * was last computed (or whose computation is older than the refresh interval: time to expiry
 * keeps running, so an untraded chain's theta and IV still age), copy its quotes out of the
 * price table under the seqlock, run the analytics module's per-chain computation
 * (src/analytics/chain-analytics.ts) and publish the result in the analytics table. Runs on
 * the analytics worker thread (analytics-worker.ts), never on the feed worker or the main
 * thread; tests and benchmarks drive it directly.
 *
 * Allocation-free per chain: every scratch array is sized once for the largest chain.
 *
 * @module
 */
import { computeChainAnalytics, type ChainAnalyticsInput } from '../analytics/chain-analytics.js';
import { C, CHAIN_WORDS, L, LEG_WORDS as MATH_LEG_WORDS, Q, QUOTE_WORDS } from '../analytics/chain-layout.js';
import type { SpreadRules } from '../analytics/iv-price.js';
import { yearsToExpiry } from '../analytics/time-to-expiry.js';
import { AC, AL, CHAIN_FIELDS, LEG_WORDS } from '../price-table/analytics-layout.js';
import type { AnalyticsTable } from '../price-table/analytics-table.js';
import { F, FIELD_COUNT } from '../price-table/layout.js';
import type { PriceTable } from '../price-table/price-table.js';
import type { ChainInputs } from './chain-inputs.js';

/** Model parameters of a pass. */
export interface AnalyticsParams {
  /** Continuously compounded risk-free rate, decimal (config `riskFreeRate`). */
  readonly rate: number;
  /** Sane two-sided quote limits (config `maxSpreadAbs`, `maxSpreadRel`). */
  readonly rules: SpreadRules;
}

/** What one {@link AnalyticsEngine.pass} did. */
export interface PassResult {
  /** Chains recomputed and published. */
  readonly computed: number;
  /** Legs in those chains. */
  readonly legs: number;
}

/** Price-table words copied into the math's quote layout. */
const FROM_BID = F.BID - 1;
const FROM_ASK = F.ASK - 1;
const FROM_LTP = F.LTP - 1;
const FROM_OI = F.OI - 1;
const FROM_VOLUME = F.VOLUME - 1;
const FROM_PREV_OI = F.PREV_OI - 1;

/** The analytics computation over one (price table, analytics table) pair. Single writer of `out`. */
export class AnalyticsEngine {
  private readonly seen: Float64Array;
  private readonly computedAt: Float64Array;
  private readonly strikes: Float64Array[];
  private readonly quotes: Float64Array;
  private readonly legs: Float64Array;
  private readonly chainOut = new Float64Array(CHAIN_WORDS);
  private readonly copy: Float64Array;
  private readonly slot = new Float64Array(FIELD_COUNT);
  private readonly input: { strikes: Float64Array; spot: number; t: number; rate: number; rules: SpreadRules };

  /**
   * @param marketNow the market clock (the simulator's session clock in sim mode), Unix ms
   * @param wallNow the wall clock for `computedAt` (comparable with a leg's `updatedAt`)
   */
  constructor(
    private readonly price: PriceTable,
    private readonly out: AnalyticsTable,
    private readonly inputs: ChainInputs,
    params: AnalyticsParams,
    private readonly marketNow: () => number,
    private readonly wallNow: () => number = Date.now,
  ) {
    const n = inputs.chains;
    this.seen = new Float64Array(n).fill(-1);
    this.computedAt = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.strikes = [];
    let maxRows = 0;
    for (let c = 0; c < n; c++) {
      const a = inputs.rowStart[c]!;
      const b = inputs.rowStart[c + 1]!;
      this.strikes.push(inputs.strikes.subarray(a, b));
      if (b - a > maxRows) maxRows = b - a;
    }
    this.quotes = new Float64Array(2 * maxRows * QUOTE_WORDS);
    this.legs = new Float64Array(2 * maxRows * MATH_LEG_WORDS);
    this.copy = new Float64Array(CHAIN_FIELDS + 2 * maxRows * LEG_WORDS);
    this.input = { strikes: this.strikes[0] ?? new Float64Array(0), spot: Number.NaN, t: 0, rate: params.rate, rules: params.rules };
  }

  /**
   * Recomputes every chain whose price generation changed, or whose last computation is
   * `refreshMs` of market time old; returns how many. The first pass computes them all.
   */
  pass(refreshMs: number): PassResult {
    const now = this.marketNow();
    let computed = 0;
    let legs = 0;
    for (let c = 0; c < this.inputs.chains; c++) {
      const g = this.price.generation(c);
      if (g === this.seen[c] && now - this.computedAt[c]! < refreshMs) continue;
      this.computeChain(c, g, now);
      computed++;
      legs += 2 * (this.inputs.rowStart[c + 1]! - this.inputs.rowStart[c]!);
    }
    return { computed, legs };
  }

  /** Forgets what was computed: the next pass recomputes every chain (a restarted worker's first pass). */
  reset(): void {
    this.seen.fill(-1);
    this.computedAt.fill(Number.NEGATIVE_INFINITY);
  }

  /**
   * Computes and publishes chain `c`. `generation` is the price generation read before the
   * quotes: a tick during the copy makes the data newer than the label, never older, and
   * moves the generation again so the next pass recomputes.
   */
  computeChain(c: number, generation: number, now: number): void {
    const { price, inputs, quotes, slot } = this;
    const first = inputs.rowStart[c]!;
    const rows = inputs.rowStart[c + 1]! - first;
    for (let r = 0; r < rows; r++) {
      copyQuote(price, inputs.ceSlot[first + r]!, slot, quotes, 2 * r * QUOTE_WORDS);
      copyQuote(price, inputs.peSlot[first + r]!, slot, quotes, (2 * r + 1) * QUOTE_WORDS);
    }
    const spotSlot = inputs.spotSlot[c]!;
    const input = this.input;
    input.strikes = this.strikes[c]!;
    input.spot = spotSlot >= 0 ? price.readField(spotSlot, F.LTP) : Number.NaN;
    input.t = yearsToExpiry(inputs.expiryCloseMs[c]!, now);
    const chainOut = this.chainOut;
    const legsOut = this.legs;
    computeChainAnalytics(input as ChainAnalyticsInput, quotes, legsOut, chainOut);

    const copy = this.copy;
    copy[AC.FORWARD - 1] = chainOut[C.FORWARD]!;
    copy[AC.FORWARD_SOURCE - 1] = chainOut[C.FORWARD_SOURCE]!;
    copy[AC.T - 1] = chainOut[C.T]!;
    copy[AC.ATM_STRIKE - 1] = chainOut[C.ATM_STRIKE]!;
    copy[AC.ATM_IV - 1] = chainOut[C.ATM_IV]!;
    copy[AC.PCR_OI - 1] = chainOut[C.PCR_OI]!;
    copy[AC.PCR_VOLUME - 1] = chainOut[C.PCR_VOLUME]!;
    copy[AC.MAX_PAIN - 1] = chainOut[C.MAX_PAIN]!;
    copy[AC.CE_OI - 1] = chainOut[C.CE_OI]!;
    copy[AC.PE_OI - 1] = chainOut[C.PE_OI]!;
    copy[AC.CE_OI_CHANGE - 1] = chainOut[C.CE_OI_CHANGE]!;
    copy[AC.PE_OI_CHANGE - 1] = chainOut[C.PE_OI_CHANGE]!;
    copy[AC.PARITY_PAIRS - 1] = chainOut[C.PARITY_PAIRS]!;
    copy[AC.PRICE_GENERATION - 1] = generation;
    copy[AC.AS_OF - 1] = now;
    for (let i = 0; i < 2 * rows; i++) {
      const from = i * MATH_LEG_WORDS;
      const to = CHAIN_FIELDS + i * LEG_WORDS;
      copy[to + AL.IV] = legsOut[from + L.IV]!;
      copy[to + AL.DELTA] = legsOut[from + L.DELTA]!;
      copy[to + AL.GAMMA] = legsOut[from + L.GAMMA]!;
      copy[to + AL.THETA] = legsOut[from + L.THETA]!;
      copy[to + AL.VEGA] = legsOut[from + L.VEGA]!;
      copy[to + AL.PRICE] = legsOut[from + L.PRICE]!;
      copy[to + AL.CODE] = legsOut[from + L.CODE]!;
    }
    copy[AC.COMPUTED_AT - 1] = this.wallNow();
    this.out.writeChain(c, copy);
    this.seen[c] = generation;
    this.computedAt[c] = now;
  }
}

/** One leg's quote words from its slot (a consistent seqlock copy), or all NaN for an unlisted side. */
function copyQuote(price: PriceTable, slot: number, scratch: Float64Array, quotes: Float64Array, at: number): void {
  if (slot < 0) {
    for (let i = 0; i < QUOTE_WORDS; i++) quotes[at + i] = Number.NaN;
    return;
  }
  price.readSlot(slot, scratch, 0, FIELD_COUNT);
  quotes[at + Q.BID] = scratch[FROM_BID]!;
  quotes[at + Q.ASK] = scratch[FROM_ASK]!;
  quotes[at + Q.LTP] = scratch[FROM_LTP]!;
  quotes[at + Q.OI] = scratch[FROM_OI]!;
  quotes[at + Q.VOLUME] = scratch[FROM_VOLUME]!;
  quotes[at + Q.PREV_OI] = scratch[FROM_PREV_OI]!;
}
