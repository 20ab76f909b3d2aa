import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { masterCommand } from '../src/cli/master-command.js';
import { DETAILED_COLUMNS } from '../src/master/columns.js';
import { isTradingDay, nextTradingDay, previousTradingDay } from '../src/time/trading-calendar.js';
import { listedExpiries } from '../src/synthetic-master/synthetic-expiries.js';
import { DEFAULT_SEED, generateMaster, streamMaster, syntheticUnderlyings, type GeneratedMaster } from '../src/synthetic-master/synthetic-master.js';

const C = Object.fromEntries(DETAILED_COLUMNS.map((c, i) => [c, i])) as Record<(typeof DETAILED_COLUMNS)[number], number>;
const D = '2026-08-17';

/** Data lines of a master (the synthetic file has no quoted fields). */
function linesOf(m: GeneratedMaster): string[] {
  const lines = m.csv.split('\n');
  expect(lines.pop()).toBe('');
  return lines.slice(1);
}

/**
 * NSE/BSE rows (indices, equities, F&O) split into fields; MCX and currency lines, which no
 * assertion needs field by field, stay unsplit to keep the test fast.
 */
function nseBseRows(lines: readonly string[]): string[][] {
  const out: string[][] = [];
  for (const l of lines) if (!l.startsWith('MCX,') && !l.startsWith('NSE,C,') && !l.startsWith('BSE,C,')) out.push(l.split(','));
  return out;
}

/** Fields 1–3 (exchange, segment letter, security id) and the field count of a line, without splitting it. */
function head(line: string): { seg: string; id: string; fields: number } {
  const a = line.indexOf(',');
  const b = line.indexOf(',', a + 1);
  const c = line.indexOf(',', b + 1);
  let fields = 1;
  for (let p = line.indexOf(','); p !== -1; p = line.indexOf(',', p + 1)) fields++;
  return { seg: line.slice(0, b), id: line.slice(b + 1, c), fields };
}

