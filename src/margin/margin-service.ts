/**
 * The margin service proper: cache → in-flight de-duplication → token bucket → one
 * `POST /margincalculator/multi` for the whole set → bounded retries → cache. It is
 * thread-agnostic: the piscina worker ({@link ./margin-worker.ts}) runs one instance over a real
 * undici Pool; unit tests run one over an undici MockAgent (docs/engineering.md §4.2: the global
 * dispatcher is per thread, so mocks must be handed in, not installed globally).
 *
 * Why the de-duplication is ours: undici's `deduplicate` interceptor covers safe methods only and
 * this call is a POST (docs/engineering.md §4.1). Why retries are ours: undici's RetryAgent does not
 * retry POST by default (docs/engineering.md §4.2); the margin calculator has no side effects, so
 * retrying it is safe, but only a few times and within a deadline.
 *
 * @module
 */
import type { Dispatcher } from 'undici';
import { ErrorCodes, type MarginError } from '../errors.js';
import { buildMultiBody, classifyAnswer, classifyNetworkError, MULTI_MARGIN_PATH, parseMultiAnswer, type MarginFailure, type MarginFigures } from './dhan-margin-api.js';
import { MarginCache } from './margin-cache.js';
import { FairQueue } from './fair-queue.js';
import { DHAN_MARGIN_BUCKETS, TokenBucketLimiter, type BucketSpec } from './token-bucket.js';
import type { MarginAnswer, MarginStats, MarginTask } from './types.js';

/** Options of a {@link MarginService}. */
export interface MarginServiceOptions {
  /** An undici Pool to the API origin (or a MockAgent in tests). */
  readonly dispatcher: Dispatcher;
  /** REST base ending in `/v2` (config `dhanApiUrl`, docs/contract.md §4). */
  readonly apiUrl: string;
  /** Per-attempt headers/body timeout (config `marginTimeoutMs`). */
  readonly timeoutMs: number;
  /** Cache TTL (config `marginCacheTtlMs`). */
  readonly cacheTtlMs: number;
  /** Whole-call budget including retries and limiter waits; default 2 × timeoutMs. */
  readonly deadlineMs?: number;
  /** Attempts per computation (first + retries); default 3. */
  readonly maxAttempts?: number;
  /** First retry delay; doubles per retry; default 200 ms (rate-limit retries wait at least 1 s). */
  readonly backoffMs?: number;
  readonly buckets?: readonly BucketSpec[];
  /** Calls of one user that may wait for a token (config `paperQueuePerUser`); default 8. */
  readonly maxQueuedPerUser?: number;
  /** Wall clock for `computedAt`, the TTL and `task.deadlineAt`. */
  readonly now?: () => number;
}

