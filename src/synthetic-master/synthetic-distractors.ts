/**
 * Rows a real master has that the option-chain server must read past: cash equities without
 * options, MCX commodity futures/options and NSE/BSE currency futures/options. They give the
 * synthetic file the size of the real one (about 250k rows, docs/dhan-protocol.md §1.1: tens of MB)
 * and make sure the loader does not mistake any of them for the product's universe.
 *
 * Counts are tuned for size, not copied from a real file: the real split of the ~200k
 * non-equity-option rows between MCX and currency is not documented.
 *
 * @module
 */
import { addDays, daysBetween, weekday } from '../time/ist.js';
import { adjustExpiry, previousTradingDay } from '../time/trading-calendar.js';
import { lastWeekdayOfMonth } from './synthetic-expiries.js';
import type { ByteSink } from './synthetic-bytes.js';
import { BAND_UNIT, STRIKE_UNIT, displayDay, displayMonth, optionBand, priceBand, symbolMonth, tickField } from './synthetic-format.js';
import type { Rng } from '../util/random.js';
import { roundPaise } from '../util/round-paise.js';
import { levelFactor, rngFor } from './synthetic-random.js';
import { OptionChainWriter, equityRow, equityTick, futureRow, type GenContext } from './synthetic-rows.js';
import { displayNameFor, syntheticIsin } from './synthetic-stocks.js';

// ───────────────────────────── equities ─────────────────────────────

/** A cash-market row without derivatives. */
export interface DistractorEquity {
  readonly id: number;
  readonly symbol: string;
  readonly companyName: string;
  readonly displayName: string;
  readonly isin: string;
  readonly series: string;
  readonly price: number;
}

const NAME_A = [
  'SHREE', 'BHARAT', 'GANGA', 'APEX', 'SUNRISE', 'KAVERI', 'NARMADA', 'HIMALAYA', 'VISHAL', 'JAI', 'OM', 'SAI', 'SHIVA',
  'ORIENT', 'PIONEER', 'GLOBAL', 'UNITED', 'NATIONAL', 'PREMIER', 'SUPREME', 'ROYAL', 'GOLDEN', 'SILVERLINE', 'EMPIRE',
  'CRYSTAL', 'DIAMOND', 'LOTUS', 'TRIVENI', 'SAGAR', 'SURYA', 'CHANDRA', 'INDRA', 'DHARA', 'VEDANT', 'AKSHAR', 'ANAND',
  'ARIHANT', 'ASHOKA', 'AVANTI', 'BALAJI', 'DEEPAK', 'GAYATRI', 'GOKUL', 'JYOTI', 'KALPA', 'KIRAN', 'MAHAVIR', 'MANGAL',
  'NAVKAR', 'NEELKANTH', 'PARAS', 'PRAKASH', 'RAJ', 'RATNA', 'SAMRAT', 'SANGAM', 'SHAKTI', 'SHUBH', 'SIDDHI', 'SWASTIK',
  'TIRUPATI', 'UMA', 'VARDHMAN', 'VIJAY', 'YASH', 'ZENITH', 'ATLAS', 'AURUM', 'CAPRI', 'DELTA', 'EVEREST', 'FALCON',
  'HORIZON', 'KRYPTON', 'MERIDIAN', 'NOVA', 'OMEGA', 'PHOENIX', 'QUANTUM', 'SIGMA', 'TITANIA', 'VERTEX', 'ZODIAC',
];
const NAME_B = [
  'TEXTILES', 'PHARMA', 'INFRA', 'STEELS', 'FINANCE', 'CHEMICALS', 'POLYMERS', 'FOODS', 'AGRO', 'CERAMICS', 'PAPERS',
  'CABLES', 'MOTORS', 'AUTO COMP', 'ENERGY', 'POWER', 'SOLAR', 'LOGISTICS', 'SHIPPING', 'HOTELS', 'REALTY', 'BUILDCON',
  'PROJECTS', 'ENGINEERING', 'INDUSTRIES', 'ENTERPRISES', 'FINVEST', 'CAPITAL', 'SECURITIES', 'SOFTWARE', 'INFOTECH',
  'SYSTEMS', 'LABS', 'HEALTHCARE', 'LIFESCIENCES', 'ORGANICS', 'FERTILIZERS', 'SUGARS', 'SPINNERS', 'FABRICS',
  'PACKAGING', 'PLASTICS', 'METALS', 'ALLOYS', 'FORGINGS', 'CASTINGS', 'TUBES', 'PIPES', 'GLASS', 'TILES', 'PAINTS',
  'BEVERAGES', 'DAIRY', 'EXPORTS', 'TRADING', 'VENTURES', 'HOLDINGS', 'MEDIA', 'ENTERTAINMENT', 'TELECOM', 'ELECTRICALS',
];
const SUFFIX = ['LTD', 'LIMITED', 'LTD.', 'INDIA LTD', 'IND LTD'];

