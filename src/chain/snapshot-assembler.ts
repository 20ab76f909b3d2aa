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
import { SNAPSHOT_FILE_IDENTIFIER } from './snapshot-encoder.js';

const VTABLE_AT = 8;
const TABLE_AT = 20;
const TABLE_SIZE = 20;
const STRING_AT = TABLE_AT + TABLE_SIZE;
const ID_BYTES = new TextEncoder().encode(SNAPSHOT_FILE_IDENTIFIER);

const align = (n: number, to: number) => (n + to - 1) & ~(to - 1);

/**
 * Writes the snapshot message of `tradingDate` made of `chainBuffers` (finished FlatBuffers
 * chain buffers, root `Chain`) into one fresh buffer the caller owns, copying each once.
 */
export function assembleSnapshot(tradingDate: string, servedAt: number, chainBuffers: readonly Uint8Array[]): Uint8Array {
  const date = new TextEncoder().encode(tradingDate);
  const n = chainBuffers.length;
  const vectorAt = align(STRING_AT + 4 + date.byteLength + 1, 4);
  const firstChainAt = align(vectorAt + 4 + 4 * n, 8);
  let total = firstChainAt;
  for (const c of chainBuffers) total += align(c.byteLength, 8);
  const out = new Uint8Array(new ArrayBuffer(total));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, TABLE_AT, true);
  out.set(ID_BYTES, 4);
  // vtable: its size, the table's size, then per field (id order) the offset in the table
  dv.setUint16(VTABLE_AT, 10, true);
  dv.setUint16(VTABLE_AT + 2, TABLE_SIZE, true);
  dv.setUint16(VTABLE_AT + 4, 12, true); // 0 trading_date
  dv.setUint16(VTABLE_AT + 6, 4, true); // 1 served_at
  dv.setUint16(VTABLE_AT + 8, 16, true); // 2 chains
  dv.setInt32(TABLE_AT, TABLE_AT - VTABLE_AT, true);
  dv.setFloat64(TABLE_AT + 4, servedAt, true);
  dv.setUint32(TABLE_AT + 12, STRING_AT - (TABLE_AT + 12), true);
  dv.setUint32(TABLE_AT + 16, vectorAt - (TABLE_AT + 16), true);
  dv.setUint32(STRING_AT, date.byteLength, true);
  out.set(date, STRING_AT + 4); // the NUL and padding are the buffer's zeros
  dv.setUint32(vectorAt, n, true);
  let at = firstChainAt;
  for (let i = 0; i < n; i++) {
    const chunk = chainBuffers[i]!;
    out.set(chunk, at);
    const table = at + (chunk[0]! | (chunk[1]! << 8) | (chunk[2]! << 16) | (chunk[3]! << 24));
    const slot = vectorAt + 4 + 4 * i;
    dv.setUint32(slot, table - slot, true);
    at += align(chunk.byteLength, 8);
  }
  return out;
}
