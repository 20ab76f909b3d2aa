/**
 * The simulator's session clock. The simulator runs a trading session whenever it runs
 * (issue #4): its clock is the wall clock shifted by a fixed offset chosen at start so the
 * session is already a few minutes old on the trading date, and the server reads market hours
 * from the same offset (src/time/market-clock.ts takes `offsetMs`).
 *
 * A simulator left running for more than a session (6 h 15 min) loops back to the open rather
 * than drifting into the evening: model time restarts at 09:15 while volumes and OI keep
 * growing. The exported offset cannot follow that jump (a MarketClock offset is constant), so
 * after a loop the server's clock and the simulator's LTTs disagree by whole sessions; this is
 * written down in the simulator README.
 *
 * @module
 */
import { IST_OFFSET_S, istTime } from '../time/ist.js';
import { SESSION_CLOSE_MIN, SESSION_OPEN_MIN } from '../time/market-clock.js';

/** Options of {@link SessionClock}. */
export interface SessionClockOptions {
  /** Minutes after 09:15 IST that the session clock reads at start. Default 5. */
  readonly startMinutes?: number;
  /** Wall clock at start (Unix ms); default `Date.now()`. */
  readonly wallNowMs?: number;
  /** Resume this offset instead of deriving one (a restarted simulator keeps its session time). */
  readonly offsetMs?: number;
}

/** A wall-clock offset pinned to a trading session of one date, looping within it. */
export class SessionClock {
  /** Unix ms of 09:15 IST on the trading date. */
  readonly openMs: number;
  /** Unix ms of 15:30 IST on the trading date. */
  readonly closeMs: number;
  /** Added to the wall clock to get session time (before looping). */
  readonly offsetMs: number;
  /** Length of one session loop. */
  readonly sessionLengthMs: number;

  constructor(
    readonly tradingDate: string,
    opts: SessionClockOptions = {},
  ) {
    this.openMs = istTime(tradingDate, Math.floor(SESSION_OPEN_MIN / 60), SESSION_OPEN_MIN % 60);
    this.closeMs = istTime(tradingDate, Math.floor(SESSION_CLOSE_MIN / 60), SESSION_CLOSE_MIN % 60);
    this.sessionLengthMs = this.closeMs - this.openMs;
    const startMinutes = Math.min(Math.max(opts.startMinutes ?? 5, 0), (this.sessionLengthMs / 60_000) - 1);
    const wall = opts.wallNowMs ?? Date.now();
    this.offsetMs = opts.offsetMs ?? Math.round(this.openMs + startMinutes * 60_000 - wall);
  }

  /** Session time (Unix ms) at wall time `wallMs`, looped into [open, close). */
  now(wallMs = Date.now()): number {
    const t = wallMs + this.offsetMs - this.openMs;
    const within = ((t % this.sessionLengthMs) + this.sessionLengthMs) % this.sessionLengthMs;
    return this.openMs + within;
  }

  /** Completed loops at wall time `wallMs` (0 during the first session). */
  loops(wallMs = Date.now()): number {
    return Math.floor((wallMs + this.offsetMs - this.openMs) / this.sessionLengthMs);
  }

  /** Seconds since the open at session time `sessionMs`. */
  elapsedSeconds(sessionMs: number): number {
    return (sessionMs - this.openMs) / 1000;
  }
}

/** Dhan's LTT for a session time: IST wall-clock seconds counted as if UTC (docs/dhan-protocol.md §2.9). */
export function lttOf(sessionMs: number): number {
  return Math.floor(sessionMs / 1000) + IST_OFFSET_S;
}
