import { describe, expect, it } from 'vitest';
import { parseMaster } from '../src/master/parse-master.js';
import { buildSkeleton } from '../src/skeleton/build-skeleton.js';
import { SkeletonIndex } from '../src/skeleton/skeleton-index.js';
import { summarizeSkeleton } from '../src/skeleton/summary.js';
import { chainRows, equityRow, futureRow, indexRow, optionRow, strikes, toCsv } from './helpers/master-rows.js';

const D = '2026-08-17';

function fixtureRows() {
  const rows = [
    indexRow('NSE', 13, 'NIFTY', 'Nifty 50'),
    indexRow('NSE', 25, 'BANKNIFTY', 'Nifty Bank'),
    indexRow('BSE', 51, 'SENSEX', 'Sensex'),
    indexRow('NSE', 27, 'FINNIFTY'),
    equityRow('NSE', 2885, 'RELIANCE'),
    equityRow('BSE', 500325, 'RELIANCE'),
    equityRow('NSE', 1333, 'HDFCBANK'),
    futureRow(60000, 26000, 'NIFTY', '2026-08-25'),
    // NIFTY: an expired weekly, weeklies, monthlies, quarterlies; index options carry 26000.
    ...chainRows({ symbol: 'NIFTY', underlyingId: 26000, expiry: '2026-08-11', strikes: strikes(24000, 50, 5), flag: 'W', firstId: 100 }),
    ...chainRows({ symbol: 'NIFTY', underlyingId: 26000, expiry: '2026-08-18', strikes: strikes(23000, 50, 40), flag: 'W', firstId: 1000 }),
    ...chainRows({ symbol: 'NIFTY', underlyingId: 26000, expiry: '2026-08-25', strikes: strikes(23000, 50, 45), flag: 'M', firstId: 2000 }),
    ...chainRows({ symbol: 'NIFTY', underlyingId: 26000, expiry: '2026-09-01', strikes: strikes(23500, 50, 30), flag: 'W', firstId: 3000 }),
    ...chainRows({ symbol: 'NIFTY', underlyingId: 26000, expiry: '2026-09-08', strikes: strikes(23500, 50, 30), flag: 'W', firstId: 4000 }),
    ...chainRows({ symbol: 'NIFTY', underlyingId: 26000, expiry: '2026-09-29', strikes: strikes(22000, 100, 30), flag: 'M', firstId: 5000 }),
    ...chainRows({ symbol: 'NIFTY', underlyingId: 26000, expiry: '2026-10-27', strikes: strikes(22000, 100, 30), flag: 'M', firstId: 6000 }),
    ...chainRows({ symbol: 'NIFTY', underlyingId: 26000, expiry: '2026-12-29', strikes: strikes(20000, 500, 10), flag: 'M', firstId: 7000 }),
    ...chainRows({ symbol: 'NIFTY', underlyingId: 26000, expiry: '2027-03-30', strikes: strikes(20000, 1000, 8), flag: 'M', firstId: 8000 }),
    ...chainRows({ symbol: 'NIFTY', underlyingId: 26000, expiry: '2027-06-29', strikes: strikes(20000, 1000, 8), flag: 'M', firstId: 9000 }),
    // a PE-only strike on the nearest weekly
    optionRow({ id: 9990, underlyingId: 26000, symbol: 'NIFTY', expiry: '2026-08-18', strike: 30000, side: 'PE', flag: 'W' }),
    // BANKNIFTY: monthlies only, derivatives-domain id 26009
    ...['2026-08-25', '2026-09-29', '2026-10-27', '2026-12-29', '2027-03-30', '2027-06-29'].flatMap((e, i) =>
      chainRows({ symbol: 'BANKNIFTY', underlyingId: 26009, expiry: e, strikes: strikes(50000, 100, 10), flag: 'M', firstId: 20000 + i * 100, lot: 30 })),
    // SENSEX on BSE, id 1
    ...['2026-08-20', '2026-08-27', '2026-09-03', '2026-09-24', '2026-12-31', '2027-03-25'].flatMap((e, i) =>
      chainRows({ exchange: 'BSE', symbol: 'SENSEX', underlyingId: 1, expiry: e, strikes: strikes(80000, 100, 6), flag: e.endsWith('27') || e.endsWith('24') || e.endsWith('31') || e.endsWith('25') ? 'M' : 'W', firstId: 800000 + i * 100, lot: 20 })),
    // FINNIFTY index options: not in the universe
    ...chainRows({ symbol: 'FINNIFTY', underlyingId: 26037, expiry: '2026-08-25', strikes: strikes(25000, 50, 4), flag: 'M', firstId: 30000 }),
    // stocks: RELIANCE on NSE and BSE, HDFCBANK on NSE (same ids in different segments on purpose)
    ...['2026-08-25', '2026-09-29', '2026-10-27'].flatMap((e, i) =>
      chainRows({ instrument: 'OPTSTK', symbol: 'RELIANCE', underlyingId: 2885, expiry: e, strikes: strikes(1300, 20, 8), flag: 'M', firstId: 40000 + i * 100, lot: 500 })),
    ...['2026-08-25', '2026-09-29'].flatMap((e, i) =>
      chainRows({ exchange: 'BSE', instrument: 'OPTSTK', symbol: 'RELIANCE', underlyingId: 500325, expiry: e, strikes: strikes(1300, 20, 4), flag: 'M', firstId: 40000 + i * 100, lot: 500 })),
    ...['2026-08-25', '2026-09-29', '2026-10-27'].flatMap((e, i) =>
      chainRows({ instrument: 'OPTSTK', symbol: 'HDFCBANK', underlyingId: 1333, expiry: e, strikes: strikes(1800, 20, 6), flag: 'M', firstId: 50000 + i * 100, lot: 550 })),
    optionRow({ id: 50999, instrument: 'OPTSTK', underlyingId: 1333, symbol: 'HDFCBANK', expiry: '2026-08-25', strike: 2500, side: 'CE', flag: 'M', lot: 550 }),
  ];
  return rows;
}

