import { describe, expect, it } from 'vitest';
import { parseMaster } from '../src/master/parse-master.js';
import { buildSkeleton } from '../src/skeleton/build-skeleton.js';
import { DETAILED_COLUMNS, describeMissingOptional } from '../src/master/columns.js';
import { chainRows, equityRow, indexRow, strikes, toCsv } from './helpers/master-rows.js';

// Headers of real detailed masters published in 2026 (issue 14 §1, issue 16 §4): the 2026-04
// file has 31 columns, no trailing comma and no freeze column; the 2026-03 one has 29 columns
// with the trailing comma and none of SM_UPPER_LIMIT, SM_LOWER_LIMIT, SM_FREEZE_QTY.
const COLS_31 = DETAILED_COLUMNS.filter((c) => c !== 'SM_FREEZE_QTY');
const COLS_29 = DETAILED_COLUMNS.filter((c) => !['SM_UPPER_LIMIT', 'SM_LOWER_LIMIT', 'SM_FREEZE_QTY'].includes(c));
const D = '2026-03-23';
const rows = [
  indexRow('BSE', 51, 'SENSEX', 'Sensex'),
  equityRow('BSE', 500325, 'RELIANCE'),
  ...chainRows({ exchange: 'BSE', symbol: 'SENSEX', underlyingId: 1, expiry: '2026-03-25', strikes: strikes(74000, 100, 3), flag: 'Q', firstId: 1000, lot: 20 }),
  ...chainRows({ exchange: 'BSE', instrument: 'OPTSTK', symbol: 'RELIANCE', underlyingId: 500325, expiry: '2026-03-26', strikes: strikes(1300, 20, 4), flag: 'M', firstId: 2000, lot: 500 }),
];
const noTrailingComma = (csv: string) => csv.replace(/,\n/g, '\n');

describe('real master headers', () => {
  it('takes the 31-column header without trailing comma unchanged, naming the missing freeze column once', () => {
    expect(COLS_31).toHaveLength(31);
    const { instruments, stats } = parseMaster(noTrailingComma(toCsv(rows, COLS_31)));
    expect([stats.malformed, stats.kept]).toEqual([0, 2 + 6 + 8]);
    expect(stats.missingOptionalColumns).toEqual(['SM_FREEZE_QTY']);
    expect(describeMissingOptional(stats.missingOptionalColumns)).toBe('optional columns missing: SM_FREEZE_QTY (paper freeze-quantity check off)');
    // SENSEX 3 strikes × 2 + RELIANCE (BSE) 4 × 2; RELIANCE's spot is its BSE_EQ code 500325.
    const sk = buildSkeleton(instruments, D);
    expect(sk.totals).toEqual({ underlyings: 2, chains: 2, contracts: 14, spots: 2 });
    expect(sk.underlyings.map((u) => `${u.exchange}:${u.symbol} ${u.spot?.segment}:${u.spot?.securityId}`)).toEqual(['BSE:SENSEX IDX_I:51', 'BSE:RELIANCE BSE_EQ:500325']);
  });

  it('takes the 29-column header with trailing comma, naming the three missing columns and the checks they turn off', () => {
    expect(COLS_29).toHaveLength(29);
    const { stats } = parseMaster(toCsv(rows, COLS_29));
    expect([stats.malformed, stats.kept]).toEqual([0, 16]);
    expect(stats.missingOptionalColumns).toEqual(['SM_UPPER_LIMIT', 'SM_LOWER_LIMIT', 'SM_FREEZE_QTY']);
    expect(describeMissingOptional(stats.missingOptionalColumns)).toBe('optional columns missing: SM_UPPER_LIMIT,SM_LOWER_LIMIT,SM_FREEZE_QTY (paper price-band check off; paper freeze-quantity check off)');
  });

  it('reports nothing missing for the full live header', () => {
    expect(parseMaster(toCsv(rows)).stats.missingOptionalColumns).toEqual([]);
  });
});
