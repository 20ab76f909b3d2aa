/**
 * Feasibility of a paper order at the touch, decided before any margin call (docs/contract.md §6,
 * issue 7 item 3), from the live price table and the skeleton's static daily rules. Every
 * refusal is a 422 with its code and, in `error.details`, the leg index and the numbers that
 * caused it.
 *
 * Checks per leg, in this order (the first failure wins):
 * 1. the instrument is in today's skeleton — `UNKNOWN_INSTRUMENT`;
 * 2. lots is a whole number ≥ 1, at most `maxLots` (config `paperMaxLots`: a sane bound that
 *    holds where the master gives no freeze quantity), and lots × lotSize ≤ the exchange freeze
 *    quantity where known — `INVALID_QUANTITY` (a leg over the freeze would be rejected by the
 *    exchange, not sliced). `POST /v1/margin` and strategies apply the same rules to their legs
 *    (issue 15: 10^12 lots were passed to Dhan) except the freeze quantity, which limits one
 *    order, not a holding;
 * 3. a LIMIT price lies within the day's band [lowerLimit, upperLimit] — `PRICE_OUTSIDE_BAND`;
 * 4. both sides are quoted with a receive time — `NO_QUOTE` (docs/peers.md §3.8: no fill when a quote
 *    is absent);
 * 5. received no longer ago than `quoteMaxAgeMs` — `STALE_QUOTE`;
 * 6. bid < ask — `CROSSED_QUOTE` (locked or crossed books give no meaningful touch);
 * 7. spread ≤ `maxSpreadAbs` AND spread / mid ≤ `maxSpreadRel` — `SPREAD_TOO_WIDE` (both bounds
 *    must hold: the absolute one guards expensive contracts, the relative one cheap ones);
 * 8. a LIMIT leg is marketable now (BUY limit ≥ ask, SELL limit ≤ bid) — `LIMIT_NOT_MARKETABLE`
 *    (there is no resting paper book, so a non-marketable limit cannot fill);
 * 9. the displayed top-of-book quantity on the side taken covers the leg, summed over the
 *    order's legs on the same instrument and side — `INSUFFICIENT_LIQUIDITY`.
 *
 * `INVALID_QUANTITY`, `PRICE_OUTSIDE_BAND` and `LIMIT_NOT_MARKETABLE` extend the contract's list
 * of 422 codes; they name rules the contract requires but gives no code for.
 *
 * @module
 */
import { ErrorCodes, OrderRefusedError } from '../errors.js';
import { FIELD_COUNT } from '../price-table/layout.js';
import type { PriceTable } from '../price-table/price-table.js';
import type { Contract } from '../skeleton/types.js';
import { roundPaise } from '../util/round-paise.js';

/** The quote fields a fill needs; NaN = never delivered. */
export interface Quote {
  readonly ltp: number;
  readonly bid: number;
  readonly ask: number;
  readonly bidQty: number;
  readonly askQty: number;
  /** Server receive time, Unix ms. */
  readonly updatedAt: number;
}

/** Indices into a readSlot copy (FIELD_NAMES order, src/price-table/layout.ts). */
const I_LTP = 0;
const I_BID = 1;
const I_ASK = 2;
const I_BID_QTY = 3;
const I_ASK_QTY = 4;
const I_UPDATED_AT = 9;

/** A consistent copy of a slot's quote (seqlock read). */
export function readQuote(table: PriceTable, slot: number, scratch: Float64Array = new Float64Array(FIELD_COUNT)): Quote {
  table.readSlot(slot, scratch, 0);
  return { ltp: scratch[I_LTP]!, bid: scratch[I_BID]!, ask: scratch[I_ASK]!, bidQty: scratch[I_BID_QTY]!, askQty: scratch[I_ASK_QTY]!, updatedAt: scratch[I_UPDATED_AT]! };
}

/** Configurable limits (config `quoteMaxAgeMs`, `maxSpreadAbs`, `maxSpreadRel`, `paperMaxLots`). */
export interface FeasibilityRules {
  readonly quoteMaxAgeMs: number;
  readonly maxSpreadAbs: number;
  readonly maxSpreadRel: number;
  /** Most lots in one leg; default unbounded (the freeze quantity still applies). */
  readonly maxLots?: number;
}

