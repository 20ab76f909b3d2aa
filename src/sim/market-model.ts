/**
 * The simulator's market: every instrument of the day's master (indices, equities, options)
 * with a state that looks like a trading day (issue #4 §3).
 *
 * - Each underlying is a geometric random walk with its own annual volatility (stepped every
 *   round for the in-scope underlyings; lazily, in one exact GBM step, for the rest).
 * - Options are priced with Black-76 on F = S·e^{rT}, a skewed smile and the time left to the
 *   15:30 IST close of their expiry day; every price is snapped to the instrument's tick grid.
 * - Spreads and depth widen away from the money, for far expiries and for illiquid stocks;
 *   volume and OI only grow within a day.
 * - Tick rates: near-the-money index options several updates a second, far OTM rarely, some
 *   never (an updates/s rate per instrument, re-derived from moneyness as the spot moves).
 *
 * Cost: state lives in typed arrays indexed by a dense instrument number, and only instruments
 * somebody subscribed (the "active" set) are scanned. An instrument is *materialized* (given
 * its day so far: open, volume, OI, book) the first time anybody asks for it. Per-instrument
 * and per-underlying PRNG streams are keyed by the seed and the instrument, so an instrument's
 * path does not depend on which other instruments are subscribed. No allocation per update.
 *
 * Times: `wallMs` drives scheduling (monotonic), the session clock turns it into session time
 * for LTT and time to expiry.
 *
 * @module
 */
import type { Instrument } from '../master/instrument.js';
import { SEGMENT_CODE, instrumentKey } from '../dhan/segments.js';
import { istTime, daysBetween } from '../time/ist.js';
import { black76, moneyness, smileVol, YEAR_MS } from './black76.js';
import { lttOf, type SessionClock } from './session-clock.js';
import { fmix32, hash32, nextGaussian, nextUniform } from '../util/random.js';

/** What the simulator knows about an in-scope underlying (from the synthetic master). */
export interface UnderlyingProfile {
  readonly symbol: string;
  readonly exchange: 'NSE' | 'BSE';
  readonly kind: 'index' | 'stock';
  /** Previous session's close, rupees. */
  readonly spot: number;
  /** Annualised volatility, e.g. 0.14. */
  readonly annualVol: number;
  /** 0..1: how actively it and its options trade (1 = NIFTY-like). */
  readonly liquidity: number;
}

/** Construction options of {@link MarketModel}. */
export interface MarketModelOptions {
  readonly instruments: readonly Instrument[];
  readonly underlyings: readonly UnderlyingProfile[];
  readonly clock: SessionClock;
  /** Previous trading date (YYYY-MM-DD), for the previous close's time to expiry. */
  readonly previousTradingDate: string;
  readonly seed: number;
  /** Multiplies every update rate (load tests). Default 1. */
  readonly rate?: number;
  /** Wall time the model starts at; default `Date.now()`. */
  readonly startWallMs?: number;
  /** Most updates one instrument may get in one round. Default 8. */
  readonly maxUpdatesPerRound?: number;
}

/** Instrument kinds. */
export const Kind = Object.freeze({ INDEX: 0, EQUITY: 1, OPTION: 2 } as const);

/** Flags passed to the update callback. */
export const UpdateFlag = Object.freeze({
  /** A trade happened: LTP/LTQ/LTT/volume moved (Ticker subscribers get a packet). */
  TRADE: 1,
  /** Open interest changed (Quote subscribers get an OI packet). */
  OI: 2,
  /** The book changed (Quote/Full subscribers get a packet). */
  BOOK: 4,
} as const);

/** Called for each instrument update, right after its state changed. */
export type UpdateCallback = (index: number, flags: number) => void;

const RISK_FREE = 0.065;
/** Trading seconds in a year for the underlying random walk (252 sessions of 6 h 15 min). */
const TRADING_SECONDS_PER_YEAR = 252 * 22_500;
const MIN_T = 5 * 60_000 / YEAR_MS;
/** Horizon below which activity distance stops shrinking (see `activity`): 30 days. */
const ACTIVITY_T = 30 / 365;
const U16_MAX = 0xffff;

function hashKey(seed: number, a: number, b: number): number {
  return fmix32(Math.imul(seed | 0, 0x9e3779b1) ^ fmix32(a * 0x27d4eb2d + b) ^ Math.imul(b | 0, 0x165667b1));
}

/** Geometric count ≥ 0 with the given mean. */
function geometric(st: Uint32Array, k: number, mean: number): number {
  if (mean <= 0) return 0;
  const p = 1 / (1 + mean);
  return Math.floor(Math.log(nextUniform(st, k) || 1e-12) / Math.log(1 - p));
}

/** Snaps `x` to the tick grid (nearest). */
export function toTick(x: number, tick: number): number {
  return Math.round(x / tick) * tick;
}

