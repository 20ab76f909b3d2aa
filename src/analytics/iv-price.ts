/**
 * The `ivFrom` rule: which price an option's IV is solved from.
 *
 * The mid (bid + ask)/2 when the quote is two-sided and sane, else the LTP. "Sane" is the
 * rule the paper engine already applies before it fills at the touch (src/paper/feasibility.ts
 * checks 6–7), with the same configuration keys, so one notion of a usable quote holds across
 * the server:
 *   - two-sided: bid > 0 and ask > 0 (Dhan sends 0 for an empty side);
 *   - not crossed: bid ≤ ask (a locked book, bid = ask, is the price both sides agree on);
 *   - tight: ask − bid ≤ `maxSpreadAbs` rupees AND (ask − bid)/mid ≤ `maxSpreadRel` (both must
 *     hold: the absolute bound guards expensive contracts, the relative one cheap ones).
 * A wide or one-sided book says little about value, while the LTP is at least a price someone
 * paid; the LTP may be old, which is why the response names the source.
 *
 * @module
 */
import { IvFrom, IvReason } from './iv-reason.js';

/** The spread limits of a sane quote (config `maxSpreadAbs`, `maxSpreadRel`). */
export interface SpreadRules {
  /** Widest spread in rupees. */
  readonly maxSpreadAbs: number;
  /** Widest spread as a fraction of the mid. */
  readonly maxSpreadRel: number;
}

/** True when bid/ask form a sane two-sided quote (rule above); NaN fields are missing sides. */
export function isSaneQuote(bid: number, ask: number, rules: SpreadRules): boolean {
  if (!(bid > 0) || !(ask >= bid)) return false;
  const spread = ask - bid;
  return spread <= rules.maxSpreadAbs && spread <= rules.maxSpreadRel * 0.5 * (bid + ask);
}

/**
 * Writes the price to solve from to `out[at]` and returns its source, {@link IvFrom}`.mid` or
 * `.ltp`, or {@link IvReason}`.noPrice` (out[at] NaN) when there is neither a sane quote nor an
 * LTP > 0.
 */
export function ivPrice(bid: number, ask: number, ltp: number, rules: SpreadRules, out: Float64Array, at = 0): number {
  if (isSaneQuote(bid, ask, rules)) {
    out[at] = 0.5 * (bid + ask);
    return IvFrom.mid;
  }
  if (ltp > 0) {
    out[at] = ltp;
    return IvFrom.ltp;
  }
  out[at] = Number.NaN;
  return IvReason.noPrice;
}
