/**
 * The feed's hot path: decodes Dhan live-feed v2 binary frames (docs/dhan-protocol.md §2.5–§2.9)
 * and merges every packet into its token's price-table slot under the seqlock
 * (docs/engineering.md §2.2), then bumps the generation of each chain the slot belongs to; a
 * frame that published anything ends with one `publishTicks` (the wake word consumers sleep on).
 *
 * Robustness: a frame is walked by the header's length field (docs/dhan-protocol.md §2.8: several packets per frame
 * are allowed); an all-zero 8-byte header (Dhan's keep-alive, docs/dhan-protocol.md §2.5) is stepped over and counted
 * in `keepAlives`, never as an error; any other length below 8 or past the frame's end stops the walk, a known code whose
 * length is shorter than its layout is skipped, an unknown code or a token outside this
 * decoder's lookup is skipped; every case is counted and nothing throws, whatever the bytes.
 *
 * Speed: one DataView per backing ArrayBuffer (cached, so consecutive frames cut from the same
 * socket chunk reuse it) and TurboFan-inlined `getFloat32/getUint32` reads, measured here
 * (bench/feed-decode.bench.mjs, "field reads" table) far ahead of `Buffer#readFloatLE` /
 * `readUInt32LE` and of manual byte assembly through a Float32Array scratch. Packet fields are
 * read into locals before `beginWrite`, so the slot stays odd (readers retry) only for the
 * stores themselves. No allocation per packet.
 *
 * Field mapping decisions:
 * - LTT: true Unix seconds = wire value − 19800 (docs/dhan-protocol.md §2.9). A wire LTT of 0 ("no trade") is not
 *   written, so the field stays null instead of becoming 1969.
 * - bid/ask/bidQty/askQty: depth level 0 of a Full packet, as sent (0 = empty level, docs/dhan-protocol.md §2.6).
 * - prevClose: a code-6 packet wins for the rest of the day; until one arrives the Quote/Full
 *   `close` field is used when it is > 0 (docs/dhan-protocol.md §2.7: IDX_I gets code 6; NSE/BSE tokens get the
 *   previous close in `close`; 0 means "not sent", per the docs' "only post market close").
 *   {@link FeedDecoder.prevCloseSource} tells which one a slot holds.
 * - volume and OI: u32 on the wire (docs/market-structure.md §4.1 warns cumulative NIFTY volume
 *   can overflow). The decoder keeps, per slot, the last raw value and a wrap count: a drop
 *   of more than 2^31 between two packets is taken as a wrap (+2^32), a rise of more than
 *   2^31 while wrapped as its undo. Cheap (one compare per packet) and self-correcting, but it
 *   cannot see a wrap that happened before the first packet of the day; create a fresh decoder
 *   (or call {@link FeedDecoder.resetDay}) at the start of each trading day.
 * - Prices stay the f32 values Dhan sent; presentation rounds (docs/contract.md §5).
 *
 * @module
 */
import { IST_OFFSET_S } from '../time/ist.js';
import { PriceTable } from '../price-table/price-table.js';
import { F, SLOT_WORDS } from '../price-table/layout.js';
import { SlotLookup, type SlotKey } from './slot-lookup.js';
import { SlotChains } from './slot-chains.js';
import { ErrorCodes, OptchainError } from '../errors.js';
// const enums: tsc writes every use below as its literal number (see packet-layout.ts).
import {
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
} from '../dhan/packet-layout.js';

// Field word offsets as plain constants so the hot path folds them.
const LTP = F.LTP;
const BID = F.BID;
const ASK = F.ASK;
const BID_QTY = F.BID_QTY;
const ASK_QTY = F.ASK_QTY;
const VOLUME = F.VOLUME;
const OI = F.OI;
const PREV_CLOSE = F.PREV_CLOSE;
const LTT = F.LTT;
const UPDATED_AT = F.UPDATED_AT;
const OPEN = F.OPEN;
const HIGH = F.HIGH;
const LOW = F.LOW;
const ATP = F.ATP;
const PREV_OI = F.PREV_OI;

const TWO_POW_31 = 2147483648;
const TWO_POW_32 = 4294967296;