/** True when f32 `value` is exactly the f32 of a multiple of `tick` (what "on the grid" means on the wire). */
export function onTickGrid(value: number, tick: number): boolean {
  return Math.fround(Math.round(value / tick) * tick) === Math.fround(value);
}

/** The simulated market. */
export class MarketModel {
  readonly size: number;
  readonly instruments: readonly Instrument[];
  readonly clock: SessionClock;
  readonly seed: number;
  /** Update-rate multiplier; may be changed at run time. */
  rate: number;

  // static per instrument
  readonly kind: Uint8Array;
  readonly segCode: Uint8Array;
  readonly securityId: Uint32Array;
  readonly proc: Int32Array;
  readonly strike: Float64Array;
  readonly isCall: Uint8Array;
  readonly expiryMs: Float64Array;
  readonly tick: Float64Array;
  readonly lot: Uint32Array;
  /** Expiry weight: 1 for the nearest expiry of its underlying, falling for later ones. */
  readonly expiryWeight: Float64Array;
  /** Per-instrument uniform fixing the "never trades" lottery. */
  readonly neverDraw: Float64Array;
  /** 0..1 liquidity of the instrument's (exchange, underlying): BSE stock options trade far less than NSE's. */
  readonly baseLiq: Float64Array;

  // dynamic per instrument
  readonly materialized: Uint8Array;
  readonly rng: Uint32Array;
  readonly lambda: Float64Array;
  readonly nextDue: Float64Array;
  readonly emptyBook: Uint8Array;
  readonly prevClose: Float64Array;
  readonly prevOi: Float64Array;
  readonly ltp: Float64Array;
  readonly ltq: Float64Array;
  readonly ltt: Float64Array;
  readonly volume: Float64Array;
  readonly turnover: Float64Array;
  readonly oi: Float64Array;
  readonly oiHigh: Float64Array;
  readonly oiLow: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly bid: Float64Array;
  readonly ask: Float64Array;
  readonly totalBuyQty: Float64Array;
  readonly totalSellQty: Float64Array;
  /** Level spacing of the book in ticks. */
  readonly bookGap: Uint8Array;
  /** 5 levels per instrument. */
  readonly bidQty: Uint32Array;
  readonly askQty: Uint32Array;
  readonly bidOrders: Uint16Array;
  readonly askOrders: Uint16Array;
  /** Updates so far (tests, stats). */
  readonly updates: Float64Array;

  // underlyings (processes)
  private readonly procKey = new Map<string, number>();
  private pSpot: number[] = [];
  private pPrev: number[] = [];
  private pOpen: number[] = [];
  private pHigh: number[] = [];
  private pLow: number[] = [];
  private pVol: number[] = [];
  private pLiq: number[] = [];
  private pIndex: boolean[] = [];
  private pScoped: boolean[] = [];
  private pSymbol: string[] = [];
  private pLastWall: number[] = [];
  private pRng = new Uint32Array(0);
  private readonly procOfInstrument: Int32Array;

  // active set: instruments somebody subscribed
  private readonly refCount: Uint32Array;
  private readonly activeList: Int32Array;
  private readonly activePos: Int32Array;
  private activeCount = 0;

  private readonly byKey = new Map<number, number>();
  private readonly prevDays: number;
  private lastWall: number;
  private lastSweepWall: number;
  private burstStartWall = 0;
  private burstDurationMs = 0;
  private burstFactor = 1;
  private readonly maxUpdatesPerRound: number;

