/**
 * Byte layouts of the Dhan live-feed v2 binary packets (docs/dhan-protocol.md §2.5–§2.6): response
 * codes, exact packet lengths, the named offset of every field, and the value shapes those
 * fields carry. This is the one place the numbers live: the feed decoder
 * (`src/feed/decoder.ts`), the simulator's encoders (`src/sim/packet-encoder.ts`) and the test
 * decoder (`test/helpers/packet-decoder.ts`) all read them from here.
 *
 * Offsets are from the first byte of the packet (header included), little-endian, packed with
 * no alignment (docs/dhan-protocol.md §2.5: a u32 sits at offset 14), so read them with explicit LE DataView
 * accessors, never typed-array views.
 *
 * Codes, lengths and offsets are `const enum`s: tsc writes each use as the literal number, so
 * the hot-path decoder pays nothing for the names (frozen-object constants cost it 3–5 % of
 * decode throughput, bench/feed-decode.bench.mjs --baseline-dist, and a `switch` over them
 * compiles worse). `preserveConstEnums` keeps the objects in `dist/` for the JavaScript benches.
 *
 * @module
 */

/** Feed response codes, header byte 0 (docs/dhan-protocol.md §2.6 annexure). */
export const enum ResponseCode {
  INDEX = 1,
  TICKER = 2,
  QUOTE = 4,
  OI = 5,
  PREV_CLOSE = 6,
  MARKET_STATUS = 7,
  FULL = 8,
  DISCONNECT = 50,
}

/**
 * Exact packet lengths, header included (docs/dhan-protocol.md §2.5: the header's length field counts the whole
 * packet). The index packet's layout is undocumented; it is treated as a 16-byte ticker (docs/dhan-protocol.md §2.6).
 */
export const enum PacketLength {
  HEADER = 8,
  INDEX = 16,
  TICKER = 16,
  QUOTE = 50,
  OI = 12,
  PREV_CLOSE = 16,
  MARKET_STATUS = 8,
  FULL = 162,
  DISCONNECT = 10,
}

/** The common 8-byte header (docs/dhan-protocol.md §2.5). */
export const enum HeaderOffset {
  /** u8 response code. */
  CODE = 0,
  /** u16 whole packet length, header included. */
  LENGTH = 1,
  /** u8 exchange segment (docs/dhan-protocol.md §2.4). */
  SEGMENT = 3,
  /** u32 security id. */
  SECURITY_ID = 4,
}

/** Ticker (code 2) and index (code 1), 16 bytes. */
export const enum TickerOffset {
  /** f32 last traded price. */
  LTP = 8,
  /** u32 last trade time, IST-shifted epoch seconds (docs/dhan-protocol.md §2.9). */
  LTT = 12,
}

/** Quote (code 4), 50 bytes. */
export const enum QuoteOffset {
  LTP = 8,
  /** u16 last traded quantity. */
  LTQ = 12,
  LTT = 14,
  /** f32 average traded price. */
  ATP = 18,
  /** u32 day volume. */
  VOLUME = 22,
  TOTAL_SELL_QTY = 26,
  TOTAL_BUY_QTY = 30,
  OPEN = 34,
  /** f32 day close; during the session Dhan sends the previous close here (docs/dhan-protocol.md §2.7). */
  CLOSE = 38,
  HIGH = 42,
  LOW = 46,
}

/** OI (code 5), 12 bytes. */
export const enum OiOffset {
  /** u32 open interest. */
  OI = 8,
}

/** Prev Close (code 6), 16 bytes. */
export const enum PrevCloseOffset {
  /** f32 previous day close. */
  PREV_CLOSE = 8,
  /** u32 previous day open interest. */
  PREV_OI = 12,
}

/**
 * Full (code 8), 162 bytes. Not "Quote + extras": the OI fields sit at 34–45 and OHLC moves to
 * 46–61 (docs/dhan-protocol.md §2.6).
 */
export const enum FullOffset {
  LTP = 8,
  LTQ = 12,
  LTT = 14,
  ATP = 18,
  VOLUME = 22,
  TOTAL_SELL_QTY = 26,
  TOTAL_BUY_QTY = 30,
  OI = 34,
  /** u32 highest OI of the day (NSE_FNO only). */
  OI_HIGH = 38,
  /** u32 lowest OI of the day (NSE_FNO only). */
  OI_LOW = 42,
  OPEN = 46,
  CLOSE = 50,
  HIGH = 54,
  LOW = 58,
  /** Depth level 0 (best); level i starts at DEPTH + i · {@link DEPTH_LEVEL_BYTES}. */
  DEPTH = 62,
}

/** Levels of market depth in a Full packet. */
export const DEPTH_LEVELS = 5;
/** Bytes per depth level. */
export const DEPTH_LEVEL_BYTES = 20;

/** Fields of one 20-byte depth level, from the level's first byte (docs/dhan-protocol.md §2.6). */
export const enum DepthOffset {
  /** u32 */
  BID_QTY = 0,
  /** u32 */
  ASK_QTY = 4,
  /** u16 number of bid orders */
  BID_ORDERS = 8,
  /** u16 number of ask orders */
  ASK_ORDERS = 10,
  /** f32 */
  BID = 12,
  /** f32 */
  ASK = 16,
}

/** Feed Disconnect (code 50), 10 bytes; the header's segment and security id are not meaningful. */
export const enum DisconnectOffset {
  /** u16 LE reason code (docs/dhan-protocol.md §2.11). */
  REASON = 8,
}

/**
 * Minimum packet length a decoder accepts for a known code (longer packets are tolerated: room
 * for fields Dhan might append); -1 for a code this layout does not know.
 */
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

/**
 * True when the 8 bytes at `p` are all zero: the keep-alive header seen live (openalgo PR #912,
 * issue #857; docs/dhan-protocol.md §2.5). Not a packet and not an error; a decoder skips these 8 bytes and goes on.
 */
export function isKeepAliveHeader(dv: DataView, p: number): boolean {
  return dv.getUint32(p, true) === 0 && dv.getUint32(p + 4, true) === 0;
}

/** The common 8-byte header (docs/dhan-protocol.md §2.5). `segment` is the numeric code of docs/dhan-protocol.md §2.4. */
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
  /** IST-shifted epoch seconds as on the wire (docs/dhan-protocol.md §2.9). */
  readonly ltt: number;
}

/** Quote (code 4) payload. */
export interface QuoteValues {
  readonly ltp: number;
  readonly ltq: number;
  /** IST-shifted epoch seconds as on the wire (docs/dhan-protocol.md §2.9). */
  readonly ltt: number;
  readonly atp: number;
  readonly volume: number;
  readonly totalSellQty: number;
  readonly totalBuyQty: number;
  readonly open: number;
  /** Day close; per docs/dhan-protocol.md §2.7 it may carry the previous session's close during the day. */
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

/** One level of 5-level depth (20 bytes, docs/dhan-protocol.md §2.6). */
export interface DepthLevel {
  readonly bidQty: number;
  readonly askQty: number;
  readonly bidOrders: number;
  readonly askOrders: number;
  readonly bid: number;
  readonly ask: number;
}

/** Full (code 8) payload. Missing depth levels encode as zeros (docs/dhan-protocol.md §2.6: empty levels zero-filled). */
export interface FullValues {
  readonly ltp: number;
  readonly ltq: number;
  /** IST-shifted epoch seconds as on the wire (docs/dhan-protocol.md §2.9). */
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
