/**
 * Jittered exponential backoff for reconnects (docs/peers.md §5 item 2). "Equal jitter": half the
 * exponential delay is fixed, half random, so a fleet of connections dropped together (one
 * network blip takes all of an account's sockets) does not come back in lock-step and trip
 * Dhan's connection limit (docs/dhan-protocol.md §2.3), while no retry comes back almost instantly.
 *
 * @module
 */

/** Backoff parameters. */
export interface BackoffOptions {
  /** First delay (before jitter), ms. */
  readonly baseMs: number;
  /** Cap on the delay, ms. */
  readonly maxMs: number;
  /** Random source in [0, 1); injectable for tests. */
  readonly random?: () => number;
}

/** Delay before retry number `attempt` (0 = first retry): in [d/2, d] with d = min(max, base·2^attempt). */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const random = opts.random ?? Math.random;
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(Math.max(0, attempt), 30));
  const d = Math.max(0, exp);
  return Math.round(d / 2 + random() * (d / 2));
}

/** Attempt counter with reset, for one connection. */
export class Backoff {
  private attempt = 0;
  constructor(private readonly opts: BackoffOptions) {}

  /** The next delay; each call moves one step up the exponential. */
  next(): number {
    return backoffDelay(this.attempt++, this.opts);
  }

  /** Retries since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** Back to the first step (after a connection proved healthy). */
  reset(): void {
    this.attempt = 0;
  }
}