/** Where a slot's prevClose came from. */
export const PrevCloseSource = Object.freeze({ NONE: 0, CLOSE_FIELD: 1, PREV_CLOSE_PACKET: 2 } as const);
export type PrevCloseSource = (typeof PrevCloseSource)[keyof typeof PrevCloseSource];

/** Callbacks for packets that are not written to slots. */
export interface FeedDecoderOptions {
  /** A code-50 packet arrived (docs/dhan-protocol.md §2.11); the connection will be closed by Dhan. */
  onDisconnect?: (reasonCode: number) => void;
  /** A code-7 packet arrived (payload undocumented, docs/dhan-protocol.md §2.6: only the header's bytes are passed). */
  onMarketStatus?: (segment: number, securityId: number) => void;
  /** Track u32 wrap-around of volume/OI (default true; see the module note). */
  unwrapCounters?: boolean;
}

/**
 * Decoder statistics, monotonic except the net wrap counts. Invariants (tested):
 * `packets = applied + unknownToken + unknownCode + layoutMismatch + marketStatus + disconnects`,
 * `packets = Σ byCode`, and every frame ends cleanly or with exactly one of `shortFrame`/`badLength`.
 */
export class FeedDecoderCounters {
  /** Frames passed to decodeFrame. */
  frames = 0;
  /** Bytes passed to decodeFrame. */
  bytes = 0;
  /** Packets with a valid header length (consumed by the walk), any code. */
  packets = 0;
  /** `packets` by response code (index = header byte 0). */
  readonly byCode = new Float64Array(256);
  /** Packets merged into a slot. */
  applied = 0;
  /** Market-status packets (code 7). */
  marketStatus = 0;
  /** Disconnect packets (code 50). */
  disconnects = 0;
  /**
   * All-zero 8-byte headers skipped (Dhan's keep-alives, docs/dhan-protocol.md §2.5; openalgo PR #912 saw thousands a
   * second). Not packets and not errors: the rest of the frame is decoded.
   */
  keepAlives = 0;
  /** Error: 1..7 bytes left at the end of a frame (or a frame shorter than a header). Stops the frame. */
  shortFrame = 0;
  /** Error: header length < 8 (other than an all-zero keep-alive header) or past the end of the frame. Stops the frame. */
  badLength = 0;
  /** Error: a known code whose length is shorter than its layout, or an index packet that is not 16 bytes. Skipped. */
  layoutMismatch = 0;
  /** Error: a response code this decoder does not know. Skipped. */
  unknownCode = 0;
  /** Error: (segment, security id) not in this decoder's lookup. Skipped. */
  unknownToken = 0;
  /** Error: the frame was not a Uint8Array/ArrayBuffer. */
  badInput = 0;
  /** A callback threw (the error is kept in `lastCallbackError`, decoding goes on). */
  callbackErrors = 0;
  /** Should stay 0: an exception inside the decoder itself, caught by the last-resort guard. */
  internalErrors = 0;
  /** Volume / OI u32 wraps detected (net of undos). */
  volumeWraps = 0;
  oiWraps = 0;
  /** prevClose writes by source. */
  prevCloseFromPacket = 0;
  prevCloseFromClose = 0;
  /** Last disconnect reason seen, 0 if none. */
  lastDisconnectReason = 0;
  /** Last error thrown by a callback. */
  lastCallbackError: unknown = undefined;

  /** Sum of all error counters. */
  errors(): number {
    return this.shortFrame + this.badLength + this.layoutMismatch + this.unknownCode + this.unknownToken + this.badInput + this.internalErrors;
  }
}

/** Decodes frames of one feed connection (or one worker's connections) into the price table. */
export class FeedDecoder {
  /** Statistics; read them freely, never reset them in place. */
  readonly counters = new FeedDecoderCounters();

  private readonly table: PriceTable;
  private readonly f64: Float64Array;
  private readonly lookup: SlotLookup;
  private readonly chainStart: Int32Array;
  private readonly chainList: Int32Array;
  private readonly onDisconnect: ((reasonCode: number) => void) | undefined;
  private readonly onMarketStatus: ((segment: number, securityId: number) => void) | undefined;
  private readonly unwrap: boolean;

