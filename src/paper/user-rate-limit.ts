/**
 * A token bucket per paper user (issue 15 item 2: one key flooding orders cut chain throughput
 * ÷12.5). Every authenticated paper and margin request takes one token of its user's bucket;
 * with none left it is answered 429 `RATE_LIMITED` with `Retry-After` before any work is done
 * for it. Config `paperRateLimitPerSec` (refill) and `paperRateLimitBurst` (bucket size).
 * Users are created by the operator (`optchain users add`), so one bucket per user is bounded.
 *
 * @module
 */
import { TokenBucketLimiter } from '../margin/token-bucket.js';

/** Per-user request limiter. */
export class UserRateLimit {
  private readonly buckets = new Map<number, TokenBucketLimiter>();
  private readonly spec: { burst: number; perSecond: number };
  private readonly now: () => number;
  /** Requests refused. */
  limited = 0;

  constructor(perSecond: number, burst: number, now: () => number = () => performance.now()) {
    this.spec = { burst, perSecond };
    this.now = now;
  }

  /** 0 when the request may go on (its token is taken); else the ms until the user's next token. */
  take(userId: number): number {
    let b = this.buckets.get(userId);
    if (b === undefined) this.buckets.set(userId, (b = new TokenBucketLimiter([this.spec], this.now)));
    if (b.tryTake()) return 0;
    this.limited++;
    return Math.max(1, b.waitMs());
  }
}
