/**
 * Which trading date the server serves. With OPTCHAIN_TRADING_DATE set, that date forever
 * (replays, tests). Otherwise the first NSE trading day on or after today in IST, switching to
 * the next trading day once its master can exist: Dhan regenerates the master each morning
 * (docs/dhan-protocol.md §1.1, time undocumented; docs/market-structure.md §7 says rebuild before 09:00),
 * so the switch happens at 08:30 IST of the new trading day.
 *
 * @module
 */
import { isTradingDay, nextTradingDay } from './trading-calendar.js';
import { istDate, istMinuteOfDay } from './ist.js';

/** Minute of the IST day from which a new trading day's master is used. */
export const ROLLOVER_MIN = 8 * 60 + 30;

/** The first trading day on or after the IST date of `epochMs`. */
export function tradingDateFor(epochMs: number): string {
  const today = istDate(epochMs);
  return isTradingDay(today) ? today : nextTradingDay(today);
}

/**
 * The date the server should serve at `epochMs`, given the date it serves now. A date is only
 * left for a later one, never for an earlier one, and only from 08:30 IST of the new day.
 */
export function dueTradingDate(current: string | null, epochMs: number): string {
  const candidate = tradingDateFor(epochMs);
  if (current === null) return candidate;
  if (candidate <= current) return current;
  const today = istDate(epochMs);
  if (candidate === today && istMinuteOfDay(epochMs) < ROLLOVER_MIN) return current;
  return candidate;
}
