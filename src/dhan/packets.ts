/**
 * Dhan live-feed v2 binary packets (dhan-protocol.md §2.5–§2.12): response/request codes,
 * packet lengths, disconnect reasons, value shapes, ENCODERS used by the simulator, and a
 * generic object decoder for tests and tools.
 *
 * Everything here deals in WIRE values: `ltt` is the IST-shifted second count Dhan sends
 * (§2.9), prices are whatever f32 rounding makes of them. The hot-path decoder that writes
 * the price table (and removes the IST shift) is `src/feed/decoder.ts`; {@link decodePacket}
 * allocates an object per packet and is not meant for the feed.
 *
 * Encoders write little-endian into a caller-provided buffer at an offset and return the
 * offset just past the packet, so a simulator can stack packets into one reusable buffer
 * without allocating per packet. Integer fields are stored modulo 2^32 / 2^16 (ToUint32), which
 * is exactly how Dhan's u32 volume/OI wrap (market-structure.md §4.1) — a simulator can
 * reproduce a wrap by passing the unwrapped value.
 *
 * @module
 */
import { ErrorCodes, OptchainError } from '../errors.js';

/** Feed response codes, header byte 0 (§2.6 annexure). */
export const ResponseCode = Object.freeze({
  INDEX: 1,
  TICKER: 2,
  QUOTE: 4,
  OI: 5,
  PREV_CLOSE: 6,
  MARKET_STATUS: 7,
  FULL: 8,
  DISCONNECT: 50,
} as const);
export type ResponseCode = (typeof ResponseCode)[keyof typeof ResponseCode];

/** Feed request codes carried in the JSON `RequestCode` of client messages (§2.2). */
export const RequestCode = Object.freeze({
  DISCONNECT: 12,
  SUBSCRIBE_TICKER: 15,
  UNSUBSCRIBE_TICKER: 16,
  SUBSCRIBE_QUOTE: 17,
  UNSUBSCRIBE_QUOTE: 18,
  SUBSCRIBE_FULL: 21,
  UNSUBSCRIBE_FULL: 22,
} as const);
export type RequestCode = (typeof RequestCode)[keyof typeof RequestCode];

/** The request codes that carry an instrument list (subscribe = odd, unsubscribe = subscribe + 1, §2.2). */
export const SUBSCRIPTION_REQUEST_CODES: readonly number[] = Object.freeze([15, 16, 17, 18, 21, 22]);

/**
 * Exact packet lengths, header included (§2.5: the header's length field counts the whole
 * packet). The index packet's layout is undocumented; it is treated as a 16-byte ticker (§2.6).
 */
export const PacketLength = Object.freeze({
  HEADER: 8,
  INDEX: 16,
  TICKER: 16,
  QUOTE: 50,
  OI: 12,
  PREV_CLOSE: 16,
  MARKET_STATUS: 8,
  FULL: 162,
  DISCONNECT: 10,
} as const);

/** Levels of market depth in a Full packet. */
export const DEPTH_LEVELS = 5;
/** Bytes per depth level. */
export const DEPTH_LEVEL_BYTES = 20;
/** Offset of depth level 0 inside a Full packet; level i starts at 62 + 20·i (§2.6). */
export const DEPTH_OFFSET = 62;

/** Largest instrument list in one subscribe message (§2.3). */
export const MAX_INSTRUMENTS_PER_MESSAGE = 100;
/** Largest number of instruments on one connection (§2.3). */
export const MAX_INSTRUMENTS_PER_CONNECTION = 5000;

