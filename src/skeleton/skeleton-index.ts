/**
 * Lookups over a frozen skeleton: (segment, security id) ↔ slot ↔ contract, and
 * (exchange, symbol) → underlying. Built once per skeleton; read-only afterwards (the maps are
 * private and no method mutates them).
 *
 * @module
 */
import { SEGMENT_CODE, instrumentKey, type Segment } from '../dhan/segments.js';
import type { Chain, Contract, Exchange, Skeleton, Underlying } from './types.js';

/** Read-only lookups for one skeleton. */
export class SkeletonIndex {
  readonly skeleton: Skeleton;
  private readonly slotByKey = new Map<number, number>();
  private readonly contractBySlot: (Contract | undefined)[];
  private readonly underlyingByKey = new Map<string, Underlying>();
  private readonly underlyingsBySymbol = new Map<string, Underlying[]>();

  constructor(skeleton: Skeleton) {
    this.skeleton = skeleton;
    this.contractBySlot = new Array<Contract | undefined>(skeleton.slotCount);
    for (const t of skeleton.tokens) this.slotByKey.set(instrumentKey(SEGMENT_CODE[t.segment], t.securityId), t.slot);
    for (const chain of skeleton.chains) {
      for (const row of chain.rows) {
        if (row.ce) this.contractBySlot[row.ce.slot] = row.ce;
        if (row.pe) this.contractBySlot[row.pe.slot] = row.pe;
      }
    }
    for (const u of skeleton.underlyings) {
      this.underlyingByKey.set(`${u.exchange}:${u.symbol}`, u);
      const list = this.underlyingsBySymbol.get(u.symbol) ?? [];
      list.push(u);
      this.underlyingsBySymbol.set(u.symbol, list);
    }
  }

  /** Slot of a token, or -1 when the skeleton does not hold it. */
  slotOf(segment: Segment, securityId: number): number {
    return this.slotByKey.get(instrumentKey(SEGMENT_CODE[segment], securityId)) ?? -1;
  }

  /** The option contract in a slot (undefined for spot slots and out-of-range slots). */
  contractAt(slot: number): Contract | undefined {
    return this.contractBySlot[slot];
  }

  /** The option contract for a token, if the skeleton holds it. */
  contract(segment: Segment, securityId: number): Contract | undefined {
    const slot = this.slotOf(segment, securityId);
    return slot < 0 ? undefined : this.contractBySlot[slot];
  }

  /**
   * The underlying for `symbol` on `exchange`; without an exchange, NSE when the symbol trades
   * there, else the only listing (docs/contract.md §5: `exchange` defaults to NSE).
   */
  underlying(symbol: string, exchange?: Exchange): Underlying | undefined {
    if (exchange) return this.underlyingByKey.get(`${exchange}:${symbol}`);
    const list = this.underlyingsBySymbol.get(symbol);
    if (!list) return undefined;
    return list.find((u) => u.exchange === 'NSE') ?? list[0];
  }

  /** Every listing of a symbol (NSE first). */
  listings(symbol: string): readonly Underlying[] {
    return this.underlyingsBySymbol.get(symbol) ?? [];
  }

  /** The chain of an underlying for an expiry; no expiry = the nearest selected one. */
  chain(underlying: Underlying, expiry?: string): Chain | undefined {
    if (expiry === undefined) return underlying.chains[0];
    return underlying.chains.find((c) => c.expiry === expiry);
  }
}
