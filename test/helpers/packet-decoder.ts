/**
 * A generic object decoder of Dhan live-feed v2 packets for tests and tools
 * (docs/dhan-protocol.md §2.5–§2.8), written from the named offsets of `src/dhan/packet-layout.ts`
 * independently of the feed's hot-path decoder (`src/feed/decoder.ts`), so the tests check
 * the simulator's encoders and the feed decoder against a third reading of the same layout.
 * Allocates an object per packet; values are WIRE values (`ltt` IST-shifted, docs/dhan-protocol.md §2.9).
 *
 * @module
 */
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
  isKeepAliveHeader,
  minimumLength,
  type DepthLevel,
  type FullValues,
  type OiValues,
  type PacketHeader,
  type PrevCloseValues,
  type QuoteValues,
  type TickerValues,
} from '../../src/dhan/packet-layout.js';

/**
 * What {@link decodePacket} returns for a well-framed packet (valid header length; skip
 * `header.length` bytes to reach the next one). `unknown` = a code this codec does not know;
 * `malformed` = a known code whose length is shorter than its layout, or an index packet that
 * is not 16 bytes (its layout is undocumented, docs/dhan-protocol.md §2.6); `keepAlive` = an all-zero 8-byte header
 * (docs/dhan-protocol.md §2.5), whose length field says 0: the next packet starts 8 bytes on.
 */
export type DecodedPacket =
  | { readonly type: 'index'; readonly header: PacketHeader; readonly values: TickerValues }
  | { readonly type: 'ticker'; readonly header: PacketHeader; readonly values: TickerValues }
  | { readonly type: 'quote'; readonly header: PacketHeader; readonly values: QuoteValues }
  | { readonly type: 'oi'; readonly header: PacketHeader; readonly values: OiValues }
  | { readonly type: 'prevClose'; readonly header: PacketHeader; readonly values: PrevCloseValues }
  | { readonly type: 'marketStatus'; readonly header: PacketHeader }
  | { readonly type: 'full'; readonly header: PacketHeader; readonly values: FullValues }
  | { readonly type: 'disconnect'; readonly header: PacketHeader; readonly reasonCode: number }
  | { readonly type: 'unknown'; readonly header: PacketHeader }
  | { readonly type: 'malformed'; readonly header: PacketHeader }
  | { readonly type: 'keepAlive'; readonly header: PacketHeader };

/** Bytes a decoded packet occupies in its frame (a keep-alive header says 0 but takes 8). */
export function packetBytes(p: DecodedPacket): number {
  return p.type === 'keepAlive' ? PacketLength.HEADER : p.header.length;
}

function readTicker(dv: DataView): TickerValues {
  return { ltp: dv.getFloat32(TickerOffset.LTP, true), ltt: dv.getUint32(TickerOffset.LTT, true) };
}

function readQuote(dv: DataView): QuoteValues {
  const o = QuoteOffset;
  return {
    ltp: dv.getFloat32(o.LTP, true),
    ltq: dv.getUint16(o.LTQ, true),
    ltt: dv.getUint32(o.LTT, true),
    atp: dv.getFloat32(o.ATP, true),
    volume: dv.getUint32(o.VOLUME, true),
    totalSellQty: dv.getUint32(o.TOTAL_SELL_QTY, true),
    totalBuyQty: dv.getUint32(o.TOTAL_BUY_QTY, true),
    open: dv.getFloat32(o.OPEN, true),
    close: dv.getFloat32(o.CLOSE, true),
    high: dv.getFloat32(o.HIGH, true),
    low: dv.getFloat32(o.LOW, true),
  };
}

function readOi(dv: DataView): OiValues {
  return { oi: dv.getUint32(OiOffset.OI, true) };
}

function readPrevClose(dv: DataView): PrevCloseValues {
  return { prevClose: dv.getFloat32(PrevCloseOffset.PREV_CLOSE, true), prevOi: dv.getUint32(PrevCloseOffset.PREV_OI, true) };
}

