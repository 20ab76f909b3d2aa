/**
 * A market: one trading date's frozen skeleton together with the price table whose slots it
 * numbers. Chains are only ever assembled from a matching pair, so a rollover swaps the whole
 * pair at once and an old slot can never be read through a new skeleton (docs/contract.md §3: the
 * skeleton is rebuilt only for a new trading date).
 *
 * @module
 */
import { ErrorCodes, OptchainError } from '../errors.js';
import type { PriceTable } from '../price-table/price-table.js';
import { SkeletonIndex } from '../skeleton/skeleton-index.js';
import type { Skeleton } from '../skeleton/types.js';

/** An immutable (skeleton, lookups, price table) triple. */
export class Market {
  readonly skeleton: Skeleton;
  readonly index: SkeletonIndex;
  readonly table: PriceTable;

  /**
   * Throws PRICE_TABLE_LAYOUT when the table has fewer slots or generation counters than the
   * skeleton needs (a table allocated for another skeleton).
   */
  constructor(skeleton: Skeleton, table: PriceTable, index?: SkeletonIndex) {
    if (table.slots < skeleton.slotCount || table.chains < skeleton.chains.length) {
      throw new OptchainError(
        ErrorCodes.PRICE_TABLE_LAYOUT,
        `price table (${table.slots} slots, ${table.chains} chains) does not fit skeleton ${skeleton.tradingDate} (${skeleton.slotCount} slots, ${skeleton.chains.length} chains)`,
      );
    }
    if (index && index.skeleton !== skeleton) {
      throw new OptchainError(ErrorCodes.PRICE_TABLE_LAYOUT, 'skeleton index belongs to another skeleton');
    }
    this.skeleton = skeleton;
    this.table = table;
    this.index = index ?? new SkeletonIndex(skeleton);
  }
}