  constructor(opts: MarketModelOptions) {
    const list = opts.instruments;
    const n = list.length;
    this.size = n;
    this.instruments = list;
    this.clock = opts.clock;
    this.seed = opts.seed | 0;
    this.rate = opts.rate ?? 1;
    this.maxUpdatesPerRound = opts.maxUpdatesPerRound ?? 8;
    this.prevDays = Math.max(1, daysBetween(opts.previousTradingDate, opts.clock.tradingDate));
    const start = opts.startWallMs ?? Date.now();
    this.lastWall = start;
    this.lastSweepWall = start;

    this.kind = new Uint8Array(n);
    this.segCode = new Uint8Array(n);
    this.securityId = new Uint32Array(n);
    this.proc = new Int32Array(n);
    this.strike = new Float64Array(n);
    this.isCall = new Uint8Array(n);
    this.expiryMs = new Float64Array(n);
    this.tick = new Float64Array(n);
    this.lot = new Uint32Array(n);
    this.expiryWeight = new Float64Array(n);
    this.neverDraw = new Float64Array(n);
    this.baseLiq = new Float64Array(n);
    this.materialized = new Uint8Array(n);
    this.rng = new Uint32Array(n);
    this.lambda = new Float64Array(n);
    this.nextDue = new Float64Array(n).fill(Infinity);
    this.emptyBook = new Uint8Array(n);
    this.prevClose = new Float64Array(n);
    this.prevOi = new Float64Array(n);
    this.ltp = new Float64Array(n);
    this.ltq = new Float64Array(n);
    this.ltt = new Float64Array(n);
    this.volume = new Float64Array(n);
    this.turnover = new Float64Array(n);
    this.oi = new Float64Array(n);
    this.oiHigh = new Float64Array(n);
    this.oiLow = new Float64Array(n);
    this.open = new Float64Array(n);
    this.high = new Float64Array(n);
    this.low = new Float64Array(n);
    this.bid = new Float64Array(n);
    this.ask = new Float64Array(n);
    this.totalBuyQty = new Float64Array(n);
    this.totalSellQty = new Float64Array(n);
    this.bookGap = new Uint8Array(n).fill(1);
    this.bidQty = new Uint32Array(n * 5);
    this.askQty = new Uint32Array(n * 5);
    this.bidOrders = new Uint16Array(n * 5);
    this.askOrders = new Uint16Array(n * 5);
    this.updates = new Float64Array(n);
    this.refCount = new Uint32Array(n);
    this.activeList = new Int32Array(n);
    this.activePos = new Int32Array(n).fill(-1);
    this.procOfInstrument = this.proc;

    // In-scope underlyings: one process per symbol (a stock listed on NSE and BSE is one company, one price).
    for (const u of opts.underlyings) {
      if (this.procKey.has(u.symbol)) continue;
      this.addProcess(u.symbol, u.spot, u.annualVol, u.liquidity, u.kind === 'index', true);
    }
    const liqOf = new Map<string, number>();
    for (const u of opts.underlyings) liqOf.set(`${u.exchange}:${u.symbol}`, Math.min(1, Math.max(0, u.liquidity)));
    // Fallback levels for instruments whose underlying has no profile: the median strike of its options.
    const strikesOf = new Map<string, number[]>();
    for (const inst of list) {
      if (inst.optionType === null || this.procKey.has(inst.underlyingSymbol)) continue;
      let s = strikesOf.get(inst.underlyingSymbol);
      if (!s) strikesOf.set(inst.underlyingSymbol, (s = []));
      s.push(inst.strike);
    }
    // Expiry ranks per (exchange, underlying) for the tick-rate and liquidity weights.
    const expiries = new Map<string, string[]>();
    for (const inst of list) {
      if (inst.optionType === null) continue;
      const key = `${inst.exchange}:${inst.underlyingSymbol}`;
      let e = expiries.get(key);
      if (!e) expiries.set(key, (e = []));
      if (!e.includes(inst.expiry)) e.push(inst.expiry);
    }
    for (const e of expiries.values()) e.sort();
    const WEIGHTS = [1, 0.45, 0.25, 0.12, 0.06];

    for (let i = 0; i < n; i++) {
      const inst = list[i]!;
      const seg = SEGMENT_CODE[inst.segment];
      this.segCode[i] = seg;
      this.securityId[i] = inst.securityId;
      this.byKey.set(instrumentKey(seg, inst.securityId), i);
      this.tick[i] = inst.tickSize > 0 ? inst.tickSize : 0.05;
      this.lot[i] = Math.max(1, Math.round(inst.lotSize || 1));
      this.rng[i] = hashKey(this.seed, seg, inst.securityId);
      this.neverDraw[i] = fmix32(hashKey(this.seed ^ 0x5bd1e995, seg, inst.securityId)) / 4294967296;
      if (inst.optionType !== null) {
        this.kind[i] = Kind.OPTION;
        this.strike[i] = inst.strike;
        this.isCall[i] = inst.optionType === 'CE' ? 1 : 0;
        this.expiryMs[i] = istTime(inst.expiry, 15, 30);
        const ranks = expiries.get(`${inst.exchange}:${inst.underlyingSymbol}`)!;
        const rank = ranks.indexOf(inst.expiry);
        this.expiryWeight[i] = WEIGHTS[Math.min(rank, WEIGHTS.length - 1)]!;
      } else {
        this.kind[i] = inst.segment === 'IDX_I' ? Kind.INDEX : Kind.EQUITY;
        this.expiryWeight[i] = 1;
      }
      let p = this.procKey.get(inst.underlyingSymbol);
      if (p === undefined) {
        const strikes = strikesOf.get(inst.underlyingSymbol);
        let level: number;
        if (strikes && strikes.length > 0) {
          strikes.sort((a, b) => a - b);
          level = strikes[strikes.length >> 1]!;
        } else if (inst.upperLimit !== null && inst.lowerLimit !== null && inst.upperLimit > 0 && inst.lowerLimit > 0) {
          level = (inst.upperLimit + inst.lowerLimit) / 2;
        } else {
          level = 50 + (hash32(inst.underlyingSymbol, this.seed) % 3000);
        }
        p = this.addProcess(inst.underlyingSymbol, level, 0.3, 0.05, inst.segment === 'IDX_I', false);
      }
      this.proc[i] = p;
      this.baseLiq[i] = liqOf.get(`${inst.exchange}:${inst.underlyingSymbol}`) ?? this.pLiq[p]!;
    }
  }