/** Disconnect reason codes of the feed's code-50 packet (annexure "Data API Error", §2.11). */
export const DisconnectReason = Object.freeze({
  INTERNAL_SERVER_ERROR: 800,
  INSTRUMENT_LIMIT_EXCEEDED: 804,
  TOO_MANY_CONNECTIONS: 805,
  DATA_API_NOT_SUBSCRIBED: 806,
  ACCESS_TOKEN_EXPIRED: 807,
  AUTHENTICATION_FAILED: 808,
  ACCESS_TOKEN_INVALID: 809,
  CLIENT_ID_INVALID: 810,
  INVALID_EXPIRY_DATE: 811,
  INVALID_DATE_FORMAT: 812,
  INVALID_SECURITY_ID: 813,
  INVALID_REQUEST: 814,
} as const);
export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason];

/**
 * Annexure meanings. Where the Python SDK disagrees (808/809 swapped) the annexure wins, as
 * §2.11 recommends.
 */
export const DISCONNECT_REASON_TEXT: Readonly<Record<number, string>> = Object.freeze({
  800: 'Internal server error',
  804: 'Requested number of instruments exceeds limit',
  805: 'Too many requests or connections; further requests may get the user blocked',
  806: 'Data APIs not subscribed',
  807: 'Access token is expired',
  808: 'Authentication failed: client id or access token invalid',
  809: 'Access token is invalid',
  810: 'Client id is invalid',
  811: 'Invalid expiry date',
  812: 'Invalid date format',
  813: 'Invalid SecurityId',
  814: 'Invalid request',
});

/** Human text for a disconnect reason, including codes the annexure does not list. */
export function disconnectReasonText(code: number): string {
  return DISCONNECT_REASON_TEXT[code] ?? `unknown disconnect reason ${code}`;
}

/** True for the reasons after which reconnecting with the same credentials is pointless (§2.11). */
export function isCredentialFailure(code: number): boolean {
  return code === 806 || code === 807 || code === 808 || code === 809 || code === 810;
}

/** The common 8-byte header (§2.5). `segment` is the numeric code of §2.4. */
export interface PacketHeader {
  readonly code: number;
  /** Whole packet length, header included. */
  readonly length: number;
  readonly segment: number;
  readonly securityId: number;
}

/** Ticker (code 2) and index (code 1) payload. */
export interface TickerValues {
  readonly ltp: number;
  /** IST-shifted epoch seconds as on the wire (§2.9). */
  readonly ltt: number;
}

/** Quote (code 4) payload. */
export interface QuoteValues {
  readonly ltp: number;
  readonly ltq: number;
  /** IST-shifted epoch seconds as on the wire (§2.9). */
  readonly ltt: number;
  readonly atp: number;
  readonly volume: number;
  readonly totalSellQty: number;
  readonly totalBuyQty: number;
  readonly open: number;
  /** Day close; per §2.7 it may carry the previous session's close during the day. */
  readonly close: number;
  readonly high: number;
  readonly low: number;
}

/** OI (code 5) payload. */
export interface OiValues {
  readonly oi: number;
}

/** Prev Close (code 6) payload. */
export interface PrevCloseValues {
  readonly prevClose: number;
  readonly prevOi: number;
}

/** One level of 5-level depth (20 bytes, §2.6). */
export interface DepthLevel {
  readonly bidQty: number;
  readonly askQty: number;
  readonly bidOrders: number;
  readonly askOrders: number;
  readonly bid: number;
  readonly ask: number;
}

/** Full (code 8) payload. Missing depth levels encode as zeros (§2.6: empty levels zero-filled). */
export interface FullValues {
  readonly ltp: number;
  readonly ltq: number;
  /** IST-shifted epoch seconds as on the wire (§2.9). */
  readonly ltt: number;
  readonly atp: number;
  readonly volume: number;
  readonly totalSellQty: number;
  readonly totalBuyQty: number;
  readonly oi: number;
  readonly oiHigh: number;
  readonly oiLow: number;
  readonly open: number;
  readonly close: number;
  readonly high: number;
  readonly low: number;
  /** Level 0 = best. At most {@link DEPTH_LEVELS}. */
  readonly depth: readonly DepthLevel[];
}

