/**
 * The main thread's handle on margins: a piscina pool of exactly one worker running
 * {@link ./margin-worker.ts}. The main thread only posts a message and awaits the answer, so a
 * slow or failing Dhan never blocks chain serving (contract §1, peers.md §5 item 10).
 *
 * piscina settings (engineering.md §4.1): `atomics: 'disabled'` — with the default `'sync'` an
 * idle worker blocks in `Atomics.wait` and its keep-alive sockets and timers stall;
 * `minThreads = maxThreads = 1` — one owner for the pool, limiter and cache; a long
 * `idleTimeout` — the default terminates idle threads at once and would throw the cache and the
 * warm connections away between decision points; `concurrentTasksPerWorker` > 1 — tasks are
 * I/O-bound awaits, many may wait on Dhan at once. Tasks are never aborted (aborting terminates
 * the worker and everything it holds); the deadline lives inside the service instead.
 *
 * @module
 */
import { Piscina } from 'piscina';
import { MarginError, type ErrorCode } from '../errors.js';
import { distUrl } from '../util/dist-path.js';
import type { MarginWorkerData, MarginWorkerMessage } from './margin-worker.js';
import type { BucketSpec } from './token-bucket.js';
import type { MarginAnswer, MarginBackend, MarginFailureData, MarginResult, MarginStats, MarginTask } from './types.js';

/** Options of {@link MarginWorkerPool}. */
export interface MarginWorkerPoolOptions {
  /** REST base ending in `/v2` (config `dhanApiUrl`, or the simulator's `urls.api`). */
  readonly apiUrl: string;
  /** config `marginTimeoutMs`. */
  readonly timeoutMs: number;
  /** config `marginCacheTtlMs`. */
  readonly cacheTtlMs: number;
  /** Sockets to the API origin; default 4. */
  readonly connections?: number;
  readonly maxAttempts?: number;
  readonly backoffMs?: number;
  readonly deadlineMs?: number;
  readonly buckets?: readonly BucketSpec[];
}

/** Rebuilds a typed error from the worker's plain-data failure. */
export function marginErrorFrom(e: MarginFailureData): MarginError {
  return new MarginError(e.code as ErrorCode, e.message, e.status, e.retryable, e.details);
}

/** Unwraps a service answer into a result or a thrown MarginError. */
export function unwrapAnswer(a: MarginAnswer): MarginResult {
  if (a.ok) return a.result;
  throw marginErrorFrom(a.error);
}

/** Margins computed in one piscina worker. */
export class MarginWorkerPool implements MarginBackend {
  private readonly pool: Piscina;

  constructor(opts: MarginWorkerPoolOptions) {
    const workerData: MarginWorkerData = {
      apiUrl: opts.apiUrl,
      timeoutMs: opts.timeoutMs,
      cacheTtlMs: opts.cacheTtlMs,
      connections: opts.connections ?? 4,
      ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
      ...(opts.backoffMs !== undefined ? { backoffMs: opts.backoffMs } : {}),
      ...(opts.deadlineMs !== undefined ? { deadlineMs: opts.deadlineMs } : {}),
      ...(opts.buckets !== undefined ? { buckets: opts.buckets } : {}),
    };
    this.pool = new Piscina({
      filename: distUrl('./margin-worker.js', import.meta.url).href,
      minThreads: 1,
      maxThreads: 1,
      atomics: 'disabled',
      idleTimeout: 24 * 60 * 60 * 1000,
      concurrentTasksPerWorker: 64,
      // Bounded queue: past 64 waiting + 64 running, callers get an error instead of memory growth.
      maxQueue: 64,
      closeTimeout: 5_000,
      workerData,
      resourceLimits: { maxOldGenerationSizeMb: 128 },
    });
  }

  async compute(task: MarginTask): Promise<MarginResult> {
    let answer: MarginAnswer;
    try {
      answer = (await this.pool.run({ op: 'compute', task } satisfies MarginWorkerMessage)) as MarginAnswer;
    } catch (err) {
      // Queue full or the worker died: the margin service is unavailable, not the order invalid.
      throw new MarginError('MARGIN_UNAVAILABLE', `margin worker unavailable: ${(err as Error).message}`, 503, true);
    }
    return unwrapAnswer(answer);
  }

  async invalidate(userId: number, keepHash?: string): Promise<void> {
    await this.pool.run(keepHash === undefined ? { op: 'invalidate', userId } : ({ op: 'invalidate', userId, keepHash } satisfies MarginWorkerMessage));
  }

  async stats(): Promise<MarginStats> {
    return (await this.pool.run({ op: 'stats' } satisfies MarginWorkerMessage)) as MarginStats;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
