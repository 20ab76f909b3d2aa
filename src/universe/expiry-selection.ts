/**
 * Expiry selection, exactly per docs/contract.md §3 (worked examples in docs/market-structure.md §7).
 *
 * - Monthly expiries: those the master flags `EXPIRY_FLAG` M, Q or H (BSE flags SENSEX's
 *   quarterly and half-yearly monthlies Q and H); for an underlying whose rows carry no
 *   W/M/Q/H flag at all, the last listed expiry of each calendar month. The flag matters:
 *   a holiday can pull a weekly back into the previous month, after that month's monthly.
 * - Quarterly: a monthly in March, June, September or December.
 * - Index: the 3 nearest expiries ∪ current monthly, next monthly, 3 nearest quarterlies.
 * - Stock: current monthly, next monthly, 3 nearest quarterlies — those that exist.
 *
 * @module
 */
import type { ExpiryTag } from '../skeleton/types.js';

/** One distinct expiry of an underlying with the flags its rows carry. */
export interface ExpiryInfo {
  /** YYYY-MM-DD. */
  readonly date: string;
  /** True when any row of this expiry is flagged `M`, `Q` or `H`. */
  readonly flaggedMonthly: boolean;
  /** True when any row of this expiry is flagged `W`, `M`, `Q` or `H`. */
  readonly flagged: boolean;
}

/** A selected expiry and what kind it is (docs/contract.md §2.1 tags). */
export interface SelectedExpiry {
  readonly date: string;
  readonly tags: readonly ExpiryTag[];
}

const QUARTER_MONTHS = new Set([3, 6, 9, 12]);

const month = (date: string): number => Number(date.slice(5, 7));

/**
 * Which of `expiries` (ascending, distinct, all ≥ the trading date) are monthly.
 * Uses the master's flags when the underlying has any; else the calendar rule.
 */
export function monthlyExpiries(expiries: readonly ExpiryInfo[]): Set<string> {
  const anyFlag = expiries.some((e) => e.flagged);
  const monthly = new Set<string>();
  if (anyFlag) {
    for (const e of expiries) if (e.flaggedMonthly) monthly.add(e.date);
    return monthly;
  }
  const lastOfMonth = new Map<string, string>();
  for (const e of expiries) {
    const ym = e.date.slice(0, 7);
    const cur = lastOfMonth.get(ym);
    if (cur === undefined || e.date > cur) lastOfMonth.set(ym, e.date);
  }
  for (const d of lastOfMonth.values()) monthly.add(d);
  return monthly;
}

/** The tags of an expiry given whether it is monthly. */
export function tagsFor(date: string, isMonthly: boolean): readonly ExpiryTag[] {
  if (!isMonthly) return ['weekly'];
  return QUARTER_MONTHS.has(month(date)) ? ['monthly', 'quarterly'] : ['monthly'];
}

/**
 * Selects the expiries of one underlying.
 *
 * @param kind `index` adds the 3 nearest expiries of any kind.
 * @param expiries distinct expiries on or after the trading date, any order.
 */
export function selectExpiries(kind: 'index' | 'stock', expiries: readonly ExpiryInfo[]): SelectedExpiry[] {
  const sorted = [...expiries].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const monthly = monthlyExpiries(sorted);
  const monthlies = sorted.filter((e) => monthly.has(e.date)).map((e) => e.date);
  const chosen = new Set<string>();
  if (kind === 'index') for (const e of sorted.slice(0, 3)) chosen.add(e.date);
  for (const d of monthlies.slice(0, 2)) chosen.add(d);
  for (const d of monthlies.filter((m) => QUARTER_MONTHS.has(month(m))).slice(0, 3)) chosen.add(d);
  return sorted.filter((e) => chosen.has(e.date)).map((e) => ({ date: e.date, tags: tagsFor(e.date, monthly.has(e.date)) }));
}
