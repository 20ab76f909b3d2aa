/**
 * One analytics pass over the universe: for every chain whose price generation moved since it
 * was last computed, copy its quotes out of the price table under the seqlock, recompute what
 * the change can have changed, and publish the chain in the analytics table. Runs on the
 * analytics worker thread (analytics-worker.ts), never on the feed worker or the main thread;
 * tests and benchmarks drive it directly.
 *
 * Incremental rule (per chain). The legs of a chain are solved against one *anchor*: the
 * forward, its source and T (with its discount factor) of the computation that last solved
 * every leg. A later computation estimates the forward afresh from the current quotes and
 * keeps the anchor when
 *   - the estimate's source is the anchor's and df·|F − F_anchor| ≤ half the chain's price
 *     tick ({@link FORWARD_TOLERANCE_TICKS}): a forward move that changes no leg's model price
 *     by more than the rounding of the prices IV is solved from; and
 *   - the anchor is younger than the chain's time-decay cadence ({@link decayCadenceMs}).
 * Under a kept anchor only the legs whose input — the price IV is solved from and its source,
 * `ivFrom` (chain-analytics.ts `legInput`) — changed are solved again; the others keep their
 * outputs, which equal a fresh solve bit for bit because a leg's outputs are a pure function
 * of (input, anchor). Otherwise the chain re-anchors at the current estimate and clock and
 * solves every leg. The aggregates (ATM, PCR, max pain, OI totals and changes) need no solve
 * and are recomputed on every chain change. The published forward, T and `asOf` are the
 * anchor's: the figures every leg was solved with.
 *
 * Time decay: T runs continuously, so an anchor ages even when nothing trades. A chain whose
 * anchor is older than its cadence is re-solved in full: at the next change of the chain, or
 * by the pass itself within a per-pass budget of legs ({@link DECAY_LEGS_PER_PASS}, the
 * oldest-due first round robin), so a universe whose anchors fall due together is spread over
 * several passes instead of one long one that would delay fresh ticks.
 *
 * Allocation-free per chain: every scratch array is sized once; per-leg memory (inputs and
 * outputs) is one universe-wide typed array each.
 *
 * @module
 */
import { legInput, solveLeg, writeChainAggregates, writeForward, type ChainAnalyticsInput } from '../analytics/chain-analytics.js';
import { C, CHAIN_WORDS, L, LEG_WORDS as MATH_LEG_WORDS, Q, QUOTE_WORDS } from '../analytics/chain-layout.js';
import type { SpreadRules } from '../analytics/iv-price.js';
import { YEAR_MS, yearsToExpiry } from '../analytics/time-to-expiry.js';
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

/** Engine options beyond the model. */
export interface AnalyticsEngineOptions {
  /**
   * `false` solves every leg of every computed chain (the same anchor rule, no per-leg reuse):
   * the reference the incremental engine is tested against. Default true.
   */
  readonly incremental?: boolean;
  /** Legs a pass may re-solve for time decay alone (default {@link DECAY_LEGS_PER_PASS}). */
  readonly decayLegsPerPass?: number;
}

/** What one {@link AnalyticsEngine.pass} did. */
export interface PassResult {
  /** Chains recomputed and published. */
  readonly computed: number;
  /** Legs solved (IV + Greeks) in those chains. */
  readonly legs: number;
  /** Legs of those chains whose inputs and anchor had not changed: kept, not solved. */
  readonly reused: number;
  /** Computations that re-anchored (forward moved past the tolerance, time decay, first). */
  readonly anchored: number;
}

/** A forward move (times df) up to this many of the chain's price ticks keeps the anchor. */
export const FORWARD_TOLERANCE_TICKS = 0.5;
/** An anchor's T may age by this fraction of itself before the chain is re-solved for decay. */
export const DECAY_REL = 1e-3;
/** Shortest time-decay cadence, ms (the last ~100 s before the close). */
export const DECAY_MIN_MS = 100;
/** Default budget of legs a pass re-solves for time decay alone. */
export const DECAY_LEGS_PER_PASS = 4000;

/**
 * How long an anchor of `t` years may serve, ms of market time: DECAY_REL of T (so the T the
 * legs were solved at is never more than 0.1 % stale: IV off by at most ~0.05 % of itself,
 * σ√T being what a price fixes), at least {@link DECAY_MIN_MS}, at most `refreshMs` (config
 * `analyticsRefreshMs`).
 */
