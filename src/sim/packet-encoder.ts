/**
 * The simulator's packet encoders: Dhan live-feed v2 binary packets (docs/dhan-protocol.md §2.5–§2.6)
 * written from value records, at the offsets of `src/dhan/packet-layout.ts`.
 *
 * Everything here deals in WIRE values: `ltt` is the IST-shifted second count Dhan sends
 * (docs/dhan-protocol.md §2.9), prices are whatever f32 rounding makes of them.
 *
 * Encoders write little-endian into a caller-provided buffer at an offset and return the
 * offset just past the packet, so a simulator can stack packets into one reusable buffer
 * without allocating per packet. Integer fields are stored modulo 2^32 / 2^16 (ToUint32), which
 * is exactly how Dhan's u32 volume/OI wrap (docs/market-structure.md §4.1) — a simulator can
 * reproduce a wrap by passing the unwrapped value.
 *
 * @module
 */
import { ErrorCodes, OptchainError } from '../errors.js';
import {
  DEPTH_LEVEL_BYTES,
  DEPTH_LEVELS,
  DepthOffset,
  DisconnectOffset,
  FullOffset,
  HeaderOffset,
  OiOffset,
  PacketLength,
  PrevCloseOffset,
  QuoteOffset,
  ResponseCode,
  TickerOffset,
  type FullValues,
  type OiValues,
  type PrevCloseValues,
  type QuoteValues,
  type TickerValues,
} from '../dhan/packet-layout.js';

// One DataView per backing ArrayBuffer, reused while callers keep writing into the same
// buffer: the encoders then allocate nothing per packet.
let cachedBuffer: ArrayBufferLike | null = null;
let cachedView: DataView | null = null;

function viewOf(buf: Uint8Array): DataView {
  if (buf.buffer !== cachedBuffer || cachedView === null) {
    cachedView = new DataView(buf.buffer);
    cachedBuffer = buf.buffer;
  }
  return cachedView;
}

/**
 * Checks room for `length` bytes at `offset` of `buf` and returns the absolute byte position
 * in the backing ArrayBuffer. The explicit check matters: a Buffer is often a slice of a
 * shared pool, so a DataView over the backing store would silently write into a neighbour.
 */
function reserve(buf: Uint8Array, offset: number, length: number): number {
  if (!Number.isInteger(offset) || offset < 0 || offset + length > buf.byteLength) {
    throw new OptchainError(
      ErrorCodes.FEED_PACKET_RANGE,
      `a ${length}-byte packet at offset ${offset} does not fit a ${buf.byteLength}-byte buffer`,
      { offset, length, bufferLength: buf.byteLength },
    );
  }
  return buf.byteOffset + offset;
}

function writeHeader(dv: DataView, p: number, code: number, length: number, segment: number, securityId: number): void {
  dv.setUint8(p + HeaderOffset.CODE, code);
  dv.setUint16(p + HeaderOffset.LENGTH, length, true);
  dv.setUint8(p + HeaderOffset.SEGMENT, segment);
  dv.setUint32(p + HeaderOffset.SECURITY_ID, securityId, true);
}

/** Writes only the 8-byte header (e.g. for tests building odd packets). Returns the offset after it. */
export function encodeHeader(buf: Uint8Array, offset: number, code: number, length: number, segment: number, securityId: number): number {
  const p = reserve(buf, offset, PacketLength.HEADER);
  writeHeader(viewOf(buf), p, code, length, segment, securityId);
  return offset + PacketLength.HEADER;
}

function encodeTickerLike(buf: Uint8Array, offset: number, code: number, segment: number, securityId: number, v: TickerValues): number {
  const p = reserve(buf, offset, PacketLength.TICKER);
  const dv = viewOf(buf);
  writeHeader(dv, p, code, PacketLength.TICKER, segment, securityId);
  dv.setFloat32(p + TickerOffset.LTP, v.ltp, true);
  dv.setUint32(p + TickerOffset.LTT, v.ltt, true);
  return offset + PacketLength.TICKER;
}

