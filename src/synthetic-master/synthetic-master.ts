/**
 * The simulator's synthetic detailed instrument master: a realistic, full-size (~250k rows)
 * Dhan detailed CSV for any trading date, deterministic for (trading date, seed).
 *
 * What it reproduces (docs/dhan-protocol.md §1.3–§1.6, docs/market-structure.md §1–§3):
 * - the live 32-column header with the trailing comma on every line, and the file's quirks
 *   (date-only SM_EXPIRY_DATE, 5-decimal strikes, TICK_SIZE in paise, `XX` option type on
 *   futures, `BSXOPT` as the SENSEX options' SYMBOL_NAME, derivatives-domain
 *   UNDERLYING_SECURITY_ID for index options, NSE_EQ id for stock options);
 * - the expiry cycles and holiday rule (synthetic-expiries.ts, ../time/trading-calendar.ts), with today's
 *   expiring contracts;
 * - strike counts per chain close to the Aug-2026 master (docs/market-structure.md §2.1), one-sided strikes, CE/PE
 *   pairs usually but not always on adjacent ids;
 * - distractors: five other derivative indices, equities, futures, MCX, currency (at real size
 *   also expired currency contracts still listed), TEST rows.
 *
 * NSE_FNO/BSE_FNO security ids (options and futures) are a pure function of the contract
 * (underlying, contract month or week, strike, side) and the seed, so a contract keeps its id
 * from one day's master to the next, as Dhan's do (paper positions survive a day boundary); they
 * are unique within each segment by construction. Equity ids depend on the seed only. MCX and
 * currency ids (distractors) are allocated per day.
 *
 * Speed: ~250k rows / ~42 MB in about 0.3–0.5 s of CPU (rows are written as bytes, see
 * synthetic-bytes.ts).
 *
 * @module
 */
import { defaultUniverseSize, sizeProfile, type SizeProfile, type UniverseSize } from './synthetic-size.js';
import type { Segment } from '../dhan/segments.js';
import { ErrorCodes, OptchainError } from '../errors.js';
import { currencySection, distractorEquities, distractorEquityRow, mcxSection, staleCurrencySection, type DistractorEquity } from './synthetic-distractors.js';
import { isCalendarDate } from '../time/trading-calendar.js';
import { listedExpiries, type ListedExpiry } from './synthetic-expiries.js';
import {
  BAND_UNIT, STRIKE_UNIT, displayMonth, optionBand, priceBand, symbolMonth, tickField,
} from './synthetic-format.js';
import { INDICES, OTHER_INDICES, indexStepUnits, type IndexSpec } from './synthetic-indices.js';
import type { Rng } from '../util/random.js';
import { levelFactor, rngFor, unit } from './synthetic-random.js';
import { ByteSink } from './synthetic-bytes.js';
import { GenContext, HEADER_LINE, OptionChainWriter, equityRow, equityTick, futureRow, indexRow } from './synthetic-rows.js';
import { STOCKS, type StockSpec } from './synthetic-stocks.js';

/** Seed used when none is given (the same as config `simSeed`'s default, so both give the same file). */
export const DEFAULT_SEED = 42;

/** Options of {@link generateMaster}. */
export interface MasterOptions {
  /** Varies spot levels, strike-count jitter, id layout and distractor names. Default {@link DEFAULT_SEED}. */
  readonly seed?: number;
  /** Universe size (synthetic-size.ts); default `OPTCHAIN_SIM_UNIVERSE`, else `real` (the size of Dhan's real master). */
  readonly universe?: UniverseSize;
}

/** The size profile of a generation run. */
function profileOf(opts: MasterOptions): SizeProfile {
  return sizeProfile(opts.universe ?? defaultUniverseSize(), STOCKS.length);
}

/**
 * An underlying of the product's universe as the synthetic master lists it, with what a
 * market model needs to price its options.
 */
export interface SyntheticUnderlying {
  readonly symbol: string;
  /** The exchange its options trade on. */
  readonly exchange: 'NSE' | 'BSE';
  readonly kind: 'index' | 'stock';
  /** Where its spot trades (docs/contract.md §3: IDX_I for indices, the options' exchange's cash segment for stocks). */
  readonly spotSegment: 'IDX_I' | 'NSE_EQ' | 'BSE_EQ';
  readonly spotSecurityId: number;
  /** The level the day's strikes were laid out around (≈ previous close), rupees. */
  readonly spot: number;
  readonly annualVol: number;
  /** 0..1: how actively its options trade (1 = NIFTY). */
  readonly liquidity: number;
}