/** Keeps distractor names clear of the contract's TEST filter (docs/contract.md §3). */
const FORBIDDEN = /TEST/;

function symbolFrom(a: string, b: string, rng: Rng): string {
  const left = a.replace(/[^A-Z]/g, '').slice(0, rng.int(3, 7));
  const right = b.replace(/[^A-Z]/g, '').slice(0, rng.int(0, 4));
  return left + right;
}

/**
 * `count` cash-market rows for `exchange` with ids not in `usedIds` and symbols not in
 * `usedSymbols` (both updated). Depends on the seed only, so a stock keeps its id from day to day.
 */
export function distractorEquities(
  exchange: 'NSE' | 'BSE',
  count: number,
  seed: number,
  usedIds: Set<number>,
  usedSymbols: Set<string>,
): DistractorEquity[] {
  const rng = rngFor(`equities/${exchange}`, seed);
  const out: DistractorEquity[] = [];
  const [idLo, idSpan] = exchange === 'NSE' ? [1, 32_000] : [500_001, 45_000];
  while (out.length < count) {
    const a = rng.pick(NAME_A);
    const b = rng.pick(NAME_B);
    let symbol = symbolFrom(a, b, rng);
    for (let k = 2; usedSymbols.has(symbol) || FORBIDDEN.test(symbol); k++) symbol = `${symbolFrom(a, b, rng)}${k > 5 ? k : ''}`;
    const companyName = `${a} ${b} ${rng.pick(SUFFIX)}`;
    if (FORBIDDEN.test(companyName)) continue;
    let id = idLo + rng.int(0, idSpan - 1);
    while (usedIds.has(id)) id = idLo + rng.int(0, idSpan - 1);
    usedIds.add(id);
    usedSymbols.add(symbol);
    const u = rng.next();
    const series =
      exchange === 'NSE'
        ? u < 0.85 ? 'EQ' : u < 0.93 ? 'BE' : u < 0.97 ? 'SM' : u < 0.99 ? 'ST' : 'BZ'
        : u < 0.15 ? 'A' : u < 0.55 ? 'B' : u < 0.65 ? 'T' : u < 0.85 ? 'X' : u < 0.9 ? 'XT' : u < 0.95 ? 'Z' : 'M';
    const price = Math.round(Math.exp(Math.log(300) + 1.3 * rng.normal()) * 20) / 20;
    out.push({
      id,
      symbol,
      companyName,
      displayName: displayNameFor(companyName),
      isin: syntheticIsin(`${exchange}/${symbol}`),
      series,
      price: Math.max(1, Math.min(price, 150_000)),
    });
  }
  return out;
}

const ASM_CATEGORIES = ['ASM Stage I', 'ASM Stage II', 'GSM Stage 0', 'ST-ASM Stage I', 'LT-ASM Stage II'];
const MTF = ['0', '1', '2', '2.5', '3.33', '4', '4.45', '5'];

