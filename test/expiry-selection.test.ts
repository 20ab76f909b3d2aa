import { describe, expect, it } from 'vitest';
import { selectExpiries, monthlyExpiries, type ExpiryInfo } from '../src/universe/expiry-selection.js';

const w = (date: string): ExpiryInfo => ({ date, flaggedMonthly: false, flagged: true });
const m = (date: string): ExpiryInfo => ({ date, flaggedMonthly: true, flagged: true });
const dates = (s: { date: string }[]) => s.map((e) => e.date);

// Expiry lists of the Aug-2026 master on D = 2026-08-17 (docs/market-structure.md §1.3, §7).
const NIFTY = [w('2026-08-18'), m('2026-08-25'), w('2026-09-01'), w('2026-09-08'), w('2026-09-15'), m('2026-09-29'), m('2026-10-27'), m('2026-12-29'), m('2027-03-30'), m('2027-06-29'), m('2027-12-28'), m('2028-06-27')];
const SENSEX = [w('2026-08-20'), m('2026-08-27'), w('2026-09-03'), w('2026-09-10'), w('2026-09-17'), m('2026-09-24'), w('2026-10-01'), m('2026-10-29'), m('2026-12-31'), m('2027-03-25'), m('2027-06-24')];
const BANKNIFTY = [m('2026-08-25'), m('2026-09-29'), m('2026-10-27'), m('2026-12-29'), m('2027-03-30'), m('2027-06-29')];

describe('expiry selection (docs/contract.md §3, docs/market-structure.md §7)', () => {
  it('NIFTY: 3 nearest ∪ current/next monthly ∪ 3 quarterlies = 6 expiries', () => {
    const s = selectExpiries('index', NIFTY);
    expect(dates(s)).toEqual(['2026-08-18', '2026-08-25', '2026-09-01', '2026-09-29', '2026-12-29', '2027-03-30']);
    expect(s.map((e) => e.tags)).toEqual([['weekly'], ['monthly'], ['weekly'], ['monthly', 'quarterly'], ['monthly', 'quarterly'], ['monthly', 'quarterly']]);
  });

  it('SENSEX: 6 expiries', () => {
    expect(dates(selectExpiries('index', SENSEX))).toEqual(['2026-08-20', '2026-08-27', '2026-09-03', '2026-09-24', '2026-12-31', '2027-03-25']);
  });

  it('BANKNIFTY: the 3 nearest are monthlies, giving 5 expiries, all tagged monthly', () => {
    const s = selectExpiries('index', BANKNIFTY);
    expect(dates(s)).toEqual(['2026-08-25', '2026-09-29', '2026-10-27', '2026-12-29', '2027-03-30']);
    expect(s[0]!.tags).toEqual(['monthly']);
    expect(s[2]!.tags).toEqual(['monthly']);
  });

  it('stocks: 2 expiries in a 2-expiry month, 3 when the far month is a quarter month', () => {
    expect(dates(selectExpiries('stock', [m('2026-08-25'), m('2026-09-29'), m('2026-10-27')]))).toEqual(['2026-08-25', '2026-09-29']);
    expect(dates(selectExpiries('stock', [m('2026-09-29'), m('2026-10-27'), m('2026-11-23')]))).toEqual(['2026-09-29', '2026-10-27']);
    expect(dates(selectExpiries('stock', [m('2026-10-27'), m('2026-11-23'), m('2026-12-29')]))).toEqual(['2026-10-27', '2026-11-23', '2026-12-29']);
  });

  it('a holiday-pulled weekly that lands after its month\'s monthly stays weekly (the flag wins over the calendar)', () => {
    // Tue 1 Sep a holiday → that weekly expires Mon 31 Aug, after the 25 Aug monthly.
    const E = [w('2026-08-18'), m('2026-08-25'), w('2026-08-31'), w('2026-09-08'), m('2026-09-29'), m('2026-12-29'), m('2027-03-30')];
    const s = selectExpiries('index', E);
    expect(s.find((e) => e.date === '2026-08-31')!.tags).toEqual(['weekly']);
    expect(dates(s)).toEqual(['2026-08-18', '2026-08-25', '2026-08-31', '2026-09-29', '2026-12-29', '2027-03-30']);
    expect(monthlyExpiries(E).has('2026-08-31')).toBe(false);
  });

  it('falls back to the last listed expiry of each calendar month when no row carries W/M flags', () => {
    const none = (date: string): ExpiryInfo => ({ date, flaggedMonthly: false, flagged: false });
    const s = selectExpiries('stock', [none('2026-08-11'), none('2026-08-25'), none('2026-09-29'), none('2026-10-27')]);
    expect(dates(s)).toEqual(['2026-08-25', '2026-09-29']);
    expect(s[1]!.tags).toEqual(['monthly', 'quarterly']);
  });

  it('includes the expiry on the trading date itself and never invents one', () => {
    const s = selectExpiries('index', [w('2026-08-18'), m('2026-08-25')]);
    expect(dates(s)).toEqual(['2026-08-18', '2026-08-25']);
  });
});