  private addProcess(symbol: string, prev: number, vol: number, liq: number, isIndex: boolean, scoped: boolean): number {
    const p = this.pSpot.length;
    this.procKey.set(symbol, p);
    const st = new Uint32Array(1);
    st[0] = hash32(`proc:${symbol}`, this.seed);
    // Overnight gap, then the walk from 09:15 to the session's start time.
    const dailySd = vol / Math.sqrt(252);
    const open = prev * Math.exp(0.3 * dailySd * nextGaussian(st, 0));
    const elapsed = Math.max(0, (this.clock.now(this.lastWall) - this.clock.openMs) / 1000);
    const spot = open * Math.exp(vol * Math.sqrt(elapsed / TRADING_SECONDS_PER_YEAR) * nextGaussian(st, 0));
    const grown = new Uint32Array(p + 1);
    if (p > 0) grown.set(this.pRng);
    grown[p] = st[0]!;
    this.pRng = grown;
    this.pSpot.push(spot);
    this.pPrev.push(prev);
    this.pOpen.push(open);
    this.pHigh.push(Math.max(open, spot) * (1 + 0.1 * dailySd * nextUniform(st, 0)));
    this.pLow.push(Math.min(open, spot) * (1 - 0.1 * dailySd * nextUniform(st, 0)));
    this.pRng[p] = st[0]!;
    this.pVol.push(vol);
    this.pLiq.push(Math.min(1, Math.max(0, liq)));
    this.pIndex.push(isIndex);
    this.pScoped.push(scoped);
    this.pSymbol.push(symbol);
    this.pLastWall.push(this.lastWall);
    return p;
  }

  // --- lookups ------------------------------------------------------------------------------

  /** Dense index of (segment code, security id), or -1 when the master has no such instrument. */
  indexOf(segCode: number, securityId: number): number {
    return this.byKey.get(instrumentKey(segCode, securityId)) ?? -1;
  }

  /** Current spot level of an underlying symbol (unrounded), or NaN. */
  spotOf(symbol: string): number {
    const p = this.procKey.get(symbol);
    return p === undefined ? NaN : this.pSpot[p]!;
  }

  /** Annual volatility and spot of the underlying of instrument `i`. */
  underlyingOf(i: number): { symbol: string; spot: number; vol: number; isIndex: boolean } {
    const p = this.procOfInstrument[i]!;
    this.stepLazy(p, this.lastWall);
    return { symbol: this.pSymbol[p]!, spot: this.pSpot[p]!, vol: this.pVol[p]!, isIndex: this.pIndex[p]! };
  }

  /** Years to expiry of option `i` at session time `sessionMs` (floored at five minutes). */
  timeToExpiry(i: number, sessionMs: number): number {
    const t = (this.expiryMs[i]! - sessionMs) / YEAR_MS;
    return t < MIN_T ? MIN_T : t;
  }

  /** Model (unrounded) value of option `i` for spot `S` at session time, volatility `volShift` × smile. */
  optionValue(i: number, S: number, sessionMs: number, volShift = 1): number {
    const p = this.procOfInstrument[i]!;
    const T = this.timeToExpiry(i, sessionMs);
    const F = S * Math.exp(RISK_FREE * T);
    const atm = this.pVol[p]!;
    const x = moneyness(F, this.strike[i]!, T, atm);
    return black76(F, this.strike[i]!, T, smileVol(atm, x) * volShift, RISK_FREE, this.isCall[i] === 1);
  }

  // --- active set ---------------------------------------------------------------------------

  /** A subscriber wants updates of `i`: materializes it and puts it in the active set. */
  retain(i: number, wallMs = this.lastWall): void {
    if (this.materialized[i] === 0) this.materialize(i, wallMs);
    if (this.refCount[i]!++ === 0) {
      this.activePos[i] = this.activeCount;
      this.activeList[this.activeCount++] = i;
    }
  }

  /** A subscriber is gone; when none are left the instrument stops updating. */
  release(i: number): void {
    if (this.refCount[i] === 0) return;
    if (--this.refCount[i]! === 0) {
      const pos = this.activePos[i]!;
      const last = this.activeList[--this.activeCount]!;
      this.activeList[pos] = last;
      this.activePos[last] = pos;
      this.activePos[i] = -1;
    }
  }