/** The equity row of a distractor (varied surveillance flags, bands of 5/10/20 %). */
export function distractorEquityRow(exchange: 'NSE' | 'BSE', e: DistractorEquity, date: string, seed: number): string {
  const rng = rngFor(`eqrow/${exchange}/${e.id}`, seed);
  const price = roundPaise(e.price * levelFactor(`eq/${e.symbol}`, seed, date, 0.2));
  const tick = equityTick(price);
  const u = rng.next();
  const asmFlag = u < 0.04 ? 'Y' : u < 0.05 ? 'R' : 'N';
  const band = rng.pick([0.05, 0.1, 0.2, 0.2]);
  const [upper, lower] = priceBand(price, band, Math.round(tick * BAND_UNIT));
  const bracket = rng.chance(0.2);
  return equityRow({
    exch: exchange,
    id: e.id,
    isin: e.isin,
    symbol: e.symbol,
    companyName: e.companyName,
    displayName: e.displayName,
    series: e.series,
    tickField: tickField(tick),
    bracketCover: bracket,
    asmFlag,
    asmCategory: asmFlag === 'Y' ? rng.pick(ASM_CATEGORIES) : 'NA',
    coBo: bracket ? '20,3,1,20,3,1' : '0,0,0,0,0,0',
    mtf: rng.pick(MTF),
    upper,
    lower,
  });
}

// ───────────────────────────── commodity and currency derivatives ─────────────────────────────

/** A commodity or currency underlying with futures (and maybe options). */
interface DerivUnderlying {
  readonly symbol: string;
  readonly underlyingId: number;
  readonly price: number;
  readonly lot: number;
  readonly futTick: number;
  readonly optTick: number;
  /** Option expiries listed (0 = futures only). */
  readonly optExpiries: number;
  /** Strikes per option expiry. */
  readonly strikes: number;
  readonly futMonths: number;
  readonly vol: number;
  readonly freeze: number;
}