  // Worker-local per-slot state (not shared: only this decoder writes these slots).
  private readonly prevCloseSrc: Uint8Array;
  private readonly volLast: Float64Array;
  private readonly volWraps: Uint16Array;
  private readonly oiLast: Float64Array;
  private readonly oiWraps: Uint16Array;

  private lastBuffer: ArrayBufferLike | null = null;
  private view: DataView = new DataView(new ArrayBuffer(0));

  /**
   * @param table the shared price table (this thread's view)
   * @param lookup (segment code, security id) → slot for the tokens THIS decoder owns; a slot
   *   must have exactly one writer (docs/engineering.md §2.1)
   * @param chains slot → chains whose generation to bump
   * Throws PRICE_TABLE_LAYOUT when the lookup or the chain index does not fit the table.
   */
  constructor(table: PriceTable, lookup: SlotLookup, chains: SlotChains, options: FeedDecoderOptions = {}) {
    if (lookup.maxSlot() >= table.slots) {
      throw new OptchainError(ErrorCodes.PRICE_TABLE_LAYOUT, `lookup names slot ${lookup.maxSlot()} but the table has ${table.slots} slots`);
    }
    let maxChain = -1;
    for (const c of chains.chains) if (c > maxChain) maxChain = c;
    if (maxChain >= table.chains) {
      throw new OptchainError(ErrorCodes.PRICE_TABLE_LAYOUT, `chain index names chain ${maxChain} but the table has ${table.chains} chains`);
    }
    this.table = table;
    this.f64 = table.f64;
    this.lookup = lookup;
    // Pad the CSR to the table's slot count so every slot the lookup can return has an entry.
    const start = new Int32Array(table.slots + 1);
    const n = Math.min(chains.slots, table.slots);
    start.set(chains.start.subarray(0, n + 1));
    for (let s = n + 1; s <= table.slots; s++) start[s] = start[n]!;
    this.chainStart = start;
    this.chainList = chains.chains;
    this.onDisconnect = options.onDisconnect;
    this.onMarketStatus = options.onMarketStatus;
    this.unwrap = options.unwrapCounters ?? true;
    this.prevCloseSrc = new Uint8Array(table.slots);
    this.volLast = new Float64Array(table.slots).fill(-1);
    this.volWraps = new Uint16Array(table.slots);
    this.oiLast = new Float64Array(table.slots).fill(-1);
    this.oiWraps = new Uint16Array(table.slots);
  }

  /**
   * Convenience: a decoder for the given tokens (e.g. one worker's share of skeleton `tokens`)
   * with the skeleton's `chainsOfSlot`.
   */
  static forTokens(table: PriceTable, tokens: Iterable<SlotKey>, chainsOfSlot: readonly (readonly number[])[], options?: FeedDecoderOptions): FeedDecoder {
    return new FeedDecoder(table, SlotLookup.fromTokens(tokens), SlotChains.from(chainsOfSlot, table.chains), options);
  }

  /** Where the slot's current prevClose came from ({@link PrevCloseSource}). */
  prevCloseSource(slot: number): PrevCloseSource {
    return (this.prevCloseSrc[slot] ?? 0) as PrevCloseSource;
  }

  /** Forgets per-day state (prevClose source, wrap tracking) at a trading-day boundary. */
  resetDay(): void {
    this.prevCloseSrc.fill(0);
    this.volLast.fill(-1);
    this.volWraps.fill(0);
    this.oiLast.fill(-1);
    this.oiWraps.fill(0);
  }

  /**
   * Decodes one WebSocket binary message. `receivedAtMs` becomes the `updatedAt` of every slot
   * it touches. Never throws (see the module note); everything is counted.
   */
  decodeFrame(buf: Uint8Array | ArrayBuffer, receivedAtMs: number): void {
    const c = this.counters;
    c.frames++;
    let bytes: Uint8Array;
    if (buf instanceof Uint8Array) bytes = buf;
    else if (buf instanceof ArrayBuffer) bytes = new Uint8Array(buf);
    else {
      c.badInput++;
      return;
    }
    const n = bytes.byteLength;
    c.bytes += n;
    // A detached buffer has byteLength 0; returning here also avoids `new DataView` on it.
    if (n === 0) return;
    const applied = c.applied;
    try {
      const o = this.walk(bytes, n, 0, receivedAtMs);
      if (o >= 0) this.zeroLength(bytes, n, o, receivedAtMs);
    } catch {
      // Last-resort guard: the walk is bounds-checked, so this should never run (the fuzz
      // test asserts internalErrors stays 0); a decoder bug must not kill the feed worker.
      c.internalErrors++;
    }
    // Once per frame, not per packet: the analytics worker sleeps on this word (issue 13).
    if (c.applied !== applied) this.table.publishTicks();
  }

