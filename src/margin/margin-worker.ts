/**
 * The piscina worker that owns margin calls (issue 7: the design's off-hot-path worker). One
 * thread holds one undici Pool to the Dhan API origin, the token bucket, the in-flight map and
 * the cache, so rate limiting and caching need no cross-thread coordination
 * (docs/engineering.md §4.1: several workers would each get their own pool and cache).
 *
 * Runs only as compiled JS from `dist/` (project convention); started by {@link MarginWorkerPool}.
 *
 * @module
 */
import { workerData } from 'piscina';
import { Pool } from 'undici';
import { MarginError } from '../errors.js';
import { MarginService } from './margin-service.js';
import type { BucketSpec } from './token-bucket.js';
import type { MarginAnswer, MarginStats, MarginTask } from './types.js';

/** What the main thread passes as piscina `workerData`. */
export interface MarginWorkerData {
  readonly apiUrl: string;
  readonly timeoutMs: number;
  readonly cacheTtlMs: number;
  readonly connections: number;
  readonly maxAttempts?: number;
  readonly backoffMs?: number;
  readonly deadlineMs?: number;
  readonly buckets?: readonly BucketSpec[];
  /** Honour `test-crash` (crash-recovery tests only). */
  readonly testHooks?: boolean;
  readonly maxQueuedPerUser?: number;
}

/** Messages the worker understands. */
export type MarginWorkerMessage =
  | { readonly op: 'compute'; readonly task: MarginTask }
  | { readonly op: 'cancel'; readonly taskId: string; readonly why: 'cancelled' | 'deadline' }
  | { readonly op: 'invalidate'; readonly userId: number; readonly keepHash?: string }
  | { readonly op: 'stats' }
  /** Test hook: an uncaught error outside the task, as a bug in the thread would throw. */
  | { readonly op: 'test-crash' };

let service: MarginService | undefined;

function getService(): MarginService {
  if (service !== undefined) return service;
  const d = workerData as MarginWorkerData;
  const origin = new URL(d.apiUrl).origin;
  const pool = new Pool(origin, {
    // A broker API answers in well under a second or not at all; undici's 300 s defaults would pin
    // a connection for five minutes (docs/engineering.md §4.2).
    headersTimeout: d.timeoutMs,
    bodyTimeout: d.timeoutMs,
    connectTimeout: d.timeoutMs,
    // Capped: the token bucket allows 10 calls/s, a handful of sockets carries that easily.
    connections: d.connections,
    pipelining: 1,
    keepAliveTimeout: 4_000,
  });
  service = new MarginService({
    dispatcher: pool,
    apiUrl: d.apiUrl,
    timeoutMs: d.timeoutMs,
    cacheTtlMs: d.cacheTtlMs,
    ...(d.maxAttempts !== undefined ? { maxAttempts: d.maxAttempts } : {}),
    ...(d.backoffMs !== undefined ? { backoffMs: d.backoffMs } : {}),
    ...(d.deadlineMs !== undefined ? { deadlineMs: d.deadlineMs } : {}),
    ...(d.buckets !== undefined ? { buckets: d.buckets } : {}),
    ...(d.maxQueuedPerUser !== undefined ? { maxQueuedPerUser: d.maxQueuedPerUser } : {}),
  });
  return service;
}

/** piscina task entry point. Never throws: failures come back as data (MarginAnswer.ok false). */
export default async function run(msg: MarginWorkerMessage): Promise<MarginAnswer | MarginStats | boolean | null> {
  if (msg.op === 'test-crash') {
    if ((workerData as MarginWorkerData).testHooks === true) {
      setImmediate(() => {
        throw new MarginError('MARGIN_UNAVAILABLE', 'margin worker: crash requested by a test hook', true);
      });
    }
    return null;
  }
  const s = getService();
  switch (msg.op) {
    case 'compute':
      return s.compute(msg.task);
    case 'cancel':
      return s.cancel(msg.taskId, msg.why);
    case 'invalidate':
      s.invalidate(msg.userId, msg.keepHash);
      return null;
    case 'stats':
      return s.stats();
    default:
      return null;
  }
}
