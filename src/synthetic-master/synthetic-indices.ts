/**
 * Indices of the synthetic master: the three in the product's universe (NIFTY, BANKNIFTY,
 * SENSEX), the five other derivative indices that must exist as distractors (FINNIFTY,
 * MIDCPNIFTY, NIFTYNXT50, BANKEX, SENSEX50), and a list of plain IDX_I rows.
 *
 * Ids: the IDX_I ids are the well-known ones (docs/dhan-protocol.md §1.4: NIFTY 13, BANKNIFTY 25,
 * FINNIFTY 27, NIFTYNXT50 38, SENSEX 51, BANKEX 69, SENSEX50 83, INDIA VIX 21, MIDCPNIFTY 442);
 * the derivatives carry a different, derivatives-domain UNDERLYING_SECURITY_ID (NIFTY 26000,
 * BANKNIFTY 26009, FINNIFTY 26037, SENSEX 1; the others are invented in the same style).
 *
 * @module
 */
import type { CycleSpec } from './synthetic-expiries.js';
import { STRIKE_UNIT } from './synthetic-format.js';

/** How an index's strikes are laid out per kind of expiry (docs/market-structure.md §2.1). */
export interface IndexStrikeScheme {
  /** Finest step in rupees; every strike is a multiple of it. */
  readonly step: number;
  /** Weekly chain: strikes when just listed (`far`, `farDte` days out) and at expiry (`near`). */
  readonly weekly?: { readonly near: number; readonly far: number; readonly farDte: number };
  /** Serial monthly chain, same convention. */
  readonly monthly: { readonly near: number; readonly far: number; readonly farDte: number };
  /** Extra coarse strikes every serial monthly carries (BANKNIFTY's 500s), as [step, lo×spot, hi×spot]. */
  readonly monthlyWide?: readonly [number, number, number];
  /**
   * Coarse strikes left over from the long-dated phase on quarter-month serials (NIFTY Sep 2026
   * keeps 1500-point strikes from 15,000 to 34,500), as [step, lo×spot, hi×spot].
   */
  readonly quarterMonthWide?: readonly [number, number, number];
  /** Long-dated step (1500 NIFTY/BANKNIFTY, 1000 SENSEX) with a 5-1-5 grid (docs/market-structure.md §2.1). */
  readonly longStep?: number;
  /** The nearest quarterly after the serials also has a finer block: [step, strikes each side]. */
  readonly firstQuarterlyBlock?: readonly [number, number];
  /** Up to this many one-sided legacy strikes (older 500/1000 strikes kept where OI > 0) on long-dated chains. */
  readonly legacy?: { readonly step: number; readonly max: number };
}

/** An index with derivatives in the synthetic master. */
export interface IndexSpec {
  readonly symbol: string;
  readonly exchange: 'NSE' | 'BSE';
  /** IDX_I security id (the spot). */
  readonly idxId: number;
  /** UNDERLYING_SECURITY_ID on its derivative rows. */
  readonly derivUnderlyingId: number;
  /** IDX_I row display name. */
  readonly displayName: string;
  readonly baseSpot: number;
  readonly annualVol: number;
  readonly liquidity: number;
  readonly lot: number;
  readonly freezeQty: number;
  /** In the product's universe (docs/contract.md §3)? The others are distractors. */
  readonly inUniverse: boolean;
  readonly cycle: Omit<CycleSpec, 'exchange'>;
  readonly strikes: IndexStrikeScheme;
  /** SYMBOL_NAME of option rows when the exchange uses a fixed one (SENSEX: `BSXOPT`), else the trading symbol. */
  readonly optionSymbolName?: string;
  readonly futureSymbolName?: string;
  /** Futures tick in rupees (NIFTY ₹0.10, BANKNIFTY ₹0.20; docs/dhan-protocol.md §1.5). */
  readonly futureTick: number;
  /** Id layout: slots per chain lane (a power of two ≥ the widest chain's span in steps). */
  readonly slots: number;
}

const NIFTY_CYCLE = { weeklies: { mode: 'count', n: 4 }, monthlies: 3, quarterlies: 3, halfYearlies: 8 } as const;
const SENSEX_CYCLE = { weeklies: { mode: 'window', n: 7 }, monthlies: 3, quarterlies: 3, halfYearlies: 8 } as const;