// MCX contract months expire around a commodity-specific day; options a few days before the future.
const MCX: readonly (DerivUnderlying & { readonly futDay: number })[] = [
  { symbol: 'CRUDEOIL', underlyingId: 294, price: 6200, lot: 100, futTick: 1, optTick: 0.1, optExpiries: 6, strikes: 630, futMonths: 6, vol: 0.35, freeze: 10000, futDay: 19 },
  { symbol: 'CRUDEOILM', underlyingId: 295, price: 6200, lot: 10, futTick: 1, optTick: 0.1, optExpiries: 4, strikes: 450, futMonths: 6, vol: 0.35, freeze: 1000, futDay: 19 },
  { symbol: 'NATURALGAS', underlyingId: 296, price: 260, lot: 1250, futTick: 0.1, optTick: 0.05, optExpiries: 6, strikes: 450, futMonths: 6, vol: 0.6, freeze: 125000, futDay: 25 },
  { symbol: 'NATGASMINI', underlyingId: 297, price: 260, lot: 250, futTick: 0.1, optTick: 0.05, optExpiries: 4, strikes: 360, futMonths: 6, vol: 0.6, freeze: 25000, futDay: 25 },
  { symbol: 'GOLD', underlyingId: 298, price: 102_000, lot: 1, futTick: 1, optTick: 0.5, optExpiries: 6, strikes: 750, futMonths: 6, vol: 0.16, freeze: 100, futDay: 5 },
  { symbol: 'GOLDM', underlyingId: 299, price: 102_000, lot: 1, futTick: 1, optTick: 0.5, optExpiries: 6, strikes: 630, futMonths: 6, vol: 0.16, freeze: 100, futDay: 5 },
  { symbol: 'GOLDPETAL', underlyingId: 300, price: 10_200, lot: 1, futTick: 1, optTick: 0.5, optExpiries: 3, strikes: 300, futMonths: 4, vol: 0.16, freeze: 100, futDay: 28 },
  { symbol: 'GOLDGUINEA', underlyingId: 301, price: 81_000, lot: 1, futTick: 1, optTick: 0.5, optExpiries: 3, strikes: 300, futMonths: 4, vol: 0.16, freeze: 100, futDay: 28 },
  { symbol: 'SILVER', underlyingId: 302, price: 118_000, lot: 1, futTick: 1, optTick: 0.5, optExpiries: 6, strikes: 720, futMonths: 6, vol: 0.25, freeze: 100, futDay: 5 },
  { symbol: 'SILVERM', underlyingId: 303, price: 118_000, lot: 1, futTick: 1, optTick: 0.5, optExpiries: 6, strikes: 630, futMonths: 6, vol: 0.25, freeze: 100, futDay: 28 },
  { symbol: 'SILVERMIC', underlyingId: 304, price: 118_000, lot: 1, futTick: 1, optTick: 0.5, optExpiries: 5, strikes: 570, futMonths: 6, vol: 0.25, freeze: 100, futDay: 28 },
  { symbol: 'COPPER', underlyingId: 305, price: 890, lot: 2500, futTick: 0.05, optTick: 0.05, optExpiries: 4, strikes: 450, futMonths: 4, vol: 0.22, freeze: 250000, futDay: 30 },
  { symbol: 'ZINC', underlyingId: 306, price: 270, lot: 5000, futTick: 0.05, optTick: 0.05, optExpiries: 4, strikes: 390, futMonths: 4, vol: 0.22, freeze: 500000, futDay: 30 },
  { symbol: 'ZINCMINI', underlyingId: 307, price: 270, lot: 1000, futTick: 0.05, optTick: 0.05, optExpiries: 3, strikes: 300, futMonths: 4, vol: 0.22, freeze: 100000, futDay: 30 },
  { symbol: 'ALUMINIUM', underlyingId: 308, price: 250, lot: 5000, futTick: 0.05, optTick: 0.05, optExpiries: 4, strikes: 390, futMonths: 4, vol: 0.2, freeze: 500000, futDay: 30 },
  { symbol: 'ALUMINI', underlyingId: 309, price: 250, lot: 1000, futTick: 0.05, optTick: 0.05, optExpiries: 3, strikes: 300, futMonths: 4, vol: 0.2, freeze: 100000, futDay: 30 },
  { symbol: 'LEAD', underlyingId: 310, price: 180, lot: 5000, futTick: 0.05, optTick: 0.05, optExpiries: 4, strikes: 300, futMonths: 4, vol: 0.18, freeze: 500000, futDay: 30 },
  { symbol: 'LEADMINI', underlyingId: 311, price: 180, lot: 1000, futTick: 0.05, optTick: 0.05, optExpiries: 3, strikes: 240, futMonths: 4, vol: 0.18, freeze: 100000, futDay: 30 },
  { symbol: 'NICKEL', underlyingId: 312, price: 1350, lot: 1500, futTick: 0.1, optTick: 0.1, optExpiries: 3, strikes: 360, futMonths: 4, vol: 0.3, freeze: 150000, futDay: 30 },
  { symbol: 'MENTHAOIL', underlyingId: 313, price: 950, lot: 360, futTick: 0.1, optTick: 0.1, optExpiries: 3, strikes: 240, futMonths: 4, vol: 0.25, freeze: 36000, futDay: 30 },
  { symbol: 'COTTONCNDY', underlyingId: 314, price: 55_000, lot: 48, futTick: 10, optTick: 1, optExpiries: 3, strikes: 180, futMonths: 4, vol: 0.18, freeze: 4800, futDay: 30 },
  { symbol: 'CARDAMOM', underlyingId: 315, price: 2400, lot: 100, futTick: 1, optTick: 0.5, optExpiries: 0, strikes: 0, futMonths: 3, vol: 0.3, freeze: 10000, futDay: 15 },
  { symbol: 'KAPAS', underlyingId: 316, price: 1500, lot: 200, futTick: 0.5, optTick: 0.5, optExpiries: 0, strikes: 0, futMonths: 3, vol: 0.2, freeze: 20000, futDay: 30 },
  { symbol: 'MCXBULLDEX', underlyingId: 317, price: 21_000, lot: 30, futTick: 1, optTick: 0.5, optExpiries: 0, strikes: 0, futMonths: 3, vol: 0.16, freeze: 3000, futDay: 24 },
];