/**
 * What {@link decodePacket} returns for a well-framed packet (valid header length; skip
 * `header.length` bytes to reach the next one). `unknown` = a code this codec does not know;
 * `malformed` = a known code whose length is shorter than its layout, or an index packet that
 * is not 16 bytes (its layout is undocumented, §2.6).
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
  | { readonly type: 'malformed'; readonly header: PacketHeader };

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
      500,
      { offset, length, bufferLength: buf.byteLength },
    );
  }
  return buf.byteOffset + offset;
}

function writeHeader(dv: DataView, p: number, code: number, length: number, segment: number, securityId: number): void {
  dv.setUint8(p, code);
  dv.setUint16(p + 1, length, true);
  dv.setUint8(p + 3, segment);
  dv.setUint32(p + 4, securityId, true);
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
  dv.setFloat32(p + 8, v.ltp, true);
  dv.setUint32(p + 12, v.ltt, true);
  return offset + PacketLength.TICKER;
}

/** Ticker, code 2, 16 bytes. Returns `offset + 16`. */
export function encodeTicker(buf: Uint8Array, offset: number, segment: number, securityId: number, v: TickerValues): number {
  return encodeTickerLike(buf, offset, ResponseCode.TICKER, segment, securityId, v);
}

/** Index packet, code 1, in the 16-byte ticker layout (§2.6 recommendation). Returns `offset + 16`. */
export function encodeIndex(buf: Uint8Array, offset: number, segment: number, securityId: number, v: TickerValues): number {
  return encodeTickerLike(buf, offset, ResponseCode.INDEX, segment, securityId, v);
}

/** Quote, code 4, 50 bytes. Returns `offset + 50`. */
export function encodeQuote(buf: Uint8Array, offset: number, segment: number, securityId: number, v: QuoteValues): number {
  const p = reserve(buf, offset, PacketLength.QUOTE);
  const dv = viewOf(buf);
  writeHeader(dv, p, ResponseCode.QUOTE, PacketLength.QUOTE, segment, securityId);
  dv.setFloat32(p + 8, v.ltp, true);
  dv.setUint16(p + 12, v.ltq, true);
  dv.setUint32(p + 14, v.ltt, true);
  dv.setFloat32(p + 18, v.atp, true);
  dv.setUint32(p + 22, v.volume, true);
  dv.setUint32(p + 26, v.totalSellQty, true);
  dv.setUint32(p + 30, v.totalBuyQty, true);
  dv.setFloat32(p + 34, v.open, true);
  dv.setFloat32(p + 38, v.close, true);
  dv.setFloat32(p + 42, v.high, true);
  dv.setFloat32(p + 46, v.low, true);
  return offset + PacketLength.QUOTE;
}

/** OI, code 5, 12 bytes. Returns `offset + 12`. */
export function encodeOi(buf: Uint8Array, offset: number, segment: number, securityId: number, v: OiValues): number {
  const p = reserve(buf, offset, PacketLength.OI);
  const dv = viewOf(buf);
  writeHeader(dv, p, ResponseCode.OI, PacketLength.OI, segment, securityId);
  dv.setUint32(p + 8, v.oi, true);
  return offset + PacketLength.OI;
}

/** Prev Close, code 6, 16 bytes. Returns `offset + 16`. */
export function encodePrevClose(buf: Uint8Array, offset: number, segment: number, securityId: number, v: PrevCloseValues): number {
  const p = reserve(buf, offset, PacketLength.PREV_CLOSE);
  const dv = viewOf(buf);
  writeHeader(dv, p, ResponseCode.PREV_CLOSE, PacketLength.PREV_CLOSE, segment, securityId);
  dv.setFloat32(p + 8, v.prevClose, true);
  dv.setUint32(p + 12, v.prevOi, true);
  return offset + PacketLength.PREV_CLOSE;
}

