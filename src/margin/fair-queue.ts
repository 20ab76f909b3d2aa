/**
 * Fair queuing of margin calls per user (issue 15 item 3). Dhan's margin budget (10/s,
 * 250/min, docs/dhan-protocol.md §5) is one account's and so shared by every paper user; with one
 * first-come queue a user who floods baskets pushed everyone else's orders to ~10 s. Here each
 * user has their own FIFO, and each token of the {@link TokenBucketLimiter} goes to the next
 * user in round-robin order, so a user with one call waiting waits at most one token per
 * other active user, however many calls the others queued.
 *
 * Bounds: at most `maxPerUser` calls of a user wait (the next is refused at once, `'full'`);
 * each waiting call has a deadline and is refused when it passes (`'deadline'`), without
 * taking a token; a call can be withdrawn by its task id while it waits (`'cancelled'`: its
 * client went away). A refused call never reaches Dhan.
 *
 * @module
 */
import { ErrorCodes, MarginError } from '../errors.js';
import type { TokenBucketLimiter } from './token-bucket.js';

/** Why a call did not get a token. */
export type QueueRefusal = 'full' | 'deadline' | 'cancelled';

/** The error a refused call is rejected with: 429 QUEUE_FULL, 503 DEADLINE_EXCEEDED or CLIENT_CLOSED. */
export function queueRefusal(why: QueueRefusal, maxPerUser: number): MarginError {
  switch (why) {
    case 'full':
      return new MarginError(ErrorCodes.QUEUE_FULL, `${maxPerUser} margin calls of this user are already waiting for Dhan's rate budget; retry after one is answered`, true, { maxQueued: maxPerUser });
    case 'deadline':
      return new MarginError(ErrorCodes.DEADLINE_EXCEEDED, "the margin call waited for Dhan's rate budget past its deadline and was not made", true);
    case 'cancelled':
      return new MarginError(ErrorCodes.CLIENT_CLOSED, 'the client went away before the margin call was made', false);
  }
}

interface Entry {
  readonly userId: number;
  readonly taskId: string | undefined;
  readonly resolve: () => void;
  readonly reject: (err: MarginError) => void;
  timer: NodeJS.Timeout | null;
}

/** Counters of a {@link FairQueue}. */
export interface FairQueueStats {
  /** Calls waiting now. */
  readonly depth: number;
  /** Calls that had to wait for a token (the rate-limit waits). */
  readonly waited: number;
  readonly refusedFull: number;
  readonly refusedDeadline: number;
  readonly cancelled: number;
}

/** Per-user round-robin queue in front of a token bucket. Not thread-safe: one per thread. */
export class FairQueue {
  private readonly limiter: TokenBucketLimiter;
  private readonly maxPerUser: number;
  private readonly now: () => number;
  /** Users with waiting calls; Map order is the round-robin order (a served user moves to the back). */
  private readonly queues = new Map<number, Entry[]>();
  private readonly byTask = new Map<string, Entry>();
  private timer: NodeJS.Timeout | null = null;
  private size = 0;
  private counters = { waited: 0, refusedFull: 0, refusedDeadline: 0, cancelled: 0 };

  /** `now`: a monotonic clock in ms, the one deadlines are given in (default `performance.now`). */
  constructor(limiter: TokenBucketLimiter, maxPerUser: number, now: () => number = () => performance.now()) {
    this.limiter = limiter;
    this.maxPerUser = maxPerUser;
    this.now = now;
  }

  stats(): FairQueueStats {
    return { depth: this.size, ...this.counters };
  }

  /**
   * Resolves when the call may go to Dhan (one token taken for it); rejects with the
   * {@link queueRefusal} error. `deadline` is on the `now` clock.
   */
  acquire(userId: number, deadline: number, taskId?: string): Promise<void> {
    if (this.size === 0 && this.limiter.tryTake()) return Promise.resolve();
    const q = this.queues.get(userId);
    if (q !== undefined && q.length >= this.maxPerUser) {
      this.counters.refusedFull++;
      return Promise.reject<void>(queueRefusal('full', this.maxPerUser));
    }
    const wait = deadline - this.now();
    if (wait <= 0) {
      this.counters.refusedDeadline++;
      return Promise.reject<void>(queueRefusal('deadline', this.maxPerUser));
    }
    this.counters.waited++;
    return new Promise<void>((resolve, reject) => {
      const e: Entry = { userId, taskId, resolve, reject, timer: null };
      e.timer = setTimeout(() => {
        e.timer = null;
        if (this.remove(e)) {
          this.counters.refusedDeadline++;
          reject(queueRefusal('deadline', this.maxPerUser));
        }
      }, Math.ceil(wait));
      if (q === undefined) this.queues.set(userId, [e]);
      else q.push(e);
      if (taskId !== undefined) this.byTask.set(taskId, e);
      this.size++;
      this.pump();
    });
  }

  /**
   * Withdraws a waiting call; false when it is not waiting (already granted, refused or unknown).
   * `why`: its client went away (`'cancelled'`), or the caller's deadline passed first
   * (`'deadline'`: the caller's timer and this queue's race at the same instant, and the
   * metric must say deadline whichever fires first).
   */
  cancel(taskId: string, why: 'cancelled' | 'deadline' = 'cancelled'): boolean {
    const e = this.byTask.get(taskId);
    if (e === undefined || !this.remove(e)) return false;
    if (e.timer !== null) clearTimeout(e.timer);
    if (why === 'deadline') this.counters.refusedDeadline++;
    else this.counters.cancelled++;
    e.reject(queueRefusal(why, this.maxPerUser));
    return true;
  }

  private remove(e: Entry): boolean {
    const q = this.queues.get(e.userId);
    const i = q === undefined ? -1 : q.indexOf(e);
    if (i < 0) return false;
    q!.splice(i, 1);
    if (q!.length === 0) this.queues.delete(e.userId);
    if (e.taskId !== undefined) this.byTask.delete(e.taskId);
    this.size--;
    return true;
  }

  private pump(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.size > 0) {
      const wait = this.limiter.waitMs();
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.pump();
        }, Math.ceil(wait));
        return;
      }
      const [userId, q] = this.queues.entries().next().value as [number, Entry[]];
      const e = q[0]!;
      this.remove(e);
      // Round-robin: the user just served goes to the back of the ring.
      const rest = this.queues.get(userId);
      if (rest !== undefined) {
        this.queues.delete(userId);
        this.queues.set(userId, rest);
      }
      if (e.timer !== null) clearTimeout(e.timer);
      this.limiter.tryTake();
      e.resolve();
    }
  }
}