/** Row counts of a generated master. */
export interface MasterSummary {
  readonly tradingDate: string;
  readonly seed: number;
  /** Data rows (header excluded). */
  readonly rows: number;
  readonly rowsBySegment: Readonly<Record<Segment, number>>;
}

/** A whole generated master. */
export interface GeneratedMaster extends MasterSummary {
  /** The file's bytes (ASCII): header line and data lines, each ending in `,\n`. */
  readonly buffer: Buffer;
  /** The same as text (decoded on first use). */
  readonly csv: string;
  readonly bytes: number;
  readonly underlyings: readonly SyntheticUnderlying[];
}

/** A master being generated chunk by chunk; `context.rows` is final once `chunks` is exhausted. */
export interface MasterStream {
  /** Byte chunks in file order, the header first; each ends at a line boundary. */
  readonly chunks: Generator<Buffer, void, undefined>;
  readonly context: GenContext;
}

/** Throws a typed error unless `date` is a real YYYY-MM-DD calendar date. */
export function assertTradingDate(date: string): void {
  if (!isCalendarDate(date)) throw new OptchainError(ErrorCodes.BAD_REQUEST, `trading date must be a YYYY-MM-DD calendar date, got ${JSON.stringify(date)}`);
}

// ───────────────────────────── levels ─────────────────────────────

/** Common market factor, so NIFTY, SENSEX, BANKNIFTY and stocks drift together. */
function marketFactor(seed: number, date: string): number {
  return Math.exp(0.06 * (unit('seed/market', seed) - 0.5)) * levelFactor('market', seed, date, 0.08);
}

const round2 = (x: number): number => Math.round(x * 20) / 20;

function indexSpot(spec: IndexSpec, seed: number, date: string, market: number): number {
  return round2(spec.baseSpot * market * levelFactor(`idx/${spec.symbol}`, seed, date, 0.03));
}

function stockSpot(s: StockSpec, seed: number, date: string, market: number): number {
  const beta = 0.6 + 0.8 * unit(`${s.symbol}#beta`);
  const own = Math.exp(0.12 * (unit(`seed/${s.symbol}`, seed) - 0.5)) * levelFactor(`stk/${s.symbol}`, seed, date, 0.15);
  return Math.max(1, round2(s.basePrice * market ** beta * own));
}

/**
 * The universe's underlyings (NIFTY, BANKNIFTY, SENSEX, the NSE stocks and the few BSE stocks
 * with options) with their spot level, volatility and liquidity for (date, seed). Cheap: no CSV
 * is built.
 */
export function syntheticUnderlyings(tradingDate: string, opts: MasterOptions = {}): SyntheticUnderlying[] {
  assertTradingDate(tradingDate);
  const seed = opts.seed ?? DEFAULT_SEED;
  const market = marketFactor(seed, tradingDate);
  const profile = profileOf(opts);
  const out: SyntheticUnderlying[] = [];
  for (const spec of INDICES) {
    if (!spec.inUniverse) continue;
    out.push({
      symbol: spec.symbol, exchange: spec.exchange, kind: 'index', spotSegment: 'IDX_I', spotSecurityId: spec.idxId,
      spot: indexSpot(spec, seed, tradingDate, market), annualVol: spec.annualVol, liquidity: spec.liquidity,
    });
  }
  for (const s of STOCKS) {
    const spot = stockSpot(s, seed, tradingDate, market);
    if (profile.nseOptions(s.index)) out.push({ symbol: s.symbol, exchange: 'NSE', kind: 'stock', spotSegment: 'NSE_EQ', spotSecurityId: s.nseId, spot, annualVol: s.annualVol, liquidity: s.liquidity });
    if (profile.bseOptions(s.index, s.bseOptions)) {
      out.push({ symbol: s.symbol, exchange: 'BSE', kind: 'stock', spotSegment: 'BSE_EQ', spotSecurityId: s.bseId, spot, annualVol: s.annualVol, liquidity: 0.02 });
    }
  }
  return out;
}

// ───────────────────────────── strikes ─────────────────────────────

/** Side bits of a strike: both, CE only, PE only. */
const CE = 1;
const PE = 2;
const BOTH = CE | PE;

/** A chain's strikes (strike units, ascending) and which sides each has. */
interface StrikeSet {
  readonly strikes: number[];
  readonly sides: number[];
}