/** Derivative indices, the universe's three first (docs/market-structure.md §1.2, §1.3, §6 lots). */
export const INDICES: readonly IndexSpec[] = Object.freeze([
  {
    symbol: 'NIFTY', exchange: 'NSE', idxId: 13, derivUnderlyingId: 26000, displayName: 'Nifty 50',
    baseSpot: 24_400, annualVol: 0.13, liquidity: 1, lot: 65, freezeQty: 1756, inUniverse: true,
    cycle: NIFTY_CYCLE, futureTick: 0.1, slots: 512,
    strikes: {
      step: 50,
      weekly: { near: 105, far: 73, farDte: 28 },
      monthly: { near: 121, far: 100, farDte: 70 },
      quarterMonthWide: [1500, 0.62, 1.42],
      longStep: 1500,
      firstQuarterlyBlock: [500, 10],
      legacy: { step: 500, max: 7 },
    },
  },
  {
    symbol: 'BANKNIFTY', exchange: 'NSE', idxId: 25, derivUnderlyingId: 26009, displayName: 'Nifty Bank',
    baseSpot: 55_000, annualVol: 0.15, liquidity: 0.75, lot: 30, freezeQty: 600, inUniverse: true,
    cycle: { monthlies: 3, quarterlies: 3 }, futureTick: 0.2, slots: 512,
    strikes: {
      step: 100,
      monthly: { near: 137, far: 103, farDte: 75 },
      monthlyWide: [500, 0.78, 1.3],
      longStep: 1500,
      legacy: { step: 500, max: 2 },
    },
  },
  {
    symbol: 'SENSEX', exchange: 'BSE', idxId: 51, derivUnderlyingId: 1, displayName: 'Sensex',
    baseSpot: 80_500, annualVol: 0.13, liquidity: 0.9, lot: 20, freezeQty: 1000, inUniverse: true,
    cycle: SENSEX_CYCLE, futureTick: 0.1, slots: 1024, optionSymbolName: 'BSXOPT', futureSymbolName: 'BSXFUT',
    strikes: {
      step: 100,
      weekly: { near: 134, far: 102, farDte: 45 },
      monthly: { near: 176, far: 112, farDte: 75 },
      quarterMonthWide: [1000, 0.8, 1.2],
      longStep: 1000,
    },
  },
  {
    symbol: 'FINNIFTY', exchange: 'NSE', idxId: 27, derivUnderlyingId: 26037, displayName: 'Nifty Fin Service',
    baseSpot: 26_000, annualVol: 0.14, liquidity: 0.2, lot: 60, freezeQty: 1800, inUniverse: false,
    cycle: { monthlies: 3 }, futureTick: 0.1, slots: 512,
    strikes: { step: 50, monthly: { near: 119, far: 57, farDte: 75 } },
  },
  {
    symbol: 'MIDCPNIFTY', exchange: 'NSE', idxId: 442, derivUnderlyingId: 26074, displayName: 'NIFTY MID SELECT',
    baseSpot: 12_900, annualVol: 0.17, liquidity: 0.2, lot: 120, freezeQty: 2800, inUniverse: false,
    cycle: { monthlies: 3 }, futureTick: 0.05, slots: 512,
    strikes: { step: 25, monthly: { near: 151, far: 98, farDte: 75 } },
  },
  {
    symbol: 'NIFTYNXT50', exchange: 'NSE', idxId: 38, derivUnderlyingId: 26013, displayName: 'Nifty Next 50',
    baseSpot: 68_000, annualVol: 0.17, liquidity: 0.1, lot: 25, freezeQty: 600, inUniverse: false,
    cycle: { monthlies: 3 }, futureTick: 0.1, slots: 1024,
    strikes: { step: 100, monthly: { near: 175, far: 136, farDte: 75 }, monthlyWide: [500, 0.8, 1.2] },
  },
  {
    symbol: 'BANKEX', exchange: 'BSE', idxId: 69, derivUnderlyingId: 12, displayName: 'Bankex',
    baseSpot: 62_500, annualVol: 0.15, liquidity: 0.1, lot: 30, freezeQty: 900, inUniverse: false,
    cycle: { monthlies: 3 }, futureTick: 0.1, slots: 1024, optionSymbolName: 'BKXOPT', futureSymbolName: 'BKXFUT',
    strikes: { step: 100, monthly: { near: 191, far: 112, farDte: 75 } },
  },
  {
    symbol: 'SENSEX50', exchange: 'BSE', idxId: 83, derivUnderlyingId: 47, displayName: 'SENSEX 50',
    baseSpot: 25_900, annualVol: 0.13, liquidity: 0.05, lot: 75, freezeQty: 1800, inUniverse: false,
    cycle: { monthlies: 3 }, futureTick: 0.05, slots: 512, optionSymbolName: 'SX50OPT', futureSymbolName: 'SX50FUT',
    strikes: { step: 50, monthly: { near: 75, far: 49, farDte: 75 } },
  },
] satisfies IndexSpec[]);

