/**
 * Layout of the shared price table (docs/engineering.md §2.1): one slot per skeleton token, each
 * slot 16 × Float64 = 128 bytes (two cache lines), word 0 holding the seqlock version in its
 * low Int32. A field that no tick has delivered is NaN (presented as `null`).
 *
 * After the slots: one Int32 generation counter per chain, then the two Int32 words of the
 * universe-wide wake word ({@link WAKE}).
 *
 * @module
 */

/** Float64 words per slot. */
export const SLOT_WORDS = 16;
export const SLOT_BYTES = SLOT_WORDS * 8;

/** Field offsets (Float64 index within a slot). Word 0 is the version. */
export const F = Object.freeze({
  LTP: 1,
  BID: 2,
  ASK: 3,
  BID_QTY: 4,
  ASK_QTY: 5,
  VOLUME: 6,
  OI: 7,
  PREV_CLOSE: 8,
  /** Last trade time, true Unix seconds (Dhan's IST shift removed, docs/dhan-protocol.md §2.9). */
  LTT: 9,
  /** Server receive time of the last packet for this slot, Unix ms. */
  UPDATED_AT: 10,
  OPEN: 11,
  HIGH: 12,
  LOW: 13,
  ATP: 14,
  PREV_OI: 15,
});

/** Number of data fields per slot (words 1..15). */
export const FIELD_COUNT = SLOT_WORDS - 1;

/** Field names in word order (index 0 = word 1), for generic presentation and tests. */
export const FIELD_NAMES = Object.freeze([
  'ltp', 'bid', 'ask', 'bidQty', 'askQty', 'volume', 'oi', 'prevClose', 'ltt', 'updatedAt', 'open', 'high', 'low', 'atp', 'prevOi',
] as const);

export type FieldName = (typeof FIELD_NAMES)[number];

/**
 * The wake word after the generation counters (Int32 indices relative to its start): `TICKS`
 * counts decoded frames that published at least one slot (the feed bumps it once per frame,
 * not per packet), `WAITERS` counts threads asleep on it, so the feed pays for a notify only
 * while someone waits (price-table.ts `publishTicks` / `waitForTicks`).
 */
export const WAKE = Object.freeze({ TICKS: 0, WAITERS: 1 });
/** Int32 words of the wake word. */
export const WAKE_WORDS = 2;

/** Byte offset of the wake word in a table of `slots` slots and `chains` chains. */
export function wakeOffset(slots: number, chains: number): number {
  return slots * SLOT_BYTES + chains * 4;
}

/** Bytes needed for `slots` slots, `chains` generation counters and the wake word (rounded up to 8). */
export function tableBytes(slots: number, chains: number): number {
  return slots * SLOT_BYTES + Math.ceil(((chains + WAKE_WORDS) * 4) / 8) * 8;
}