  /** Instruments in the active set. */
  get activeSize(): number {
    return this.activeCount;
  }

  /** Makes sure `i` has its day-so-far state (idempotent). */
  ensure(i: number, wallMs = this.lastWall): void {
    if (this.materialized[i] === 0) this.materialize(i, wallMs);
  }

  /** Rates multiplied by `factor`, decaying linearly back to 1 over `durationMs` (opening burst). */
  burst(factor: number, durationMs: number, wallMs = Date.now()): void {
    this.burstFactor = Math.max(1, factor);
    this.burstDurationMs = Math.max(1, durationMs);
    this.burstStartWall = wallMs;
  }

  private rateAt(wallMs: number): number {
    if (this.burstFactor <= 1) return this.rate;
    const f = 1 - (wallMs - this.burstStartWall) / this.burstDurationMs;
    if (f <= 0) {
      this.burstFactor = 1;
      return this.rate;
    }
    return this.rate * (1 + (this.burstFactor - 1) * f);
  }

  // --- the round -----------------------------------------------------------------------------

  /**
   * Moves the market to wall time `wallMs`: steps every in-scope underlying, then updates each
   * active instrument whose next update is due (several times if more than one is due), calling
   * `onUpdate` after each. Returns the number of updates.
   */
  advance(wallMs: number, onUpdate?: UpdateCallback): number {
    const dt = wallMs - this.lastWall;
    if (dt > 0) {
      for (let p = 0; p < this.pSpot.length; p++) if (this.pScoped[p]) this.stepProcess(p, wallMs);
      this.lastWall = wallMs;
    }
    const session = this.clock.now(wallMs);
    const rate = this.rateAt(wallMs);
    const sweep = wallMs - this.lastSweepWall >= 5000;
    if (sweep) this.lastSweepWall = wallMs;
    let count = 0;
    const maxPer = this.maxUpdatesPerRound;
    for (let k = 0; k < this.activeCount; k++) {
      const i = this.activeList[k]!;
      if (sweep && this.kind[i] === Kind.OPTION) this.refreshRate(i, session, wallMs, rate);
      let due = this.nextDue[i]!;
      let m = 0;
      while (due <= wallMs && m < maxPer) {
        const flags = this.update(i, session, wallMs);
        count++;
        m++;
        if (onUpdate !== undefined && flags !== 0) onUpdate(i, flags);
        const lam = this.lambda[i]! * rate;
        due = lam > 0 ? due + this.expDraw(i, lam) : Infinity;
      }
      // Fell behind (e.g. a stalled event loop): resume from now rather than bursting to catch up.
      if (due <= wallMs) due = wallMs + this.expDraw(i, this.lambda[i]! * rate);
      this.nextDue[i] = due;
    }
    return count;
  }

  private expDraw(i: number, lam: number): number {
    if (lam <= 0) return Infinity;
    return (-Math.log(nextUniform(this.rng, i) || 1e-12) / lam) * 1000;
  }

  private stepProcess(p: number, wallMs: number): void {
    const dt = (wallMs - this.pLastWall[p]!) / 1000;
    if (dt <= 0) return;
    this.pLastWall[p] = wallMs;
    const v = this.pVol[p]!;
    const sd = v * Math.sqrt(dt / TRADING_SECONDS_PER_YEAR);
    const s = this.pSpot[p]! * Math.exp(sd * nextGaussian(this.pRng, p) - 0.5 * sd * sd);
    this.pSpot[p] = s;
    if (s > this.pHigh[p]!) this.pHigh[p] = s;
    if (s < this.pLow[p]!) this.pLow[p] = s;
  }

  private stepLazy(p: number, wallMs: number): void {
    if (!this.pScoped[p]) this.stepProcess(p, wallMs);
  }

  /**
   * How far from the money option `i` trades, for activity (tick rate, liquidity, OI): log
   * moneyness in standard deviations of at least a month, so a chain's activity spans the
   * strikes traders use even on expiry eve. Signed: > 0 above the forward.
   */
  private activity(i: number, S: number, T: number): number {
    const p = this.procOfInstrument[i]!;
    const F = S * Math.exp(RISK_FREE * T);
    return Math.log(this.strike[i]! / F) / (this.pVol[p]! * Math.sqrt(T > ACTIVITY_T ? T : ACTIVITY_T));
  }