/** Ticker, code 2, 16 bytes. Returns `offset + 16`. */
export function encodeTicker(buf: Uint8Array, offset: number, segment: number, securityId: number, v: TickerValues): number {
  return encodeTickerLike(buf, offset, ResponseCode.TICKER, segment, securityId, v);
}

/** Index packet, code 1, in the 16-byte ticker layout (docs/dhan-protocol.md §2.6 recommendation). Returns `offset + 16`. */
export function encodeIndex(buf: Uint8Array, offset: number, segment: number, securityId: number, v: TickerValues): number {
  return encodeTickerLike(buf, offset, ResponseCode.INDEX, segment, securityId, v);
}

/** Quote, code 4, 50 bytes. Returns `offset + 50`. */
export function encodeQuote(buf: Uint8Array, offset: number, segment: number, securityId: number, v: QuoteValues): number {
  const p = reserve(buf, offset, PacketLength.QUOTE);
  const dv = viewOf(buf);
  writeHeader(dv, p, ResponseCode.QUOTE, PacketLength.QUOTE, segment, securityId);
  dv.setFloat32(p + QuoteOffset.LTP, v.ltp, true);
  dv.setUint16(p + QuoteOffset.LTQ, v.ltq, true);
  dv.setUint32(p + QuoteOffset.LTT, v.ltt, true);
  dv.setFloat32(p + QuoteOffset.ATP, v.atp, true);
  dv.setUint32(p + QuoteOffset.VOLUME, v.volume, true);
  dv.setUint32(p + QuoteOffset.TOTAL_SELL_QTY, v.totalSellQty, true);
  dv.setUint32(p + QuoteOffset.TOTAL_BUY_QTY, v.totalBuyQty, true);
  dv.setFloat32(p + QuoteOffset.OPEN, v.open, true);
  dv.setFloat32(p + QuoteOffset.CLOSE, v.close, true);
  dv.setFloat32(p + QuoteOffset.HIGH, v.high, true);
  dv.setFloat32(p + QuoteOffset.LOW, v.low, true);
  return offset + PacketLength.QUOTE;
}

/** OI, code 5, 12 bytes. Returns `offset + 12`. */
export function encodeOi(buf: Uint8Array, offset: number, segment: number, securityId: number, v: OiValues): number {
  const p = reserve(buf, offset, PacketLength.OI);
  const dv = viewOf(buf);
  writeHeader(dv, p, ResponseCode.OI, PacketLength.OI, segment, securityId);
  dv.setUint32(p + OiOffset.OI, v.oi, true);
  return offset + PacketLength.OI;
}

/** Prev Close, code 6, 16 bytes. Returns `offset + 16`. */
export function encodePrevClose(buf: Uint8Array, offset: number, segment: number, securityId: number, v: PrevCloseValues): number {
  const p = reserve(buf, offset, PacketLength.PREV_CLOSE);
  const dv = viewOf(buf);
  writeHeader(dv, p, ResponseCode.PREV_CLOSE, PacketLength.PREV_CLOSE, segment, securityId);
  dv.setFloat32(p + PrevCloseOffset.PREV_CLOSE, v.prevClose, true);
  dv.setUint32(p + PrevCloseOffset.PREV_OI, v.prevOi, true);
  return offset + PacketLength.PREV_CLOSE;
}

/** Market Status, code 7, header only (payload undocumented, docs/dhan-protocol.md §2.6). Returns `offset + 8`. */
export function encodeMarketStatus(buf: Uint8Array, offset: number, segment = 0, securityId = 0): number {
  const p = reserve(buf, offset, PacketLength.MARKET_STATUS);
  writeHeader(viewOf(buf), p, ResponseCode.MARKET_STATUS, PacketLength.MARKET_STATUS, segment, securityId);
  return offset + PacketLength.MARKET_STATUS;
}

