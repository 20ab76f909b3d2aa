/**
 * Shapes shared by the margin service, its piscina worker and its callers. Everything here
 * crosses a thread boundary by structured clone, so it is plain data only.
 *
 * @module
 */
import type { DhanAccount, MarginFigures } from './dhan-margin-api.js';
import type { PricedLeg } from './position-set.js';

/** A request for the margin of one position set on behalf of one user. */
export interface MarginTask {
  readonly userId: number;
  /** {@link positionSetHash} of `legs` (the cache key within the user). */
  readonly setHash: string;
  /** Canonical priced legs ({@link canonicalSet}); non-empty. */
  readonly legs: readonly PricedLeg[];
  /** Account that signs the call (contract §6: the first configured account); null = none configured. */
  readonly account: DhanAccount | null;
}

/** A margin as the contract shows it (contract §6). */
export interface MarginResult extends MarginFigures {
  readonly source: 'dhan' | 'cache';
  /** Unix ms when Dhan answered (a cached result keeps its original time). */
  readonly computedAt: number;
}

/** A failure in plain data (rebuilt into a MarginError on the caller's side). */
export interface MarginFailureData {
  readonly code: string;
  readonly status: number;
  readonly message: string;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;
}

/** What the service answers: a result or a failure, never a thrown error across threads. */
export type MarginAnswer = { readonly ok: true; readonly result: MarginResult } | { readonly ok: false; readonly error: MarginFailureData };

/** Counters, for tests and /metrics. */
export interface MarginStats {
  /** HTTP attempts made to Dhan (each retry counts). */
  readonly upstreamCalls: number;
  /** Answers served from the cache. */
  readonly cacheHits: number;
  /** Requests that joined an identical call already in flight. */
  readonly dedupHits: number;
  /** Computations that reached Dhan (a miss; each may take several attempts). */
  readonly misses: number;
  readonly retries: number;
  readonly failures: number;
  readonly cacheEntries: number;
  readonly limiterWaits: number;
  readonly limiterRefusals: number;
}

/** Anything that can compute margins: the piscina-backed pool in production, inline in unit tests. */
export interface MarginBackend {
  /** The margin of a set; rejects with a MarginError (502/503) when Dhan cannot give one. */
  compute(task: MarginTask): Promise<MarginResult>;
  /** Drops the user's cached sets except `keepHash` (the set they hold now). */
  invalidate(userId: number, keepHash?: string): Promise<void>;
  stats(): Promise<MarginStats>;
  close(): Promise<void>;
}
