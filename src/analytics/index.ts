/**
 * Option analytics: pure functions (no I/O, no Atomics, no allocation on the per-chain path)
 * that the analytics worker runs over the price table. Units and codes: README "Analytics".
 *
 * @module
 */
export { black76Price, writeGreeks, OUT_DELTA, OUT_GAMMA, OUT_IV, OUT_THETA, OUT_VEGA, OUT_WORDS } from './black-76.js';
export { atmIndex, maxPain, writeOpenInterest } from './chain-aggregates.js';
export { computeChainAnalytics, legInput, solveLeg, writeChainAggregates, writeForward, type ChainAnalyticsInput } from './chain-analytics.js';
export { C, CHAIN_WORDS, L, LEG_WORDS, Q, QUOTE_WORDS } from './chain-layout.js';
export { impliedVolatility, normalisedImpliedVol, type SolverStats } from './implied-volatility.js';
export { isSaneQuote, ivPrice, type SpreadRules } from './iv-price.js';
export { FORWARD_SOURCE_NAMES, ForwardSource, IV_FROM_NAMES, IV_REASON_NAMES, IvFrom, IvReason, type IvReasonName } from './iv-reason.js';
export { erfc, erfcx, normCdf, normPdf } from './normal-distribution.js';
export { solveOption } from './option-analytics.js';
export { PARITY_STRIKES, parityForward } from './parity-forward.js';
export { expiryCloseMs, YEAR_MS, yearsToExpiry } from './time-to-expiry.js';
