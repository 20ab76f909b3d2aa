/**
 * The position set a margin is asked for, in canonical form: one net leg per instrument, zero
 * nets dropped, a stable order. Its SHA-256 is the margin cache key (docs/contract.md §6: "cached per
 * (user, canonical hash of the resulting position set)"), so two requests that describe the same
 * exposure — in any leg order, split over several legs, or reached by different orders — hit
 * the same cache entry.
 *
 * Prices are deliberately not part of the hash: the margin of a set moves with prices, but the
 * cache TTL (config `marginCacheTtlMs`) bounds that drift, and hashing prices would turn every
 * tick into a cache miss (docs/peers.md §5 item 6: cache by user plus position-set key, with a TTL).
 *
 * @module
 */
import { createHash } from 'node:crypto';

/** F&O segments a paper position can live in (docs/contract.md §6). */
export type FnoSegment = 'NSE_FNO' | 'BSE_FNO';

/** One signed holding: `quantity` in units (lots × lot size), > 0 long, < 0 short. */
export interface NetLeg {
  readonly exchangeSegment: FnoSegment;
  readonly securityId: number;
  readonly quantity: number;
}

/** A net leg plus the price sent to Dhan for it (premium basis, docs/dhan-protocol.md §3.2). */
export interface PricedLeg extends NetLeg {
  readonly price: number;
}

/**
 * Nets legs per instrument and drops flat ones. Order: bought legs first (Dhan's live basket
 * example sends them first, docs/dhan-protocol.md §3.3, which is how a hedge is recognised before the
 * short it covers), then by segment and security id, so the result is deterministic.
 */
export function canonicalSet<T extends NetLeg>(legs: Iterable<T>, merge?: (a: T, b: T, quantity: number) => T): T[] {
  const byKey = new Map<string, T>();
  for (const leg of legs) {
    const key = `${leg.exchangeSegment}:${leg.securityId}`;
    const prev = byKey.get(key);
    if (prev === undefined) byKey.set(key, leg);
    else {
      const q = prev.quantity + leg.quantity;
      byKey.set(key, merge ? merge(prev, leg, q) : ({ ...prev, quantity: q } as T));
    }
  }
  const out = [...byKey.values()].filter((l) => l.quantity !== 0);
  out.sort((a, b) => {
    const sa = a.quantity > 0 ? 0 : 1;
    const sb = b.quantity > 0 ? 0 : 1;
    if (sa !== sb) return sa - sb;
    if (a.exchangeSegment !== b.exchangeSegment) return a.exchangeSegment < b.exchangeSegment ? -1 : 1;
    return a.securityId - b.securityId;
  });
  return out;
}

/** Hex SHA-256 of the canonical set (segment, id, signed quantity only). Empty set → hash of "". */
export function positionSetHash(legs: Iterable<NetLeg>): string {
  const canon = canonicalSet([...legs].map((l) => ({ exchangeSegment: l.exchangeSegment, securityId: l.securityId, quantity: l.quantity })));
  const text = canon.map((l) => `${l.exchangeSegment}:${l.securityId}:${l.quantity}`).join(';');
  return createHash('sha256').update(text).digest('hex');
}