/** Market Status, code 7, header only (payload undocumented, §2.6). Returns `offset + 8`. */
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
  dv.setFloat32(p + 8, v.ltp, true);
  dv.setUint16(p + 12, v.ltq, true);
  dv.setUint32(p + 14, v.ltt, true);
  dv.setFloat32(p + 18, v.atp, true);
  dv.setUint32(p + 22, v.volume, true);
  dv.setUint32(p + 26, v.totalSellQty, true);
  dv.setUint32(p + 30, v.totalBuyQty, true);
  dv.setUint32(p + 34, v.oi, true);
  dv.setUint32(p + 38, v.oiHigh, true);
  dv.setUint32(p + 42, v.oiLow, true);
  dv.setFloat32(p + 46, v.open, true);
  dv.setFloat32(p + 50, v.close, true);
  dv.setFloat32(p + 54, v.high, true);
  dv.setFloat32(p + 58, v.low, true);
  const depth = v.depth;
  for (let i = 0; i < DEPTH_LEVELS; i++) {
    const q = p + DEPTH_OFFSET + i * DEPTH_LEVEL_BYTES;
    const level = i < depth.length ? depth[i] : undefined;
    if (level === undefined) {
      for (let k = 0; k < DEPTH_LEVEL_BYTES; k += 4) dv.setUint32(q + k, 0, true);
      continue;
    }
    dv.setUint32(q, level.bidQty, true);
    dv.setUint32(q + 4, level.askQty, true);
    dv.setUint16(q + 8, level.bidOrders, true);
    dv.setUint16(q + 10, level.askOrders, true);
    dv.setFloat32(q + 12, level.bid, true);
    dv.setFloat32(q + 16, level.ask, true);
  }
  return offset + PacketLength.FULL;
}

/**
 * Feed Disconnect, code 50, 10 bytes; header segment and security id are zero as in the §2.12
 * vector (not meaningful, §2.6). Returns `offset + 10`.
 */
export function encodeDisconnect(buf: Uint8Array, offset: number, reasonCode: number): number {
  const p = reserve(buf, offset, PacketLength.DISCONNECT);
  const dv = viewOf(buf);
  writeHeader(dv, p, ResponseCode.DISCONNECT, PacketLength.DISCONNECT, 0, 0);
  dv.setUint16(p + 8, reasonCode, true);
  return offset + PacketLength.DISCONNECT;
}

/** Minimum packet length the decoders accept for a known code (longer packets are tolerated). */
export function minimumLength(code: number): number {
  switch (code) {
    case ResponseCode.INDEX:
    case ResponseCode.TICKER:
      return PacketLength.TICKER;
    case ResponseCode.QUOTE:
      return PacketLength.QUOTE;
    case ResponseCode.OI:
      return PacketLength.OI;
    case ResponseCode.PREV_CLOSE:
      return PacketLength.PREV_CLOSE;
    case ResponseCode.MARKET_STATUS:
      return PacketLength.MARKET_STATUS;
    case ResponseCode.FULL:
      return PacketLength.FULL;
    case ResponseCode.DISCONNECT:
      return PacketLength.DISCONNECT;
    default:
      return -1;
  }
}

function readTicker(dv: DataView, p: number): TickerValues {
  return { ltp: dv.getFloat32(p + 8, true), ltt: dv.getUint32(p + 12, true) };
}

/**
 * Decodes the packet starting at `offset` into a fresh object (tests and tools; the feed uses
 * `FeedDecoder`). Returns null for a framing error: fewer than 8 bytes remain, or the header's
 * length is below 8 or runs past the buffer (§2.8: stop walking the frame). Known packets
 * longer than their layout decode from their first bytes (room for fields Dhan might append);
 * the caller advances by `header.length`. Never throws.
 */
