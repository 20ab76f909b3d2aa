/**
 * NSE/BSE trading calendar: which dates are trading days, and the previous / next trading day.
 * The server uses it only to decide which trading date to serve (trading-date.ts); the
 * simulator's synthetic master also uses it to apply the expiry holiday rule
 * (docs/market-structure.md §1.4: an expiry that falls on a holiday moves to the previous trading day).
 *
 * 2026 is the published calendar (NSE circular of 12 Dec 2025; BSE's list is the same for
 * equity derivatives). For any other year there is no list here, so a plausible one is
 * generated: weekends plus the fixed-date national holidays 26 Jan, 1 May, 15 Aug, 2 Oct and
 * 25 Dec. 1 May (Maharashtra Day, a holiday on every year's NSE/BSE list because both exchanges
 * are in Mumbai) is in that rule on purpose: it is the only fixed-date holiday that can fall on
 * the 1st of a month, and on Tue 1 May 2029 it pulls a NIFTY weekly back to Mon 30 Apr 2029,
 * after April's monthly. That is the case the contract's `EXPIRY_FLAG` rule exists for
 * (docs/contract.md §3), and nothing in the 2026 calendar produces it.
 *
 * The live server never computes expiries from this calendar; it takes them from the day's
 * master (docs/market-structure.md §1.4).
 *
 * @module
 */
import { ErrorCodes, OptchainError } from '../errors.js';
import { addDays, weekday } from './ist.js';

/** An exchange whose cash/derivatives calendar is modelled. */
export type CalendarExchange = 'NSE' | 'BSE';

/**
 * NSE trading holidays of 2026, all on weekdays (NSE circular 12 Dec 2025). Id-ul-Fitr (Sat 21
 * Mar), Independence Day (Sat 15 Aug) and Diwali Laxmi Pujan (Sun 8 Nov, Muhurat session) fall on
 * weekends and so are not listed.
 */
const NSE_HOLIDAYS_2026: readonly string[] = [
  '2026-01-26', // Republic Day (Mon)
  '2026-03-03', // Holi (Tue): the weekly of that week expires Mon 2 Mar
  '2026-03-26', // Shri Ram Navami (Thu): SENSEX expiry moves to Wed 25 Mar
  '2026-03-31', // Shri Mahavir Jayanti (Tue): March monthlies expire Mon 30 Mar
  '2026-04-03', // Good Friday
  '2026-04-14', // Dr. Baba Saheb Ambedkar Jayanti (Tue)
  '2026-05-01', // Maharashtra Day (Fri)
  '2026-05-28', // Bakri Id (Thu): SENSEX weekly moves to Wed 27 May
  '2026-06-26', // Muharram (Fri)
  '2026-09-14', // Ganesh Chaturthi (Mon)
  '2026-10-02', // Mahatma Gandhi Jayanti (Fri)
  '2026-10-20', // Dussehra (Tue)
  '2026-11-10', // Diwali-Balipratipada (Tue)
  '2026-11-24', // Guru Nanak Jayanti (Tue): NIFTY Nov monthly expires Mon 23 Nov
  '2026-12-25', // Christmas (Fri)
];

/**
 * BSE's 2026 equity-derivatives holidays are the same dates (BSE notice of Dec 2025; the
 * Thursdays 26 Mar and 28 May are the ones that move SENSEX expiries, docs/market-structure.md §1.4).
 */
const BSE_HOLIDAYS_2026: readonly string[] = NSE_HOLIDAYS_2026;

/** Weekend sessions that trade (Muhurat trading, Sun 8 Nov 2026, docs/market-structure.md §1.4). */
const SPECIAL_SESSIONS: ReadonlySet<string> = new Set(['2026-11-08']);

/** Fixed-date holidays used for years without a published list (MM-DD). */
const GENERIC_HOLIDAYS_MMDD: ReadonlySet<string> = new Set(['01-26', '05-01', '08-15', '10-02', '12-25']);

const PUBLISHED: Readonly<Record<CalendarExchange, ReadonlyMap<number, ReadonlySet<string>>>> = {
  NSE: new Map([[2026, new Set(NSE_HOLIDAYS_2026)]]),
  BSE: new Map([[2026, new Set(BSE_HOLIDAYS_2026)]]),
};

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** True for a real YYYY-MM-DD calendar date (rejects 2026-02-30 and 2026-13-01). */
export function isCalendarDate(date: string): boolean {
  if (!DATE_RE.test(date)) return false;
  const t = Date.parse(`${date}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === date;
}

function assertDate(date: string): void {
  if (!isCalendarDate(date)) {
    throw new OptchainError(ErrorCodes.BAD_REQUEST, `not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  }
}

/**
 * True when `date` is a weekday exchange holiday of `exchange` (published list for 2026, the
 * generic fixed-date rule for other years). Weekends are not reported here.
 */
export function isHoliday(date: string, exchange: CalendarExchange): boolean {
  const year = Number(date.slice(0, 4));
  const list = PUBLISHED[exchange].get(year);
  if (list) return list.has(date);
  return GENERIC_HOLIDAYS_MMDD.has(date.slice(5));
}

/** True for a weekend session that trades (Muhurat). */
export function isSpecialSession(date: string): boolean {
  return SPECIAL_SESSIONS.has(date);
}

/**
 * True when `exchange` trades on `date`: a weekday that is not a holiday, or a special weekend
 * session (Muhurat, Sun 8 Nov 2026).
 */
export function isTradingDay(date: string, exchange: CalendarExchange = 'NSE'): boolean {
  assertDate(date);
  if (SPECIAL_SESSIONS.has(date)) return true;
  const wd = weekday(date);
  if (wd === 0 || wd === 6) return false;
  return !isHoliday(date, exchange);
}

/** Options for stepping through the calendar. */
export interface TradingDayOptions {
  /**
   * Skip special weekend sessions. Expiries never move onto a Muhurat session, so the expiry
   * holiday rule steps over them.
   */
  readonly regularOnly?: boolean;
}

function trades(date: string, exchange: CalendarExchange, regularOnly: boolean): boolean {
  if (regularOnly && SPECIAL_SESSIONS.has(date)) return false;
  return isTradingDay(date, exchange);
}

/** The last trading day strictly before `date`. */
export function previousTradingDay(date: string, exchange: CalendarExchange = 'NSE', opts: TradingDayOptions = {}): string {
  assertDate(date);
  let d = addDays(date, -1);
  // Holidays never run longer than a few days; the bound only guards against a broken calendar.
  for (let i = 0; i < 30 && !trades(d, exchange, opts.regularOnly === true); i++) d = addDays(d, -1);
  return d;
}

/** The first trading day strictly after `date`. */
export function nextTradingDay(date: string, exchange: CalendarExchange = 'NSE', opts: TradingDayOptions = {}): string {
  assertDate(date);
  let d = addDays(date, 1);
  for (let i = 0; i < 30 && !trades(d, exchange, opts.regularOnly === true); i++) d = addDays(d, 1);
  return d;
}

/**
 * The expiry holiday rule (docs/market-structure.md §1.4): a contract scheduled on a non-trading
 * day expires on the previous regular trading day; otherwise on its scheduled day.
 */
export function adjustExpiry(scheduled: string, exchange: CalendarExchange): string {
  return trades(scheduled, exchange, true) ? scheduled : previousTradingDay(scheduled, exchange, { regularOnly: true });
}
