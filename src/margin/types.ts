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
  /** Account that signs the call (docs/contract.md §6: the first configured account); null = none configured. */
  readonly account: DhanAccount | null;
  /**
   * Wall-clock Unix ms by which the answer is needed (the order's deadline, config
   * `paperOrderDeadlineMs`); past it a waiting call is dropped unmade (503 DEADLINE_EXCEEDED).
   */
  readonly deadlineAt?: number;
  /** Set by the backend: names the call so that {@link MarginBackend.compute}'s signal can withdraw it while it waits. */
  readonly taskId?: string;
}

/** A margin as the contract shows it (docs/contract.md §6). */
export interface MarginResult extends MarginFigures {
  readonly source: 'dhan' | 'cache';
  /** Unix ms when Dhan answered (a cached result keeps its original time). */
  readonly computedAt: number;
}

/** A failure in plain data (rebuilt into a MarginError on the caller's side). */
export interface MarginFailureData {
  readonly code: string;
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
  /** Calls that waited in the fair queue for a token of Dhan's rate budget. */
  readonly limiterWaits: number;
  /** Calls refused without reaching Dhan: the user's queue was full or the deadline passed while waiting. */
  readonly limiterRefusals: number;
  /** Calls waiting for a token now. */
  readonly queueDepth: number;
  readonly queueFull: number;
  readonly queueExpired: number;
  /** Waiting calls withdrawn because their client went away. */
  readonly queueCancelled: number;
  /** Calls of users with nothing waiting that took the token held back for them (fair-queue.ts). */
  readonly queueReserveGrants: number;
}

/** Anything that can compute margins: the piscina-backed pool in production, inline in unit tests. */
export interface MarginBackend {
  /**
   * The margin of a set; rejects with a MarginError (502/503) when Dhan cannot give one, 429
   * QUEUE_FULL when the user has too many calls waiting, 503 DEADLINE_EXCEEDED at
   * `task.deadlineAt`, CLIENT_CLOSED when `signal` fires first (a call still waiting is
   * withdrawn; one already at Dhan completes and is cached, its answer unused).
   */
  compute(task: MarginTask, signal?: AbortSignal): Promise<MarginResult>;
  /** Drops the user's cached sets except `keepHash` (the set they hold now). */
  invalidate(userId: number, keepHash?: string): Promise<void>;
  stats(): Promise<MarginStats>;
  close(): Promise<void>;
}