/** Expiry → flag, strike → sides, for the option rows of one (exchange, underlying symbol). */
function chainsOf(rows: string[][], exch: string, symbol: string): Map<string, { flag: string; strikes: Map<number, Set<string>> }> {
  const out = new Map<string, { flag: string; strikes: Map<number, Set<string>> }>();
  for (const r of rows) {
    if (r[C.EXCH_ID] !== exch || r[C.UNDERLYING_SYMBOL] !== symbol || !r[C.INSTRUMENT]!.startsWith('OPT')) continue;
    const e = r[C.SM_EXPIRY_DATE]!;
    let c = out.get(e);
    if (!c) out.set(e, (c = { flag: r[C.EXPIRY_FLAG]!, strikes: new Map() }));
    expect(r[C.EXPIRY_FLAG]).toBe(c.flag);
    const k = Number(r[C.STRIKE_PRICE]);
    let sides = c.strikes.get(k);
    if (!sides) c.strikes.set(k, (sides = new Set()));
    sides.add(r[C.OPTION_TYPE]!);
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const weekdayOf = (d: string): number => new Date(`${d}T00:00:00Z`).getUTCDay();

describe('synthetic detailed master (docs/dhan-protocol.md §1.3, docs/market-structure.md §1–§3)', () => {
  let m: GeneratedMaster;
  let lines: string[];
  let rows: string[][];
  let chains: (exch: string, symbol: string) => ReturnType<typeof chainsOf>;
  let tmp: string;

  beforeAll(() => {
    m = generateMaster(D);
    lines = linesOf(m);
    rows = nseBseRows(lines);
    const bySymbol = new Map<string, string[][]>();
    for (const r of rows) {
      if (!r[C.INSTRUMENT]!.startsWith('OPT')) continue;
      const k = `${r[C.EXCH_ID]} ${r[C.UNDERLYING_SYMBOL]}`;
      let a = bySymbol.get(k);
      if (!a) bySymbol.set(k, (a = []));
      a.push(r);
    }
    chains = (exch, symbol) => chainsOf(bySymbol.get(`${exch} ${symbol}`) ?? [], exch, symbol);
    tmp = mkdtempSync(join(tmpdir(), 'optchain-master-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('writes the live 32-column header and a trailing comma on every line', () => {
    const firstLine = m.csv.slice(0, m.csv.indexOf('\n'));
    expect(firstLine).toBe(`${DETAILED_COLUMNS.join(',')},`);
    const wrong = lines.filter((l) => !l.endsWith(',') || head(l).fields !== DETAILED_COLUMNS.length + 1);
    expect(wrong.slice(0, 3)).toEqual([]);
  });

  it('is full size (~250k rows, tens of MB) and counts its rows honestly', () => {
    expect(m.rows).toBe(lines.length);
    expect(m.rows).toBeGreaterThan(230_000);
    expect(m.rows).toBeLessThan(280_000);
    expect(m.bytes).toBeGreaterThan(30_000_000);
    expect(Object.values(m.rowsBySegment).reduce((a, b) => a + b, 0)).toBe(m.rows);
    expect(m.rowsBySegment.NSE_EQ).toBe(2_500);
    expect(m.rowsBySegment.BSE_EQ).toBe(4_500);
    for (const seg of ['MCX_COMM', 'NSE_CURRENCY', 'BSE_CURRENCY', 'NSE_FNO', 'BSE_FNO', 'IDX_I'] as const) expect(m.rowsBySegment[seg]).toBeGreaterThan(0);
  });

  it('keeps security ids unique within each segment', () => {
    const seen = new Map<string, Set<string>>();
    const dups: string[] = [];
    for (const l of lines) {
      const { seg, id } = head(l);
      let s = seen.get(seg);
      if (!s) seen.set(seg, (s = new Set()));
      if (s.has(id)) dups.push(`${seg}:${id}`);
      s.add(id);
    }
    expect(dups.slice(0, 5)).toEqual([]);
    // Ids are not unique across segments in the real file either (docs/dhan-protocol.md §1.1): NSE_EQ ABB is 13, like IDX_I NIFTY.
    expect(seen.get('NSE,E')!.has('13') && seen.get('NSE,I')!.has('13')).toBe(true);
  });

  it('is deterministic for (date, seed): the streamed CLI file equals the in-memory one; another seed differs', async () => {
    const out = join(tmp, 'master.csv');
    const log: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (log.push(String(s)), true)) as typeof process.stdout.write;
    let code: number;
    try {
      code = await masterCommand(['--date', D, '--out', out, '--seed', String(DEFAULT_SEED)]);
    } finally {
      process.stdout.write = write;
    }
    expect(code).toBe(0);
    expect(readFileSync(out).equals(m.buffer)).toBe(true);
    expect(log.join('')).toMatch(new RegExp(`^master ${D} seed ${DEFAULT_SEED}: ${m.rows} rows, ${m.bytes} bytes written to .+\\n$`));
    const other = streamMaster(D, { seed: DEFAULT_SEED + 1 }).chunks;
    const a = Buffer.concat([other.next().value!, other.next().value!]);
    expect(a.equals(m.buffer.subarray(0, a.length))).toBe(false);
  });

  it('keeps a contract\'s security id from one day\'s master to the next, as Dhan does', () => {
    const key = (f: string[]) => `${f[C.UNDERLYING_SYMBOL]} ${f[C.INSTRUMENT]} ${f[C.SM_EXPIRY_DATE]} ${f[C.STRIKE_PRICE]} ${f[C.OPTION_TYPE]}`;
    const wanted = (f: string[]) => f[C.EXCH_ID] === 'NSE' && f[C.SEGMENT] === 'D' && (f[C.UNDERLYING_SYMBOL] === 'NIFTY' || f[C.UNDERLYING_SYMBOL] === 'RELIANCE');
    const today = new Map(rows.filter(wanted).map((f) => [key(f), f[C.SECURITY_ID]]));
    // Only the NSE part of the next day's file is needed: stop once BSE equities start.
    let text = '';
    for (const c of streamMaster('2026-08-18').chunks) {
      text += c.toString('latin1');
      if (text.includes('\nBSE,E,')) break;
    }
    let common = 0;
    const moved: string[] = [];
    for (const line of text.split('\n')) {
      const f = line.split(',');
      if (f.length < 30 || !wanted(f)) continue;
      const before = today.get(key(f));
      if (before === undefined) continue;
      common++;
      if (before !== f[C.SECURITY_ID]) moved.push(`${key(f)}: ${before} → ${f[C.SECURITY_ID]}`);
    }
    expect(common).toBeGreaterThan(1_000);
    expect(moved.slice(0, 3)).toEqual([]);
  });

  it('rejects bad arguments with one line on stderr and a non-zero code', async () => {
    const errs: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
    try {
      expect(await masterCommand(['--date', '2026-02-30', '--out', join(tmp, 'x.csv')])).not.toBe(0);
      expect(await masterCommand(['--date', D])).not.toBe(0);
      expect(await masterCommand(['--out', join(tmp, 'x.csv'), '--date'])).not.toBe(0);
      expect(await masterCommand(['--date', D, '--out', join(tmp, 'missing-dir', 'x.csv')])).not.toBe(0);
    } finally {
      process.stderr.write = write;
    }
    expect(errs).toHaveLength(4);
    for (const e of errs) expect(e.trimEnd().split('\n')).toHaveLength(1);
  });

  it('lists NIFTY expiries per docs/market-structure.md §1.3 on 17 Aug 2026, flagged W/M, with today\'s expiry included', () => {
    const nifty = chains('NSE', 'NIFTY');
    expect([...nifty].map(([e, c]) => `${e} ${c.flag}`)).toEqual([
      '2026-08-18 W', '2026-08-25 M', '2026-09-01 W', '2026-09-08 W', '2026-09-15 W', '2026-09-29 M', '2026-10-27 M',
      '2026-12-29 M', '2027-03-30 M', '2027-06-29 M',
      '2027-12-28 M', '2028-06-27 M', '2028-12-26 M', '2029-06-26 M', '2029-12-24 M', '2030-06-25 M', '2030-12-31 M', '2031-06-24 M',
    ]);
    const count = (e: string) => nifty.get(e)!.strikes.size;
    expect(count('2026-08-18')).toBeGreaterThanOrEqual(100); // near weekly ~105
    expect(count('2026-09-15')).toBeLessThanOrEqual(78); // just-listed weekly ~73
    expect(count('2026-08-25')).toBeGreaterThanOrEqual(110); // monthlies 100–121
    expect(count('2027-03-30')).toBeLessThanOrEqual(16); // long-dated 5-1-5-style grid
    // Every NIFTY strike is on the 50-point grid; long-dated ones on coarse steps.
    for (const [, c] of nifty) for (const k of c.strikes.keys()) expect(k % 50).toBe(0);
    expect([...nifty.get('2027-03-30')!.strikes.keys()].every((k) => k % 500 === 0)).toBe(true);
  });

  it('writes index options with the derivatives-domain underlying id, and the IDX_I rows with their own', () => {
    const opt = (sym: string) => rows.find((r) => r[C.UNDERLYING_SYMBOL] === sym && r[C.INSTRUMENT] === 'OPTIDX')!;
    expect(opt('NIFTY')[C.UNDERLYING_SECURITY_ID]).toBe('26000');
    expect(opt('BANKNIFTY')[C.UNDERLYING_SECURITY_ID]).toBe('26009');
    expect(opt('SENSEX')[C.UNDERLYING_SECURITY_ID]).toBe('1');
    expect(opt('NIFTY')[C.INSTRUMENT_TYPE]).toBe('OP');
    expect(opt('NIFTY')[C.LOT_SIZE]).toBe('65.0');
    expect(opt('NIFTY')[C.TICK_SIZE]).toBe('5.0000');
    expect(opt('NIFTY')[C.SM_FREEZE_QTY]).toBe('1756');
    expect(opt('BANKNIFTY')[C.SM_FREEZE_QTY]).toBe('600');
    const idx = new Map(rows.filter((r) => r[C.SEGMENT] === 'I').map((r) => [r[C.UNDERLYING_SYMBOL], r]));
    for (const [sym, id] of [['NIFTY', '13'], ['BANKNIFTY', '25'], ['SENSEX', '51'], ['FINNIFTY', '27'], ['MIDCPNIFTY', '442'], ['NIFTYNXT50', '38'], ['BANKEX', '69'], ['SENSEX50', '83']]) {
      const r = idx.get(sym)!;
      expect([r[C.SECURITY_ID], r[C.UNDERLYING_SECURITY_ID], r[C.SM_EXPIRY_DATE], r[C.EXPIRY_FLAG], r[C.OPTION_TYPE]]).toEqual([id, id, '0001-01-01', 'N', 'XX']);
    }
    // The out-of-universe derivative indices have monthly options as distractors.
    for (const sym of ['FINNIFTY', 'MIDCPNIFTY', 'NIFTYNXT50', 'BANKEX', 'SENSEX50']) expect(chains(sym.startsWith('B') || sym.startsWith('S') ? 'BSE' : 'NSE', sym).size).toBe(3);
  });

  it('reproduces the file quirks: strike with 5 decimals, futures placeholders, flags by row kind', () => {
    const fut = rows.find((r) => r[C.INSTRUMENT] === 'FUTIDX' && r[C.UNDERLYING_SYMBOL] === 'NIFTY')!;
    expect([fut[C.STRIKE_PRICE], fut[C.OPTION_TYPE], fut[C.EXPIRY_FLAG], fut[C.TICK_SIZE], fut[C.SYMBOL_NAME]]).toEqual(['-0.01000', 'XX', 'M', '10.0000', 'NIFTY-Aug2026-FUT']);
    expect(rows.some((r) => r[C.INSTRUMENT] === 'FUTSTK')).toBe(true);
    const opts = rows.filter((r) => r[C.INSTRUMENT] === 'OPTIDX' || r[C.INSTRUMENT] === 'OPTSTK');
    expect(opts.every((r) => /^\d+\.\d{5}$/.test(r[C.STRIKE_PRICE]!) && /^\d{4}-\d{2}-\d{2}$/.test(r[C.SM_EXPIRY_DATE]!))).toBe(true);
    expect(opts.every((r) => Number(r[C.SM_UPPER_LIMIT]) > Number(r[C.SM_LOWER_LIMIT]) && Number(r[C.SM_LOWER_LIMIT]) > 0)).toBe(true);
    const eq = rows.filter((r) => r[C.SEGMENT] === 'E');
    expect(eq.every((r) => r[C.EXPIRY_FLAG] === 'NA' && r[C.INSTRUMENT] === 'EQUITY')).toBe(true);
    expect(eq.some((r) => r[C.SM_EXPIRY_DATE] === '') && eq.some((r) => r[C.SM_EXPIRY_DATE] === '0001-01-01')).toBe(true);
    const rel = rows.find((r) => r[C.SEGMENT] === 'E' && r[C.EXCH_ID] === 'NSE' && r[C.SECURITY_ID] === '2885')!;
    expect([rel[C.UNDERLYING_SYMBOL], rel[C.ISIN], rel[C.TICK_SIZE]]).toEqual(['RELIANCE', 'INE002A01018', '10.0000']);
    // Stock options priced in paise steps of 1 exist alongside 5 (docs/market-structure.md §2.2 tick note).
    const stockTicks = new Set(rows.filter((r) => r[C.INSTRUMENT] === 'OPTSTK').map((r) => r[C.TICK_SIZE]));
    expect([...stockTicks].sort()).toEqual(['1.0000', '5.0000']);
    // MCX, currency and a BSE currency option flagged Q exist as distractors (docs/dhan-protocol.md §1.3 col 17).
    expect(lines.some((l) => l.startsWith('MCX,M,') && l.includes(',OPTFUT,'))).toBe(true);
    expect(lines.some((l) => l.startsWith('BSE,C,') && l.includes(',OPTCUR,') && l.includes(',Q,'))).toBe(true);
  });

  it('lists SENSEX on Thursdays with SYMBOL_NAME BSXOPT and INSTRUMENT_TYPE OPTIDX', () => {
    const sensex = chains('BSE', 'SENSEX');
    const expiries = [...sensex.keys()];
    expect(expiries.slice(0, 8)).toEqual(['2026-08-20', '2026-08-27', '2026-09-03', '2026-09-10', '2026-09-17', '2026-09-24', '2026-10-01', '2026-10-29']);
    expect([...sensex.values()].filter((c) => c.flag === 'W')).toHaveLength(5);
    // BSE flags SENSEX quarterlies Q and half-yearlies H, like the real master (docs/contract.md §3).
    expect([sensex.get('2026-10-29')!.flag, sensex.get('2026-12-31')!.flag, sensex.get('2027-12-30')!.flag]).toEqual(['M', 'Q', 'H']);
    expect(expiries.every((e) => weekdayOf(e) === 4)).toBe(true);
    const r = rows.find((x) => x[C.UNDERLYING_SYMBOL] === 'SENSEX' && x[C.INSTRUMENT] === 'OPTIDX')!;
    expect([r[C.SYMBOL_NAME], r[C.INSTRUMENT_TYPE], r[C.LOT_SIZE], r[C.SM_FREEZE_QTY]]).toEqual(['BSXOPT', 'OPTIDX', '20.0', '1000']);
    expect(sensex.get('2026-08-20')!.strikes.size).toBeGreaterThan(sensex.get('2026-10-01')!.strikes.size);
  });

  it('gives ~210 NSE stocks near/mid/far months with docs/market-structure.md §2.1 strike counts, far month at double step', () => {
    const stocks = new Map<string, string[][]>();
    for (const r of rows) {
      if (r[C.INSTRUMENT] !== 'OPTSTK' || r[C.EXCH_ID] !== 'NSE' || r[C.UNDERLYING_SYMBOL]!.includes('TEST')) continue;
      let a = stocks.get(r[C.UNDERLYING_SYMBOL]!);
      if (!a) stocks.set(r[C.UNDERLYING_SYMBOL]!, (a = []));
      a.push(r);
    }
    expect(stocks.size).toBeGreaterThanOrEqual(200);
    expect(stocks.size).toBeLessThanOrEqual(220);
    const nseEq = new Map(rows.filter((r) => r[C.EXCH_ID] === 'NSE' && r[C.SEGMENT] === 'E').map((r) => [r[C.SECURITY_ID], r[C.UNDERLYING_SYMBOL]]));
    const counts: number[][] = [[], [], []];
    for (const [sym, rs] of stocks) {
      // Underlying id = the stock's NSE_EQ row (docs/dhan-protocol.md §1.4).
      expect(new Set(rs.map((r) => nseEq.get(r[C.UNDERLYING_SECURITY_ID])))).toEqual(new Set([sym]));
      const chains = chainsOf(rs, 'NSE', sym);
      expect([...chains].map(([e, c]) => `${e} ${c.flag}`)).toEqual(['2026-08-25 M', '2026-09-29 M', '2026-10-27 M']);
      const steps = [...chains.values()].map((c) => {
        const ks = [...c.strikes.keys()].sort((a, b) => a - b);
        return Math.min(...ks.slice(1).map((k, i) => +(k - ks[i]!).toFixed(5)));
      });
      expect(steps[2]).toBeCloseTo(2 * steps[0]!, 5);
      [...chains.values()].forEach((c, i) => counts[i]!.push(c.strikes.size));
    }
    expect(rows.find((r) => r[C.INSTRUMENT] === 'OPTSTK' && r[C.UNDERLYING_SYMBOL] === 'RELIANCE' && r[C.EXCH_ID] === 'NSE')![C.UNDERLYING_SECURITY_ID]).toBe('2885');
    expect(median(counts[0]!)).toBeGreaterThanOrEqual(26);
    expect(median(counts[0]!)).toBeLessThanOrEqual(35);
    expect(median(counts[1]!)).toBeGreaterThanOrEqual(22);
    expect(median(counts[1]!)).toBeLessThanOrEqual(31);
    expect(median(counts[2]!)).toBeGreaterThanOrEqual(11);
    expect(median(counts[2]!)).toBeLessThanOrEqual(16);
  });

  it('lists a handful of BSE stock options whose underlying is the BSE_EQ row', () => {
    const bse = rows.filter((r) => r[C.EXCH_ID] === 'BSE' && r[C.INSTRUMENT] === 'OPTSTK' && !r[C.UNDERLYING_SYMBOL]!.includes('TEST'));
    const syms = new Set(bse.map((r) => r[C.UNDERLYING_SYMBOL]));
    expect(syms.size).toBeGreaterThanOrEqual(5);
    expect(syms.size).toBeLessThanOrEqual(10);
    expect(syms.has('RELIANCE')).toBe(true);
    const bseEq = new Map(rows.filter((r) => r[C.EXCH_ID] === 'BSE' && r[C.SEGMENT] === 'E').map((r) => [r[C.SECURITY_ID], r[C.UNDERLYING_SYMBOL]]));
    expect(bse.every((r) => bseEq.get(r[C.UNDERLYING_SECURITY_ID]) === r[C.UNDERLYING_SYMBOL])).toBe(true);
    expect(bse.find((r) => r[C.UNDERLYING_SYMBOL] === 'RELIANCE')![C.UNDERLYING_SECURITY_ID]).toBe('500325');
    expect(new Set(bse.map((r) => weekdayOf(r[C.SM_EXPIRY_DATE]!)))).toEqual(new Set([4]));
  });

  it('has one-sided strikes (a few percent; TECHM near month 13 PE-only) and CE/PE ids mostly, not always, adjacent', () => {
    const techm = chains('NSE', 'TECHM').get('2026-08-25')!;
    expect([...techm.strikes.values()].filter((s) => s.size === 1 && s.has('PE')).length).toBeGreaterThanOrEqual(13);
    let strikes = 0;
    let oneSided = 0;
    const ids = new Map<string, { CE?: number; PE?: number }>();
    for (const r of rows) {
      if (r[C.INSTRUMENT] !== 'OPTIDX' && r[C.INSTRUMENT] !== 'OPTSTK') continue;
      const key = `${r[C.EXCH_ID]} ${r[C.UNDERLYING_SYMBOL]} ${r[C.SM_EXPIRY_DATE]} ${r[C.STRIKE_PRICE]}`;
      let e = ids.get(key);
      if (!e) ids.set(key, (e = {}));
      e[r[C.OPTION_TYPE] as 'CE' | 'PE'] = Number(r[C.SECURITY_ID]);
    }
    let adjacent = 0;
    for (const e of ids.values()) {
      strikes++;
      if (e.CE === undefined || e.PE === undefined) oneSided++;
      else if (Math.abs(e.CE - e.PE) === 1) adjacent++;
    }
    expect(oneSided / strikes).toBeGreaterThan(0.005);
    expect(oneSided / strikes).toBeLessThan(0.05);
    expect(adjacent / (strikes - oneSided)).toBeGreaterThan(0.6);
    expect(adjacent / (strikes - oneSided)).toBeLessThan(0.98);
  });

  it('contains TEST rows (connectivity-test equity and options) for the loader to drop', () => {
    expect(rows.some((r) => r[C.SYMBOL_NAME] === 'NSE CONNECTIVITY TEST')).toBe(true);
    expect(rows.some((r) => r[C.INSTRUMENT] === 'OPTSTK' && r[C.UNDERLYING_SYMBOL]!.includes('TEST') && r[C.EXCH_ID] === 'NSE')).toBe(true);
    // No instrument outside the TEST rows trips the contract's TEST filter.
    expect(rows.filter((r) => r[C.UNDERLYING_SYMBOL]!.includes('TEST') || r[C.SYMBOL_NAME]!.includes('TEST')).length).toBeLessThanOrEqual(4);
  });

  it('describes the universe for the market model, spots consistent with the strikes', () => {
    const us = syntheticUnderlyings(D);
    expect(us.filter((u) => u.kind === 'index').map((u) => u.symbol)).toEqual(['NIFTY', 'BANKNIFTY', 'SENSEX']);
    expect(m.underlyings).toEqual(us);
    const nifty = us[0]!;
    expect(nifty).toMatchObject({ exchange: 'NSE', spotSegment: 'IDX_I', spotSecurityId: 13 });
    expect(nifty.spot).toBeGreaterThan(24_400 * 0.8);
    expect(nifty.spot).toBeLessThan(24_400 * 1.2);
    expect(us.find((u) => u.exchange === 'BSE' && u.symbol === 'RELIANCE')).toMatchObject({ spotSegment: 'BSE_EQ', spotSecurityId: 500325 });
    for (const u of us) {
      expect(u.annualVol).toBeGreaterThan(0);
      expect(u.liquidity).toBeGreaterThanOrEqual(0);
      expect(u.liquidity).toBeLessThanOrEqual(1);
      const near = [...chains(u.exchange, u.symbol).values()][0]!;
      const ks = [...near.strikes.keys()];
      expect(u.spot).toBeGreaterThan(Math.min(...ks));
      expect(u.spot).toBeLessThan(Math.max(...ks));
    }
  });
});

describe('expiry calendar (docs/market-structure.md §1.3–§1.4) and 2026 holidays', () => {
  it('knows trading days: weekends, the 2026 list, Muhurat Sunday, the generic rule for other years', () => {
    expect(isTradingDay('2026-08-17', 'NSE')).toBe(true);
    expect(isTradingDay('2026-08-15', 'NSE')).toBe(false);
    expect(isTradingDay('2026-11-24', 'NSE')).toBe(false);
    expect(isTradingDay('2026-03-26', 'BSE')).toBe(false);
    expect(isTradingDay('2026-11-08', 'NSE')).toBe(true);
    expect(isTradingDay('2027-01-26', 'NSE')).toBe(false);
    expect(isTradingDay('2029-05-01', 'NSE')).toBe(false);
    expect(previousTradingDay('2026-11-24', 'NSE')).toBe('2026-11-23');
    expect(previousTradingDay('2026-11-09', 'NSE')).toBe('2026-11-08');
    expect(previousTradingDay('2026-11-09', 'NSE', { regularOnly: true })).toBe('2026-11-06');
    expect(nextTradingDay('2026-11-06', 'NSE')).toBe('2026-11-08');
    expect(nextTradingDay('2026-03-02', 'NSE')).toBe('2026-03-04');
  });

  it('moves holiday expiries to the previous trading day (NIFTY Nov-2026 monthly = Mon 23 Nov; 3 Mar weekly → 2 Mar; SENSEX 26 Mar → 25 Mar)', () => {
    const nifty = { exchange: 'NSE', weeklies: { mode: 'count', n: 4 }, monthlies: 3, quarterlies: 3, halfYearlies: 8 } as const;
    const at = (d: string) => listedExpiries(d, nifty).map((e) => `${e.date} ${e.flag}`);
    expect(at('2026-10-28')).toContain('2026-11-23 M');
    expect(at('2026-02-27')).toContain('2026-03-02 W');
    expect(at('2026-02-27')).toContain('2026-03-30 M');
    const sensex = listedExpiries('2026-03-16', { exchange: 'BSE', weeklies: { mode: 'window', n: 7 }, monthlies: 3 });
    expect(sensex.find((e) => e.kind === 'monthly')!.date).toBe('2026-03-25');
    // Stocks: near/mid/far, the near month until it has expired (today's expiry included).
    expect(listedExpiries('2026-11-23', { exchange: 'NSE', monthlies: 3 }).map((e) => e.date)).toEqual(['2026-11-23', '2026-12-29', '2027-01-25']);
    expect(listedExpiries('2026-11-25', { exchange: 'NSE', monthlies: 3 }).map((e) => e.date)).toEqual(['2026-12-29', '2027-01-25', '2027-02-23']);
  });

  it('pulls a weekly into the previous month after that month\'s monthly and still flags it W (Tue 1 May 2029 → Mon 30 Apr)', () => {
    const e = listedExpiries('2029-04-23', { exchange: 'NSE', weeklies: { mode: 'count', n: 4 }, monthlies: 3, quarterlies: 3, halfYearlies: 8 });
    expect(e.slice(0, 3).map((x) => `${x.date} ${x.flag}`)).toEqual(['2029-04-24 M', '2029-04-30 W', '2029-05-08 W']);
  });

  it('shows the Muhurat-week listing on 9 Nov 2026: today\'s pulled weekly and the 23 Nov monthly', () => {
    const g = generateMaster('2026-11-09');
    const niftyRows = linesOf(g).filter((l) => l.includes(',OPTIDX,26000,NIFTY,')).map((l) => l.split(','));
    const nifty = chainsOf(niftyRows, 'NSE', 'NIFTY');
    expect([...nifty].slice(0, 3).map(([e, c]) => `${e} ${c.flag}`)).toEqual(['2026-11-09 W', '2026-11-17 W', '2026-11-23 M']);
  });
});