class StrikeBuilder {
  private readonly map = new Map<number, number>();

  constructor(private readonly spot: number) {}

  add(units: number, sides = BOTH): void {
    if (units <= 0) return;
    this.map.set(units, (this.map.get(units) ?? 0) | sides);
  }

  has(units: number): boolean {
    return this.map.has(units);
  }

  /** `count` contiguous strikes at `step` rupees around the spot, `skew` more below than above. */
  block(step: number, count: number, skew = 0, sides = BOTH): void {
    const stepU = Math.round(step * STRIKE_UNIT);
    const atm = Math.round(this.spot / step);
    const below = Math.floor((count - 1) / 2) + skew;
    for (let i = 0; i < count; i++) this.add((atm - below + i) * stepU, sides);
  }

  /** Every multiple of `step` between lo×spot and hi×spot. */
  range(step: number, lo: number, hi: number): void {
    const stepU = Math.round(step * STRIKE_UNIT);
    for (let k = Math.ceil((lo * this.spot) / step); k <= Math.floor((hi * this.spot) / step); k++) this.add(k * stepU);
  }

  /** Strikes within ±`halfWidthUnits` of the spot, ascending. */
  build(halfWidthUnits: number): StrikeSet {
    const centre = this.spot * STRIKE_UNIT;
    const strikes = [...this.map.keys()].filter((k) => Math.abs(k - centre) < halfWidthUnits).sort((a, b) => a - b);
    return { strikes, sides: strikes.map((k) => this.map.get(k)!) };
  }
}

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));
/** Strike count that grows from `far` (just listed) to `near` (at expiry), as chains do (docs/market-structure.md §2.1). */
const ageCount = (near: number, far: number, farDte: number, dte: number): number => Math.round(near + (far - near) * clamp01(dte / farDte));

/**
 * An index chain's strikes for one expiry (docs/market-structure.md §2.1): fine contiguous blocks
 * for weeklies and serial monthlies, coarse 5-1-5-style grids for quarterlies and half-yearlies,
 * leftover wide strikes on quarter-month serials, and one-sided legacy strikes on long-dated
 * chains.
 */
function indexStrikes(spec: IndexSpec, exp: ListedExpiry, firstQuarterly: boolean, spot: number, rng: Rng, profile: SizeProfile): StrikeSet {
  const sc = spec.strikes;
  const b = new StrikeBuilder(spot);
  const skew = rng.int(-3, 3);
  // Scaled before the jitter so the compact size (scale 1) draws exactly what it always did.
  const scale = profile.indexStrikeScale(spec.symbol);
  const maxBlock = spec.slots - 16;
  if (exp.kind === 'weekly' && sc.weekly) {
    b.block(sc.step, Math.min(maxBlock, Math.round(ageCount(sc.weekly.near, sc.weekly.far, sc.weekly.farDte, exp.dte) * scale)) + rng.int(-2, 2), skew);
  } else if (exp.kind === 'monthly' || !sc.longStep) {
    b.block(sc.step, Math.min(maxBlock, Math.round(ageCount(sc.monthly.near, sc.monthly.far, sc.monthly.farDte, exp.dte) * scale)) + rng.int(-2, 2), skew);
    if (sc.monthlyWide) b.range(...sc.monthlyWide);
    if (sc.quarterMonthWide && Number(exp.scheduled.slice(5, 7)) % 3 === 0) b.range(...sc.quarterMonthWide);
  } else {
    if (firstQuarterly && sc.firstQuarterlyBlock) {
      const [step, each] = sc.firstQuarterlyBlock;
      b.block(step, 2 * each + 1);
      b.range(sc.longStep, 0.65, 1.35);
    } else {
      b.block(sc.longStep, 13);
    }
    // Older strikes kept only on the side with open interest (docs/market-structure.md §2.1 "Unpaired strikes"): on
    // NIFTY's half-yearlies (Dec-27 has 6 PE-only strikes), on BANKNIFTY's quarterlies.
    const legacy = sc.legacy;
    if (legacy && (exp.kind === 'halfyearly' || !spec.cycle.halfYearlies)) {
      const n = rng.int(0, legacy.max);
      for (let i = 0, tries = 0; i < n && tries < 40; tries++) {
        const k = Math.round(spot / legacy.step) + rng.int(-12, 12);
        const units = k * Math.round(legacy.step * STRIKE_UNIT);
        if (b.has(units)) continue;
        b.add(units, units < spot * STRIKE_UNIT ? PE : CE);
        i++;
      }
    }
  }
  return b.build((spec.slots * indexStepUnits(spec)) / 2);
}