/** Currency pairs, listed on both NSE and BSE (USDINR with weekly options on Fridays). */
const CURRENCY: readonly (DerivUnderlying & { readonly weekly: number })[] = [
  { symbol: 'USDINR', underlyingId: 10, price: 88, lot: 1, futTick: 0.0025, optTick: 0.0025, optExpiries: 12, strikes: 280, futMonths: 12, vol: 0.05, freeze: 10000, weekly: 8 },
  { symbol: 'EURINR', underlyingId: 11, price: 102, lot: 1, futTick: 0.0025, optTick: 0.0025, optExpiries: 12, strikes: 280, futMonths: 12, vol: 0.07, freeze: 10000, weekly: 8 },
  { symbol: 'GBPINR', underlyingId: 12, price: 118, lot: 1, futTick: 0.0025, optTick: 0.0025, optExpiries: 12, strikes: 280, futMonths: 12, vol: 0.08, freeze: 10000, weekly: 8 },
  { symbol: 'JPYINR', underlyingId: 13, price: 60, lot: 1, futTick: 0.0025, optTick: 0.0025, optExpiries: 12, strikes: 220, futMonths: 12, vol: 0.09, freeze: 10000, weekly: 8 },
  { symbol: 'EURUSD', underlyingId: 14, price: 1.16, lot: 1, futTick: 0.0001, optTick: 0.0001, optExpiries: 12, strikes: 170, futMonths: 12, vol: 0.07, freeze: 10000, weekly: 4 },
  { symbol: 'GBPUSD', underlyingId: 15, price: 1.34, lot: 1, futTick: 0.0001, optTick: 0.0001, optExpiries: 12, strikes: 170, futMonths: 12, vol: 0.08, freeze: 10000, weekly: 4 },
  { symbol: 'USDJPY', underlyingId: 16, price: 148, lot: 1, futTick: 0.01, optTick: 0.01, optExpiries: 12, strikes: 220, futMonths: 12, vol: 0.09, freeze: 10000, weekly: 4 },
];

/** Monotonic id allocator with small random gaps (real ids are not dense). */
class IdAllocator {
  constructor(
    private next: number,
    private readonly rng: Rng,
  ) {}

  take(): number {
    if (this.rng.chance(0.02)) this.next += this.rng.int(1, 40);
    return this.next++;
  }
}

const monthsAhead = (date: string, k: number): [number, number] => {
  const m0 = Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1 + k;
  return [Math.floor(m0 / 12), (m0 % 12) + 1];
};

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** Futures expiry of an MCX commodity for month k after the trading date's month (MCX uses NSE's holidays here). */
function mcxFutureExpiry(tradingDate: string, futDay: number, k: number): string {
  const [y, m] = monthsAhead(tradingDate, k);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  let d = `${y}-${pad2(m)}-${pad2(Math.min(futDay, last))}`;
  const wd = weekday(d);
  if (wd === 0 || wd === 6) d = previousTradingDay(d, 'NSE', { regularOnly: true });
  return adjustExpiry(d, 'NSE');
}

/** Currency futures/options expire two working days before the month's last business day. */
function currencyMonthlyExpiry(tradingDate: string, k: number, exchange: 'NSE' | 'BSE'): string {
  const [y, m] = monthsAhead(tradingDate, k);
  const lastFri = lastWeekdayOfMonth(y, m, 5);
  let d = `${y}-${pad2(m)}-${pad2(new Date(Date.UTC(y, m, 0)).getUTCDate())}`;
  if (weekday(d) === 0 || weekday(d) === 6) d = lastFri;
  d = adjustExpiry(d, exchange);
  return previousTradingDay(previousTradingDay(d, exchange, { regularOnly: true }), exchange, { regularOnly: true });
}

const NICE_STEPS = [0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000];

/**
 * Strike grid of `n` strikes centred on `price`, in strike units. The step is the nice step
 * that makes the grid span about ±45 % of the price (wide, to give the file its real size).
 */
function grid(price: number, n: number): number[] {
  const want = (price * 0.9) / n;
  let step = NICE_STEPS[0]!;
  for (const s of NICE_STEPS) if (Math.abs(Math.log(s / want)) < Math.abs(Math.log(step / want))) step = s;
  const stepU = Math.round(step * STRIKE_UNIT);
  const atm = Math.round((price * STRIKE_UNIT) / stepU);
  const lo = Math.max(1, atm - Math.floor(n / 2));
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((lo + i) * stepU);
  return out;
}

