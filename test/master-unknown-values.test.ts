/**
 * Optional master values that are absent are unknown, never 0 (issue 16 §4): a header without
 * SM_UPPER_LIMIT / SM_LOWER_LIMIT / SM_FREEZE_QTY, or an empty or unreadable field, gives null on
 * the contract; the parse names the count per column; the paper freeze-quantity and price-band
 * checks are then off for that contract (no refusal), while a known limit still refuses. And
 * the TEST-row count is the same whether the file's fields are quoted or not.
 */
import { describe, expect, it } from 'vitest';
import { describeUnknownValues, DETAILED_COLUMNS } from '../src/master/columns.js';
import { parseMaster } from '../src/master/parse-master.js';
import { checkStatic, type LegRequest } from '../src/paper/feasibility.js';
import { buildSkeleton } from '../src/skeleton/build-skeleton.js';
import type { Contract } from '../src/skeleton/types.js';
import { chainRows, equityRow, futureRow, indexRow, optionRow, strikes, toCsv } from './helpers/master-rows.js';

const D = '2026-08-17';
const NO_BAND_NO_FREEZE = DETAILED_COLUMNS.filter((c) => !['SM_UPPER_LIMIT', 'SM_LOWER_LIMIT', 'SM_FREEZE_QTY'].includes(c));

function contracts(csv: string): Contract[] {
  const sk = buildSkeleton(parseMaster(csv).instruments, D);
  return sk.chains.flatMap((c) => c.rows.flatMap((r) => [r.ce, r.pe])).filter((c): c is Contract => c !== null);
}

const leg = (c: Contract, lots: number, limitPrice?: number): LegRequest => ({ exchangeSegment: c.segment, securityId: c.securityId, side: 'BUY', lots, type: limitPrice === undefined ? 'MARKET' : 'LIMIT', limitPrice });
const refusal = (f: () => void): string | null => {
  try {
    f();
    return null;
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('optional master values', () => {
  const rows = [indexRow('NSE', 13, 'NIFTY'), ...chainRows({ symbol: 'NIFTY', underlyingId: 26000, expiry: '2026-08-18', strikes: strikes(24000, 50, 2), flag: 'W', firstId: 1 })];

  it('columns absent: band and freeze are null (unknown), and the paper checks let a 100-lot order and a limit of 99,999 through', () => {
    const cs = contracts(toCsv(rows, NO_BAND_NO_FREEZE));
    expect(cs).toHaveLength(4);
    for (const c of cs) expect([c.freezeQty, c.upperLimit, c.lowerLimit]).toEqual([null, null, null]);
    expect(refusal(() => checkStatic(0, leg(cs[0]!, 100), cs[0]))).toBeNull();
    expect(refusal(() => checkStatic(0, leg(cs[0]!, 1, 99_999), cs[0]))).toBeNull();
  });

  it('columns present: the same orders are refused by the known limits (the checks are on)', () => {
    const cs = contracts(toCsv(rows));
    expect([cs[0]!.freezeQty, cs[0]!.upperLimit, cs[0]!.lowerLimit]).toEqual([1756, 500, 0.05]);
    expect(refusal(() => checkStatic(0, leg(cs[0]!, 100), cs[0]))).toBe('INVALID_QUANTITY'); // 6,500 > 1,756
    expect(refusal(() => checkStatic(0, leg(cs[0]!, 1, 99_999), cs[0]))).toBe('PRICE_OUTSIDE_BAND');
  });

  it('an empty or unreadable field is unknown for that contract only, counted per column and named once; the strike is kept', () => {
    const r = [
      ...rows,
      { ...optionRow({ id: 90, underlyingId: 26000, symbol: 'NIFTY', expiry: '2026-08-18', strike: 24100, side: 'CE' }), SM_FREEZE_QTY: '' },
      { ...optionRow({ id: 91, underlyingId: 26000, symbol: 'NIFTY', expiry: '2026-08-18', strike: 24100, side: 'PE' }), SM_UPPER_LIMIT: 'n/a', SM_FREEZE_QTY: ' ' },
    ];
    const { instruments, stats } = parseMaster(toCsv(r));
    expect(stats.malformed).toBe(0);
    expect(stats.unknownOptionalValues).toEqual({ SM_FREEZE_QTY: 2, SM_UPPER_LIMIT: 1 });
    expect(describeUnknownValues(stats.unknownOptionalValues)).toBe('optional values unknown: SM_FREEZE_QTY in 2 option rows, SM_UPPER_LIMIT in 1 option rows (paper freeze-quantity check off; paper price-band check off for those contracts)');
    const byId = new Map(instruments.map((i) => [i.securityId, i]));
    expect([byId.get(90)!.freezeQty, byId.get(90)!.upperLimit]).toEqual([null, 500]);
    expect([byId.get(91)!.freezeQty, byId.get(91)!.upperLimit, byId.get(91)!.lowerLimit]).toEqual([null, null, 0.05]);
    expect(byId.get(1)!.freezeQty).toBe(1756);
    const sk = buildSkeleton(instruments, D);
    expect(sk.chains[0]!.rows.map((x) => x.strike)).toEqual([24000, 24050, 24100]);
  });

  it('an explicit 0 is read as 0 (a known value) and the checks treat it as no limit, as before', () => {
    const cs = contracts(toCsv(rows.map((x) => ({ ...x, SM_FREEZE_QTY: 0, SM_UPPER_LIMIT: '0.0000', SM_LOWER_LIMIT: '0.0000' }))));
    expect([cs[0]!.freezeQty, cs[0]!.upperLimit]).toEqual([0, 0]);
    expect(refusal(() => checkStatic(0, leg(cs[0]!, 100, 99_999), cs[0]))).toBeNull();
  });
});

describe('TEST rows', () => {
  // TEST rows of every instrument kind: a kept kind (OPTSTK, EQUITY) and an ignored one (FUTSTK).
  const rows = [
    indexRow('NSE', 13, 'NIFTY'),
    ...chainRows({ symbol: 'NIFTY', underlyingId: 26000, expiry: '2026-08-18', strikes: strikes(24000, 50, 2), flag: 'W', firstId: 1 }),
    { ...equityRow('NSE', 99999, 'NSETEST'), SYMBOL_NAME: 'NSE CONNECTIVITY TEST' },
    optionRow({ id: 88888, instrument: 'OPTSTK', underlyingId: 99999, symbol: 'TESTSTOCK', expiry: '2026-08-25', strike: 100, side: 'CE' }),
    { ...futureRow(77777, 99999, 'NSETEST', '2026-08-25'), INSTRUMENT: 'FUTSTK' },
    { ...futureRow(77778, 26000, 'NIFTY', '2026-08-25'), DISPLAY_NAME: 'NIFTY FUT (not a TEST row: only symbol fields count)' },
  ];
  const quoteAll = (csv: string): string => csv.split('\n').map((l, i) => (i === 0 || l === '' ? l : l.split(',').map((f, j, a) => (j === a.length - 1 && f === '' ? f : `"${f}"`)).join(','))).join('\n');

  it('counts the same whether fields are quoted or not (3 TEST rows, whatever their instrument)', () => {
    const plain = parseMaster(toCsv(rows)).stats;
    const quoted = parseMaster(quoteAll(toCsv(rows))).stats;
    expect(quoteAll(toCsv(rows))).toContain('"FUTSTK"');
    expect(plain.test).toBe(3);
    expect(plain.ignored).toBe(1);
    for (const k of ['rows', 'kept', 'ignored', 'test', 'malformed'] as const) expect([k, quoted[k]]).toEqual([k, plain[k]]);
  });
});
