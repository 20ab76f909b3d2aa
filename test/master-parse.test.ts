import { describe, expect, it } from 'vitest';
import { parseMaster } from '../src/master/parse-master.js';
import { MasterError } from '../src/errors.js';
import { DETAILED_COLUMNS } from '../src/master/columns.js';
import { equityRow, futureRow, indexRow, optionRow, toCsv } from './helpers/master-rows.js';

const nifty = (id: number, strike: number, side: 'CE' | 'PE') => optionRow({ id, underlyingId: 26000, symbol: 'NIFTY', expiry: '2026-08-18', strike, side });

describe('instrument master parsing', () => {
  it('reads columns by header name: reordered, unknown and trailing empty columns are tolerated', () => {
    const reordered = [...DETAILED_COLUMNS].reverse();
    const columns = [reordered[0]!, 'SOMETHING_NEW', ...reordered.slice(1), 'ANOTHER_NEW'];
    const csv = toCsv([indexRow('NSE', 13, 'NIFTY'), nifty(47317, 24400, 'CE'), nifty(47318, 24400, 'PE')], columns);
    const { instruments, stats } = parseMaster(csv);
    expect(stats.malformed).toBe(0);
    expect(stats.unknownColumns).toEqual(['SOMETHING_NEW', 'ANOTHER_NEW']);
    expect(instruments).toHaveLength(3);
    const ce = instruments.find((i) => i.securityId === 47317)!;
    expect(ce).toMatchObject({ exchange: 'NSE', segment: 'NSE_FNO', instrument: 'OPTIDX', underlyingSecurityId: 26000, underlyingSymbol: 'NIFTY', strike: 24400, optionType: 'CE', expiry: '2026-08-18', lotSize: 65, tickSize: 0.05, expiryFlag: 'W', freezeQty: 1756 });
    expect(instruments.find((i) => i.securityId === 13)).toMatchObject({ segment: 'IDX_I', underlyingSymbol: 'NIFTY' });
  });

  it('handles quoted fields containing commas and quotes', () => {
    const eq = { ...equityRow('NSE', 2885, 'RELIANCE'), DISPLAY_NAME: 'Reliance, "Industries"' };
    const { instruments, stats } = parseMaster(toCsv([eq]));
    expect(stats.malformed).toBe(0);
    expect(instruments[0]!.displayName).toBe('Reliance, "Industries"');
  });

  it('counts and skips malformed rows without losing the good ones', () => {
    const good = [nifty(1, 24000, 'CE'), nifty(2, 24000, 'PE')];
    const badId = { ...nifty(3, 24050, 'CE'), SECURITY_ID: 'abc' };
    const badStrike = { ...nifty(4, 24050, 'PE'), STRIKE_PRICE: 'x' };
    const badType = { ...nifty(5, 24100, 'PE'), OPTION_TYPE: 'ZZ' };
    const badDate = { ...nifty(6, 24100, 'CE'), SM_EXPIRY_DATE: '18/08/2026' };
    let csv = toCsv([...good, badId, badStrike, badType, badDate]);
    csv += 'NSE,D,7\n'; // truncated line
    csv += 'NSE,D,"8,unclosed quote\n';
    const { instruments, stats } = parseMaster(csv);
    expect(instruments.map((i) => i.securityId).sort()).toEqual([1, 2]);
    expect(stats.malformed).toBeGreaterThanOrEqual(6);
    expect(stats.rows).toBe(stats.kept + stats.ignored + stats.test + stats.malformed);
    expect(stats.malformedExamples.some((e) => e.reason.includes('SECURITY_ID'))).toBe(true);
    expect(stats.malformedExamples.some((e) => e.reason.includes('STRIKE_PRICE'))).toBe(true);
  });

  it('filters exchange connectivity TEST rows and counts other instruments as ignored', () => {
    const test1 = { ...equityRow('NSE', 99999, 'NSETEST'), SYMBOL_NAME: 'NSE CONNECTIVITY TEST' };
    const test2 = optionRow({ id: 88888, instrument: 'OPTSTK', underlyingId: 99999, symbol: 'TESTSTOCK', expiry: '2026-08-25', strike: 100, side: 'CE' });
    const { instruments, stats } = parseMaster(toCsv([test1, test2, futureRow(5000, 26000, 'NIFTY', '2026-08-25'), nifty(1, 24000, 'CE')]));
    expect(stats.test).toBe(2);
    expect(stats.ignored).toBe(1);
    expect(instruments.map((i) => i.securityId)).toEqual([1]);
  });

  it('names the missing column when the header lacks one the skeleton needs', () => {
    const columns = DETAILED_COLUMNS.filter((c) => c !== 'UNDERLYING_SECURITY_ID' && c !== 'STRIKE_PRICE');
    const run = () => parseMaster(toCsv([nifty(1, 24000, 'CE')], columns));
    expect(run).toThrow(MasterError);
    expect(run).toThrow(/UNDERLYING_SECURITY_ID, STRIKE_PRICE/);
  });

  it('rejects an empty file with a clear error', () => {
    expect(() => parseMaster('')).toThrow(/empty/);
  });
});
