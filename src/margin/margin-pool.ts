/**
 * The main thread's handle on margins: a piscina pool of exactly one worker running
 * {@link ./margin-worker.ts}. The main thread only posts a message and awaits the answer, so a
 * slow or failing Dhan never blocks chain serving (docs/contract.md §1, docs/peers.md §5 item 10).
 *
 * piscina settings (docs/engineering.md §4.1): `atomics: 'disabled'` — with the default `'sync'` an
 * idle worker blocks in `Atomics.wait` and its keep-alive sockets and timers stall;
 * `minThreads = maxThreads = 1` — one owner for the pool, limiter and cache; a long
 * `idleTimeout` — the default terminates idle threads at once and would throw the cache and the
 * warm connections away between decision points; `concurrentTasksPerWorker` > 1 — tasks are
 * I/O-bound awaits, many may wait on Dhan at once. Tasks are never aborted (aborting terminates
 * the worker and everything it holds); the deadline lives inside the service instead.
 *
 * Recovery (issue 14 §2): when the thread throws or exits, piscina fails its running tasks
 * (callers get 503 MARGIN_UNAVAILABLE, retryable: an order waiting on it is refused, never
 * half-applied — paper state lives in the main thread's database) and spawns a replacement,
 * which starts with an empty cache and a full token bucket. An uncaught error with no task
 * running is emitted as the pool's `'error'` event, which would take the whole server down
 * if nobody listened; here it is counted instead. piscina stops replacing a thread that dies
 * before it was ever ready (`workerFailsDuringBootstrap`), so a pool left without a thread is
 * rebuilt.
 *
 * @module
 */
import { Piscina } from 'piscina';
import { MarginError, type ErrorCode } from '../errors.js';
import { distUrl } from '../util/dist-path.js';
import type { MarginWorkerData, MarginWorkerMessage } from './margin-worker.js';
import { settleBy } from './settle-by.js';
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
  /** Allow {@link MarginWorkerPool.crashForTest} (crash-recovery tests only). */
  readonly testHooks?: boolean;
  /** Calls of one user that may wait for a token (config `paperQueuePerUser`). */
  readonly maxQueuedPerUser?: number;
}

/** Rebuilds a typed error from the worker's plain-data failure. */
export function marginErrorFrom(e: MarginFailureData): MarginError {
  return new MarginError(e.code as ErrorCode, e.message, e.retryable, e.details);
}

/** Unwraps a service answer into a result or a thrown MarginError. */
export function unwrapAnswer(a: MarginAnswer): MarginResult {
  if (a.ok) return a.result;
  throw marginErrorFrom(a.error);
}

/** The margin thread's health (for `/health` and `/metrics`). */
export interface MarginThreadStatus {
  readonly up: boolean;
  /** Unexpected exits of the thread (each followed by a replacement). */
  readonly restarts: number;
  readonly lastExitAt: number | null;
  readonly lastExit: string | null;
}

/** How a test kills the margin thread. */
export type MarginCrash = 'throw' | 'terminate';

/** How long after a thread's death a pool still without a thread is rebuilt. */
const REBUILD_CHECK_MS = 500;

/** Margins computed in one piscina worker. */
export class MarginWorkerPool implements MarginBackend {
  private pool: Piscina;
  private readonly piscinaOptions: ConstructorParameters<typeof Piscina>[0];
  private readonly testHooks: boolean;
  private closing = false;
  private restarts = 0;
  private lastExitAt: number | null = null;
  private lastExit: string | null = null;
  private nextTask = 1;

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
      ...(opts.testHooks === true ? { testHooks: true } : {}),
      ...(opts.maxQueuedPerUser !== undefined ? { maxQueuedPerUser: opts.maxQueuedPerUser } : {}),
    };
    this.testHooks = opts.testHooks === true;
    this.piscinaOptions = {
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
    };
    this.pool = this.createPool();
  }

  private createPool(): Piscina {
    const pool = new Piscina(this.piscinaOptions);
    pool.on('error', (err: Error) => {
      // Only reached for an uncaught error while no task ran; the exit that follows is counted.
      this.lastExit = err.message;
    });
    // The raw threads tell why they died (piscina's events do not).
    const watched = new WeakSet<object>();
    pool.on('workerCreate', () => {
      for (const w of pool.threads) {
        if (watched.has(w)) continue;
        watched.add(w);
        let error: string | null = null;
        w.on('error', (err: Error) => {
          error = err.message;
          if (this.pool === pool) this.lastExit = err.message;
        });
        w.on('exit', (code: number) => {
          if (this.pool === pool && !this.closing) this.lastExit = error ?? `exit code ${code}`;
        });
      }
    });
    pool.on('workerDestroy', () => {
      if (this.closing || this.pool !== pool) return;
      this.restarts++;
      this.lastExitAt = Date.now();
      setTimeout(() => {
        if (!this.closing && this.pool === pool && pool.threads.length === 0) {
          this.pool = this.createPool();
          void pool.destroy();
        }
      }, REBUILD_CHECK_MS).unref();
    });
    return pool;
  }

  /** Whether the thread runs, and how often it was replaced. */
  threadStatus(): MarginThreadStatus {
    return { up: this.pool.threads.length > 0, restarts: this.restarts, lastExitAt: this.lastExitAt, lastExit: this.lastExit };
  }

  /**
   * Test hook (needs `testHooks`): `throw` makes the thread throw an uncaught error on a crafted
   * task, `terminate` calls `worker.terminate()`. Resolves once the thread is gone.
   */
  async crashForTest(how: MarginCrash): Promise<void> {
    if (!this.testHooks) throw new MarginError('MARGIN_UNAVAILABLE', 'margin worker test hooks are disabled', false);
    const worker = this.pool.threads[0];
    if (worker === undefined) throw new MarginError('MARGIN_UNAVAILABLE', 'margin worker is not running', true);
    const gone = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    if (how === 'terminate') void worker.terminate();
    else void this.pool.run({ op: 'test-crash' } satisfies MarginWorkerMessage).catch(() => undefined);
    await gone;
  }

  compute(task: MarginTask, signal?: AbortSignal): Promise<MarginResult> {
    const taskId = String(this.nextTask++);
    return settleBy(this.run({ ...task, taskId }), task, signal, (why) => {
      // Withdraw it if it still waits for a token; a failure here only means it already left the queue.
      this.pool.run({ op: 'cancel', taskId, why } satisfies MarginWorkerMessage).catch(() => undefined);
    });
  }

  private async run(task: MarginTask): Promise<MarginResult> {
    let answer: MarginAnswer;
    try {
      answer = (await this.pool.run({ op: 'compute', task } satisfies MarginWorkerMessage)) as MarginAnswer;
    } catch (err) {
      // Queue full or the worker died: the margin service is unavailable, not the order invalid.
      throw new MarginError('MARGIN_UNAVAILABLE', `margin worker unavailable: ${(err as Error).message}`, true);
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
    this.closing = true;
    await this.pool.destroy();
  }
}
