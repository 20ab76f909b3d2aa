/**
 * Fixture in the style of a real detailed master with the 39-column header (issue 16 §5): the
 * 29 columns of the 2026-03 file (no band, no freeze) plus the ten columns Dhan's docs list and
 * the 2026-08 captures lack (docs/dhan-protocol.md §1.3, "Docs-vs-file differences"), trailing
 * comma. Where the real file puts those ten is not recorded; the parser reads by name, so the
 * fixture appends them. It lists BSE stock options whose spots are their BSE_EQ codes
 * (RELIANCE 500325), a stock on both exchanges, a BSE stock without W/M flags, an NSE_EQ row
 * that shares a BSE_EQ id, futures and a TEST row. The expectations below are worked by hand
 * from docs/contract.md §3, not computed by the code under test.
 */
import { describe, expect, it } from 'vitest';
import { DETAILED_COLUMNS } from '../src/master/columns.js';
import { parseMaster } from '../src/master/parse-master.js';
import { buildSkeleton } from '../src/skeleton/build-skeleton.js';
import { summarizeSkeleton } from '../src/skeleton/summary.js';
import { chainRows, equityRow, futureRow, optionRow, strikes, toCsv } from './helpers/master-rows.js';

const DOCS_ONLY = [
  'SELL_CO_MIN_MARGIN_PER', 'SELL_CO_SL_RANGE_MAX_PERC', 'SELL_CO_SL_RANGE_MIN_PERC', 'SELL_BO_MIN_MARGIN_PER', 'SELL_BO_SL_RANGE_MAX_PERC',
  'BUY_BO_SL_RANGE_MAX_PERC', 'BUY_BO_SL_RANGE_MIN_PERC', 'SELL_BO_SL_MIN_RANGE', 'SELL_BO_PROFIT_RANGE_MAX_PERC', 'SELL_BO_PROFIT_RANGE_MIN_PERC',
];
const COLS_39 = [...DETAILED_COLUMNS.filter((c) => !['SM_UPPER_LIMIT', 'SM_LOWER_LIMIT', 'SM_FREEZE_QTY'].includes(c)), ...DOCS_ONLY];
const D = '2026-03-23'; // a Monday

const bse = (symbol: string, underlyingId: number, expiry: string, s: number[], flag: string, firstId: number, lot: number) =>
  chainRows({ exchange: 'BSE', instrument: 'OPTSTK', symbol, underlyingId, expiry, strikes: s, flag, firstId, lot });

const rows = [
  // Spots. 500325 is also an (unrelated) NSE_EQ id: ids are unique only per segment (docs/contract.md §3).
  equityRow('BSE', 500325, 'RELIANCE'),
  equityRow('NSE', 2885, 'RELIANCE'),
  equityRow('NSE', 500325, 'OTHERCO'),
  equityRow('BSE', 532540, 'TCS'),
  equityRow('BSE', 500180, 'HDFCBANK'),
  // RELIANCE on BSE, flagged M: an expired Feb series, then Mar (also one CE-only strike), Apr, May, Jun, Sep, Dec.
  ...bse('RELIANCE', 500325, '2026-02-26', strikes(1300, 20, 2), 'M', 1000, 500),
  ...bse('RELIANCE', 500325, '2026-03-26', strikes(1300, 20, 5), 'M', 1010, 500),
  optionRow({ exchange: 'BSE', instrument: 'OPTSTK', id: 1020, underlyingId: 500325, symbol: 'RELIANCE', expiry: '2026-03-26', strike: 1400, side: 'CE', flag: 'M', lot: 500 }),
  ...bse('RELIANCE', 500325, '2026-04-30', strikes(1300, 20, 4), 'M', 1030, 500),
  ...bse('RELIANCE', 500325, '2026-05-28', strikes(1300, 20, 3), 'M', 1040, 500),
  ...bse('RELIANCE', 500325, '2026-06-25', strikes(1300, 50, 2), 'M', 1050, 500),
  ...bse('RELIANCE', 500325, '2026-09-24', strikes(1300, 50, 2), 'M', 1060, 500),
  ...bse('RELIANCE', 500325, '2026-12-24', strikes(1300, 50, 2), 'M', 1070, 500),
  // RELIANCE on NSE (a second underlying), spot NSE_EQ 2885.
  ...chainRows({ instrument: 'OPTSTK', symbol: 'RELIANCE', underlyingId: 2885, expiry: '2026-03-31', strikes: strikes(1300, 20, 5), flag: 'M', firstId: 2000, lot: 500 }),
  ...chainRows({ instrument: 'OPTSTK', symbol: 'RELIANCE', underlyingId: 2885, expiry: '2026-04-28', strikes: strikes(1300, 20, 3), flag: 'M', firstId: 2020, lot: 500 }),
  // TCS on BSE only.
  ...bse('TCS', 532540, '2026-03-26', strikes(3400, 50, 3), 'M', 3000, 175),
  ...bse('TCS', 532540, '2026-04-30', strikes(3400, 50, 3), 'M', 3010, 175),
  // HDFCBANK on BSE with no W/M flags: monthlies are each month's last listed expiry.
  ...bse('HDFCBANK', 500180, '2026-03-19', strikes(1700, 20, 3), 'NA', 4000, 550),
  ...bse('HDFCBANK', 500180, '2026-03-26', strikes(1700, 20, 4), 'NA', 4010, 550),
  ...bse('HDFCBANK', 500180, '2026-04-23', strikes(1700, 20, 2), 'NA', 4020, 550),
  ...bse('HDFCBANK', 500180, '2026-04-30', strikes(1700, 20, 3), 'NA', 4030, 550),
  // Distractors: a BSE stock future, a TEST option on BSE.
  { ...futureRow(5000, 500325, 'RELIANCE', '2026-03-26'), EXCH_ID: 'BSE', INSTRUMENT: 'FUTSTK' },
  optionRow({ exchange: 'BSE', instrument: 'OPTSTK', id: 6000, underlyingId: 999, symbol: 'BSETEST', expiry: '2026-03-26', strike: 10, side: 'CE', flag: 'M' }),
];

