/**
 * A multi-bucket token limiter for Dhan REST calls (dhan-protocol.md §5). Each bucket holds up
 * to `capacity` tokens and refills continuously at `capacity / perMs`; a call takes one token
 * from every bucket. Waiting is bounded: when the wait would exceed `maxWaitMs` the caller is
 * told at once (and answers 503 MARGIN_RATE_LIMITED) instead of queueing without end.
 *
 * @module
 */

/** One bucket: `capacity` calls per `perMs` window, refilled continuously. */
export interface BucketSpec {
  readonly capacity: number;
  readonly perMs: number;
}

/**
 * Default buckets for the margin calculator. Dhan does not say which limit family it counts
 * under (dhan-protocol.md §5, §9 item 11): "Non-trading" (20/s) is plausible, "Order" (10/s,
 * 250/min) is the strictest candidate. We take the strictest so our own calls can never be what
 * trips a 429 for the account, whichever family Dhan uses: 10 per second and 250 per minute.
 * (The hourly/daily order caps are not enforced here; a 429 past them is still mapped.)
 */
export const DHAN_MARGIN_BUCKETS: readonly BucketSpec[] = Object.freeze([
  { capacity: 10, perMs: 1000 },
  { capacity: 250, perMs: 60_000 },
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
    this.tokens = specs.map((s) => s.capacity);
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
      this.tokens[i] = Math.min(s.capacity, this.tokens[i]! + (dt * s.capacity) / s.perMs);
    }
  }

  /** Milliseconds until one token is available in every bucket (0 = now). */
  waitMs(): number {
    this.refill();
    let wait = 0;
    for (let i = 0; i < this.specs.length; i++) {
      const s = this.specs[i]!;
      const missing = 1 - this.tokens[i]!;
      if (missing > 0) wait = Math.max(wait, (missing * s.perMs) / s.capacity);
    }
    return wait;
  }

  /** Takes a token now if every bucket has one. */
  tryTake(): boolean {
    if (this.waitMs() > 0) return false;
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