/** A stock chain's strikes (docs/market-structure.md §2.1: near/mid/far median 30/26/13; far month at double step). */
function stockStrikes(s: StockSpec, which: 0 | 1 | 2, exchange: 'NSE' | 'BSE', spot: number, rng: Rng, profile: SizeProfile): StrikeSet {
  const b = new StrikeBuilder(spot);
  const step = (s.stepUnits / STRIKE_UNIT) * (which === 2 ? 2 : 1);
  const base = exchange === 'BSE' ? s.nearStrikes * 0.6 * profile.bseStockStrikeScale : s.nearStrikes * profile.nseStockStrikeScale;
  // Half a lane minus the skew and the one-sided extras below: the whole chain keeps distinct ids.
  const maxCount = profile.stockSlots - 30;
  const count = Math.min(maxCount, Math.max(which === 2 ? 5 : 9, Math.round(base * [1, 0.87, 0.46][which]!) + rng.int(which === 2 ? -1 : -2, which === 2 ? 1 : 2)));
  const skew = rng.int(-2, 2);
  b.block(step, count, skew);
  if (exchange === 'NSE' && which < 2) {
    // One-sided strikes (docs/market-structure.md §2.1): TECHM's near month carries 13 PE-only strikes; a few other chains a handful.
    const techm = s.symbol === 'TECHM' && which === 0;
    if (techm || rng.chance(0.25)) {
      const n = techm ? 13 : rng.int(1, 6);
      const below = techm || rng.chance(0.5);
      const atm = Math.round(spot / step);
      const edge = below ? atm - (Math.floor((count - 1) / 2) + skew) : atm - (Math.floor((count - 1) / 2) + skew) + count - 1;
      for (let i = 1; i <= n; i++) b.add((below ? edge - i : edge + i) * Math.round(step * STRIKE_UNIT), below ? PE : CE);
    }
  }
  return b.build((profile.stockSlots * s.stepUnits) / 2);
}

// ───────────────────────────── ids ─────────────────────────────

/**
 * Security-id layout of one chain: a lane of `2 × slots` ids per (underlying, contract week or
 * month); a strike's slot is its step number modulo `slots`. CE/PE usually sit on adjacent
 * ids, sometimes swapped, sometimes half a lane apart (docs/dhan-protocol.md §1.4: adjacent "often",
 * "not guaranteed").
 */
class LaneIds {
  private readonly mode: number;

  constructor(
    private readonly base: number,
    private readonly slots: number,
    private readonly stepUnits: number,
    layoutKey: string,
    seed: number,
  ) {
    const u = unit(layoutKey, seed);
    this.mode = u < 0.8 ? 0 : u < 0.85 ? 1 : 2;
  }

  id(strikeUnits: number, side: 'CE' | 'PE'): number {
    const n = Math.round(strikeUnits / this.stepUnits) % this.slots;
    const pe = side === 'PE' ? 1 : 0;
    if (this.mode === 0) return this.base + 2 * n + pe;
    if (this.mode === 1) return this.base + 2 * n + (1 - pe);
    return this.base + n + pe * this.slots;
  }
}

/** Lanes of an index: 8 weekly lanes (week number mod 8) and monthly lanes (month number mod 4/16/64). */
function indexLanes(spec: IndexSpec): { weekly: number; monthly: number } {
  return { weekly: spec.cycle.weeklies ? 8 : 0, monthly: spec.cycle.halfYearlies ? 64 : spec.cycle.quarterlies ? 16 : 4 };
}

function laneOf(spec: IndexSpec, exp: ListedExpiry): number {
  const lanes = indexLanes(spec);
  return exp.flag === 'W' ? exp.weekIndex % lanes.weekly : lanes.weekly + (exp.monthIndex % lanes.monthly);
}

/** NSE_FNO / BSE_FNO id regions. */
const NSE_FUT_INDEX_BASE = 35_000;
const NSE_FUT_STOCK_BASE = 35_100;
const NSE_TEST_BASE = 36_000;
const NSE_INDEX_OPT_BASE = 40_000;
const NSE_STOCK_OPT_BASE = 150_000;
const BSE_INDEX_OPT_BASE = 800_000;
const BSE_FUT_INDEX_BASE = 990_000;
const BSE_FUT_STOCK_BASE = 990_100;
const BSE_STOCK_OPT_BASE = 1_100_000;

