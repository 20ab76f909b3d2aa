/**
 * Retry delays for the page's polling after a failed request: exponential from 500 ms,
 * capped at 5 s, with jitter so many open pages do not return in lock-step after a server
 * restart (the same reasoning as the feed's reconnects, docs/dhan-protocol.md on reconnect storms).
 *
 * @module
 */

/** Exponential backoff state. */
export class Backoff {
  private failures = 0;
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(baseMs = 500, maxMs = 5_000) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  /** Consecutive failures so far. */
  get attempts(): number {
    return this.failures;
  }

  /** Records a failure and returns how long to wait before the next try (ms). */
  fail(): number {
    const exp = Math.min(this.maxMs, this.baseMs * 2 ** this.failures);
    this.failures++;
    return Math.round(exp * (0.75 + Math.random() * 0.25));
  }

  /** Records a success. */
  reset(): void {
    this.failures = 0;
  }
}
