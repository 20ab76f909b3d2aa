/**
 * A multi-bucket token limiter for Dhan REST calls (docs/dhan-protocol.md §5). Each bucket holds up
 * to `burst` tokens and refills continuously at `perSecond`; a call takes one token from every
 * bucket. In any window of T seconds a bucket lets through at most `burst + perSecond × T`
 * calls, which is how the buckets below are sized against Dhan's per-second and per-minute caps
 * whether Dhan counts in fixed or sliding windows. Waiting is bounded: when the wait would exceed `maxWaitMs` the caller is
 * told at once (and answers 503 MARGIN_RATE_LIMITED) instead of queueing without end.
 *
 * @module
 */

/** One bucket: at most `burst` at once, refilled at `perSecond`. */
export interface BucketSpec {
  readonly burst: number;
  readonly perSecond: number;
}

/**
 * Default buckets for the margin calculator. Dhan does not say which limit family it counts
 * under (docs/dhan-protocol.md §5, §9 item 11): "Non-trading" (20/s) is plausible, "Order" (10/s,
 * 250/min, 1000/h, 7000/day) is the strictest candidate. We size for the strictest so our own
 * calls never trip a 429 whichever family Dhan uses:
 * - burst 5 + 5/s ⇒ at most 10 in any 1 s window (the Order per-second cap);
 * - burst 50 + 200/min ⇒ at most 250 in any 60 s window (the Order per-minute cap).
 * The hourly and daily Order caps are left to Dhan: this account makes no other REST calls, so
 * passing them would only refuse margin calls, which a DH-904/429 already maps to 503
 * MARGIN_RATE_LIMITED; enforcing them locally would refuse the same calls earlier.
 */
export const DHAN_MARGIN_BUCKETS: readonly BucketSpec[] = Object.freeze([
  { burst: 5, perSecond: 5 },
  { burst: 50, perSecond: 200 / 60 },
]);

/** Token-bucket limiter over one or more buckets. Not thread-safe: one instance per thread. */
export class TokenBucketLimiter {
  private readonly specs: readonly BucketSpec[];
  private readonly tokens: number[];
  private last: number;
  private readonly now: () => number;
  /** Calls that had to wait for a token. */
  waited = 0;
  /** Calls refused because the wait would exceed the bound. */
  refused = 0;

  constructor(specs: readonly BucketSpec[] = DHAN_MARGIN_BUCKETS, now: () => number = () => performance.now()) {
    this.specs = specs;
    this.tokens = specs.map((s) => s.burst);
    this.now = now;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    const dt = t - this.last;
    if (dt <= 0) return;
    this.last = t;
    for (let i = 0; i < this.specs.length; i++) {
      const s = this.specs[i]!;
      this.tokens[i] = Math.min(s.burst, this.tokens[i]! + (dt * s.perSecond) / 1000);
    }
  }

  /**
   * Milliseconds until one token is available in every bucket (0 = now), with `keep` more
   * left in each bucket after it (capped at the bucket's burst − 1, so a burst-1 bucket keeps none).
   */
  waitMs(keep = 0): number {
    this.refill();
    let wait = 0;
    for (let i = 0; i < this.specs.length; i++) {
      const s = this.specs[i]!;
      const missing = 1 + Math.min(keep, s.burst - 1) - this.tokens[i]!;
      if (missing > 0) wait = Math.max(wait, (missing * 1000) / s.perSecond);
    }
    return wait;
  }

  /** Takes a token now if every bucket has one, and `keep` more (see {@link waitMs}). */
  tryTake(keep = 0): boolean {
    if (this.waitMs(keep) > 0) return false;
    for (let i = 0; i < this.tokens.length; i++) this.tokens[i] = this.tokens[i]! - 1;
    return true;
  }

  /**
   * Takes a token, waiting up to `maxWaitMs`. Resolves true when taken, false when the wait
   * would exceed the bound (nothing is taken then).
   */
  async take(maxWaitMs: number): Promise<boolean> {
    for (;;) {
      const w = this.waitMs();
      if (w <= 0) {
        for (let i = 0; i < this.tokens.length; i++) this.tokens[i] = this.tokens[i]! - 1;
        return true;
      }
      if (w > maxWaitMs) {
        this.refused++;
        return false;
      }
      this.waited++;
      maxWaitMs -= w;
      await new Promise((r) => setTimeout(r, Math.ceil(w)));
    }
  }
}