  /** Base updates/s of instrument `i` at rate 1 (0 = never); `x` = {@link activity}. */
  private baseRate(i: number, x: number): number {
    const p = this.procOfInstrument[i]!;
    const liq = this.baseLiq[i]!;
    const kind = this.kind[i];
    const sym = this.pSymbol[p]!;
    if (kind === Kind.INDEX) {
      // NIFTY 50 is disseminated every 250 ms since May 2026, others every 500 ms (docs/market-structure.md §5).
      return sym === 'NIFTY' ? 4 : 2;
    }
    if (kind === Kind.EQUITY) {
      if (!this.pScoped[p]) return this.neverDraw[i]! < 0.3 ? 0 : 0.2;
      return 0.5 + 3.5 * liq;
    }
    const peak = this.pIndex[p] ? (sym === 'BANKNIFTY' ? 4 : 6) : 0.2 + 2 * liq;
    const w = this.expiryWeight[i]!;
    const ax = Math.abs(x);
    const itm = this.isCall[i] === 1 ? x < 0 : x > 0;
    let lam = peak * w * Math.exp(-(ax * ax) / 2) * (itm ? 0.5 : 1);
    // Away from the money a share of contracts never trades all day, more of them the thinner
    // the underlying and the later the expiry (as on a real day); the rest print now and then.
    if (ax > (this.pIndex[p] ? 1.5 : 0.8) && this.neverDraw[i]! < this.neverShare(i)) return 0;
    if (lam < 0.004) lam = 0.004;
    return lam;
  }

  /** Share of far-from-the-money contracts of `i`'s chain that never trade. */
  private neverShare(i: number): number {
    return (1 - this.baseLiq[i]! * this.expiryWeight[i]!) * 0.6;
  }

  private refreshRate(i: number, session: number, wallMs: number, rate: number): void {
    const p = this.procOfInstrument[i]!;
    const S = this.pSpot[p]!;
    const x = this.activity(i, S, this.timeToExpiry(i, session));
    const before = this.lambda[i]!;
    const lam = this.baseRate(i, x);
    this.lambda[i] = lam;
    // Memoryless arrivals: redrawing the wait after a rate change keeps the process honest.
    if (lam !== before && (before === 0 || lam === 0 || Math.abs(lam - before) / before > 0.25)) {
      this.nextDue[i] = lam > 0 ? wallMs + this.expDraw(i, lam * rate) : Infinity;
    }
  }

  // --- materialization -----------------------------------------------------------------------

  private materialize(i: number, wallMs: number): void {
    const p = this.procOfInstrument[i]!;
    this.stepLazy(p, wallMs);
    const st = this.rng;
    const tick = this.tick[i]!;
    const session = this.clock.now(wallMs);
    const elapsed = Math.max(1, (session - this.clock.openMs) / 1000);
    const S = this.pSpot[p]!;
    const kind = this.kind[i];
    this.materialized[i] = 1;
    const rate = this.rateAt(wallMs);

    if (kind === Kind.INDEX) {
      this.prevClose[i] = toTick(this.pPrev[p]!, tick);
      this.open[i] = toTick(this.pOpen[p]!, tick);
      this.high[i] = toTick(this.pHigh[p]!, tick);
      this.low[i] = toTick(this.pLow[p]!, tick);
      this.ltp[i] = toTick(S, tick);
      this.ltt[i] = lttOf(session);
      this.lambda[i] = this.baseRate(i, 0);
      this.nextDue[i] = wallMs + this.expDraw(i, this.lambda[i]! * rate);
      this.clampHighLow(i);
      return;
    }

    const liq = this.liquidity(i, S, session);
    let fair: number;
    let prevFair: number;
    let openFair: number;
    let x = 0;
    if (kind === Kind.OPTION) {
      x = this.activity(i, S, this.timeToExpiry(i, session));
      fair = this.optionValue(i, S, session);
      prevFair = this.optionValue(i, this.pPrev[p]!, session - this.prevDays * 86_400_000 - elapsed * 1000);
      openFair = this.optionValue(i, this.pOpen[p]!, this.clock.openMs);
    } else {
      fair = S;
      prevFair = this.pPrev[p]!;
      openFair = this.pOpen[p]!;
    }
    this.prevClose[i] = Math.max(tick, toTick(prevFair, tick));
    this.lambda[i] = this.baseRate(i, x);
    const never = this.lambda[i] === 0;

    if (kind === Kind.OPTION) {
      // Open interest: a lot multiple, largest near the money of liquid near expiries (docs example: ~3.8M on NIFTY ATM).
      const scale = 60_000 * liq * liq + 200 * Math.exp(-Math.abs(x)) + 20;
      const lots = Math.max(never ? 0 : 1, Math.round(scale * (0.5 + nextUniform(st, i))));
      this.prevOi[i] = lots * this.lot[i]!;
      const grown = never ? 0 : Math.round(lots * 0.25 * Math.min(1, elapsed / 22_500) * nextUniform(st, i));
      this.oiLow[i] = this.prevOi[i]!;
      this.oi[i] = this.prevOi[i]! + grown * this.lot[i]!;
      this.oiHigh[i] = this.oi[i]!;
    }

    // Some of the never-trading contracts show an empty book too (no quotes at all).
    this.emptyBook[i] = never && this.neverDraw[i]! < this.neverShare(i) * 0.4 ? 1 : 0;
    this.makeBook(i, fair, liq);

    if (never) {
      // Untraded today: last price from an earlier session, no LTT, no OHLC (REST quote docs show 0s).
      this.ltp[i] = this.prevClose[i]!;
      this.ltq[i] = 0;
      this.ltt[i] = 0;
      this.volume[i] = 0;
      this.turnover[i] = 0;
      this.open[i] = 0;
      this.high[i] = 0;
      this.low[i] = 0;
      this.nextDue[i] = Infinity;
      return;
    }
    const lam = this.lambda[i]!;
    const trades = Math.max(1, Math.round(lam * 0.6 * elapsed));
    const avgInc = this.lot[i]! * (1 + 6 * liq * liq * (kind === Kind.OPTION ? Math.exp(-Math.abs(x)) * 10 : 20));
    this.volume[i] = Math.round((trades * avgInc) / this.lot[i]!) * this.lot[i]!;
    const last = this.rnd01(i) < 0.5 ? this.bid[i]! : this.ask[i]!;
    this.ltp[i] = last > 0 ? last : Math.max(tick, toTick(fair, tick));
    this.ltq[i] = this.clampLtq(i, this.lot[i]! * (1 + geometric(st, i, 2 * liq)));
    this.open[i] = Math.max(tick, toTick(openFair, tick));
    this.high[i] = Math.max(this.open[i]!, this.ltp[i]!);
    this.low[i] = Math.min(this.open[i]!, this.ltp[i]!);
    const widen = 1 + 0.01 * nextUniform(st, i);
    this.high[i] = Math.max(this.high[i]!, toTick(this.high[i]! * widen, tick));
    this.low[i] = Math.max(tick, Math.min(this.low[i]!, toTick(this.low[i]! / widen, tick)));
    this.turnover[i] = this.volume[i]! * ((this.open[i]! + this.ltp[i]!) / 2);
    const ago = Math.min(elapsed, (1 / lam) * -Math.log(this.rnd01(i) || 1e-12));
    this.ltt[i] = lttOf(session - ago * 1000);
    this.nextDue[i] = wallMs + this.expDraw(i, lam * rate);
  }