  /**
   * The walk stopped at a header whose length field is 0. An all-zero header is Dhan's
   * keep-alive (docs/dhan-protocol.md §2.5, openalgo PR #912): step over its 8 bytes and decode the rest of the
   * frame; anything else with length 0 is a bad length. Kept out of the walk's loop and out of
   * decodeFrame: inside either it cost 4–8 % of decode throughput (bench/feed-decode.bench.mjs
   * --baseline-dist), here nothing measurable.
   */
  private zeroLength(bytes: Uint8Array, n: number, at: number, receivedAtMs: number): void {
    const c = this.counters;
    let o = at;
    while (o >= 0) {
      if (!isKeepAliveHeader(this.view, bytes.byteOffset + o)) {
        c.badLength++;
        return;
      }
      c.keepAlives++;
      o = this.walk(bytes, n, o + PacketLength.HEADER, receivedAtMs);
    }
  }

  /**
   * Decodes packets from `start`; returns -1 when the frame is done (cleanly or with its error
   * counted), else the offset of a header whose length field is 0, for the caller to judge.
   */
  private walk(bytes: Uint8Array, n: number, start: number, receivedAtMs: number): number {
    const c = this.counters;
    const ab = bytes.buffer;
    let dv = this.view;
    if (ab !== this.lastBuffer) {
      dv = this.view = new DataView(ab);
      this.lastBuffer = ab;
    }
    const base = bytes.byteOffset;
    let o = start;
    while (o < n) {
      const rem = n - o;
      if (rem < PacketLength.HEADER) {
        c.shortFrame++;
        return -1;
      }
      const p = base + o;
      const len = dv.getUint16(p + HeaderOffset.LENGTH, true);
      if (len < PacketLength.HEADER || len > rem) {
        if (len === 0) return o;
        c.badLength++;
        return -1;
      }
      const code = dv.getUint8(p + HeaderOffset.CODE);
      c.packets++;
      c.byCode[code]!++;
      this.packet(dv, p, code, len, receivedAtMs);
      o += len;
    }
    return -1;
  }

  private packet(dv: DataView, p: number, code: number, len: number, receivedAtMs: number): void {
    const c = this.counters;
    switch (code) {
      case ResponseCode.FULL:
        if (len < PacketLength.FULL) break;
        this.full(dv, p, receivedAtMs);
        return;
      case ResponseCode.QUOTE:
        if (len < PacketLength.QUOTE) break;
        this.quote(dv, p, receivedAtMs);
        return;
      case ResponseCode.TICKER:
        if (len < PacketLength.TICKER) break;
        this.ticker(dv, p, receivedAtMs);
        return;
      case ResponseCode.INDEX:
        // Undocumented layout, sent by no client-observed Dhan feed (index values come as
        // Ticker/Quote on IDX_I, docs/dhan-protocol.md §2.6); decoded as a ticker only when it has the ticker's size.
        if (len !== PacketLength.INDEX) break;
        this.ticker(dv, p, receivedAtMs);
        return;
      case ResponseCode.OI:
        if (len < PacketLength.OI) break;
        this.oi(dv, p, receivedAtMs);
        return;
      case ResponseCode.PREV_CLOSE:
        if (len < PacketLength.PREV_CLOSE) break;
        this.prevClose(dv, p, receivedAtMs);
        return;
      case ResponseCode.MARKET_STATUS:
        c.marketStatus++;
        if (this.onMarketStatus !== undefined) this.callMarketStatus(dv.getUint8(p + HeaderOffset.SEGMENT), dv.getUint32(p + HeaderOffset.SECURITY_ID, true));
        return;
      case ResponseCode.DISCONNECT: {
        if (len < PacketLength.DISCONNECT) break;
        const reason = dv.getUint16(p + DisconnectOffset.REASON, true);
        c.disconnects++;
        c.lastDisconnectReason = reason;
        if (this.onDisconnect !== undefined) this.callDisconnect(reason);
        return;
      }
      default:
        c.unknownCode++;
        return;
    }
    c.layoutMismatch++;
  }

