/**
 * A SPAN-like margin model for the simulator's margin calculator (docs/dhan-protocol.md §3.2–§3.3).
 * Not NSE's SPAN, but shaped like it, so the server's margin logic meets the asymmetries it
 * will meet on Dhan:
 *
 * - per underlying, the basket is revalued (Black-76, the model's own smile) under 16
 *   scenarios: price moves of 0, ±⅓, ±⅔, ±1 price-scan range with volatility up and down, and
 *   ±2 ranges (at 35 %) for short deep-OTM risk; SPAN = the worst loss, at least a short-option
 *   minimum charge, less the value of the bought options (paid for in full, so they cover
 *   their own risk, as SPAN's net option value does);
 * - exposure margin on short options: 2 % of notional for index options, 3.5 % for stock
 *   options (NSE's ELM levels);
 * - bought options pay their premium (price × quantity) and nothing else;
 * - so a hedged basket (an iron condor) costs far less than the sum of its legs, and a short
 *   option far more than a long one.
 * Cash-market legs: CNC/MTF 100 % (MTF 25 %), INTRADAY 20 % of the value (5× leverage).
 *
 * @module
 */
import type { MarketModel } from './market-model.js';
import { Kind } from './market-model.js';

/** One leg as the REST body gives it (validated). */
export interface MarginLeg {
  /** Dense model index of the instrument. */
  readonly index: number;
  readonly side: 'BUY' | 'SELL';
  /** Units (for F&O: lots × lot size). */
  readonly quantity: number;
  readonly productType: string;
  /** Order price in rupees; 0 = use the last traded price. */
  readonly price: number;
}

/** Result of one basket. Rupees, unrounded. */
export interface MarginResult {
  span: number;
  exposure: number;
  /** Premium payable on bought options. */
  premium: number;
  /** Cash-market margin. */
  equity: number;
  /** span + exposure + premium (F&O part). */
  fo: number;
  total: number;
  /** Traded value of the basket (for the leverage figure). */
  notional: number;
}

const SCENARIOS: readonly (readonly [move: number, vol: number, weight: number])[] = [
  [0, 1, 1], [0, -1, 1],
  [1 / 3, 1, 1], [1 / 3, -1, 1], [-1 / 3, 1, 1], [-1 / 3, -1, 1],
  [2 / 3, 1, 1], [2 / 3, -1, 1], [-2 / 3, 1, 1], [-2 / 3, -1, 1],
  [1, 1, 1], [1, -1, 1], [-1, 1, 1], [-1, -1, 1],
  [2, 0, 0.35], [-2, 0, 0.35],
];
/** Volatility scan range: ±25 % of the volatility. */
const VOL_SCAN = 0.25;

/** Price scan range as a fraction of the spot: index 8 %, stocks scaled by their volatility. */
function priceScanRange(isIndex: boolean, vol: number): number {
  if (isIndex) return 0.08;
  return Math.min(0.3, Math.max(0.1, 0.45 * vol));
}

/** Margin of a basket of legs priced off the model at session time `sessionMs`. */
export function basketMargin(model: MarketModel, legs: readonly MarginLeg[], sessionMs: number): MarginResult {
  const res: MarginResult = { span: 0, exposure: 0, premium: 0, equity: 0, fo: 0, total: 0, notional: 0 };
  const groups = new Map<string, MarginLeg[]>();
  for (const leg of legs) {
    const i = leg.index;
    model.ensure(i);
    const price = leg.price > 0 ? leg.price : model.ltp[i]!;
    if (model.kind[i] !== Kind.OPTION) {
      const value = price * leg.quantity;
      const pt = leg.productType;
      const rate = pt === 'INTRADAY' || pt === 'CO' || pt === 'BO' ? 0.2 : pt === 'MTF' ? 0.25 : 1;
      res.equity += value * rate;
      res.notional += value;
      continue;
    }
    const u = model.underlyingOf(i);
    res.notional += u.spot * leg.quantity;
    if (leg.side === 'BUY') res.premium += price * leg.quantity;
    else res.exposure += (u.isIndex ? 0.02 : 0.035) * u.spot * leg.quantity;
    let g = groups.get(u.symbol);
    if (!g) groups.set(u.symbol, (g = []));
    g.push(leg);
  }
  for (const g of groups.values()) {
    const u = model.underlyingOf(g[0]!.index);
    const psr = priceScanRange(u.isIndex, u.vol);
    const base = portfolioValue(model, g, u.spot, sessionMs, 1);
    let worst = 0;
    for (const [move, vol, weight] of SCENARIOS) {
      const v = portfolioValue(model, g, u.spot * (1 + move * psr), sessionMs, 1 + vol * VOL_SCAN);
      const loss = (base - v) * weight;
      if (loss > worst) worst = loss;
    }
    // Short option minimum: 3 % (index) / 7.5 % (stock) of the notional of net short options.
    let netShort = 0;
    for (const leg of g) netShort += leg.side === 'SELL' ? leg.quantity : -leg.quantity;
    const minimum = Math.max(0, netShort) * u.spot * (u.isIndex ? 0.03 : 0.075);
    // Bought options are paid for in full: their value covers their own risk (SPAN's net option value).
    let longValue = 0;
    for (const leg of g) if (leg.side === 'BUY') longValue += model.optionValue(leg.index, u.spot, sessionMs) * leg.quantity;
    res.span += Math.max(0, Math.max(worst, minimum) - longValue);
  }
  res.fo = res.span + res.exposure + res.premium;
  res.total = res.fo + res.equity;
  return res;
}

function portfolioValue(model: MarketModel, legs: readonly MarginLeg[], S: number, sessionMs: number, volShift: number): number {
  let v = 0;
  for (const leg of legs) {
    const value = model.optionValue(leg.index, S, sessionMs, volShift);
    v += (leg.side === 'BUY' ? 1 : -1) * value * leg.quantity;
  }
  return v;
}
