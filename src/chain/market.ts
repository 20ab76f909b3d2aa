/**
 * A market: one trading date's frozen skeleton together with the price table whose slots it
 * numbers. Chains are only ever assembled from a matching pair, so a rollover swaps the whole
 * pair at once and an old slot can never be read through a new skeleton (docs/contract.md §3: the
 * skeleton is rebuilt only for a new trading date).
 *
 * @module
 */
import { ErrorCodes, OptchainError } from '../errors.js';
import type { AnalyticsTable } from '../price-table/analytics-table.js';
import type { PriceTable } from '../price-table/price-table.js';
import { SkeletonIndex } from '../skeleton/skeleton-index.js';
import type { Skeleton } from '../skeleton/types.js';

/** An immutable (skeleton, lookups, price table, analytics table) set. */
export class Market {
  readonly skeleton: Skeleton;
  readonly index: SkeletonIndex;
  readonly table: PriceTable;
  /** The analytics worker's table (issue 13); null when analytics are off (OPTCHAIN_ANALYTICS=off). */
  readonly analytics: AnalyticsTable | null;

  /**
   * Throws PRICE_TABLE_LAYOUT when the table has fewer slots or generation counters than the
   * skeleton needs (a table allocated for another skeleton).
   */
  constructor(skeleton: Skeleton, table: PriceTable, index?: SkeletonIndex, analytics: AnalyticsTable | null = null) {
    if (table.slots < skeleton.slotCount || table.chains < skeleton.chains.length) {
      throw new OptchainError(
        ErrorCodes.PRICE_TABLE_LAYOUT,
        `price table (${table.slots} slots, ${table.chains} chains) does not fit skeleton ${skeleton.tradingDate} (${skeleton.slotCount} slots, ${skeleton.chains.length} chains)`,
      );
    }
    if (index && index.skeleton !== skeleton) {
      throw new OptchainError(ErrorCodes.PRICE_TABLE_LAYOUT, 'skeleton index belongs to another skeleton');
    }
    if (analytics && analytics.chains !== skeleton.chains.length) {
      throw new OptchainError(ErrorCodes.PRICE_TABLE_LAYOUT, `analytics table has ${analytics.chains} chains, skeleton ${skeleton.tradingDate} has ${skeleton.chains.length}`);
    }
    this.skeleton = skeleton;
    this.table = table;
    this.index = index ?? new SkeletonIndex(skeleton);
    this.analytics = analytics;
  }

  /**
   * The generation of chain `c` as bodies carry it (docs/contract.md §5 `generation`, the cache key):
   * the price generation plus the analytics generation. Both only grow, so the sum grows
   * whenever either does, and two reads with equal sums saw equal pairs: equal generation ⇒
   * equal body apart from servedAt (docs/contract.md §5), with the Greeks included.
   */
  generation(c: number): number {
    const a = this.analytics;
    return a === null ? this.table.generation(c) : this.table.generation(c) + a.generation(c);
  }
}
