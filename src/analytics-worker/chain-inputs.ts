/**
 * What the analytics worker needs of the skeleton, as flat typed arrays (cheap to clone into
 * `workerData`, no object graph per chain on the worker): for each chain its strike rows with
 * the CE/PE slots, its spot slot, its expiry's 15:30 IST close and its price tick.
 *
 * @module
 */
import { expiryCloseMs } from '../analytics/time-to-expiry.js';
import type { Skeleton } from '../skeleton/types.js';

/** The chains of one skeleton, flat. Rows of chain c are `rowStart[c] … rowStart[c+1]`. */
export interface ChainInputs {
  readonly chains: number;
  readonly rowStart: Int32Array;
  /** Ascending within a chain, rupees. */
  readonly strikes: Float64Array;
  /** Price-table slot of each row's CE / PE, -1 where the skeleton lists none. */
  readonly ceSlot: Int32Array;
  readonly peSlot: Int32Array;
  /** Slot of the chain's underlying spot, -1 when the skeleton has none. */
  readonly spotSlot: Int32Array;
  /** Unix ms of 15:30 IST on the chain's expiry day. */
  readonly expiryCloseMs: Float64Array;
  /**
   * The finest price tick of the chain's options, rupees (0.05, or 0.01 for the stock options
   * NSE moved to it, docs/market-structure.md §2.2): the resolution of the prices IV is solved
   * from, which sizes the analytics worker's forward tolerance.
   */
  readonly tickSize: Float64Array;
}

/** Tick of a chain with no listed option (none is ever solved): the index options' 0.05. */
const DEFAULT_TICK = 0.05;

/** Flattens `skeleton` (rows per chain as in the analytics table). */
export function chainInputs(skeleton: Skeleton): ChainInputs {
  const chains = skeleton.chains.length;
  const rowStart = new Int32Array(chains + 1);
  for (let c = 0; c < chains; c++) rowStart[c + 1] = rowStart[c]! + skeleton.chains[c]!.rows.length;
  const total = rowStart[chains]!;
  const strikes = new Float64Array(total);
  const ceSlot = new Int32Array(total);
  const peSlot = new Int32Array(total);
  const spotSlot = new Int32Array(chains);
  const close = new Float64Array(chains);
  const tick = new Float64Array(chains);
  for (let c = 0; c < chains; c++) {
    const chain = skeleton.chains[c]!;
    const spot = skeleton.underlyings[chain.underlyingIndex]!.spot;
    spotSlot[c] = spot ? spot.slot : -1;
    close[c] = expiryCloseMs(chain.expiry);
    let i = rowStart[c]!;
    let finest = Number.POSITIVE_INFINITY;
    for (const row of chain.rows) {
      strikes[i] = row.strike;
      ceSlot[i] = row.ce ? row.ce.slot : -1;
      peSlot[i] = row.pe ? row.pe.slot : -1;
      for (const leg of [row.ce, row.pe]) if (leg && leg.tickSize > 0 && leg.tickSize < finest) finest = leg.tickSize;
      i++;
    }
    tick[c] = finest < Number.POSITIVE_INFINITY ? finest : DEFAULT_TICK;
  }
  return { chains, rowStart, strikes, ceSlot, peSlot, spotSlot, expiryCloseMs: close, tickSize: tick };
}