/** Full, code 8, 162 bytes with 5 depth levels (missing levels zero-filled). Returns `offset + 162`. */
export function encodeFull(buf: Uint8Array, offset: number, segment: number, securityId: number, v: FullValues): number {
  const p = reserve(buf, offset, PacketLength.FULL);
  const dv = viewOf(buf);
  writeHeader(dv, p, ResponseCode.FULL, PacketLength.FULL, segment, securityId);
  dv.setFloat32(p + FullOffset.LTP, v.ltp, true);
  dv.setUint16(p + FullOffset.LTQ, v.ltq, true);
  dv.setUint32(p + FullOffset.LTT, v.ltt, true);
  dv.setFloat32(p + FullOffset.ATP, v.atp, true);
  dv.setUint32(p + FullOffset.VOLUME, v.volume, true);
  dv.setUint32(p + FullOffset.TOTAL_SELL_QTY, v.totalSellQty, true);
  dv.setUint32(p + FullOffset.TOTAL_BUY_QTY, v.totalBuyQty, true);
  dv.setUint32(p + FullOffset.OI, v.oi, true);
  dv.setUint32(p + FullOffset.OI_HIGH, v.oiHigh, true);
  dv.setUint32(p + FullOffset.OI_LOW, v.oiLow, true);
  dv.setFloat32(p + FullOffset.OPEN, v.open, true);
  dv.setFloat32(p + FullOffset.CLOSE, v.close, true);
  dv.setFloat32(p + FullOffset.HIGH, v.high, true);
  dv.setFloat32(p + FullOffset.LOW, v.low, true);
  const depth = v.depth;
  for (let i = 0; i < DEPTH_LEVELS; i++) {
    const q = p + FullOffset.DEPTH + i * DEPTH_LEVEL_BYTES;
    const level = i < depth.length ? depth[i] : undefined;
    if (level === undefined) {
      for (let k = 0; k < DEPTH_LEVEL_BYTES; k += 4) dv.setUint32(q + k, 0, true);
      continue;
    }
    dv.setUint32(q + DepthOffset.BID_QTY, level.bidQty, true);
    dv.setUint32(q + DepthOffset.ASK_QTY, level.askQty, true);
    dv.setUint16(q + DepthOffset.BID_ORDERS, level.bidOrders, true);
    dv.setUint16(q + DepthOffset.ASK_ORDERS, level.askOrders, true);
    dv.setFloat32(q + DepthOffset.BID, level.bid, true);
    dv.setFloat32(q + DepthOffset.ASK, level.ask, true);
  }
  return offset + PacketLength.FULL;
}

/**
 * Feed Disconnect, code 50, 10 bytes; header segment and security id are zero as in the docs/dhan-protocol.md §2.12
 * vector (not meaningful, docs/dhan-protocol.md §2.6). Returns `offset + 10`.
 */
export function encodeDisconnect(buf: Uint8Array, offset: number, reasonCode: number): number {
  const p = reserve(buf, offset, PacketLength.DISCONNECT);
  const dv = viewOf(buf);
  writeHeader(dv, p, ResponseCode.DISCONNECT, PacketLength.DISCONNECT, 0, 0);
  dv.setUint16(p + DisconnectOffset.REASON, reasonCode, true);
  return offset + PacketLength.DISCONNECT;
}

/**
 * An all-zero 8-byte header, the keep-alive Dhan is reported to send (openalgo PR #912 and
 * issue #857, docs/dhan-protocol.md §2.5): the simulator's realism switch. Returns `offset + 8`.
 */
export function encodeKeepAlive(buf: Uint8Array, offset: number): number {
  const p = reserve(buf, offset, PacketLength.HEADER);
  const dv = viewOf(buf);
  dv.setUint32(p, 0, true);
  dv.setUint32(p + 4, 0, true);
  return offset + PacketLength.HEADER;
}
