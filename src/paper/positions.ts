/**
 * Net positions with average price and realized P&L. A fill in the position's direction adds at
 * a new weighted average; a fill against it first closes (realizing (price − avg) × closed × sign)
 * and any excess opens the other way at the fill price. Quantities are signed units.
 *
 * @module
 */
import type { FnoSegment } from '../margin/position-set.js';

/** One instrument's position for one user. */
export interface Position {
  readonly exchangeSegment: FnoSegment;
  readonly securityId: number;
  readonly lotSize: number;
  /** Signed units: > 0 long, < 0 short, 0 flat (kept for its realized P&L). */
  readonly quantity: number;
  /** Average price of the open quantity (0 when flat). */
  readonly avgPrice: number;
  /** Cumulative realized P&L in rupees. */
  readonly realizedPnl: number;
}

/** A fill to apply: signed units at a price. */
export interface SignedFill {
  readonly exchangeSegment: FnoSegment;
  readonly securityId: number;
  readonly lotSize: number;
  readonly quantity: number;
  readonly price: number;
}

/** The position after a fill (pure). */
export function applyFill(pos: Position | undefined, f: SignedFill): Position {
  const q0 = pos?.quantity ?? 0;
  const avg0 = pos?.avgPrice ?? 0;
  let realized = pos?.realizedPnl ?? 0;
  const q1 = q0 + f.quantity;
  let avg1: number;
  if (q0 === 0 || Math.sign(q0) === Math.sign(f.quantity)) {
    avg1 = (Math.abs(q0) * avg0 + Math.abs(f.quantity) * f.price) / Math.abs(q1);
  } else {
    const closed = Math.min(Math.abs(f.quantity), Math.abs(q0));
    realized += closed * (f.price - avg0) * Math.sign(q0);
    if (q1 === 0) avg1 = 0;
    else if (Math.sign(q1) === Math.sign(q0)) avg1 = avg0;
    else avg1 = f.price;
  }
  return {
    exchangeSegment: f.exchangeSegment,
    securityId: f.securityId,
    lotSize: f.lotSize,
    quantity: q1,
    avgPrice: Math.round(avg1 * 1e6) / 1e6,
    realizedPnl: Math.round(realized * 1e4) / 1e4,
  };
}

/** Key of an instrument within a user's positions. */
export function positionKey(segment: string, securityId: number): string {
  return `${segment}:${securityId}`;
}