function readFull(dv: DataView): FullValues {
  const o = FullOffset;
  const depth: DepthLevel[] = [];
  for (let i = 0; i < DEPTH_LEVELS; i++) {
    const q = o.DEPTH + i * DEPTH_LEVEL_BYTES;
    depth.push({
      bidQty: dv.getUint32(q + DepthOffset.BID_QTY, true),
      askQty: dv.getUint32(q + DepthOffset.ASK_QTY, true),
      bidOrders: dv.getUint16(q + DepthOffset.BID_ORDERS, true),
      askOrders: dv.getUint16(q + DepthOffset.ASK_ORDERS, true),
      bid: dv.getFloat32(q + DepthOffset.BID, true),
      ask: dv.getFloat32(q + DepthOffset.ASK, true),
    });
  }
  return {
    ltp: dv.getFloat32(o.LTP, true),
    ltq: dv.getUint16(o.LTQ, true),
    ltt: dv.getUint32(o.LTT, true),
    atp: dv.getFloat32(o.ATP, true),
    volume: dv.getUint32(o.VOLUME, true),
    totalSellQty: dv.getUint32(o.TOTAL_SELL_QTY, true),
    totalBuyQty: dv.getUint32(o.TOTAL_BUY_QTY, true),
    oi: dv.getUint32(o.OI, true),
    oiHigh: dv.getUint32(o.OI_HIGH, true),
    oiLow: dv.getUint32(o.OI_LOW, true),
    open: dv.getFloat32(o.OPEN, true),
    close: dv.getFloat32(o.CLOSE, true),
    high: dv.getFloat32(o.HIGH, true),
    low: dv.getFloat32(o.LOW, true),
    depth,
  };
}

/**
 * Decodes the packet starting at `offset` into a fresh object. Returns null for a framing
 * error: fewer than 8 bytes remain, or the header's length is below 8 (and the header is not an
 * all-zero keep-alive) or runs past the buffer (docs/dhan-protocol.md §2.8: stop walking the frame). Known packets
 * longer than their layout decode from their first bytes (room for fields Dhan might append);
 * the caller advances by {@link packetBytes}. Never throws.
 */
export function decodePacket(buf: Uint8Array, offset: number): DecodedPacket | null {
  if (!(buf instanceof Uint8Array) || !Number.isInteger(offset) || offset < 0) return null;
  const remaining = buf.byteLength - offset;
  if (remaining < PacketLength.HEADER) return null;
  const dv = new DataView(buf.buffer, buf.byteOffset + offset, remaining);
  const code = dv.getUint8(HeaderOffset.CODE);
  const length = dv.getUint16(HeaderOffset.LENGTH, true);
  const header: PacketHeader = { code, length, segment: dv.getUint8(HeaderOffset.SEGMENT), securityId: dv.getUint32(HeaderOffset.SECURITY_ID, true) };
  if (isKeepAliveHeader(dv, 0)) return { type: 'keepAlive', header };
  if (length < PacketLength.HEADER || length > remaining) return null;
  const min = minimumLength(code);
  if (min < 0) return { type: 'unknown', header };
  if (length < min || (code === ResponseCode.INDEX && length !== PacketLength.INDEX)) return { type: 'malformed', header };
  switch (code) {
    case ResponseCode.INDEX:
      return { type: 'index', header, values: readTicker(dv) };
    case ResponseCode.TICKER:
      return { type: 'ticker', header, values: readTicker(dv) };
    case ResponseCode.QUOTE:
      return { type: 'quote', header, values: readQuote(dv) };
    case ResponseCode.OI:
      return { type: 'oi', header, values: readOi(dv) };
    case ResponseCode.PREV_CLOSE:
      return { type: 'prevClose', header, values: readPrevClose(dv) };
    case ResponseCode.MARKET_STATUS:
      return { type: 'marketStatus', header };
    case ResponseCode.FULL:
      return { type: 'full', header, values: readFull(dv) };
    case ResponseCode.DISCONNECT:
      return { type: 'disconnect', header, reasonCode: dv.getUint16(DisconnectOffset.REASON, true) };
    default:
      return { type: 'unknown', header };
  }
}

/**
 * Decodes every packet of a frame by walking the header lengths (docs/dhan-protocol.md §2.8), stepping over all-zero
 * keep-alive headers (docs/dhan-protocol.md §2.5). Stops at the first framing error; `rest` is the number of bytes
 * left undecoded (0 for a clean frame).
 */
export function decodePackets(buf: Uint8Array): { packets: DecodedPacket[]; rest: number } {
  const packets: DecodedPacket[] = [];
  let offset = 0;
  const n = buf instanceof Uint8Array ? buf.byteLength : 0;
  while (offset < n) {
    const packet = decodePacket(buf, offset);
    if (packet === null) break;
    packets.push(packet);
    offset += packetBytes(packet);
  }
  return { packets, rest: n - offset };
}
