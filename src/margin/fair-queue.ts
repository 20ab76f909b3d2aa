/**
 * Fair queuing of margin calls per user (issue 15 item 3). Dhan's margin budget (10/s,
 * 250/min, docs/dhan-protocol.md §5) is one account's and so shared by every paper user; with one
 * first-come queue a user who floods baskets pushed everyone else's orders to ~10 s. Here each
 * user has their own FIFO, and each token of the {@link TokenBucketLimiter} goes to the next
 * user in round-robin order, so a user with one call waiting waits at most one token per
 * other active user, however many calls the others queued.
 *
 * A reserve (issue 15 item 3, cross-user queueing): while calls wait, one token of every bucket
 * is held back for a user who had nothing waiting — the user placing one order while another
 * floods baskets. That user takes the held token at once instead of waiting a slot or two behind
 * the flood (measured in bench/paper-load: `paced` C). After each use the next token goes to the
 * ring before the reserve is held again, so users with nothing waiting take at most every other
 * token and the waiting users keep at least half the budget between them. Holding the token
 * costs the users who are waiting no rate — the bucket still refills at Dhan's pace and they get
 * every refill beyond the one held — only one token of burst; a lone user, or any user while no
 * call waits, uses the whole budget. A burst-1 bucket holds nothing back.
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
  /** Other users' calls waited and this user had none when it arrived (it may take the reserve). */
  readonly light: boolean;
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
  /** Calls of users with nothing waiting that took the held-back token (the reserve). */
  readonly reserveGrants: number;
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
  /** Tokens held back per bucket while calls wait (see the module comment). */
  private readonly reserve: number;
  /** The reserve is held and unused since the ring's last grant. */
  private reserveReady = true;
  private counters = { waited: 0, refusedFull: 0, refusedDeadline: 0, cancelled: 0, reserveGrants: 0 };

  /**
   * `now`: a monotonic clock in ms, the one deadlines are given in (default `performance.now`).
   * `reserve`: tokens per bucket held back for users with nothing waiting (default 1; 0 = plain round-robin).
   */
  constructor(limiter: TokenBucketLimiter, maxPerUser: number, now: () => number = () => performance.now(), reserve = 1) {
    this.limiter = limiter;
    this.maxPerUser = maxPerUser;
    this.now = now;
    this.reserve = reserve;
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
    if (q === undefined && this.size > 0) {
      // The waiting calls first (a token beyond the reserve may have come since the last pump), then the reserve.
      this.pump();
      if (this.size === 0 ? this.limiter.tryTake() : this.takeReserve()) return Promise.resolve();
    }
    if (q !== undefined && q.length >= this.maxPerUser) {
      this.counters.refusedFull++;
      return Promise.reject(queueRefusal('full', this.maxPerUser));
    }
    const wait = deadline - this.now();
    if (wait <= 0) {
      this.counters.refusedDeadline++;
      return Promise.reject(queueRefusal('deadline', this.maxPerUser));
    }
    this.counters.waited++;
    return new Promise<void>((resolve, reject) => {
      // Light: it came while others' calls waited and its user had none waiting (the one the reserve is for).
      const e: Entry = { userId, light: q === undefined && this.size > 0, taskId, resolve, reject, timer: null };
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
    // Nobody waits: nothing to hold a token back for, and the next waiting queue starts afresh.
    if (this.size === 0) this.reserveReady = true;
    return true;
  }

  /** Takes the held-back token for a user with nothing waiting, if it is held and there. */
  private takeReserve(): boolean {
    if (!this.reserveReady || !this.limiter.tryTake()) return false;
    this.reserveReady = false;
    this.counters.reserveGrants++;
    return true;
  }

  /** The first waiting call, in ring order, of a user who had nothing waiting when it arrived. */
  private firstLight(): Entry | undefined {
    for (const q of this.queues.values()) if (q[0]!.light) return q[0];
    return undefined;
  }

  /** Hands `e` the token just checked for; its user goes to the back of the ring. */
  private grant(e: Entry): void {
    this.remove(e);
    const rest = this.queues.get(e.userId);
    if (rest !== undefined) {
      this.queues.delete(e.userId);
      this.queues.set(e.userId, rest);
    }
    if (e.timer !== null) clearTimeout(e.timer);
    this.limiter.tryTake();
    e.resolve();
  }

  private pump(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.size > 0) {
      const keep = this.reserveReady ? this.reserve : 0;
      if (this.limiter.waitMs(keep) === 0) {
        // Round-robin: the next user of the ring, beyond the held-back token; after a reserve use this grant re-arms it.
        const [, q] = this.queues.entries().next().value as [number, Entry[]];
        this.grant(q[0]!);
        this.reserveReady = true;
        continue;
      }
      const light = keep > 0 ? this.firstLight() : undefined;
      if (light !== undefined && this.limiter.waitMs(0) === 0) {
        this.reserveReady = false;
        this.counters.reserveGrants++;
        this.grant(light);
        continue;
      }
      const wait = light !== undefined ? this.limiter.waitMs(0) : this.limiter.waitMs(keep);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, Math.ceil(wait));
      return;
    }
  }
}
