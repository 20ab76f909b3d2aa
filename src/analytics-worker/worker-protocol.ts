/**
 * Messages between the main thread's AnalyticsSupervisor and the analytics worker thread.
 * Only control and once-a-second statistics cross: the results travel through the shared
 * analytics table.
 *
 * @module
 */
import type { AnalyticsTableHandle } from '../price-table/analytics-table.js';
import type { PriceTableHandle } from '../price-table/price-table.js';
import type { AnalyticsParams } from './analytics-engine.js';
import type { ChainInputs } from './chain-inputs.js';

/** `workerData` of the analytics worker. */
export interface AnalyticsWorkerData {
  readonly role: 'analytics-worker';
  readonly price: PriceTableHandle;
  readonly analytics: AnalyticsTableHandle;
  readonly inputs: ChainInputs;
  readonly params: AnalyticsParams;
  /** Market clock = wall clock + this (the simulator's session clock in sim mode). */
  readonly clockOffsetMs: number;
  /** Shortest time from one pass's start to the next's, ms: ticks within it share a pass (config `analyticsIntervalMs`). */
  readonly intervalMs: number;
  /** Longest time-decay cadence, ms of market time: a chain's legs are re-solved at least this often (config `analyticsRefreshMs`; analytics-engine.ts `decayCadenceMs`). */
  readonly refreshMs: number;
  /** Accept `test-crash` messages. */
  readonly testHooks: boolean;
}

/** Main → worker. */
export type AnalyticsMainMessage = { readonly type: 'stop' } | { readonly type: 'test-crash'; readonly how: 'throw' | 'exit' };

/** Counters since the thread started (the supervisor keeps totals across restarts). */
export interface AnalyticsWorkerStats {
  readonly type: 'stats';
  /** Wall-clock Unix ms of the message. */
  readonly at: number;
  readonly passes: number;
  /** Chains recomputed and published. */
  readonly chains: number;
  /** Legs solved (IV + Greeks). */
  readonly legs: number;
  /** Legs of recomputed chains kept as they were (input and anchor unchanged). */
  readonly reused: number;
  /** Milliseconds spent inside passes (the thread's work; the rest it sleeps). */
  readonly busyMs: number;
  /** The thread's CPU time so far, ms (thread-cpu.ts), null where the OS does not say. */
  readonly cpuMs: number | null;
  /** The longest pass since the previous stats message, ms. */
  readonly maxPassMs: number;
  /** The last pass, ms. */
  readonly lastPassMs: number;
}

/** Worker → main. */
export type AnalyticsWorkerMessage =
  | { readonly type: 'ready' }
  | AnalyticsWorkerStats
  | { readonly type: 'stopped' }
  | { readonly type: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly msg: string };