/** Step of an index's finest strike grid in strike units. */
export function indexStepUnits(spec: IndexSpec): number {
  return Math.round(spec.strikes.step * STRIKE_UNIT);
}

/** Plain IDX_I rows with no derivatives in the master: [exchange, symbol, display name]. */
export const OTHER_INDICES: readonly (readonly ['NSE' | 'BSE', string, string])[] = Object.freeze([
  ['NSE', 'INDIA VIX', 'India VIX'],
  ...[
    'Nifty IT', 'Nifty Pharma', 'Nifty Auto', 'Nifty FMCG', 'Nifty Metal', 'Nifty Realty', 'Nifty Energy', 'Nifty Media',
    'Nifty PSU Bank', 'Nifty Pvt Bank', 'Nifty Infra', 'Nifty Commodities', 'Nifty CPSE', 'Nifty MNC', 'Nifty PSE',
    'Nifty Serv Sector', 'Nifty 100', 'Nifty 200', 'Nifty 500', 'Nifty Midcap 50', 'Nifty Midcap 100', 'Nifty Midcap 150',
    'Nifty Smallcap 50', 'Nifty Smallcap 100', 'Nifty Smallcap 250', 'Nifty Microcap 250', 'Nifty Total Market',
    'Nifty Alpha 50', 'Nifty100 Low Vol 30', 'Nifty Div Opps 50', 'Nifty GrowSect 15', 'Nifty50 Value 20',
    'Nifty Consumption', 'Nifty Healthcare', 'Nifty Oil and Gas', 'Nifty Fin Service 25 50', 'Nifty India Defence',
    'Nifty India Digital', 'Nifty Housing', 'Nifty Mobility', 'Nifty EV', 'Nifty Capital Mkt', 'Nifty India Tourism',
    'Nifty Rural', 'Nifty India Mfg', 'Nifty Chemicals', 'Nifty100 Quality 30', 'Nifty200 Momentm 30', 'Nifty Midcap Liq 15',
    'Nifty 50 Equal Wgt', 'Nifty 100 Equal Wgt', 'Nifty50 Div Point', 'Nifty Ind Railways PSU', 'Nifty Non-Cyc Cons',
    'Nifty LargeMid250', 'Nifty MidSml 400', 'Nifty Corp Group TATA', 'Nifty Conglomerate', 'Nifty Core Housing',
    'Nifty PSU Bank Dividend', 'Nifty Shariah 25', 'Nifty Fin Service Ex Bank', 'Nifty Waves', 'Nifty India Internet',
  ].map((name) => ['NSE', name.toUpperCase(), name] as const),
  ...[
    'BSE 100', 'BSE 200', 'BSE 500', 'BSE MidCap', 'BSE SmallCap', 'BSE Auto', 'BSE IT', 'BSE FMCG', 'BSE Metal',
    'BSE Oil and Gas', 'BSE Power', 'BSE Realty', 'BSE Teck', 'BSE Healthcare', 'BSE Capital Goods', 'BSE Consumer Durables',
    'BSE PSU', 'BSE IPO', 'BSE Greenex', 'BSE Carbonex', 'BSE Dollex 30', 'BSE Dollex 100', 'BSE Dollex 200',
    'BSE AllCap', 'BSE LargeCap', 'BSE MidCap Select', 'BSE SmallCap Select', 'BSE Energy', 'BSE Financial Services',
    'BSE Industrials', 'BSE Telecom', 'BSE Utilities', 'BSE Commodities', 'BSE Consumer Discretionary', 'BSE Focused IT',
    'BSE India Infrastructure', 'BSE CPSE', 'BSE Momentum', 'BSE Quality', 'BSE Low Volatility', 'BSE Enhanced Value',
    'BSE India Manufacturing', 'BSE SME IPO', 'BSE Private Banks', 'BSE Sensex Next 50',
  ].map((name) => ['BSE', name.toUpperCase(), name] as const),
]);