  private rnd01(i: number): number {
    return nextUniform(this.rng, i);
  }

  private clampLtq(i: number, q: number): number {
    const lot = this.lot[i]!;
    const cap = Math.floor(U16_MAX / lot) * lot;
    return q > cap ? cap : q;
  }

  private clampHighLow(i: number): void {
    const v = this.ltp[i]!;
    if (this.high[i]! < v) this.high[i] = v;
    if (this.low[i]! > v || this.low[i] === 0) this.low[i] = v;
    if (this.open[i] === 0) this.open[i] = v;
  }

  /** 0..1 liquidity of instrument `i`: its underlying's, thinned for later expiries and away from the money. */
  private liquidity(i: number, S: number, session: number): number {
    const base = this.baseLiq[i]!;
    if (this.kind[i] !== Kind.OPTION) return base;
    const x = this.activity(i, S, this.timeToExpiry(i, session));
    return base * Math.sqrt(this.expiryWeight[i]!) * Math.exp(-Math.abs(x) / 2);
  }

  /** Best bid/ask around `fair` on the tick grid, and 5 levels of depth. */
  private makeBook(i: number, fair: number, liq: number): void {
    const st = this.rng;
    const tick = this.tick[i]!;
    const base = i * 5;
    if (this.emptyBook[i] === 1) {
      this.bid[i] = 0;
      this.ask[i] = 0;
      this.totalBuyQty[i] = 0;
      this.totalSellQty[i] = 0;
      for (let l = 0; l < 5; l++) {
        this.bidQty[base + l] = 0;
        this.askQty[base + l] = 0;
        this.bidOrders[base + l] = 0;
        this.askOrders[base + l] = 0;
      }
      return;
    }
    const option = this.kind[i] === Kind.OPTION;
    // A tick or two for liquid contracts, widening with illiquidity and with price (deep ITM).
    const il = 1 - liq;
    const spread = option ? tick * (1 + 4 * il) + fair * (0.0005 + 0.01 * il) : tick * (1 + 3 * il) + fair * 0.0003 * il;
    const spreadTicks = Math.max(1, Math.round(spread / tick + nextUniform(st, i) - 0.3));
    let bid = Math.floor((fair - (spreadTicks * tick) / 2) / tick + 1e-9) * tick;
    if (bid < tick) bid = tick;
    const ask = bid + spreadTicks * tick;
    this.bid[i] = toTick(bid, tick);
    this.ask[i] = toTick(ask, tick);
    const gap = liq > 0.3 ? 1 : 1 + Math.floor(nextUniform(st, i) * 4);
    this.bookGap[i] = gap;
    const lot = this.lot[i]!;
    const meanLots = option ? 1 + 40 * liq : 20 + 2000 * liq;
    let sumB = 0;
    let sumA = 0;
    for (let l = 0; l < 5; l++) {
      const bidPx = this.bid[i]! - l * gap * tick;
      const bq = bidPx >= tick - 1e-9 ? lot * (1 + geometric(st, i, meanLots)) : 0;
      const aq = lot * (1 + geometric(st, i, meanLots));
      this.bidQty[base + l] = bq;
      this.askQty[base + l] = aq;
      this.bidOrders[base + l] = bq === 0 ? 0 : Math.min(U16_MAX, 1 + Math.floor(nextUniform(st, i) * Math.min(bq / lot, 50)));
      this.askOrders[base + l] = Math.min(U16_MAX, 1 + Math.floor(nextUniform(st, i) * Math.min(aq / lot, 50)));
      sumB += bq;
      sumA += aq;
    }
    const deep = 2 + 8 * nextUniform(st, i);
    this.totalBuyQty[i] = Math.round((sumB * deep) / lot) * lot;
    this.totalSellQty[i] = Math.round((sumA * (2 + 8 * nextUniform(st, i))) / lot) * lot;
  }

