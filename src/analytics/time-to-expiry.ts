/**
 * Time to expiry for the option model. Day count: calendar time, ACT/365 in milliseconds,
 * to 15:30 IST on the expiry day (the close of the F&O session, docs/market-structure.md §1.5),
 * from the market clock (src/time/market-clock.ts; the simulator's session clock in sim
 * mode). Counting to the close rather than to the expiry date's midnight keeps the expiry day
 * a real fraction of a day that shrinks through the session, so expiry-day options decay
 * through the day instead of jumping to expired at 00:00. The simulator prices with the same
 * convention (src/sim/market-model.ts), so sim-mode IVs come back without a day-count bias.
 *
 * Calendar (not trading) days because the IV is an annualised calendar volatility, as on NSE's
 * chain and in Black-76 as usually quoted; weekends and holidays decay theta like any day.
 *
 * @module
 */
import { istTime } from '../time/ist.js';

/** Milliseconds in the model's year: 365 calendar days. */
export const YEAR_MS = 365 * 86_400_000;

/** Unix ms of 15:30 IST on `expiry` (YYYY-MM-DD), when the option stops trading. */
export function expiryCloseMs(expiry: string): number {
  return istTime(expiry, 15, 30);
}

/**
 * Years from `nowMs` to `closeMs` (see {@link expiryCloseMs}); ≤ 0 once the close has
 * passed (the option is expired and has no IV).
 */
export function yearsToExpiry(closeMs: number, nowMs: number): number {
  return (closeMs - nowMs) / YEAR_MS;
}
