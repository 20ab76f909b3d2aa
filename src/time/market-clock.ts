/**
 * The clock that market-hours logic reads. Live, it is the wall clock. In sim mode it is the
 * simulator's session clock (the simulator runs a trading session whenever it runs, so a
 * newcomer at night still sees a live market): the server takes the simulator's offset and
 * reads every "is the market open" decision from it.
 *
 * @module
 */
import { istMinuteOfDay } from './ist.js';

/** NSE/BSE options trade 09:15–15:30 IST (docs/market-structure.md §1.5: options are not in pre-open). */
export const SESSION_OPEN_MIN = 9 * 60 + 15;
export const SESSION_CLOSE_MIN = 15 * 60 + 30;

/** A clock shifted from the wall clock by a fixed offset. */
export class MarketClock {
  /** @param offsetMs added to `Date.now()`; 0 for the wall clock. */
  constructor(readonly offsetMs = 0) {}

  /** Market time, Unix ms. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** True between 09:15 and 15:30 IST of the market's current time (weekday checks are the skeleton's job). */
  isSessionOpen(at = this.now()): boolean {
    const m = istMinuteOfDay(at);
    return m >= SESSION_OPEN_MIN && m < SESSION_CLOSE_MIN;
  }
}
