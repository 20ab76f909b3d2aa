/**
 * (segment code, security id) → price-table slot, built once per trading day from the
 * skeleton's tokens and read for every packet on the feed's hot path.
 *
 * Security ids are unique only within a segment (docs/dhan-protocol.md §1.1), so there is one table
 * per numeric segment code (header byte 3, docs/dhan-protocol.md §2.4). A segment whose ids are compact (NSE_FNO
 * ids stay below ~10^5, index ids are tiny) gets a dense Int32Array indexed by id: one bounds
 * check and one load. A sparse segment (BSE_FNO ids around 10^6 for ~1-4k tokens) gets an
 * open-addressing hash in two typed arrays instead of a dense array dominated by holes. Both
 * are plain typed arrays: no Map, no allocation, no polymorphic property access per lookup.
 *
 * @module
 */
import { ErrorCodes, OptchainError } from '../errors.js';
import { SEGMENT_CODE, type Segment } from '../dhan/segments.js';

/** What the lookup needs of a skeleton token (SlotToken satisfies it). */
export interface SlotKey {
  readonly slot: number;
  readonly segment: Segment;
  readonly securityId: number;
}

/** Dense tables up to this many entries (4 MiB of Int32) are always acceptable. */
const DENSE_FREE_ENTRIES = 1 << 16;
/** Above that, go dense only while the array stays within this factor of the token count. */
const DENSE_MAX_FACTOR = 16;

/** Per-segment table; one shape for both kinds keeps the lookup monomorphic. */
interface SegmentTable {
  /** Dense mode: slot by id, -1 for none. Empty in hash mode. */
  readonly dense: Int32Array;
  /** Hash mode: ids by bucket. */
  readonly keys: Uint32Array;
  /** Hash mode: slot by bucket, -1 = empty bucket. */
  readonly vals: Int32Array;
  /** Hash mode: buckets - 1; -1 in dense mode. */
  readonly mask: number;
  /** Hash mode: 32 - log2(buckets), for Fibonacci hashing. */
  readonly shift: number;
}

const EMPTY: SegmentTable = Object.freeze({
  dense: new Int32Array(0),
  keys: new Uint32Array(0),
  vals: new Int32Array(0),
  mask: -1,
  shift: 0,
});

/** Fibonacci hashing: the multiply spreads consecutive ids over the high bits. */
function bucketOf(id: number, shift: number): number {
  return Math.imul(id, 0x9e3779b1) >>> shift;
}

function buildSegment(entries: readonly { id: number; slot: number }[]): SegmentTable {
  let maxId = 0;
  for (const e of entries) if (e.id > maxId) maxId = e.id;
  if (maxId < DENSE_FREE_ENTRIES || maxId < entries.length * DENSE_MAX_FACTOR) {
    const dense = new Int32Array(maxId + 1).fill(-1);
    for (const e of entries) dense[e.id] = e.slot;
    return { dense, keys: EMPTY.keys, vals: EMPTY.vals, mask: -1, shift: 0 };
  }
  // Load factor ≤ 1/2 keeps linear probes short.
  let bits = 4;
  while (1 << bits < entries.length * 2) bits++;
  const size = 1 << bits;
  const keys = new Uint32Array(size);
  const vals = new Int32Array(size).fill(-1);
  const mask = size - 1;
  const shift = 32 - bits;
  for (const e of entries) {
    let b = bucketOf(e.id, shift);
    while (vals[b]! >= 0) b = (b + 1) & mask;
    keys[b] = e.id;
    vals[b] = e.slot;
  }
  return { dense: EMPTY.dense, keys, vals, mask, shift };
}

/** Immutable (segment code, security id) → slot map. */
export class SlotLookup {
  /** Indexed by the header's segment byte (0..255); unknown segments map to an empty table. */
  private readonly bySegment: SegmentTable[];
  /** Number of tokens. */
  readonly size: number;

  private constructor(bySegment: SegmentTable[], size: number) {
    this.bySegment = bySegment;
    this.size = size;
  }

  /**
   * Builds the lookup. Throws OptchainError PRICE_TABLE_LAYOUT for an unknown segment, an id
   * outside u32, a slot that is not a non-negative integer, or two tokens claiming the same
   * (segment, id): two slots for one token would break one-writer-per-slot (docs/engineering.md §2.1).
   */
  static fromTokens(tokens: Iterable<SlotKey>): SlotLookup {
    const perSegment = new Map<number, { id: number; slot: number }[]>();
    const seen = new Set<number>();
    let size = 0;
    for (const t of tokens) {
      const code = SEGMENT_CODE[t.segment];
      if (code === undefined) throw new OptchainError(ErrorCodes.PRICE_TABLE_LAYOUT, `token for slot ${t.slot} has unknown segment ${String(t.segment)}`);
      if (!Number.isInteger(t.securityId) || t.securityId < 0 || t.securityId > 0xffff_ffff) {
        throw new OptchainError(ErrorCodes.PRICE_TABLE_LAYOUT, `token for slot ${t.slot} has security id ${t.securityId} outside u32`);
      }
      if (!Number.isInteger(t.slot) || t.slot < 0 || t.slot > 0x7fff_ffff) {
        throw new OptchainError(ErrorCodes.PRICE_TABLE_LAYOUT, `invalid slot ${t.slot}`);
      }
      const key = code * 0x1_0000_0000 + t.securityId;
      if (seen.has(key)) throw new OptchainError(ErrorCodes.PRICE_TABLE_LAYOUT, `${t.segment} ${t.securityId} appears twice in the token list`);
      seen.add(key);
      let list = perSegment.get(code);
      if (list === undefined) perSegment.set(code, (list = []));
      list.push({ id: t.securityId, slot: t.slot });
      size++;
    }
    const bySegment: SegmentTable[] = new Array<SegmentTable>(256).fill(EMPTY);
    for (const [code, list] of perSegment) bySegment[code] = buildSegment(list);
    return new SlotLookup(bySegment, size);
  }

  /** Slot of (segment code, security id), or -1. Any numbers are accepted; nothing throws. */
  slotOf(segmentCode: number, securityId: number): number {
    const t = this.bySegment[segmentCode & 255]!;
    if (t.mask < 0) {
      const dense = t.dense;
      return securityId >= 0 && securityId < dense.length ? (dense[securityId] ?? -1) : -1;
    }
    const vals = t.vals;
    const keys = t.keys;
    const mask = t.mask;
    let b = bucketOf(securityId, t.shift) & mask;
    for (;;) {
      const v = vals[b]!;
      if (v < 0) return -1;
      if (keys[b] === securityId) return v;
      b = (b + 1) & mask;
    }
  }

  /** Highest slot number present, or -1 when empty (used to check the lookup fits a table). */
  maxSlot(): number {
    let max = -1;
    for (const t of new Set(this.bySegment)) {
      for (const v of t.dense) if (v > max) max = v;
      for (const v of t.vals) if (v > max) max = v;
    }
    return max;
  }
}