  /** Bid price of depth level `l` (0 when the level is empty). */
  bidPrice(i: number, l: number): number {
    if (this.bidQty[i * 5 + l] === 0) return 0;
    return toTick(this.bid[i]! - l * this.bookGap[i]! * this.tick[i]!, this.tick[i]!);
  }

  /** Ask price of depth level `l` (0 when the level is empty). */
  askPrice(i: number, l: number): number {
    if (this.askQty[i * 5 + l] === 0) return 0;
    return toTick(this.ask[i]! + l * this.bookGap[i]! * this.tick[i]!, this.tick[i]!);
  }

  /** Average traded price (0 before the first trade of the day). */
  atp(i: number): number {
    const v = this.volume[i]!;
    return v > 0 ? this.turnover[i]! / v : 0;
  }

  /** One update of instrument `i` at session time `session`; returns {@link UpdateFlag} bits. */
  private update(i: number, session: number, wallMs: number): number {
    const p = this.procOfInstrument[i]!;
    this.stepLazy(p, wallMs);
    const S = this.pSpot[p]!;
    const tick = this.tick[i]!;
    const kind = this.kind[i];
    this.updates[i]!++;
    if (kind === Kind.INDEX) {
      this.ltp[i] = toTick(S, tick);
      this.ltt[i] = lttOf(session);
      this.clampHighLow(i);
      return UpdateFlag.TRADE;
    }
    const st = this.rng;
    let x = 0;
    let fair: number;
    if (kind === Kind.OPTION) {
      x = this.activity(i, S, this.timeToExpiry(i, session));
      fair = this.optionValue(i, S, session);
      this.lambda[i] = this.baseRate(i, x);
    } else {
      fair = S;
    }
    const liq = this.liquidity(i, S, session);
    this.emptyBook[i] = 0;
    this.makeBook(i, fair, liq);
    let flags: number = UpdateFlag.BOOK;
    if (nextUniform(st, i) < 0.6) {
      const lot = this.lot[i]!;
      const px = nextUniform(st, i) < 0.5 ? this.bid[i]! : this.ask[i]!;
      const q = this.clampLtq(i, lot * (1 + geometric(st, i, 2 * liq)));
      // The feed conflates: volume grows by more than the last trade's quantity.
      const extra = lot * geometric(st, i, kind === Kind.OPTION ? 60 * liq * liq : 400 * liq);
      this.ltp[i] = px;
      this.ltq[i] = q;
      this.volume[i] = this.volume[i]! + q + extra;
      this.turnover[i] = this.turnover[i]! + (q + extra) * px;
      this.ltt[i] = lttOf(session);
      if (this.open[i] === 0) {
        this.open[i] = px;
        this.high[i] = px;
        this.low[i] = px;
      }
      this.clampHighLow(i);
      flags |= UpdateFlag.TRADE;
      if (kind === Kind.OPTION && nextUniform(st, i) < 0.35) {
        // Open interest only grows here (issue #4 asks for non-decreasing OI within the day).
        this.oi[i] = this.oi[i]! + lot * (1 + geometric(st, i, 3 * liq + 0.5));
        if (this.oi[i]! > this.oiHigh[i]!) this.oiHigh[i] = this.oi[i]!;
        flags |= UpdateFlag.OI;
      }
    }
    return flags;
  }
}
