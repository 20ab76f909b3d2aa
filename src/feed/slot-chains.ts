/**
 * Slot → chains whose generation moves when the slot changes (skeleton `chainsOfSlot`),
 * flattened to compressed-sparse-row form: `chains[start[s] .. start[s+1])` are the chains of
 * slot `s`. Two Int32Arrays instead of an array of arrays, so the feed's per-packet
 * generation bumps walk contiguous integers and never touch a JS array (docs/engineering.md §2.6).
 *
 * @module
 */
import { ErrorCodes, OptchainError } from '../errors.js';

/** Immutable CSR index of slot → chain numbers. */
export class SlotChains {
  /** Length slots + 1. */
  readonly start: Int32Array;
  /** All chain numbers, grouped by slot. */
  readonly chains: Int32Array;
  /** Number of slots covered. */
  readonly slots: number;

  private constructor(start: Int32Array, chains: Int32Array) {
    this.start = start;
    this.chains = chains;
    this.slots = start.length - 1;
  }

  /**
   * Flattens `chainsOfSlot` (index = slot). Slots beyond its length have no chains. Throws
   * PRICE_TABLE_LAYOUT for a chain number that is not an integer in [0, chainCount).
   */
  static from(chainsOfSlot: readonly (readonly number[] | undefined)[], chainCount: number, slots = chainsOfSlot.length): SlotChains {
    const start = new Int32Array(slots + 1);
    let total = 0;
    for (let s = 0; s < slots; s++) {
      start[s] = total;
      total += chainsOfSlot[s]?.length ?? 0;
    }
    start[slots] = total;
    const chains = new Int32Array(total);
    let k = 0;
    for (let s = 0; s < slots; s++) {
      for (const c of chainsOfSlot[s] ?? []) {
        if (!Number.isInteger(c) || c < 0 || c >= chainCount) {
          throw new OptchainError(ErrorCodes.PRICE_TABLE_LAYOUT, `slot ${s} names chain ${c}, outside 0..${chainCount - 1}`);
        }
        chains[k++] = c;
      }
    }
    return new SlotChains(start, chains);
  }

  /** The chains of one slot (a copy; for tests and tools, not the hot path). */
  chainsOf(slot: number): number[] {
    if (!(slot >= 0 && slot < this.slots)) return [];
    return Array.from(this.chains.subarray(this.start[slot]!, this.start[slot + 1]!));
  }
}