export function decayCadenceMs(t: number, refreshMs: number): number {
  const rel = t > 0 ? t * YEAR_MS * DECAY_REL : 0;
  return Math.min(refreshMs, rel > DECAY_MIN_MS ? rel : DECAY_MIN_MS);
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
  /** Anchor per chain (see the module note); `anchorAt` −∞ = none yet. */
  private readonly anchorAt: Float64Array;
  private readonly anchorT: Float64Array;
  private readonly anchorDf: Float64Array;
  private readonly anchorForward: Float64Array;
  private readonly anchorSource: Float64Array;
  private readonly anchorPairs: Float64Array;
  /** Market ms at which each chain's anchor falls due for time decay. */
  private readonly dueAt: Float64Array;
  /** Per leg (universe-wide, 2·row + side): the input last solved from (code, price). */
  private readonly memoCode: Float64Array;
  private readonly memoPrice: Float64Array;
  /** Per leg outputs in the math layout, one view per chain into one universe-wide array. */
  private readonly legViews: Float64Array[];
  private readonly strikes: Float64Array[];
  private readonly quotes: Float64Array;
  private readonly chainOut = new Float64Array(CHAIN_WORDS);
  private readonly estimate = new Float64Array(CHAIN_WORDS);
  private readonly copy: Float64Array;
  private readonly slot = new Float64Array(FIELD_COUNT);
  private readonly price1 = new Float64Array(1);
  private readonly input: { strikes: Float64Array; spot: number; t: number; rate: number; rules: SpreadRules };
  private readonly incremental: boolean;
  private readonly decayBudget: number;
  private decayCursor = 0;
  private refreshMs = Number.POSITIVE_INFINITY;
  private solved = 0;
  private reusedLegs = 0;
  private anchored = 0;

  /**
   * @param marketNow the market clock (the simulator's session clock in sim mode), Unix ms
   * @param wallNow the wall clock for `computedAt` (comparable with a leg's `updatedAt`)
   */
  constructor(
    private readonly price: PriceTable,
    private readonly out: AnalyticsTable,
    private readonly inputs: ChainInputs,
    private readonly params: AnalyticsParams,
    private readonly marketNow: () => number,
    private readonly wallNow: () => number = Date.now,
    options: AnalyticsEngineOptions = {},
  ) {
    const n = inputs.chains;
    this.incremental = options.incremental ?? true;
    this.decayBudget = options.decayLegsPerPass ?? DECAY_LEGS_PER_PASS;
    this.seen = new Float64Array(n);
    this.anchorAt = new Float64Array(n);
    this.anchorT = new Float64Array(n);
    this.anchorDf = new Float64Array(n);
    this.anchorForward = new Float64Array(n);
    this.anchorSource = new Float64Array(n);
    this.anchorPairs = new Float64Array(n);
    this.dueAt = new Float64Array(n);
    const totalLegs = 2 * inputs.rowStart[n]!;
    this.memoCode = new Float64Array(totalLegs);
    this.memoPrice = new Float64Array(totalLegs);
    const legsAll = new Float64Array(totalLegs * MATH_LEG_WORDS);
    this.strikes = [];
    this.legViews = [];
    let maxRows = 0;
    for (let c = 0; c < n; c++) {
      const a = inputs.rowStart[c]!;
      const b = inputs.rowStart[c + 1]!;
      this.strikes.push(inputs.strikes.subarray(a, b));
      this.legViews.push(legsAll.subarray(2 * a * MATH_LEG_WORDS, 2 * b * MATH_LEG_WORDS));
      if (b - a > maxRows) maxRows = b - a;
    }
    this.quotes = new Float64Array(2 * maxRows * QUOTE_WORDS);
    this.copy = new Float64Array(CHAIN_FIELDS + 2 * maxRows * LEG_WORDS);
    this.input = { strikes: this.strikes[0] ?? new Float64Array(0), spot: Number.NaN, t: 0, rate: params.rate, rules: params.rules };
    this.reset();
  }

  /**
   * Recomputes every chain whose price generation changed (the first pass: all of them), then
   * re-solves chains whose anchor fell due for time decay (cadence from `refreshMs`,
   * {@link decayCadenceMs}) within the per-pass budget; returns what it did.
   */
  pass(refreshMs: number): PassResult {
    this.refreshMs = refreshMs;
    const now = this.marketNow();
    const chains = this.inputs.chains;
    this.solved = 0;
    this.reusedLegs = 0;
    this.anchored = 0;
    let computed = 0;
    for (let c = 0; c < chains; c++) {
      const g = this.price.generation(c);
      if (g === this.seen[c]) continue;
      this.computeChain(c, g, now);
      computed++;
    }
    let budget = this.decayBudget;
    for (let k = 0; k < chains && budget > 0; k++) {
      const c = this.decayCursor;
      this.decayCursor = c + 1 < chains ? c + 1 : 0;
      if (this.dueAt[c]! > now) continue;
      budget -= 2 * (this.inputs.rowStart[c + 1]! - this.inputs.rowStart[c]!);
      this.computeChain(c, this.price.generation(c), now);
      computed++;
    }
    return { computed, legs: this.solved, reused: this.reusedLegs, anchored: this.anchored };
  }

  /** Market ms of the earliest time-decay re-solve due (+∞ for an empty universe): how long the worker may sleep without a tick. */
  nextDueAt(): number {
    let min = Number.POSITIVE_INFINITY;
    const due = this.dueAt;
    for (let c = 0; c < due.length; c++) if (due[c]! < min) min = due[c]!;
    return min;
  }

  /** Forgets what was computed: the next pass recomputes and re-anchors every chain (a restarted worker's first pass). */
  reset(): void {
    this.seen.fill(-1);
    this.anchorAt.fill(Number.NEGATIVE_INFINITY);
    this.dueAt.fill(Number.POSITIVE_INFINITY);
    this.memoCode.fill(Number.NaN);
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
    const strikes = this.strikes[c]!;
    input.strikes = strikes;
    input.spot = spotSlot >= 0 ? price.readField(spotSlot, F.LTP) : Number.NaN;
    input.t = yearsToExpiry(inputs.expiryCloseMs[c]!, now);
    const estimate = this.estimate;
    const df = writeForward(input as ChainAnalyticsInput, quotes, estimate);
    const full = !this.keepsAnchor(c, estimate, df, now);
    if (full) this.anchor(c, estimate, df, now);

    const chainOut = this.chainOut;
    for (let i = 0; i < CHAIN_WORDS; i++) chainOut[i] = Number.NaN;
    chainOut[C.T] = this.anchorT[c]!;
    chainOut[C.FORWARD] = this.anchorForward[c]!;
    chainOut[C.FORWARD_SOURCE] = this.anchorSource[c]!;
    chainOut[C.PARITY_PAIRS] = this.anchorPairs[c]!;
    const anchorDf = this.anchorDf[c]!;
    const legsOut = this.legViews[c]!;
    const memoCode = this.memoCode;
    const memoPrice = this.memoPrice;
    const p = this.price1;
    const rules = this.params.rules;
    const reuse = this.incremental && !full;
    const legBase = 2 * first;
    let solved = 0;
    for (let leg = 0; leg < 2 * rows; leg++) {
      const code = legInput(quotes, leg, rules, p);
      const legPrice = p[0]!;
      const m = legBase + leg;
      // NaN prices (no price) are equal inputs too: both say "noPrice".
      if (reuse && code === memoCode[m] && (legPrice === memoPrice[m] || (legPrice !== legPrice && memoPrice[m] !== memoPrice[m]))) continue;
      solveLeg(code, legPrice, strikes[leg >> 1]!, leg, chainOut, anchorDf, legsOut);
      memoCode[m] = code;
      memoPrice[m] = legPrice;
      solved++;
    }
    this.solved += solved;
    this.reusedLegs += 2 * rows - solved;
    writeChainAggregates(strikes, quotes, legsOut, chainOut);
    this.publish(c, rows, generation, legsOut);
    this.seen[c] = generation;
  }

  /** True when chain `c`'s anchor still serves the fresh estimate (module note). */
  private keepsAnchor(c: number, estimate: Float64Array, df: number, now: number): boolean {
    if (this.anchorAt[c] === Number.NEGATIVE_INFINITY || now >= this.dueAt[c]!) return false;
    const source = estimate[C.FORWARD_SOURCE]!;
    if (source !== this.anchorSource[c]) return false;
    const f = estimate[C.FORWARD]!;
    const a = this.anchorForward[c]!;
    // Both NaN (no forward): nothing to move.
    if (f !== f || a !== a) return f !== f && a !== a;
    const d = f > a ? f - a : a - f;
    return d * df <= FORWARD_TOLERANCE_TICKS * this.inputs.tickSize[c]!;
  }

  /** Makes the fresh estimate chain `c`'s anchor. */
  private anchor(c: number, estimate: Float64Array, df: number, now: number): void {
    const t = estimate[C.T]!;
    this.anchorAt[c] = now;
    this.anchorT[c] = t;
    this.anchorDf[c] = df;
    this.anchorForward[c] = estimate[C.FORWARD]!;
    this.anchorSource[c] = estimate[C.FORWARD_SOURCE]!;
    this.anchorPairs[c] = estimate[C.PARITY_PAIRS]!;
    // Expired chains stay expired: no decay re-solve (a tick still recomputes them).
    this.dueAt[c] = t > 0 ? now + decayCadenceMs(t, this.refreshMs) : Number.POSITIVE_INFINITY;
    this.anchored++;
  }

  private publish(c: number, rows: number, generation: number, legsOut: Float64Array): void {
    const chainOut = this.chainOut;
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
    copy[AC.AS_OF - 1] = this.anchorAt[c]!;
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