/** A leg as the checks see it. */
export interface LegRequest {
  readonly exchangeSegment: 'NSE_FNO' | 'BSE_FNO';
  readonly securityId: number;
  readonly side: 'BUY' | 'SELL';
  readonly lots: number;
  readonly type: 'MARKET' | 'LIMIT';
  readonly limitPrice?: number | undefined;
}

/** A leg that passed: what it fills at. */
export interface FeasibleLeg {
  readonly leg: number;
  readonly request: LegRequest;
  readonly contract: Contract;
  /** Units = lots × lotSize. */
  readonly quantity: number;
  /** The touch: ask for BUY, bid for SELL, in rupees (2 dp). */
  readonly price: number;
  readonly quote: Quote;
}

/** A finite number or null (details must not carry NaN, which JSON cannot say). */
function n(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function refuse(code: keyof typeof ErrorCodes, message: string, details: Record<string, unknown>): never {
  throw new OrderRefusedError(ErrorCodes[code], message, details);
}

/**
 * Static checks of one leg against its contract (1–3 above). `perOrder` false skips the freeze
 * quantity: it limits one order, not a holding (strategies and what-if margins describe holdings).
 * `maxLots` (config `paperMaxLots`) bounds every leg, holding or order.
 */
export function checkStatic(legIndex: number, leg: LegRequest, contract: Contract | undefined, perOrder = true, maxLots = Infinity): asserts contract is Contract {
  const where = { leg: legIndex, exchangeSegment: leg.exchangeSegment, securityId: leg.securityId };
  if (contract === undefined) refuse('UNKNOWN_INSTRUMENT', `leg ${legIndex}: ${leg.exchangeSegment} ${leg.securityId} is not an option in today's skeleton`, where);
  if (!Number.isInteger(leg.lots) || leg.lots < 1) {
    refuse('INVALID_QUANTITY', `leg ${legIndex}: lots must be a whole number of at least 1`, { ...where, lots: leg.lots, lotSize: contract.lotSize });
  }
  if (leg.lots > maxLots) {
    refuse('INVALID_QUANTITY', `leg ${legIndex}: ${leg.lots} lots exceed the most one leg may carry (${maxLots})`, { ...where, lots: leg.lots, lotSize: contract.lotSize, maxLots });
  }
  const quantity = leg.lots * contract.lotSize;
  // null = the master does not say (issue 16 §4): the check is off, as the load warning said; never a limit of 0.
  const { freezeQty, upperLimit, lowerLimit } = contract;
  if (perOrder && freezeQty !== null && freezeQty > 0 && quantity > freezeQty) {
    refuse('INVALID_QUANTITY', `leg ${legIndex}: ${quantity} units exceed the freeze quantity ${freezeQty}`, {
      ...where, lots: leg.lots, lotSize: contract.lotSize, quantity, freezeQty, maxLots: Math.floor(freezeQty / contract.lotSize),
    });
  }
  if (leg.type === 'LIMIT' && leg.limitPrice !== undefined && upperLimit !== null && lowerLimit !== null && upperLimit > 0 && lowerLimit > 0 && (leg.limitPrice < lowerLimit || leg.limitPrice > upperLimit)) {
    refuse('PRICE_OUTSIDE_BAND', `leg ${legIndex}: limit price ${leg.limitPrice} is outside today's band ${lowerLimit}–${upperLimit}`, {
      ...where, limitPrice: leg.limitPrice, lowerLimit, upperLimit,
    });
  }
}

/** Quote checks of one leg (4–8 above); returns the touch price. */
export function checkQuote(legIndex: number, leg: LegRequest, q: Quote, now: number, rules: FeasibilityRules): number {
  const where = { leg: legIndex, exchangeSegment: leg.exchangeSegment, securityId: leg.securityId };
  const bid = roundPaise(q.bid);
  const ask = roundPaise(q.ask);
  if (!(bid > 0) || !(ask > 0) || !Number.isFinite(q.updatedAt)) {
    refuse('NO_QUOTE', `leg ${legIndex}: no two-sided quote has been received`, { ...where, bid: n(bid), ask: n(ask), updatedAt: n(q.updatedAt) });
  }
  const ageMs = now - q.updatedAt;
  if (ageMs > rules.quoteMaxAgeMs) {
    refuse('STALE_QUOTE', `leg ${legIndex}: the quote is ${Math.round(ageMs)} ms old (max ${rules.quoteMaxAgeMs} ms)`, { ...where, quoteAgeMs: Math.round(ageMs), quoteMaxAgeMs: rules.quoteMaxAgeMs, updatedAt: q.updatedAt });
  }
  if (bid >= ask) {
    refuse('CROSSED_QUOTE', `leg ${legIndex}: the quote is ${bid === ask ? 'locked' : 'crossed'} (bid ${bid} ≥ ask ${ask})`, { ...where, bid, ask });
  }
  const spread = roundPaise(ask - bid);
  const mid = (ask + bid) / 2;
  const spreadRel = spread / mid;
  if (spread > rules.maxSpreadAbs || spreadRel > rules.maxSpreadRel) {
    refuse('SPREAD_TOO_WIDE', `leg ${legIndex}: spread ${spread} (${(spreadRel * 100).toFixed(2)}% of mid) exceeds ${rules.maxSpreadAbs} or ${(rules.maxSpreadRel * 100).toFixed(2)}%`, {
      ...where, bid, ask, spread, spreadRel: Math.round(spreadRel * 1e6) / 1e6, maxSpreadAbs: rules.maxSpreadAbs, maxSpreadRel: rules.maxSpreadRel,
    });
  }
  const touch = leg.side === 'BUY' ? ask : bid;
  if (leg.type === 'LIMIT' && leg.limitPrice !== undefined) {
    const marketable = leg.side === 'BUY' ? leg.limitPrice >= ask : leg.limitPrice <= bid;
    if (!marketable) {
      refuse('LIMIT_NOT_MARKETABLE', `leg ${legIndex}: ${leg.side} limit ${leg.limitPrice} does not reach the ${leg.side === 'BUY' ? 'ask' : 'bid'} ${touch}; paper orders do not rest`, {
        ...where, side: leg.side, limitPrice: leg.limitPrice, bid, ask,
      });
    }
  }
  return touch;
}

/**
 * Runs every check over an order's legs; returns the fills at the touch or throws the first
 * refusal. All-or-none: nothing is returned unless every leg passes.
 */
export function checkOrder(
  legs: readonly LegRequest[],
  lookup: (segment: 'NSE_FNO' | 'BSE_FNO', securityId: number) => Contract | undefined,
  quoteOf: (slot: number) => Quote,
  now: number,
  rules: FeasibilityRules,
): FeasibleLeg[] {
  const out: FeasibleLeg[] = [];
  const taken = new Map<string, number>();
  for (let i = 0; i < legs.length; i++) {
    const leg = legs[i]!;
    const contract = lookup(leg.exchangeSegment, leg.securityId);
    checkStatic(i, leg, contract, true, rules.maxLots);
    const quote = quoteOf(contract.slot);
    const price = checkQuote(i, leg, quote, now, rules);
    const quantity = leg.lots * contract.lotSize;
    const key = `${contract.slot}:${leg.side}`;
    const need = (taken.get(key) ?? 0) + quantity;
    taken.set(key, need);
    const shown = leg.side === 'BUY' ? quote.askQty : quote.bidQty;
    const displayed = Number.isFinite(shown) ? Math.round(shown) : 0;
    if (need > displayed) {
      refuse('INSUFFICIENT_LIQUIDITY', `leg ${i}: ${need} units needed, ${displayed} displayed at the ${leg.side === 'BUY' ? 'ask' : 'bid'}`, {
        leg: i, exchangeSegment: leg.exchangeSegment, securityId: leg.securityId, side: leg.side, quantity: need, displayedQty: displayed, price,
      });
    }
    out.push({ leg: i, request: leg, contract, quantity, price, quote });
  }
  return out;
}