class Failure extends Error {
  constructor(readonly failure: MarginFailure, readonly upstreamStatus?: number) {
    super(failure.message);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Cache, de-duplication, rate limiting and retries around Dhan's basket margin call. */
export class MarginService {
  private readonly opts: Required<Omit<MarginServiceOptions, 'buckets' | 'maxQueuedPerUser'>>;
  private readonly origin: string;
  private readonly path: string;
  private readonly cache: MarginCache;
  private readonly queue: FairQueue;
  private readonly inflight = new Map<string, Promise<MarginAnswer>>();
  private counters = { upstreamCalls: 0, cacheHits: 0, dedupHits: 0, misses: 0, retries: 0, failures: 0 };

  constructor(opts: MarginServiceOptions) {
    this.opts = {
      dispatcher: opts.dispatcher,
      apiUrl: opts.apiUrl,
      timeoutMs: opts.timeoutMs,
      cacheTtlMs: opts.cacheTtlMs,
      deadlineMs: opts.deadlineMs ?? opts.timeoutMs * 2,
      maxAttempts: opts.maxAttempts ?? 3,
      backoffMs: opts.backoffMs ?? 200,
      now: opts.now ?? Date.now,
    };
    const url = new URL(opts.apiUrl.replace(/\/+$/, ''));
    this.origin = url.origin;
    this.path = `${url.pathname}${MULTI_MARGIN_PATH}`;
    this.cache = new MarginCache(opts.cacheTtlMs, this.opts.now);
    this.queue = new FairQueue(new TokenBucketLimiter(opts.buckets ?? DHAN_MARGIN_BUCKETS), opts.maxQueuedPerUser ?? 8);
  }

  /** The margin of `task.legs` for `task.userId`: from the cache, a joined call, or one new call. */
  compute(task: MarginTask): Promise<MarginAnswer> {
    const hit = this.cache.get(task.userId, task.setHash);
    if (hit !== undefined) {
      this.counters.cacheHits++;
      return Promise.resolve({ ok: true, result: { ...hit.margin, source: 'cache', computedAt: hit.computedAt } });
    }
    const key = `${task.userId}:${task.setHash}`;
    const running = this.inflight.get(key);
    if (running !== undefined) {
      this.counters.dedupHits++;
      return running;
    }
    this.counters.misses++;
    const p = this.fetchAndCache(task).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /** Withdraws a call still waiting for a token (its client went away, or its deadline passed); false when it is not waiting. */
  cancel(taskId: string, why: 'cancelled' | 'deadline' = 'cancelled'): boolean {
    return this.queue.cancel(taskId, why);
  }

  /** Drops the user's cached sets except `keepHash`. */
  invalidate(userId: number, keepHash?: string): void {
    this.cache.invalidate(userId, keepHash);
  }

  stats(): MarginStats {
    const q = this.queue.stats();
    return {
      ...this.counters, cacheEntries: this.cache.size, limiterWaits: q.waited, limiterRefusals: q.refusedFull + q.refusedDeadline,
      queueDepth: q.depth, queueFull: q.refusedFull, queueExpired: q.refusedDeadline, queueCancelled: q.cancelled, queueReserveGrants: q.reserveGrants,
    };
  }

  private async fetchAndCache(task: MarginTask): Promise<MarginAnswer> {
    if (task.account === null) {
      this.counters.failures++;
      return { ok: false, error: { code: ErrorCodes.MARGIN_UNAVAILABLE, retryable: false, message: 'no Dhan account is configured for margin calls' } };
    }
    if (task.legs.length === 0) {
      // A flat set needs no margin and no call; Dhan would refuse an empty scripList anyway.
      return { ok: true, result: { totalMargin: 0, spanMargin: 0, exposureMargin: 0, source: 'cache', computedAt: this.opts.now() } };
    }
    const start = performance.now();
    // The tighter of the service's own budget and the caller's deadline (wall clock → monotonic).
    const callerDeadline = task.deadlineAt === undefined ? Infinity : start + (task.deadlineAt - this.opts.now());
    const deadline = Math.min(start + this.opts.deadlineMs, callerDeadline);
    const body = JSON.stringify(buildMultiBody(task.account.clientId, task.legs));
    let last: Failure | undefined;
    let attempts = 0;
    for (let attempt = 0; attempt < this.opts.maxAttempts; attempt++) {
      if (attempt > 0) {
        const rateLimited = last?.failure.code === ErrorCodes.MARGIN_RATE_LIMITED;
        const delay = Math.max(rateLimited ? 1000 : 0, this.opts.backoffMs * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);
        if (performance.now() + delay >= deadline) break;
        this.counters.retries++;
        await sleep(delay);
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      try {
        await this.queue.acquire(task.userId, deadline, task.taskId);
      } catch (err) {
        const e = err as MarginError;
        if (e.code === ErrorCodes.QUEUE_FULL || e.code === ErrorCodes.CLIENT_CLOSED) return { ok: false, error: { code: e.code, retryable: e.retryable, message: e.message, ...(e.details ? { details: e.details } : {}) } };
        last = deadline === callerDeadline
          ? new Failure({ code: ErrorCodes.DEADLINE_EXCEEDED, retryable: true, message: e.message })
          : new Failure({ code: ErrorCodes.MARGIN_RATE_LIMITED, retryable: true, message: 'margin calls are over the Dhan rate budget; try again shortly' });
        break;
      }
      attempts++;
      try {
        const margin = await this.once(task.account, body, Math.ceil(Math.min(this.opts.timeoutMs, Math.max(1, deadline - performance.now()))));
        const computedAt = this.opts.now();
        this.cache.set(task.userId, task.setHash, { margin, computedAt });
        return { ok: true, result: { ...margin, source: 'dhan', computedAt } };
      } catch (err) {
        last = err instanceof Failure ? err : new Failure(classifyNetworkError(err));
        if (!last.failure.retryable) break;
      }
    }
    this.counters.failures++;
    const f = last?.failure ?? { code: ErrorCodes.MARGIN_UNAVAILABLE, retryable: true, message: 'Dhan margin service did not answer in time' };
    const details: Record<string, unknown> = { attempts };
    if (f.dhanCode !== undefined) details.dhanCode = f.dhanCode;
    if (last?.upstreamStatus !== undefined) details.upstreamStatus = last.upstreamStatus;
    return { ok: false, error: { code: f.code, retryable: f.retryable, message: f.message, details } };
  }

  /** One HTTP attempt. Always consumes the body (docs/engineering.md §4.2: unconsumed bodies stall the pool). */
  private async once(account: { clientId: string; accessToken: string }, body: string, timeoutMs: number): Promise<MarginFigures> {
    this.counters.upstreamCalls++;
    const res = await this.opts.dispatcher.request({
      origin: this.origin,
      path: this.path,
      method: 'POST',
      headers: {
        'access-token': account.accessToken,
        'client-id': account.clientId,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      // headers/body timeouts do not cover a server that trickles; the signal bounds the whole attempt.
      signal: AbortSignal.timeout(timeoutMs + 50),
    });
    const text = await res.body.text();
    let parsed: unknown;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.statusCode >= 200 && res.statusCode < 300) {
      const m = parsed === undefined ? undefined : parseMultiAnswer(parsed);
      // A 200 can still carry a data-API error (docs/dhan-protocol.md §3.1).
      if (m !== undefined) return m;
    }
    throw new Failure(classifyAnswer(res.statusCode, parsed), res.statusCode);
  }
}
