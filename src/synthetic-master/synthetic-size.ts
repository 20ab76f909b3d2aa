/**
 * How big the synthetic master's universe is. `real` (the default: `npm start`, `optchain sim`,
 * `optchain master`, the benchmarks) matches Dhan's detailed master of 2026-03-23 (issue 16 §2):
 * 413 underlyings, 835 chains, ~111.6k contracts, 204 BSE stocks with options, a NIFTY weekly of
 * ~267 strikes, NSE stock near months with a median of ~91.5 strikes. `compact` is the earlier,
 * ~30k-contract universe (8 BSE stocks, ~30 strikes per stock near month), kept so the test
 * suite stays fast (`OPTCHAIN_SIM_UNIVERSE=compact`, set for every test in vitest.config.ts);
 * its bytes are exactly what the generator wrote before the real size existed.
 *
 * @module
 */
import { ErrorCodes, OptchainError } from '../errors.js';

/** The two sizes. */
export type UniverseSize = 'real' | 'compact';

/** Every size, for validation. */
export const UNIVERSE_SIZES: readonly UniverseSize[] = Object.freeze(['real', 'compact']);

/** The knobs a size turns. */
export interface SizeProfile {
  readonly size: UniverseSize;
  /** Multiplier on an index chain's strike count (weekly and serial monthly blocks). */
  indexStrikeScale(symbol: string): number;
  /** Multiplier on an NSE stock chain's strike count. */
  readonly nseStockStrikeScale: number;
  /** Multiplier on a BSE stock chain's strike count (before the BSE 0.6 factor). */
  readonly bseStockStrikeScale: number;
  /** Id slots per stock chain lane: more than any stock chain's span in steps. */
  readonly stockSlots: number;
  /** Stocks (by table position) with NSE options. */
  nseOptions(index: number): boolean;
  /** Stocks (by table position and symbol) with BSE options. */
  bseOptions(index: number, knownBse: boolean): boolean;
  /** First BSE_FNO id of the TEST option rows (above every BSE stock option region). */
  readonly bseTestBase: number;
  /** Expired currency months kept in the file as stale distractor rows (synthetic-distractors.ts); 0 = none. */
  readonly staleCurrencyMonths: number;
}

const COMPACT: SizeProfile = Object.freeze({
  size: 'compact',
  indexStrikeScale: () => 1,
  nseStockStrikeScale: 1,
  bseStockStrikeScale: 1,
  stockSlots: 128,
  nseOptions: () => true,
  bseOptions: (_i: number, known: boolean) => known,
  bseTestBase: 1_190_000,
  staleCurrencyMonths: 0,
} satisfies SizeProfile);

/**
 * Real-size counts of 2026-03-23 (issue 16 §2). NSE: 206 stocks with options, BSE: 204; a stock
 * table of ~210 lists a few NSE F&O stocks whose options the day does not carry (they keep their
 * cash rows and futures as distractors). Strike scales: NIFTY weekly 267 / 102 ≈ 2.6, stock near
 * months 91.5 / 32 (the stock table's median) ≈ 2.86; the BSE scale and the other indices' are set so the day totals
 * ~111.6k contracts (measured in test/synthetic-master-real-size.test.ts).
 */
const NSE_STOCKS_REAL = 206;
const BSE_STOCKS_REAL = 204;
const REAL_INDEX_SCALE: Readonly<Record<string, number>> = Object.freeze({ NIFTY: 2.6, BANKNIFTY: 2.2, SENSEX: 2.2 });

function realProfile(stockCount: number): SizeProfile {
  return Object.freeze({
    size: 'real',
    indexStrikeScale: (symbol: string) => REAL_INDEX_SCALE[symbol] ?? 2,
    nseStockStrikeScale: 2.86,
    bseStockStrikeScale: 2.3,
    stockSlots: 256,
    nseOptions: (i: number) => i < NSE_STOCKS_REAL,
    // The last 204 of the table (which holds the 8 well-known BSE codes); the table's last six
    // then have options on BSE only, a case the real file has too few of to leave untested.
    bseOptions: (i: number, known: boolean) => known || i >= stockCount - BSE_STOCKS_REAL,
    bseTestBase: 1_990_000,
    staleCurrencyMonths: 2,
  } satisfies SizeProfile);
}

/**
 * The size used when a caller names none: `OPTCHAIN_SIM_UNIVERSE` (config `simUniverse`), else
 * `real`. Read here so every path that generates a master without the config in hand (the
 * simulator started by a test, `optchain master`) agrees with `optchain sim` and `serve`.
 */
export function defaultUniverseSize(env: NodeJS.ProcessEnv = process.env): UniverseSize {
  const v = env.OPTCHAIN_SIM_UNIVERSE;
  if (v === undefined || v === '') return 'real';
  if ((UNIVERSE_SIZES as readonly string[]).includes(v)) return v as UniverseSize;
  throw new OptchainError(ErrorCodes.CONFIG_INVALID, `OPTCHAIN_SIM_UNIVERSE must be one of ${UNIVERSE_SIZES.join(', ')}, got ${JSON.stringify(v)}`);
}

/** The profile of a size for a stock table of `stockCount` entries. */
export function sizeProfile(size: UniverseSize, stockCount: number): SizeProfile {
  return size === 'compact' ? COMPACT : realProfile(stockCount);
}
