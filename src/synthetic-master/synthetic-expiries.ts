/**
 * Which expiries the exchanges have listed on a trading date, computed from the contract
 * cycles of docs/market-structure.md §1.3 and the holiday rule of docs/market-structure.md §1.4. Only the simulator does
 * this; the server reads expiries from the master and never computes them (docs/market-structure.md §1.4).
 *
 * The weekday rule is the one in force since 1 Sep 2025 (docs/market-structure.md §1.1): NSE expiries on Tuesdays, BSE
 * on Thursdays; monthlies on the last such weekday of the month. Earlier trading dates get the
 * same rule (the simulator does not model the pre-Sep-2025 calendar).
 *
 * @module
 */
import { addDays, daysBetween, weekday } from '../time/ist.js';
import { adjustExpiry, type CalendarExchange } from '../time/trading-calendar.js';

/** What a listed contract series is. NSE flags monthly, quarterly and half-yearly `M`; BSE flags its quarterlies `Q` and half-yearlies `H`. */
export type ExpiryKind = 'weekly' | 'monthly' | 'quarterly' | 'halfyearly';

/** One listed expiry of an underlying. */
export interface ListedExpiry {
  /** Actual expiry date (after the holiday rule), YYYY-MM-DD. */
  readonly date: string;
  /** The scheduled date before the holiday rule. */
  readonly scheduled: string;
  /**
   * The master's EXPIRY_FLAG: `W` for weeklies, `M` for monthlies; quarterly/half-yearly are
   * `M` on NSE but `Q`/`H` on BSE, as in the real 2026-03-23 master for SENSEX (docs/contract.md §3).
   */
  readonly flag: 'W' | 'M' | 'Q' | 'H';
  readonly kind: ExpiryKind;
  /** Calendar days from the trading date. */
  readonly dte: number;
  /** Months since Jan 2000 of the contract month (the scheduled date's month). */
  readonly monthIndex: number;
  /** Weeks since the Tuesday/Thursday of 2000-01-04 of the scheduled date (weeklies' identity). */
  readonly weekIndex: number;
}

/** What an underlying lists (docs/market-structure.md §1.3). */
export interface CycleSpec {
  readonly exchange: CalendarExchange;
  /**
   * Weekly contracts. `count`: that many weeklies, not counting monthly weeks (NIFTY: 4).
   * `window`: every weekly among the next `n` expiry weekdays, monthly weeks included in the
   * count (SENSEX: 7, giving about 5 weeklies).
   */
  readonly weeklies?: { readonly mode: 'count' | 'window'; readonly n: number };
  readonly monthlies: number;
  readonly quarterlies?: number;
  readonly halfYearlies?: number;
}

/** NSE expires on Tuesday, BSE on Thursday (docs/market-structure.md §1.1, from 1 Sep 2025). */
export function expiryWeekday(exchange: CalendarExchange): number {
  return exchange === 'NSE' ? 2 : 4;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** YYYY-MM-DD of the last `wd` weekday of month `m` (1–12) of `y`. */
export function lastWeekdayOfMonth(y: number, m: number, wd: number): string {
  const last = new Date(Date.UTC(y, m, 0));
  const back = (last.getUTCDay() - wd + 7) % 7;
  return `${y}-${pad2(m)}-${pad2(last.getUTCDate() - back)}`;
}

const monthIndexOf = (y: number, m: number): number => (y - 2000) * 12 + (m - 1);
const fromMonthIndex = (i: number): [number, number] => [2000 + Math.floor(i / 12), (i % 12) + 1];

/** The monthly expiry of month `m` of `y` (scheduled and after the holiday rule). */
export function monthlyExpiry(y: number, m: number, exchange: CalendarExchange): { scheduled: string; date: string } {
  const scheduled = lastWeekdayOfMonth(y, m, expiryWeekday(exchange));
  return { scheduled, date: adjustExpiry(scheduled, exchange) };
}

function expiryFlag(exchange: CalendarExchange, kind: ExpiryKind): ListedExpiry['flag'] {
  if (kind === 'weekly') return 'W';
  if (exchange === 'BSE' && kind === 'quarterly') return 'Q';
  if (exchange === 'BSE' && kind === 'halfyearly') return 'H';
  return 'M';
}

function weekIndexOf(date: string): number {
  return Math.floor(daysBetween('2000-01-03', date) / 7);
}

/**
 * The expiries an underlying with cycle `spec` has listed on `tradingDate`, ascending by
 * date. Today's expiring contracts are included (they trade until the close, docs/market-structure.md §7).
 */
export function listedExpiries(tradingDate: string, spec: CycleSpec): ListedExpiry[] {
  const ex = spec.exchange;
  const wd = expiryWeekday(ex);
  const out: ListedExpiry[] = [];
  const make = (scheduled: string, date: string, kind: ExpiryKind): ListedExpiry => ({
    date,
    scheduled,
    flag: expiryFlag(ex, kind),
    kind,
    dte: daysBetween(tradingDate, date),
    monthIndex: monthIndexOf(Number(scheduled.slice(0, 4)), Number(scheduled.slice(5, 7))),
    weekIndex: weekIndexOf(scheduled),
  });

  // Serial months: the current month's contract until it has expired, then the next ones.
  const y0 = Number(tradingDate.slice(0, 4));
  const m0 = Number(tradingDate.slice(5, 7));
  let first = monthIndexOf(y0, m0);
  if (monthlyExpiry(y0, m0, ex).date < tradingDate) first++;
  const serial: number[] = [];
  for (let i = 0; i < spec.monthlies; i++) serial.push(first + i);
  for (const mi of serial) {
    const [y, m] = fromMonthIndex(mi);
    const e = monthlyExpiry(y, m, ex);
    out.push(make(e.scheduled, e.date, 'monthly'));
  }
  // Quarterlies follow the last serial month; half-yearlies follow the last quarterly (docs/market-structure.md §1.3).
  let cursor = serial[serial.length - 1]!;
  for (let q = 0; q < (spec.quarterlies ?? 0); ) {
    cursor++;
    const [y, m] = fromMonthIndex(cursor);
    if (m % 3 !== 0) continue;
    const e = monthlyExpiry(y, m, ex);
    out.push(make(e.scheduled, e.date, 'quarterly'));
    q++;
  }
  for (let h = 0; h < (spec.halfYearlies ?? 0); ) {
    cursor++;
    const [y, m] = fromMonthIndex(cursor);
    if (m % 6 !== 0) continue;
    const e = monthlyExpiry(y, m, ex);
    out.push(make(e.scheduled, e.date, 'halfyearly'));
    h++;
  }

  if (spec.weeklies) {
    // A scheduled date is never earlier than its actual one, so scanning scheduled dates from
    // the trading date on finds every weekly still alive.
    let s = addDays(tradingDate, (wd - weekday(tradingDate) + 7) % 7);
    let weeklies = 0;
    for (let step = 0; step < 60; step++, s = addDays(s, 7)) {
      if (spec.weeklies.mode === 'window' && step >= spec.weeklies.n) break;
      if (spec.weeklies.mode === 'count' && weeklies >= spec.weeklies.n) break;
      const y = Number(s.slice(0, 4));
      const m = Number(s.slice(5, 7));
      if (lastWeekdayOfMonth(y, m, wd) === s) continue; // the monthly contract's week
      const date = adjustExpiry(s, ex);
      if (date < tradingDate) continue;
      out.push(make(s, date, 'weekly'));
      weeklies++;
    }
  }
  out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return out;
}