/** Writes one option chain of a distractor; returns its row count. */
function distractorChain(
  out: ByteSink,
  u: DerivUnderlying,
  exch: 'MCX' | 'NSE' | 'BSE',
  letter: 'M' | 'C',
  expiry: string,
  flag: string,
  price: number,
  tradingDate: string,
  ids: IdAllocator,
): number {
  const mcx = exch === 'MCX';
  const w = new OptionChainWriter(
    {
      exch,
      letter,
      instrument: mcx ? 'OPTFUT' : 'OPTCUR',
      underlyingId: u.underlyingId,
      underlyingSymbol: u.symbol,
      instrumentType: mcx ? 'OPTFUT' : 'OP',
      series: mcx ? '2' : 'NA',
      lot: mcx ? 1 : u.lot,
      expiry,
      tickField: tickField(u.optTick),
      flag,
      freezeQty: u.freeze,
    },
    // MCX option rows carry the commodity as SYMBOL_NAME (docs/dhan-protocol.md §1.6 CRUDEOIL row).
    mcx ? u.symbol : undefined,
  );
  const tickUnits = Math.max(1, Math.round(u.optTick * BAND_UNIT));
  const dte = Math.max(0, daysBetween(tradingDate, expiry));
  let n = 0;
  for (const k of grid(price, u.strikes)) {
    const strike = k / STRIKE_UNIT;
    for (const call of [true, false]) {
      const [up, lo] = optionBand(price, strike, dte, u.vol, call, tickUnits);
      w.row(out, ids.take(), k, call, up, lo);
      n++;
    }
  }
  return n;
}

function futuresOf(out: ByteSink, u: DerivUnderlying, exch: 'MCX' | 'NSE' | 'BSE', letter: 'M' | 'C', expiries: readonly string[], price: number, ids: IdAllocator): void {
  const mcx = exch === 'MCX';
  const tickUnits = Math.max(1, Math.round(u.futTick * BAND_UNIT));
  for (const expiry of expiries) {
    const [upper, lower] = priceBand(price, mcx ? 0.06 : 0.03, tickUnits);
    out.text(futureRow({
      exch,
      letter,
      id: ids.take(),
      instrument: mcx ? 'FUTCOM' : 'FUTCUR',
      underlyingId: u.underlyingId,
      underlyingSymbol: u.symbol,
      symbolName: mcx ? u.symbol : `${u.symbol}-${symbolMonth(expiry)}-FUT`,
      displayName: `${u.symbol} ${mcx ? displayDay(expiry) : displayMonth(expiry)} FUT`,
      instrumentType: mcx ? 'FUTCOM' : 'FUT',
      series: mcx ? '2' : 'NA',
      lot: u.lot,
      expiry,
      tickField: tickField(u.futTick),
      flag: 'M',
      freezeQty: u.freeze,
      upper,
      lower,
    }));
  }
}

/** MCX futures and options (segment MCX_COMM). */
export function* mcxSection(ctx: GenContext, out: ByteSink): Generator<void> {
  const ids = new IdAllocator(400_000, rngFor(`mcx/ids/${ctx.tradingDate}`, ctx.seed));
  for (const u of MCX) {
    const price = u.price * levelFactor(`mcx/${u.symbol}`, ctx.seed, ctx.tradingDate, 0.15);
    const futs: string[] = [];
    for (let k = 0; futs.length < u.futMonths && k < u.futMonths + 2; k++) {
      const e = mcxFutureExpiry(ctx.tradingDate, u.futDay, k);
      if (e >= ctx.tradingDate) futs.push(e);
    }
    futuresOf(out, u, 'MCX', 'M', futs, price, ids);
    ctx.count('MCX_COMM', futs.length);
    for (let i = 0; i < Math.min(u.optExpiries, futs.length); i++) {
      // Options expire a few trading days before their future.
      let e = futs[i]!;
      for (let j = 0; j < 3; j++) e = previousTradingDay(e, 'NSE', { regularOnly: true });
      if (e < ctx.tradingDate) continue;
      ctx.count('MCX_COMM', distractorChain(out, u, 'MCX', 'M', e, 'M', price, ctx.tradingDate, ids));
      yield;
    }
  }
}

/**
 * Expired currency futures and options still listed in the file (issue 16 §2: the real master
 * carries stale currency rows). Their SM_EXPIRY_DATE is before the trading date; nothing but
 * their INSTRUMENT (FUTCUR/OPTCUR) and segment letter `C` keeps them out of the universe, and
 * the expiry rule would drop them too. Only the real size writes them (`staleCurrencyMonths`),
 * so the compact master stays byte-identical. Chains are a quarter of a live one's strikes:
 * the rows are distractors, not size.
 */