  private slotOf(dv: DataView, p: number): number {
    const slot = this.lookup.slotOf(dv.getUint8(p + HeaderOffset.SEGMENT), dv.getUint32(p + HeaderOffset.SECURITY_ID, true));
    if (slot < 0) this.counters.unknownToken++;
    return slot;
  }

  private full(dv: DataView, p: number, receivedAtMs: number): void {
    const slot = this.slotOf(dv, p);
    if (slot < 0) return;
    const ltp = dv.getFloat32(p + FullOffset.LTP, true);
    const lttRaw = dv.getUint32(p + FullOffset.LTT, true);
    const atp = dv.getFloat32(p + FullOffset.ATP, true);
    const volume = this.volume(slot, dv.getUint32(p + FullOffset.VOLUME, true));
    const oi = this.openInterest(slot, dv.getUint32(p + FullOffset.OI, true));
    const open = dv.getFloat32(p + FullOffset.OPEN, true);
    const close = dv.getFloat32(p + FullOffset.CLOSE, true);
    const high = dv.getFloat32(p + FullOffset.HIGH, true);
    const low = dv.getFloat32(p + FullOffset.LOW, true);
    const bidQty = dv.getUint32(p + FullOffset.DEPTH + DepthOffset.BID_QTY, true);
    const askQty = dv.getUint32(p + FullOffset.DEPTH + DepthOffset.ASK_QTY, true);
    const bid = dv.getFloat32(p + FullOffset.DEPTH + DepthOffset.BID, true);
    const ask = dv.getFloat32(p + FullOffset.DEPTH + DepthOffset.ASK, true);
    const useClose = close > 0 && this.prevCloseSrc[slot] !== 2;

    const f = this.f64;
    const w = slot * SLOT_WORDS;
    this.table.beginWrite(slot);
    f[w + LTP] = ltp;
    if (lttRaw !== 0) f[w + LTT] = lttRaw - IST_OFFSET_S;
    f[w + ATP] = atp;
    f[w + VOLUME] = volume;
    f[w + OI] = oi;
    f[w + OPEN] = open;
    f[w + HIGH] = high;
    f[w + LOW] = low;
    f[w + BID] = bid;
    f[w + ASK] = ask;
    f[w + BID_QTY] = bidQty;
    f[w + ASK_QTY] = askQty;
    if (useClose) f[w + PREV_CLOSE] = close;
    f[w + UPDATED_AT] = receivedAtMs;
    this.table.endWrite(slot);

    if (useClose) this.closeUsed(slot);
    this.published(slot);
  }

  private quote(dv: DataView, p: number, receivedAtMs: number): void {
    const slot = this.slotOf(dv, p);
    if (slot < 0) return;
    const ltp = dv.getFloat32(p + QuoteOffset.LTP, true);
    const lttRaw = dv.getUint32(p + QuoteOffset.LTT, true);
    const atp = dv.getFloat32(p + QuoteOffset.ATP, true);
    const volume = this.volume(slot, dv.getUint32(p + QuoteOffset.VOLUME, true));
    const open = dv.getFloat32(p + QuoteOffset.OPEN, true);
    const close = dv.getFloat32(p + QuoteOffset.CLOSE, true);
    const high = dv.getFloat32(p + QuoteOffset.HIGH, true);
    const low = dv.getFloat32(p + QuoteOffset.LOW, true);
    const useClose = close > 0 && this.prevCloseSrc[slot] !== 2;

    const f = this.f64;
    const w = slot * SLOT_WORDS;
    this.table.beginWrite(slot);
    f[w + LTP] = ltp;
    if (lttRaw !== 0) f[w + LTT] = lttRaw - IST_OFFSET_S;
    f[w + ATP] = atp;
    f[w + VOLUME] = volume;
    f[w + OPEN] = open;
    f[w + HIGH] = high;
    f[w + LOW] = low;
    if (useClose) f[w + PREV_CLOSE] = close;
    f[w + UPDATED_AT] = receivedAtMs;
    this.table.endWrite(slot);

    if (useClose) this.closeUsed(slot);
    this.published(slot);
  }