export function decodePacket(buf: Uint8Array, offset: number): DecodedPacket | null {
  if (!(buf instanceof Uint8Array) || !Number.isInteger(offset) || offset < 0) return null;
  const remaining = buf.byteLength - offset;
  if (remaining < PacketLength.HEADER) return null;
  const dv = new DataView(buf.buffer, buf.byteOffset + offset, remaining);
  const code = dv.getUint8(0);
  const length = dv.getUint16(1, true);
  if (length < PacketLength.HEADER || length > remaining) return null;
  const header: PacketHeader = { code, length, segment: dv.getUint8(3), securityId: dv.getUint32(4, true) };
  const min = minimumLength(code);
  if (min < 0) return { type: 'unknown', header };
  if (length < min || (code === ResponseCode.INDEX && length !== PacketLength.INDEX)) return { type: 'malformed', header };
  switch (code) {
    case ResponseCode.INDEX:
      return { type: 'index', header, values: readTicker(dv, 0) };
    case ResponseCode.TICKER:
      return { type: 'ticker', header, values: readTicker(dv, 0) };
    case ResponseCode.QUOTE:
      return {
        type: 'quote',
        header,
        values: {
          ltp: dv.getFloat32(8, true),
          ltq: dv.getUint16(12, true),
          ltt: dv.getUint32(14, true),
          atp: dv.getFloat32(18, true),
          volume: dv.getUint32(22, true),
          totalSellQty: dv.getUint32(26, true),
          totalBuyQty: dv.getUint32(30, true),
          open: dv.getFloat32(34, true),
          close: dv.getFloat32(38, true),
          high: dv.getFloat32(42, true),
          low: dv.getFloat32(46, true),
        },
      };
    case ResponseCode.OI:
      return { type: 'oi', header, values: { oi: dv.getUint32(8, true) } };
    case ResponseCode.PREV_CLOSE:
      return { type: 'prevClose', header, values: { prevClose: dv.getFloat32(8, true), prevOi: dv.getUint32(12, true) } };
    case ResponseCode.MARKET_STATUS:
      return { type: 'marketStatus', header };
    case ResponseCode.FULL: {
      const depth: DepthLevel[] = [];
      for (let i = 0; i < DEPTH_LEVELS; i++) {
        const q = DEPTH_OFFSET + i * DEPTH_LEVEL_BYTES;
        depth.push({
          bidQty: dv.getUint32(q, true),
          askQty: dv.getUint32(q + 4, true),
          bidOrders: dv.getUint16(q + 8, true),
          askOrders: dv.getUint16(q + 10, true),
          bid: dv.getFloat32(q + 12, true),
          ask: dv.getFloat32(q + 16, true),
        });
      }
      return {
        type: 'full',
        header,
        values: {
          ltp: dv.getFloat32(8, true),
          ltq: dv.getUint16(12, true),
          ltt: dv.getUint32(14, true),
          atp: dv.getFloat32(18, true),
          volume: dv.getUint32(22, true),
          totalSellQty: dv.getUint32(26, true),
          totalBuyQty: dv.getUint32(30, true),
          oi: dv.getUint32(34, true),
          oiHigh: dv.getUint32(38, true),
          oiLow: dv.getUint32(42, true),
          open: dv.getFloat32(46, true),
          close: dv.getFloat32(50, true),
          high: dv.getFloat32(54, true),
          low: dv.getFloat32(58, true),
          depth,
        },
      };
    }
    case ResponseCode.DISCONNECT:
      return { type: 'disconnect', header, reasonCode: dv.getUint16(8, true) };
    default:
      return { type: 'unknown', header };
  }
}

/**
 * Decodes every packet of a frame by walking the header lengths (§2.8). Stops at the first
 * malformed packet; `rest` is the number of bytes left undecoded (0 for a clean frame).
 */
export function decodePackets(buf: Uint8Array): { packets: DecodedPacket[]; rest: number } {
  const packets: DecodedPacket[] = [];
  let offset = 0;
  const n = buf instanceof Uint8Array ? buf.byteLength : 0;
  while (offset < n) {
    const packet = decodePacket(buf, offset);
    if (packet === null) break;
    packets.push(packet);
    offset += packet.header.length;
  }
  return { packets, rest: n - offset };
}
