/**
 * A token bucket per paper user (issue 15 item 2: one key flooding orders cut chain throughput
 * ÷12.5). Every authenticated paper and margin request takes one token of its user's bucket;
 * with none left it is answered 429 `RATE_LIMITED` with `Retry-After` before any work is done
 * for it. Config `paperRateLimitPerSec` (refill) and `paperRateLimitBurst` (bucket size).
 * Users are created by the operator (`optchain users add`), so one bucket per user is bounded.
 *
 * A user who keeps sending past the limit — more refusals within one second than the bucket
 * holds, i.e. a client ignoring `Retry-After` — has their further 429s *held* for
 * {@link HOLD_MS} before they are sent. A closed-loop flooder on N connections is then bounded
 * to N requests a second whatever its speed, where answering at once let it keep the HTTP
 * thread busy with ~1,200 cheap 429s a second and tripled the chain p99 (bench/paper-load,
 * bench/RESULTS.md). A client that honours `Retry-After` never gets that many refusals, so it
 * never waits for one. The held answer is the same 429 with the same `Retry-After`.
 *
 * @module
 */
import { TokenBucketLimiter } from '../margin/token-bucket.js';

/** How long a persistent offender's 429 is held before it is sent. */
export const HOLD_MS = 1000;

/** What {@link UserRateLimit.take} decided. */
export interface RateDecision {
  /** 0: go on (a token was taken); else ms until the user's next token (for `Retry-After`). */
  readonly waitMs: number;
  /** ms to hold the 429 before sending it (0 = at once). */
  readonly holdMs: number;
}

const GO: RateDecision = Object.freeze({ waitMs: 0, holdMs: 0 });

interface UserState {
  readonly bucket: TokenBucketLimiter;
  /** Start of the one-second window refusals are counted in. */
  windowAt: number;
  refusals: number;
}

/** Per-user request limiter. */
export class UserRateLimit {
  private readonly users = new Map<number, UserState>();
  private readonly spec: { burst: number; perSecond: number };
  private readonly now: () => number;
  /** Requests refused. */
  limited = 0;
  /** Of those, refusals held {@link HOLD_MS} (a client past its limit and ignoring Retry-After). */
  held = 0;

  constructor(perSecond: number, burst: number, now: () => number = () => performance.now()) {
    this.spec = { burst, perSecond };
    this.now = now;
  }

  /** Takes a token of the user's bucket, or says how long until one and whether to hold the 429. */
  take(userId: number): RateDecision {
    let u = this.users.get(userId);
    if (u === undefined) this.users.set(userId, (u = { bucket: new TokenBucketLimiter([this.spec], this.now), windowAt: 0, refusals: 0 }));
    if (u.bucket.tryTake()) return GO;
    this.limited++;
    const t = this.now();
    if (t - u.windowAt >= 1000) {
      u.windowAt = t;
      u.refusals = 0;
    }
    u.refusals++;
    const holdMs = u.refusals > this.spec.burst ? HOLD_MS : 0;
    if (holdMs > 0) this.held++;
    return { waitMs: Math.max(1, u.bucket.waitMs()), holdMs };
  }
}