  private ticker(dv: DataView, p: number, receivedAtMs: number): void {
    const slot = this.slotOf(dv, p);
    if (slot < 0) return;
    const ltp = dv.getFloat32(p + TickerOffset.LTP, true);
    const lttRaw = dv.getUint32(p + TickerOffset.LTT, true);
    const f = this.f64;
    const w = slot * SLOT_WORDS;
    this.table.beginWrite(slot);
    f[w + LTP] = ltp;
    if (lttRaw !== 0) f[w + LTT] = lttRaw - IST_OFFSET_S;
    f[w + UPDATED_AT] = receivedAtMs;
    this.table.endWrite(slot);
    this.published(slot);
  }

  private oi(dv: DataView, p: number, receivedAtMs: number): void {
    const slot = this.slotOf(dv, p);
    if (slot < 0) return;
    const oi = this.openInterest(slot, dv.getUint32(p + OiOffset.OI, true));
    const f = this.f64;
    const w = slot * SLOT_WORDS;
    this.table.beginWrite(slot);
    f[w + OI] = oi;
    f[w + UPDATED_AT] = receivedAtMs;
    this.table.endWrite(slot);
    this.published(slot);
  }

  private prevClose(dv: DataView, p: number, receivedAtMs: number): void {
    const slot = this.slotOf(dv, p);
    if (slot < 0) return;
    const prevClose = dv.getFloat32(p + PrevCloseOffset.PREV_CLOSE, true);
    const prevOi = dv.getUint32(p + PrevCloseOffset.PREV_OI, true);
    const f = this.f64;
    const w = slot * SLOT_WORDS;
    this.table.beginWrite(slot);
    f[w + PREV_CLOSE] = prevClose;
    f[w + PREV_OI] = prevOi;
    f[w + UPDATED_AT] = receivedAtMs;
    this.table.endWrite(slot);
    this.prevCloseSrc[slot] = 2;
    this.counters.prevCloseFromPacket++;
    this.published(slot);
  }

  private closeUsed(slot: number): void {
    this.prevCloseSrc[slot] = 1;
    this.counters.prevCloseFromClose++;
  }

  /** After endWrite: count the packet and move the generation of every chain of the slot. */
  private published(slot: number): void {
    this.counters.applied++;
    const list = this.chainList;
    const end = this.chainStart[slot + 1]!;
    for (let i = this.chainStart[slot]!; i < end; i++) this.table.bumpGeneration(list[i]!);
  }

  private volume(slot: number, raw: number): number {
    if (!this.unwrap) return raw;
    const last = this.volLast[slot]!;
    let wraps = this.volWraps[slot]!;
    if (last >= 0) {
      const d = raw - last;
      if (d < -TWO_POW_31) {
        wraps++;
        this.counters.volumeWraps++;
      } else if (d > TWO_POW_31 && wraps > 0) {
        wraps--;
        this.counters.volumeWraps--;
      }
      this.volWraps[slot] = wraps;
    }
    this.volLast[slot] = raw;
    return wraps * TWO_POW_32 + raw;
  }

  private openInterest(slot: number, raw: number): number {
    if (!this.unwrap) return raw;
    const last = this.oiLast[slot]!;
    let wraps = this.oiWraps[slot]!;
    if (last >= 0) {
      const d = raw - last;
      if (d < -TWO_POW_31) {
        wraps++;
        this.counters.oiWraps++;
      } else if (d > TWO_POW_31 && wraps > 0) {
        wraps--;
        this.counters.oiWraps--;
      }
      this.oiWraps[slot] = wraps;
    }
    this.oiLast[slot] = raw;
    return wraps * TWO_POW_32 + raw;
  }

  private callDisconnect(reason: number): void {
    try {
      this.onDisconnect!(reason);
    } catch (err) {
      this.counters.callbackErrors++;
      this.counters.lastCallbackError = err;
    }
  }

  private callMarketStatus(segment: number, securityId: number): void {
    try {
      this.onMarketStatus!(segment, securityId);
    } catch (err) {
      this.counters.callbackErrors++;
      this.counters.lastCallbackError = err;
    }
  }
}