const build = (rows = fixtureRows()) => buildSkeleton(parseMaster(toCsv(rows)).instruments, D);

describe('skeleton', () => {
  const sk = build();
  const idx = new SkeletonIndex(sk);

  it('holds exactly the universe of docs/contract.md §3, in order', () => {
    expect(sk.underlyings.map((u) => `${u.exchange}:${u.symbol}`)).toEqual(['NSE:NIFTY', 'NSE:BANKNIFTY', 'BSE:SENSEX', 'NSE:HDFCBANK', 'NSE:RELIANCE', 'BSE:RELIANCE']);
  });

  it('selects expiries per the rules: NIFTY 6, BANKNIFTY 5, SENSEX 6, stocks 2', () => {
    const exp = (sym: string, ex: 'NSE' | 'BSE' = 'NSE') => idx.underlying(sym, ex)!.chains.map((c) => c.expiry);
    expect(exp('NIFTY')).toEqual(['2026-08-18', '2026-08-25', '2026-09-01', '2026-09-29', '2026-12-29', '2027-03-30']);
    expect(exp('BANKNIFTY')).toHaveLength(5);
    expect(exp('SENSEX', 'BSE')).toHaveLength(6);
    expect(exp('RELIANCE')).toEqual(['2026-08-25', '2026-09-29']);
    expect(exp('RELIANCE', 'BSE')).toEqual(['2026-08-25', '2026-09-29']);
  });

  it('resolves spots from the master: index by symbol (not the 26000 underlying id), stock by the cash row of its exchange', () => {
    expect(idx.underlying('NIFTY')!.spot).toMatchObject({ segment: 'IDX_I', securityId: 13 });
    expect(idx.underlying('BANKNIFTY')!.spot).toMatchObject({ segment: 'IDX_I', securityId: 25 });
    expect(idx.underlying('SENSEX', 'BSE')!.spot).toMatchObject({ segment: 'IDX_I', securityId: 51 });
    expect(idx.underlying('RELIANCE', 'NSE')!.spot).toMatchObject({ segment: 'NSE_EQ', securityId: 2885 });
    expect(idx.underlying('RELIANCE', 'BSE')!.spot).toMatchObject({ segment: 'BSE_EQ', securityId: 500325 });
  });

  it('takes every listed strike of a selected expiry, both sides, keeping one-sided strikes; never adds one', () => {
    const weekly = idx.chain(idx.underlying('NIFTY')!, '2026-08-18')!;
    expect(weekly.rows).toHaveLength(41);
    expect(weekly.contracts).toBe(81);
    const lone = weekly.rows.find((r) => r.strike === 30000)!;
    expect(lone.ce).toBeNull();
    expect(lone.pe!.securityId).toBe(9990);
    const hdfc = idx.chain(idx.underlying('HDFCBANK')!, '2026-08-25')!;
    expect(hdfc.rows.find((r) => r.strike === 2500)).toMatchObject({ pe: null });
    for (const c of sk.chains) {
      const sortedStrikes = c.rows.map((r) => r.strike);
      expect(sortedStrikes).toEqual([...sortedStrikes].sort((a, b) => a - b));
    }
  });

  it('keys instruments by (segment, security id): the same id in NSE_FNO and BSE_FNO are different contracts', () => {
    const nse = idx.contract('NSE_FNO', 40000)!;
    const bse = idx.contract('BSE_FNO', 40000)!;
    expect(nse.underlyingIndex).not.toBe(bse.underlyingIndex);
    expect(idx.slotOf('NSE_FNO', 40000)).not.toBe(idx.slotOf('BSE_FNO', 40000));
  });

  it('gives every token one dense slot; a spot slot moves every chain of its underlying', () => {
    expect(sk.tokens.map((t) => t.slot)).toEqual([...Array(sk.slotCount).keys()]);
    expect(sk.slotCount).toBe(sk.totals.contracts + sk.totals.spots);
    const nifty = idx.underlying('NIFTY')!;
    expect(sk.chainsOfSlot[nifty.spot!.slot]).toEqual(nifty.chains.map((c) => c.index));
    const ce = nifty.chains[0]!.rows[0]!.ce!;
    expect(sk.chainsOfSlot[ce.slot]).toEqual([nifty.chains[0]!.index]);
    expect(ce).toMatchObject({ lotSize: 65, tickSize: 0.05, freezeQty: 1756, upperLimit: 500, lowerLimit: 0.05 });
  });

  it('is frozen: nothing can change it intraday', () => {
    const chain = sk.chains[0]!;
    expect(Object.isFrozen(sk)).toBe(true);
    expect(() => (sk.chains as unknown as unknown[]).push({})).toThrow(TypeError);
    expect(() => { (chain.rows as unknown as unknown[]).pop(); }).toThrow(TypeError);
    expect(() => { (chain.rows[0]!.ce as unknown as { securityId: number }).securityId = 1; }).toThrow(TypeError);
    expect(() => { (chain.rows[0] as unknown as { strike: number }).strike = 1; }).toThrow(TypeError);
    expect(() => { (sk.chainsOfSlot[0] as unknown as number[]).push(1); }).toThrow(TypeError);
  });

  it('is deterministic: same master and date ⇒ identical skeleton, whatever the row order', () => {
    const again = build();
    expect(again.fingerprint).toBe(sk.fingerprint);
    expect(summarizeSkeleton(again)).toEqual(summarizeSkeleton(sk));
    const shuffled = fixtureRows();
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const third = build(shuffled);
    expect(third.fingerprint).toBe(sk.fingerprint);
    expect(third.tokens).toEqual(sk.tokens);
  });

  it('drops expired expiries and fails clearly when a date has no contracts', () => {
    expect(idx.underlying('NIFTY')!.chains.some((c) => c.expiry === '2026-08-11')).toBe(false);
    const instruments = parseMaster(toCsv(fixtureRows())).instruments;
    expect(() => buildSkeleton(instruments, '2030-01-01')).toThrow(/no option contracts/);
  });
});