export function* staleCurrencySection(ctx: GenContext, out: ByteSink, exchange: 'NSE' | 'BSE'): Generator<void> {
  const months = ctx.profile.staleCurrencyMonths;
  if (months <= 0) return;
  const segment = exchange === 'NSE' ? 'NSE_CURRENCY' : 'BSE_CURRENCY';
  // Far above the live section's ids (from 1,000 / 1,000,000, ~60k rows with gaps): unique per segment.
  const ids = new IdAllocator(exchange === 'NSE' ? 700_000 : 1_700_000, rngFor(`${segment}/stale-ids/${ctx.tradingDate}`, ctx.seed));
  for (const u of CURRENCY) {
    const price = u.price * levelFactor(`fx/${u.symbol}`, ctx.seed, ctx.tradingDate, 0.04);
    const expired: string[] = [];
    for (let k = -months; k <= 0; k++) {
      const e = currencyMonthlyExpiry(ctx.tradingDate, k, exchange);
      if (e < ctx.tradingDate) expired.push(e);
    }
    const monthly = expired.slice(-months);
    futuresOf(out, u, exchange, 'C', monthly, price, ids);
    ctx.count(segment, monthly.length);
    const stale: DerivUnderlying = { ...u, strikes: Math.max(10, Math.round(u.strikes / 4)) };
    const chains: [string, string][] = monthly.map((e) => [e, 'M']);
    // The last weekly that expired (a Friday, or the Thursday before a Friday holiday).
    if (u.weekly > 0) {
      const lastFri = addDays(ctx.tradingDate, -(((weekday(ctx.tradingDate) - 5 + 7) % 7) || 7));
      const e = adjustExpiry(lastFri, exchange);
      if (e < ctx.tradingDate && !monthly.includes(e)) chains.push([e, 'W']);
    }
    for (const [e, flag] of chains) {
      ctx.count(segment, distractorChain(out, stale, exchange, 'C', e, flag, price, ctx.tradingDate, ids));
      yield;
    }
  }
}

/** NSE or BSE currency futures and options (NSE_CURRENCY / BSE_CURRENCY). */
export function* currencySection(ctx: GenContext, out: ByteSink, exchange: 'NSE' | 'BSE'): Generator<void> {
  const segment = exchange === 'NSE' ? 'NSE_CURRENCY' : 'BSE_CURRENCY';
  const ids = new IdAllocator(exchange === 'NSE' ? 1_000 : 1_000_000, rngFor(`${segment}/ids/${ctx.tradingDate}`, ctx.seed));
  let oddFlagDone = false;
  for (const u of CURRENCY) {
    const price = u.price * levelFactor(`fx/${u.symbol}`, ctx.seed, ctx.tradingDate, 0.04);
    const monthly: string[] = [];
    for (let k = 0; monthly.length < u.futMonths && k < u.futMonths + 2; k++) {
      const e = currencyMonthlyExpiry(ctx.tradingDate, k, exchange);
      if (e >= ctx.tradingDate) monthly.push(e);
    }
    futuresOf(out, u, exchange, 'C', monthly, price, ids);
    ctx.count(segment, monthly.length);
    const chains: [string, string][] = monthly.slice(0, u.optExpiries).map((e) => [e, 'M']);
    // USDINR weekly options expire on Fridays (Thursday when Friday is a holiday).
    let fri = addDays(ctx.tradingDate, (5 - weekday(ctx.tradingDate) + 7) % 7);
    for (let w = 0; w < u.weekly; w++, fri = addDays(fri, 7)) {
      const e = adjustExpiry(fri, exchange);
      if (e >= ctx.tradingDate && !monthly.includes(e)) chains.push([e, 'W']);
    }
    for (const [e, flag] of chains) {
      // BSE lists at least one currency option flagged `Q` (docs/dhan-protocol.md §1.3 col 17).
      const f = exchange === 'BSE' && !oddFlagDone && flag === 'M' && u.symbol === 'EURINR' ? 'Q' : flag;
      if (f === 'Q') oddFlagDone = true;
      ctx.count(segment, distractorChain(out, u, exchange, 'C', e, f, price, ctx.tradingDate, ids));
      yield;
    }
  }
}