/** First id of each index's option region, packed per exchange. */
function indexRegionBases(): Map<string, number> {
  const bases = new Map<string, number>();
  const next = { NSE: NSE_INDEX_OPT_BASE, BSE: BSE_INDEX_OPT_BASE };
  for (const spec of INDICES) {
    bases.set(spec.symbol, next[spec.exchange]);
    const lanes = indexLanes(spec);
    next[spec.exchange] += (lanes.weekly + lanes.monthly) * 2 * spec.slots;
  }
  return bases;
}

const INDEX_REGION = indexRegionBases();

/** Seed-dependent order of the stocks' id regions, so ids are not alphabetical. */
function stockRegionOrder(seed: number): number[] {
  const order = STOCKS.map((_, i) => i);
  const rng = rngFor('stock-regions', seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

// ───────────────────────────── sections ─────────────────────────────

const TEST_EQ_ID = 99_999;
const TEST_SYMBOL = 'NSETEST';

function* indexSection(ctx: GenContext): Generator<string> {
  let out = '';
  const used = new Set<number>();
  for (const spec of INDICES) {
    out += indexRow(spec.exchange, spec.idxId, spec.symbol, spec.displayName);
    used.add(spec.idxId);
  }
  out += indexRow('NSE', 21, 'INDIA VIX', 'India VIX');
  used.add(21);
  // Other index ids: small numbers for NSE, from 100 for BSE, skipping the well-known ones.
  let nse = 14;
  let bse = 100;
  let n = INDICES.length + 1;
  for (const [exch, symbol, display] of OTHER_INDICES) {
    if (symbol === 'INDIA VIX') continue;
    let id = exch === 'NSE' ? nse++ : bse++;
    while (used.has(id)) id = exch === 'NSE' ? nse++ : bse++;
    used.add(id);
    out += indexRow(exch, id, symbol, display);
    n++;
  }
  ctx.count('IDX_I', n);
  yield out;
}

function fnoEquityRow(s: StockSpec, exchange: 'NSE' | 'BSE', spot: number): string {
  const tick = equityTick(spot);
  const [upper, lower] = priceBand(spot, 0.1, Math.round(tick * BAND_UNIT));
  return equityRow({
    exch: exchange, id: exchange === 'NSE' ? s.nseId : s.bseId, isin: s.isin, symbol: s.symbol, companyName: s.companyName,
    displayName: s.displayName, series: exchange === 'NSE' ? 'EQ' : 'A', tickField: tickField(tick), bracketCover: true,
    asmFlag: 'N', asmCategory: 'NA', coBo: '20,3,1,20,3,1', mtf: '4', upper, lower,
  });
}

/** Distractor equities depend on the seed only; the last seed's lists are kept. */
let equityCache: { seed: number; nse: DistractorEquity[]; bse: DistractorEquity[] } | undefined;

/** Cash-market rows in the real file: about 2,500 NSE_EQ and 4,500 BSE_EQ (task brief; F&O stocks included). */
const NSE_EQ_ROWS = 2_500;
const BSE_EQ_ROWS = 4_500;

function distractorLists(seed: number): { nse: DistractorEquity[]; bse: DistractorEquity[] } {
  if (equityCache?.seed === seed) return equityCache;
  const reserved = new Set<string>([...STOCKS.map((s) => s.symbol), ...INDICES.map((i) => i.symbol), TEST_SYMBOL]);
  const nse = distractorEquities('NSE', NSE_EQ_ROWS - STOCKS.length - 1, seed, new Set([...STOCKS.map((s) => s.nseId), TEST_EQ_ID]), new Set(reserved));
  const bse = distractorEquities('BSE', BSE_EQ_ROWS - STOCKS.length, seed, new Set(STOCKS.map((s) => s.bseId)), new Set(reserved));
  equityCache = { seed, nse, bse };
  return equityCache;
}

function* equitySection(ctx: GenContext, exchange: 'NSE' | 'BSE', spots: ReadonlyMap<string, number>): Generator<string> {
  const segment = exchange === 'NSE' ? 'NSE_EQ' : 'BSE_EQ';
  const lists = distractorLists(ctx.seed);
  const rows: [id: number, line: string][] = [];
  for (const s of STOCKS) rows.push([exchange === 'NSE' ? s.nseId : s.bseId, fnoEquityRow(s, exchange, spots.get(s.symbol)!)]);
  if (exchange === 'NSE') {
    // Exchange connectivity test instrument (docs/dhan-protocol.md §1.4; docs/contract.md §3 filters it).
    rows.push([TEST_EQ_ID, `NSE,E,${TEST_EQ_ID},NA,EQUITY,,${TEST_SYMBOL},NSE CONNECTIVITY TEST,NSE Connectivity Test,ES,EQ,1.0,,,,1.0000,NA,N,N,N,NA,A,0,0,0,0,0,0,0,0.0000,0.0000,0,\n`]);
  }
  for (const e of exchange === 'NSE' ? lists.nse : lists.bse) rows.push([e.id, distractorEquityRow(exchange, e, ctx.tradingDate, ctx.seed)]);
  ctx.count(segment, rows.length);
  // Ordered by id, so F&O stocks sit among the rest as in a real file.
  rows.sort((a, b) => a[0] - b[0]);
  let text = '';
  for (const [, line] of rows) text += line;
  yield text;
}

/** Futures of an index or stock for its serial months. */
function futuresRows(p: {
  exch: 'NSE' | 'BSE'; symbol: string; underlyingId: number; instrument: 'FUTIDX' | 'FUTSTK'; symbolName?: string; lot: number; tick: number;
  freeze: number; spot: number; expiries: readonly ListedExpiry[]; idBase: number;
}): string {
  let out = '';
  for (const e of p.expiries) {
    const [upper, lower] = priceBand(p.spot, 0.1, Math.round(p.tick * BAND_UNIT));
    out += futureRow({
      exch: p.exch, letter: 'D', id: p.idBase + (e.monthIndex % 4), instrument: p.instrument, underlyingId: p.underlyingId,
      underlyingSymbol: p.symbol, symbolName: p.symbolName ?? `${p.symbol}-${symbolMonth(e.date)}-FUT`,
      displayName: `${p.symbol} ${displayMonth(e.date)} FUT`, instrumentType: p.exch === 'NSE' ? 'FUT' : p.instrument, series: 'NA',
      lot: p.lot, expiry: e.date, tickField: tickField(p.tick), flag: 'M', freezeQty: p.freeze, upper, lower,
    });
  }
  return out;
}

/** Writes one option chain (both sides of each strike, in strike order); returns its row count. */
function chainRows(out: ByteSink, p: {
  exch: 'NSE' | 'BSE'; instrument: 'OPTIDX' | 'OPTSTK'; underlyingId: number; symbol: string; instrumentType: string;
  symbolName?: string; lot: number; tick: number; freeze: number; exp: ListedExpiry; set: StrikeSet; spot: number; vol: number; ids: LaneIds;
}): number {
  const w = new OptionChainWriter(
    {
      exch: p.exch, letter: 'D', instrument: p.instrument, underlyingId: p.underlyingId, underlyingSymbol: p.symbol,
      instrumentType: p.instrumentType, series: 'NA', lot: p.lot, expiry: p.exp.date, tickField: tickField(p.tick),
      flag: p.exp.flag, freezeQty: p.freeze,
    },
    p.symbolName,
  );
  const tickUnits = Math.round(p.tick * BAND_UNIT);
  let n = 0;
  const { strikes, sides } = p.set;
  for (let i = 0; i < strikes.length; i++) {
    const k = strikes[i]!;
    const strike = k / STRIKE_UNIT;
    for (const call of [true, false]) {
      if ((sides[i]! & (call ? CE : PE)) === 0) continue;
      const [up, lo] = optionBand(p.spot, strike, p.exp.dte, p.vol, call, tickUnits);
      w.row(out, p.ids.id(k, call ? 'CE' : 'PE'), k, call, up, lo);
      n++;
    }
  }
  return n;
}

function* indexDerivatives(ctx: GenContext, out: ByteSink, exchange: 'NSE' | 'BSE', market: number): Generator<string | void> {
  const segment = exchange === 'NSE' ? 'NSE_FNO' : 'BSE_FNO';
  let u = 0;
  for (const spec of INDICES) {
    if (spec.exchange !== exchange) continue;
    const spot = indexSpot(spec, ctx.seed, ctx.tradingDate, market);
    const expiries = listedExpiries(ctx.tradingDate, { exchange, ...spec.cycle });
    const serial = expiries.filter((e) => e.kind === 'monthly');
    yield futuresRows({
      exch: exchange, symbol: spec.symbol, underlyingId: spec.derivUnderlyingId, instrument: 'FUTIDX', symbolName: spec.futureSymbolName,
      lot: spec.lot, tick: spec.futureTick, freeze: spec.freezeQty, spot, expiries: serial,
      idBase: (exchange === 'NSE' ? NSE_FUT_INDEX_BASE : BSE_FUT_INDEX_BASE) + 4 * u++,
    });
    ctx.count(segment, serial.length);
    const firstQuarterly = expiries.find((e) => e.kind === 'quarterly');
    const base = INDEX_REGION.get(spec.symbol)!;
    for (const exp of expiries) {
      const rng = rngFor(`chain/${spec.symbol}/${exp.scheduled}/${ctx.tradingDate}`, ctx.seed);
      const set = indexStrikes(spec, exp, exp === firstQuarterly, spot, rng, ctx.profile);
      const ids = new LaneIds(base + laneOf(spec, exp) * 2 * spec.slots, spec.slots, indexStepUnits(spec), `layout/${spec.symbol}/${exp.scheduled}`, ctx.seed);
      const n = chainRows(out, {
        exch: exchange, instrument: 'OPTIDX', underlyingId: spec.derivUnderlyingId, symbol: spec.symbol,
        instrumentType: exchange === 'NSE' ? 'OP' : 'OPTIDX', symbolName: spec.optionSymbolName, lot: spec.lot, tick: 0.05,
        freeze: spec.freezeQty, exp, set, spot, vol: spec.annualVol, ids,
      });
      ctx.count(segment, n);
      yield;
    }
  }
}

function* stockDerivatives(ctx: GenContext, out: ByteSink, exchange: 'NSE' | 'BSE', spots: ReadonlyMap<string, number>): Generator<string | void> {
  const segment = exchange === 'NSE' ? 'NSE_FNO' : 'BSE_FNO';
  const expiries = listedExpiries(ctx.tradingDate, { exchange, monthlies: 3 });
  const order = stockRegionOrder(ctx.seed);
  let k = 0;
  for (const s of STOCKS) {
    const profile = ctx.profile;
    const listed = exchange === 'NSE' ? profile.nseOptions(s.index) : profile.bseOptions(s.index, s.bseOptions);
    // An NSE F&O stock without the day's options keeps its futures (a distractor); BSE lists neither.
    if (exchange === 'BSE' && !listed) continue;
    const spot = spots.get(s.symbol)!;
    const underlyingId = exchange === 'NSE' ? s.nseId : s.bseId;
    const freeze = s.lot * (10 + (Math.floor(unit(`${s.symbol}#freeze`) * 30)));
    yield futuresRows({
      exch: exchange, symbol: s.symbol, underlyingId, instrument: 'FUTSTK', lot: s.lot, tick: equityTick(spot), freeze, spot, expiries,
      idBase: exchange === 'NSE' ? NSE_FUT_STOCK_BASE + 4 * s.index : BSE_FUT_STOCK_BASE + 4 * k,
    });
    ctx.count(segment, expiries.length);
    const slots = profile.stockSlots;
    const stockRegion = 4 * 2 * slots;
    const region = exchange === 'NSE' ? NSE_STOCK_OPT_BASE + order[s.index]! * stockRegion : BSE_STOCK_OPT_BASE + k * stockRegion;
    k++;
    if (!listed) {
      yield;
      continue;
    }
    expiries.forEach((exp, which) => {
      // Chain key is date-independent for ids, date-dependent for the day's strike jitter.
      const rng = rngFor(`chain/${exchange}/${s.symbol}/${exp.scheduled}/${ctx.tradingDate}`, ctx.seed);
      const set = stockStrikes(s, which as 0 | 1 | 2, exchange, spot, rng, profile);
      const ids = new LaneIds(region + (exp.monthIndex % 4) * 2 * slots, slots, s.stepUnits, `layout/${exchange}/${s.symbol}/${exp.scheduled}`, ctx.seed);
      const n = chainRows(out, {
        exch: exchange, instrument: 'OPTSTK', underlyingId, symbol: s.symbol, instrumentType: exchange === 'NSE' ? 'OP' : 'OPTSTK',
        lot: s.lot, tick: s.optionTick, freeze, exp, set, spot, vol: s.annualVol, ids,
      });
      ctx.count(segment, n);
    });
    yield;
  }
}

/** TEST option rows (docs/contract.md §3 says they are not instruments; the loader must drop them). */
function testDerivatives(ctx: GenContext, out: ByteSink, exchange: 'NSE' | 'BSE'): void {
  const exp = listedExpiries(ctx.tradingDate, { exchange, monthlies: 1 })[0]!;
  const nse = exchange === 'NSE';
  const w = new OptionChainWriter({
    exch: exchange, letter: 'D', instrument: 'OPTSTK', underlyingId: nse ? TEST_EQ_ID : 1_999_999, underlyingSymbol: nse ? TEST_SYMBOL : 'BSETEST',
    instrumentType: nse ? 'OP' : 'OPTSTK', series: 'NA', lot: 1, expiry: exp.date, tickField: '5.0000', flag: 'M', freezeQty: 100,
  });
  const base = nse ? NSE_TEST_BASE : ctx.profile.bseTestBase;
  w.row(out, base, 100 * STRIKE_UNIT, true, 1000 * BAND_UNIT, 500);
  if (nse) w.row(out, base + 1, 100 * STRIKE_UNIT, false, 1000 * BAND_UNIT, 500);
  ctx.count(nse ? 'NSE_FNO' : 'BSE_FNO', nse ? 2 : 1);
}

/** Every section in file order; small sections yield their text, option sections write to `out`. */
function* allSections(ctx: GenContext, out: ByteSink): Generator<string | void, void, undefined> {
  const market = marketFactor(ctx.seed, ctx.tradingDate);
  const spots = new Map(STOCKS.map((s) => [s.symbol, stockSpot(s, ctx.seed, ctx.tradingDate, market)] as const));
  yield HEADER_LINE;
  yield* indexSection(ctx);
  yield* equitySection(ctx, 'NSE', spots);
  yield* indexDerivatives(ctx, out, 'NSE', market);
  yield* stockDerivatives(ctx, out, 'NSE', spots);
  testDerivatives(ctx, out, 'NSE');
  yield* equitySection(ctx, 'BSE', spots);
  yield* indexDerivatives(ctx, out, 'BSE', market);
  yield* stockDerivatives(ctx, out, 'BSE', spots);
  testDerivatives(ctx, out, 'BSE');
  yield* currencySection(ctx, out, 'NSE');
  yield* staleCurrencySection(ctx, out, 'NSE');
  yield* currencySection(ctx, out, 'BSE');
  yield* staleCurrencySection(ctx, out, 'BSE');
  yield* mcxSection(ctx, out);
}

/** Bytes per chunk handed out by {@link streamMaster}. */
const CHUNK_BYTES = 1 << 20;
/** Initial capacity when the whole file is built in memory (the file is ~45 MB). */
const WHOLE_FILE_BYTES = 56 << 20;

function drive(ctx: GenContext, out: ByteSink): Generator<Buffer, void, undefined> {
  return (function* () {
    for (const t of allSections(ctx, out)) {
      if (typeof t === 'string') out.text(t);
      yield* out.take();
    }
    out.flush();
    yield* out.take();
  })();
}

/**
 * Generates the master chunk by chunk (for a file or an HTTP response without holding the whole
 * text). Row counts in `context` are final once `chunks` is exhausted.
 */
export function streamMaster(tradingDate: string, opts: MasterOptions = {}): MasterStream {
  assertTradingDate(tradingDate);
  const context = new GenContext(tradingDate, opts.seed ?? DEFAULT_SEED, profileOf(opts));
  return { chunks: drive(context, new ByteSink(CHUNK_BYTES)), context };
}

/**
 * The whole synthetic detailed master for `tradingDate` (any calendar date; on a non-trading
 * day the listing is what the exchanges would show that day). Deterministic for (date, seed).
 */
export function generateMaster(tradingDate: string, opts: MasterOptions = {}): GeneratedMaster {
  assertTradingDate(tradingDate);
  const context = new GenContext(tradingDate, opts.seed ?? DEFAULT_SEED, profileOf(opts));
  // One growing buffer instead of chunks: no final concatenation copy.
  const sink = new ByteSink(WHOLE_FILE_BYTES, true);
  const run = drive(context, sink);
  while (!run.next().done) {
    // single mode hands out no chunks; the whole file is in `sink` at the end
  }
  const buffer = sink.result();
  let csv: string | undefined;
  return {
    tradingDate,
    seed: context.seed,
    rows: context.rows,
    rowsBySegment: { ...context.rowsBySegment },
    buffer,
    bytes: buffer.length,
    get csv(): string {
      csv ??= buffer.toString('latin1');
      return csv;
    },
    underlyings: syntheticUnderlyings(tradingDate, opts),
  };
}
