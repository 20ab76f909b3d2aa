/**
 * Builds a `/v1/snapshot` message (root `Snapshot`, identifier "OSNP", schemas/chain.fbs)
 * out of already encoded FlatBuffers chain buffers, by copying them, instead of encoding
 * every chain again (issue 15: the whole universe was rebuilt on the main thread for every
 * request). The chain buffers come from the chain cache, so only chains whose generation
 * moved since they were last encoded cost an encode; the rest is one memcpy each.
 *
 * This is legal FlatBuffers because every reference inside a buffer is relative: a table
 * points to its vtable with a signed offset and to its children with forward unsigned
 * offsets from the referring field, so a finished chain buffer copied to an 8-byte aligned
 * position (its builder aligned everything relative to the buffer's own start, at most to 8
 * bytes) is a valid table at `position + its root offset`. The snapshot's own header is
 * written by hand in front of the copies, children after parents as the format requires:
 *
 * ```
 * 0   u32 root offset → table          8   vtable: size 10, table size 20, fields 12, 4, 16
 * 20  table: i32 vtable offset (12), f64 served_at, u32 → trading_date, u32 → chains
 * 40  trading_date: u32 length, UTF-8, NUL, padding to 4
 *     chains: u32 count, count × u32 → chain table i
 *     padding to 8, then each chain buffer (8-byte aligned, header included)
 * ```
 *
 * A test decodes assembled messages with the generated reader and compares them with
 * SnapshotEncoder's (the Builder-made reference).
 *
 * @module
 */
import { ErrorCodes, OptchainError } from '../errors.js';
import { SNAPSHOT_FILE_IDENTIFIER } from './snapshot-encoder.js';

const VTABLE_AT = 8;
const TABLE_AT = 20;
const TABLE_SIZE = 20;
const STRING_AT = TABLE_AT + TABLE_SIZE;
const ID_BYTES = new TextEncoder().encode(SNAPSHOT_FILE_IDENTIFIER);

const align = (n: number, to: number) => (n + to - 1) & ~(to - 1);

/** Bytes of a snapshot message in front of its first chain (header, date, offsets vector). */
export function snapshotHeaderBytes(tradingDate: string, chains: number): number {
  return align(vectorAt(new TextEncoder().encode(tradingDate).byteLength) + 4 + 4 * chains, 8);
}

const vectorAt = (dateBytes: number) => align(STRING_AT + 4 + dateBytes + 1, 4);

/**
 * Writes one snapshot message chain by chain, so a build can copy each chain's body as soon
 * as it is current and yield between chains (the chain cache rewrites a body's memory at its
 * next rebuild, so a body must be copied before the build yields, never referenced across
 * a yield). The chain count is fixed up front (the offsets vector precedes the chains); the
 * root `served_at` is written last, by {@link finish}.
 *
 * The output goes into memory the caller passes (a pooled buffer, see SnapshotCache); when a
 * chain does not fit, the writer moves to a buffer 1.5× larger (one copy of what is written).
 */
export class SnapshotWriter {
  private out: Uint8Array;
  private dv: DataView;
  private readonly n: number;
  private readonly vectorAt: number;
  private at: number;
  private count = 0;
  /** Times the writer outgrew its memory (each cost a copy). */
  grown = 0;

  /** Starts the message of `chains` chains of `tradingDate` in `into` (zeroed by the writer where it must be). */
  constructor(tradingDate: string, chains: number, into: Uint8Array) {
    const date = new TextEncoder().encode(tradingDate);
    this.n = chains;
    this.vectorAt = vectorAt(date.byteLength);
    const first = align(this.vectorAt + 4 + 4 * chains, 8);
    this.out = into.byteLength >= first ? into : new Uint8Array(new ArrayBuffer(first));
    this.dv = new DataView(this.out.buffer, this.out.byteOffset, this.out.byteLength);
    const out = this.out;
    const dv = this.dv;
    out.fill(0, 0, first); // reused memory: padding, the string's NUL and unset offsets must be zero
    dv.setUint32(0, TABLE_AT, true);
    out.set(ID_BYTES, 4);
    // vtable: its size, the table's size, then per field (id order) the offset in the table
    dv.setUint16(VTABLE_AT, 10, true);
    dv.setUint16(VTABLE_AT + 2, TABLE_SIZE, true);
    dv.setUint16(VTABLE_AT + 4, 12, true); // 0 trading_date
    dv.setUint16(VTABLE_AT + 6, 4, true); // 1 served_at
    dv.setUint16(VTABLE_AT + 8, 16, true); // 2 chains
    dv.setInt32(TABLE_AT, TABLE_AT - VTABLE_AT, true);
    dv.setUint32(TABLE_AT + 12, STRING_AT - (TABLE_AT + 12), true);
    dv.setUint32(TABLE_AT + 16, this.vectorAt - (TABLE_AT + 16), true);
    dv.setUint32(STRING_AT, date.byteLength, true);
    out.set(date, STRING_AT + 4);
    dv.setUint32(this.vectorAt, chains, true);
    this.at = first;
  }

  /** The memory the message is being written into (the passed one unless the writer grew). */
  get buffer(): Uint8Array {
    return this.out;
  }

  /** Copies the next chain's finished FlatBuffers buffer (root `Chain`) into the message. */
  append(chunk: Uint8Array): void {
    const size = align(chunk.byteLength, 8);
    if (this.at + size > this.out.byteLength) this.grow(this.at + size);
    const out = this.out;
    out.set(chunk, this.at);
    // the pad to the next 8-byte boundary: reused memory holds an older message's bytes
    if (size > chunk.byteLength) out.fill(0, this.at + chunk.byteLength, this.at + size);
    const table = this.at + (chunk[0]! | (chunk[1]! << 8) | (chunk[2]! << 16) | (chunk[3]! << 24));
    const slot = this.vectorAt + 4 + 4 * this.count;
    this.dv.setUint32(slot, table - slot, true);
    this.at += size;
    this.count++;
  }

  /** Writes the root's `served_at` and returns the message (a view of {@link buffer}). */
  finish(servedAt: number): Uint8Array {
    if (this.count !== this.n) throw new OptchainError(ErrorCodes.INTERNAL, `snapshot writer got ${this.count} of ${this.n} chains`);
    this.dv.setFloat64(TABLE_AT + 4, servedAt, true);
    return this.out.subarray(0, this.at);
  }

  private grow(need: number): void {
    const bigger = new Uint8Array(new ArrayBuffer(Math.max(need, Math.ceil(this.out.byteLength * 1.5))));
    bigger.set(this.out.subarray(0, this.at));
    this.out = bigger;
    this.dv = new DataView(bigger.buffer);
    this.grown++;
  }
}

/**
 * Writes the snapshot message of `tradingDate` made of `chainBuffers` (finished FlatBuffers
 * chain buffers, root `Chain`) into one fresh buffer the caller owns, copying each once.
 */
export function assembleSnapshot(tradingDate: string, servedAt: number, chainBuffers: readonly Uint8Array[]): Uint8Array {
  let total = snapshotHeaderBytes(tradingDate, chainBuffers.length);
  for (const c of chainBuffers) total += align(c.byteLength, 8);
  const w = new SnapshotWriter(tradingDate, chainBuffers.length, new Uint8Array(new ArrayBuffer(total)));
  for (const c of chainBuffers) w.append(c);
  return w.finish(servedAt);
}