const E = (expiry: string, tags: string[], strikeCount: number, contracts: number) => ({ expiry, tags, strikes: strikeCount, contracts });
const MQ = ['monthly', 'quarterly'];
const M = ['monthly'];

describe('39-column master with BSE stock options', () => {
  const csv = toCsv(rows, COLS_39);

  it('parses the 39-column header: the ten docs-only columns are unknown and ignored, band and freeze named missing', () => {
    expect(COLS_39).toHaveLength(39);
    expect(csv.split('\n')[0]!.endsWith(',')).toBe(true);
    const { stats } = parseMaster(csv);
    expect(stats.unknownColumns).toEqual(DOCS_ONLY);
    expect(stats.missingOptionalColumns).toEqual(['SM_UPPER_LIMIT', 'SM_LOWER_LIMIT', 'SM_FREEZE_QTY']);
    // 5 equities + 2·(2+5+4+3+2+2+2)+1 RELIANCE BSE + 2·(5+3) RELIANCE NSE + 2·(3+3) TCS + 2·(3+4+2+3) HDFCBANK = 5 + 41 + 16 + 12 + 24
    expect([stats.rows, stats.kept, stats.ignored, stats.test, stats.malformed]).toEqual([100, 98, 1, 1, 0]);
  });

  it('gives the hand-worked skeleton: BSE stocks on their BSE_EQ spots, NSE before BSE, docs/contract.md §3 expiries', () => {
    const summary = summarizeSkeleton(buildSkeleton(parseMaster(csv).instruments, D));
    expect(summary.underlyings).toEqual([
      // No flags: Mar's last listed (03-26) and Apr's (04-30) are the monthlies; 03-19 and 04-23 are weeklies a stock never takes.
      { symbol: 'HDFCBANK', exchange: 'BSE', kind: 'stock', spot: { segment: 'BSE_EQ', securityId: 500180 }, expiries: [E('2026-03-26', MQ, 4, 8), E('2026-04-30', M, 3, 6)] },
      { symbol: 'RELIANCE', exchange: 'NSE', kind: 'stock', spot: { segment: 'NSE_EQ', securityId: 2885 }, expiries: [E('2026-03-31', MQ, 5, 10), E('2026-04-28', M, 3, 6)] },
      // Current (Mar) and next (Apr) monthly ∪ the 3 nearest quarterlies (Mar, Jun, Sep): May and Dec are left out, Feb has expired.
      // Mar: 5 two-sided strikes + 1400 CE only = 6 strikes, 11 contracts.
      { symbol: 'RELIANCE', exchange: 'BSE', kind: 'stock', spot: { segment: 'BSE_EQ', securityId: 500325 }, expiries: [E('2026-03-26', MQ, 6, 11), E('2026-04-30', M, 4, 8), E('2026-06-25', MQ, 2, 4), E('2026-09-24', MQ, 2, 4)] },
      { symbol: 'TCS', exchange: 'BSE', kind: 'stock', spot: { segment: 'BSE_EQ', securityId: 532540 }, expiries: [E('2026-03-26', MQ, 3, 6), E('2026-04-30', M, 3, 6)] },
    ]);
    // chains 2+2+4+2; contracts (8+6) + (10+6) + (11+8+4+4) + (6+6)
    expect(summary.totals).toEqual({ underlyings: 4, chains: 10, contracts: 69, spots: 4 });
  });
});
