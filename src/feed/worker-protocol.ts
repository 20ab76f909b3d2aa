/**
 * What the main thread and a feed worker say to each other. Only control and statistics
 * travel here (about one message a second); ticks never do — they go through the shared
 * price table (docs/engineering.md §2, issue #5: "the main thread never touches a tick").
 *
 * @module
 */
import type { PriceTableHandle } from '../price-table/price-table.js';
import type { AccountsSource } from '../dhan/accounts.js';
import type { PlannedInstrument } from './connection-plan.js';
import type { ConnectionStats, ConnectionTimings } from './upstream-connection.js';

/** Worker timings: the connection's plus the worker's own. */
export interface FeedWorkerTimings extends ConnectionTimings {
  /** Every subscribed token must deliver a packet within this of max(open, subscription). */
  readonly firstPacketMs: number;
  /** Stats message period. */
  readonly statsMs: number;
}

/** One connection handed to a worker. */
export interface WorkerConnectionSpec {
  readonly id: number;
  readonly account: string;
  readonly index: number;
  readonly instruments: readonly PlannedInstrument[];
}

/** `workerData` of a feed worker. */
export interface FeedWorkerData {
  readonly workerIndex: number;
  /** Distinguishes the workers of one trading day from the next day's (stale messages are dropped). */
  readonly epoch: number;
  readonly table: PriceTableHandle;
  /** Skeleton `chainsOfSlot` (index = slot). */
  readonly chainsOfSlot: readonly (readonly number[])[];
  readonly connections: readonly WorkerConnectionSpec[];
  readonly accounts: AccountsSource;
  readonly feedUrl: string;
  /** MarketClock offset (sim mode: the simulator's session clock). */
  readonly clockOffsetMs: number;
  readonly timings: FeedWorkerTimings;
  /** Sockets one account may hold at once across all workers (5). */
  readonly socketsPerAccount: number;
  /** Honour `test-crash` messages (crash-recovery tests only). */
  readonly testHooks: boolean;
}

/** Decoder counters as sent to the main thread. */
export interface DecoderSnapshot {
  readonly frames: number;
  readonly bytes: number;
  readonly packets: number;
  readonly applied: number;
  /** Packets by response code (only codes seen). */
  readonly byCode: Readonly<Record<string, number>>;
  readonly marketStatus: number;
  readonly disconnects: number;
  /** All-zero keep-alive headers skipped (docs/dhan-protocol.md §2.5); not errors. */
  readonly keepAlives: number;
  readonly errors: {
    readonly shortFrame: number;
    readonly badLength: number;
    readonly layoutMismatch: number;
    readonly unknownCode: number;
    readonly unknownToken: number;
    readonly badInput: number;
    readonly internalErrors: number;
    readonly callbackErrors: number;
  };
}

/** Tokens that had not delivered a packet by their first-packet deadline. */
export interface MissingTokens {
  /** Connections whose deadline has passed (their tokens were checked). */
  readonly checkedConnections: number;
  readonly count: number;
  /** A few of them, `SEGMENT:securityId`. */
  readonly examples: readonly string[];
}

/** Worker → main. */
export type WorkerMessage =
  | {
      readonly type: 'stats';
      readonly epoch: number;
      readonly workerIndex: number;
      readonly at: number;
      readonly connections: readonly ConnectionStats[];
      readonly decoder: DecoderSnapshot;
      readonly missing: MissingTokens;
    }
  | { readonly type: 'log'; readonly epoch: number; readonly level: 'info' | 'warn' | 'error'; readonly msg: string; readonly fields?: Record<string, unknown> }
  | { readonly type: 'stopped'; readonly epoch: number };

/** Main → worker. */
export type MainMessage =
  | { readonly type: 'stop' }
  | { readonly type: 'stats-now' }
  /** Test hook (honoured only with `testHooks`): die by an uncaught throw or process.exit. */
  | { readonly type: 'test-crash'; readonly how: 'throw' | 'exit' };
