import { describe, expect, it } from 'vitest';
import { DISCONNECT_REASON_TEXT, DisconnectReason, disconnectReasonText } from '../src/dhan/disconnect-reason.js';
import { RequestCode } from '../src/dhan/feed-requests.js';
import { PacketLength, ResponseCode, type FullValues, type QuoteValues } from '../src/dhan/packet-layout.js';
import {
  encodeDisconnect,
  encodeFull,
  encodeHeader,
  encodeIndex,
  encodeKeepAlive,
  encodeMarketStatus,
  encodeOi,
  encodePrevClose,
  encodeQuote,
  encodeTicker,
} from '../src/sim/packet-encoder.js';
import { decodePacket, decodePackets, type DecodedPacket } from './helpers/packet-decoder.js';
import { SEGMENT_CODE } from '../src/dhan/segments.js';
import {
  buildDisconnectMessage,
  buildSubscribeMessage,
  buildSubscribeMessages,
  feedRequestSchema,
  parseFeedRequest,
  subscribeMessageSchema,
} from '../src/dhan/subscribe-message.js';
import { isOptchainError } from '../src/errors.js';

/** "02 10 00 …" → bytes. */
function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

function spaced(b: Uint8Array): string {
  return Buffer.from(b).toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

const NSE_FNO = SEGMENT_CODE.NSE_FNO;
const LTT_WIRE = 1753455192; // docs/dhan-protocol.md §2.12: 2025-07-25 14:53:12 IST, IST-shifted

const quoteVector: QuoteValues = {
  ltp: 1500.5, ltq: 10, ltt: LTT_WIRE, atp: 1498.25, volume: 123456, totalSellQty: 2000, totalBuyQty: 3000,
  open: 1490, close: 1488.75, high: 1505, low: 1485.5,
};

const fullVector: FullValues = {
  ltp: 152.25, ltq: 75, ltt: LTT_WIRE, atp: 150.5, volume: 1_000_000, totalSellQty: 20000, totalBuyQty: 30000,
  oi: 3786445, oiHigh: 3800000, oiLow: 3700000, open: 140, close: 244.75, high: 160, low: 130,
  depth: [
    { bidQty: 1625, askQty: 1365, bidOrders: 12, askOrders: 9, bid: 152.1, ask: 152.8 },
    { bidQty: 650, askQty: 975, bidOrders: 4, askOrders: 7, bid: 152.05, ask: 152.85 },
    { bidQty: 65, askQty: 130, bidOrders: 1, askOrders: 2, bid: 152, ask: 152.9 },
    { bidQty: 1300, askQty: 65, bidOrders: 3, askOrders: 1, bid: 151.95, ask: 152.95 },
    { bidQty: 195, askQty: 260, bidOrders: 2, askOrders: 3, bid: 151.9, ask: 153 },
  ],
};

describe('encoders match the hex vectors of docs/dhan-protocol.md §2.12 byte for byte', () => {
  it('ticker', () => {
    const b = Buffer.alloc(16);
    expect(encodeTicker(b, 0, NSE_FNO, 55796, { ltp: 152.25, ltt: LTT_WIRE })).toBe(16);
    expect(spaced(b)).toBe('02 10 00 02 f4 d9 00 00 00 40 18 43 58 9a 83 68');
  });

  it('OI', () => {
    const b = Buffer.alloc(12);
    expect(encodeOi(b, 0, NSE_FNO, 55796, { oi: 3786445 })).toBe(12);
    expect(spaced(b)).toBe('05 0c 00 02 f4 d9 00 00 cd c6 39 00');
  });

  it('prev close', () => {
    const b = Buffer.alloc(16);
    expect(encodePrevClose(b, 0, SEGMENT_CODE.IDX_I, 13, { prevClose: 24500.5, prevOi: 0 })).toBe(16);
    expect(spaced(b)).toBe('06 10 00 00 0d 00 00 00 00 69 bf 46 00 00 00 00');
  });

  it('quote', () => {
    const b = Buffer.alloc(50);
    expect(encodeQuote(b, 0, SEGMENT_CODE.NSE_EQ, 1333, quoteVector)).toBe(50);
    expect(spaced(b)).toBe(
      '04 32 00 01 35 05 00 00 00 90 bb 44 0a 00 58 9a 83 68 00 48 bb 44 40 e2 01 00 d0 07 00 00 b8 0b 00 00 00 40 ba 44 00 18 ba 44 00 20 bc 44 00 b0 b9 44',
    );
  });

  it("full (first 62 bytes; then 5 × 20 depth bytes)", () => {
    const b = Buffer.alloc(162);
    expect(encodeFull(b, 0, NSE_FNO, 55796, fullVector)).toBe(162);
    expect(spaced(b.subarray(0, 62))).toBe(
      '08 a2 00 02 f4 d9 00 00 00 40 18 43 4b 00 58 9a 83 68 00 80 16 43 40 42 0f 00 20 4e 00 00 30 75 00 00 cd c6 39 00 c0 fb 39 00 20 75 38 00 00 00 0c 43 00 c0 74 43 00 00 20 43 00 00 02 43',
    );
    // Depth level 0: bidQty 1625, askQty 1365, 12 / 9 orders, then the f32 prices.
    const level0 = Buffer.alloc(20);
    level0.writeUInt32LE(1625, 0);
    level0.writeUInt32LE(1365, 4);
    level0.writeUInt16LE(12, 8);
    level0.writeUInt16LE(9, 10);
    level0.writeFloatLE(152.1, 12);
    level0.writeFloatLE(152.8, 16);
    expect(spaced(b.subarray(62, 82))).toBe(spaced(level0));
  });

  it('disconnect 807', () => {
    const b = Buffer.alloc(10);
    expect(encodeDisconnect(b, 0, 807)).toBe(10);
    expect(spaced(b)).toBe('32 0a 00 00 00 00 00 00 27 03');
  });

  it('disconnect 805 as docs/dhan-protocol.md §7 tells the simulator to send it', () => {
    const b = Buffer.alloc(10);
    encodeDisconnect(b, 0, DisconnectReason.TOO_MANY_CONNECTIONS);
    expect(spaced(b)).toBe('32 0a 00 00 00 00 00 00 25 03');
  });

  it('market status is 8 header bytes', () => {
    const b = Buffer.alloc(8, 0xee);
    expect(encodeMarketStatus(b, 0)).toBe(8);
    expect(spaced(b)).toBe('07 08 00 00 00 00 00 00');
  });
});

describe('encoders write at an offset, stack, and never write outside their bytes', () => {
  it('stacks packets into one buffer at increasing offsets without touching neighbours', () => {
    const b = Buffer.alloc(16 + 50 + 12 + 16 + 8 + 162 + 10 + 16 + 4, 0xab);
    let o = 2;
    o = encodeTicker(b, o, NSE_FNO, 1, { ltp: 1, ltt: 2 });
    o = encodeQuote(b, o, NSE_FNO, 2, quoteVector);
    o = encodeOi(b, o, NSE_FNO, 3, { oi: 4 });
    o = encodePrevClose(b, o, NSE_FNO, 4, { prevClose: 5, prevOi: 6 });
    o = encodeMarketStatus(b, o);
    o = encodeFull(b, o, NSE_FNO, 5, fullVector);
    o = encodeDisconnect(b, o, 800);
    o = encodeIndex(b, o, 0, 13, { ltp: 24500, ltt: LTT_WIRE });
    expect(o).toBe(b.length - 2);
    expect(b[0]).toBe(0xab);
    expect(b[1]).toBe(0xab);
    expect(b[b.length - 2]).toBe(0xab);
    expect(b[b.length - 1]).toBe(0xab);
    const { packets, rest } = decodePackets(b.subarray(2, b.length - 2));
    expect(rest).toBe(0);
    expect(packets.map((p) => p.type)).toEqual(['ticker', 'quote', 'oi', 'prevClose', 'marketStatus', 'full', 'disconnect', 'index']);
  });

  it('a Buffer slice of a shared pool: the encoder writes only inside the slice', () => {
    const backing = Buffer.alloc(64, 0x55);
    const slice = backing.subarray(10, 26);
    encodeTicker(slice, 0, NSE_FNO, 55796, { ltp: 152.25, ltt: LTT_WIRE });
    expect(spaced(slice)).toBe('02 10 00 02 f4 d9 00 00 00 40 18 43 58 9a 83 68');
    expect(backing.subarray(0, 10).every((x) => x === 0x55)).toBe(true);
    expect(backing.subarray(26).every((x) => x === 0x55)).toBe(true);
  });

  it('refuses to write past the end with a typed error (FEED_PACKET_RANGE), leaving the buffer alone', () => {
    const backing = Buffer.alloc(200, 0x11);
    const slice = backing.subarray(0, 100);
    let err: unknown;
    try {
      encodeFull(slice, 0, NSE_FNO, 1, fullVector);
    } catch (e) {
      err = e;
    }
    expect(isOptchainError(err) && err.code === 'FEED_PACKET_RANGE').toBe(true);
    expect(backing.every((x) => x === 0x11)).toBe(true);
    expect(() => encodeTicker(Buffer.alloc(16), 1, 0, 0, { ltp: 0, ltt: 0 })).toThrow(/does not fit/);
    expect(() => encodeTicker(Buffer.alloc(16), -1, 0, 0, { ltp: 0, ltt: 0 })).toThrow(/does not fit/);
  });

  it('u32 fields wrap modulo 2^32 like Dhan’s (docs/market-structure.md §4.1)', () => {
    const b = Buffer.alloc(12);
    encodeOi(b, 0, NSE_FNO, 1, { oi: 2 ** 32 + 5 });
    expect(b.readUInt32LE(8)).toBe(5);
  });

  it('missing depth levels are zero-filled', () => {
    const b = Buffer.alloc(162, 0xff);
    encodeFull(b, 0, NSE_FNO, 1, { ...fullVector, depth: [fullVector.depth[0]!] });
    expect(b.subarray(82).every((x) => x === 0)).toBe(true);
  });
});

function expectRoundTrip(p: DecodedPacket | null, type: string, code: number, length: number, segment: number, securityId: number): DecodedPacket {
  expect(p).not.toBeNull();
  expect(p!.type).toBe(type);
  expect(p!.header).toEqual({ code, length, segment, securityId });
  return p!;
}

describe('encode → decodePacket round-trips every packet type', () => {
  const f = Math.fround;

  it('ticker and index', () => {
    const b = Buffer.alloc(32);
    encodeTicker(b, 0, NSE_FNO, 4294967295, { ltp: 152.3, ltt: LTT_WIRE });
    encodeIndex(b, 16, 0, 13, { ltp: 24410.5, ltt: 4294967295 });
    const t = expectRoundTrip(decodePacket(b, 0), 'ticker', 2, 16, NSE_FNO, 4294967295);
    expect(t.type === 'ticker' && t.values).toEqual({ ltp: f(152.3), ltt: LTT_WIRE });
    const i = expectRoundTrip(decodePacket(b, 16), 'index', 1, 16, 0, 13);
    expect(i.type === 'index' && i.values).toEqual({ ltp: 24410.5, ltt: 4294967295 });
  });

  it('quote', () => {
    const b = Buffer.alloc(50);
    encodeQuote(b, 0, SEGMENT_CODE.NSE_EQ, 1333, quoteVector);
    const q = expectRoundTrip(decodePacket(b, 0), 'quote', 4, 50, 1, 1333);
    expect(q.type === 'quote' && q.values).toEqual(quoteVector);
  });

  it('OI, prev close, market status, disconnect', () => {
    const b = Buffer.alloc(12 + 16 + 8 + 10);
    encodeOi(b, 0, NSE_FNO, 55796, { oi: 4294967295 });
    encodePrevClose(b, 12, SEGMENT_CODE.BSE_FNO, 1100470, { prevClose: 244.85, prevOi: 123 });
    encodeMarketStatus(b, 28, 2, 7);
    encodeDisconnect(b, 36, 814);
    const oi = expectRoundTrip(decodePacket(b, 0), 'oi', 5, 12, 2, 55796);
    expect(oi.type === 'oi' && oi.values).toEqual({ oi: 4294967295 });
    const pc = expectRoundTrip(decodePacket(b, 12), 'prevClose', 6, 16, 8, 1100470);
    expect(pc.type === 'prevClose' && pc.values).toEqual({ prevClose: f(244.85), prevOi: 123 });
    expectRoundTrip(decodePacket(b, 28), 'marketStatus', 7, 8, 2, 7);
    const d = expectRoundTrip(decodePacket(b, 36), 'disconnect', 50, 10, 0, 0);
    expect(d.type === 'disconnect' && d.reasonCode).toBe(814);
  });

  it('full with 5 depth levels', () => {
    const b = Buffer.alloc(162);
    encodeFull(b, 0, NSE_FNO, 55796, fullVector);
    const p = expectRoundTrip(decodePacket(b, 0), 'full', 8, 162, NSE_FNO, 55796);
    const expected = {
      ...fullVector,
      ltp: f(fullVector.ltp),
      depth: fullVector.depth.map((l) => ({ ...l, bid: f(l.bid), ask: f(l.ask) })),
    };
    expect(p.type === 'full' && p.values).toEqual(expected);
  });
});

describe('decodePacket on malformed input', () => {
  it('returns null for framing errors, malformed for a known code shorter than its layout, unknown for unknown codes', () => {
    expect(decodePacket(Buffer.alloc(7), 0)).toBeNull();
    const b = Buffer.alloc(16);
    encodeTicker(b, 0, 2, 1, { ltp: 1, ltt: 1 });
    expect(decodePacket(b, 1)).toBeNull(); // fewer than 8 bytes of header would be garbage
    expect(decodePacket(b.subarray(0, 15), 0)).toBeNull(); // length 16 > 15 available
    b.writeUInt16LE(7, 1);
    expect(decodePacket(b, 0)).toBeNull(); // length < 8
    b.writeUInt16LE(12, 1);
    expect(decodePacket(b, 0)?.type).toBe('malformed'); // ticker needs 16
    b[0] = 99;
    expect(decodePacket(b, 0)?.type).toBe('unknown');
    b[0] = ResponseCode.INDEX;
    b.writeUInt16LE(14, 1);
    expect(decodePacket(b, 0)?.type).toBe('malformed'); // index only as a 16-byte ticker (docs/dhan-protocol.md §2.6)
    expect(decodePacket(b, -1)).toBeNull();
    expect(decodePacket(b, 0.5)).toBeNull();
  });

  it('a longer-than-layout packet decodes its known prefix (room for appended fields)', () => {
    const b = Buffer.alloc(20);
    encodeOi(b, 0, NSE_FNO, 9, { oi: 77 });
    b.writeUInt16LE(20, 1);
    const p = decodePacket(b, 0);
    expect(p?.type === 'oi' && p.values.oi).toBe(77);
    expect(p?.header.length).toBe(20);
  });

  it('encodeHeader writes any header (for odd test packets)', () => {
    const b = Buffer.alloc(8);
    encodeHeader(b, 0, 3, 112, 2, 5);
    expect(spaced(b)).toBe('03 70 00 02 05 00 00 00');
  });
});

describe('real capture fragments (DhanHQ-py issue #90, docs/dhan-protocol.md §2.12)', () => {
  /** A 162-byte frame whose elided middle is zeros: only the captured bytes are meaningful. */
  function fragment(head: string, tail?: string): Buffer {
    const b = Buffer.alloc(162);
    hex(head).copy(b, 0);
    if (tail !== undefined) hex(tail).copy(b, 162 - 8);
    return b;
  }

  it('PUT 55796: LTP 152.30, LTQ 75, level-5 bid 152.10 / ask 152.80', () => {
    const p = decodePacket(fragment('08 a2 00 02 f4 d9 00 00 cd 4c 18 43 4b 00 58 9a', '9a 19 18 43 cd cc 18 43'), 0);
    expect(p?.type).toBe('full');
    if (p?.type !== 'full') return;
    expect(p.header).toEqual({ code: 8, length: 162, segment: 2, securityId: 55796 });
    expect(p.values.ltp).toBeCloseTo(152.3, 5);
    expect(Math.round(p.values.ltp * 100) / 100).toBe(152.3);
    expect(p.values.ltq).toBe(75);
    expect(p.values.ltt & 0xffff).toBe(0x9a58);
    expect(Math.round(p.values.depth[4]!.bid * 100) / 100).toBe(152.1);
    expect(Math.round(p.values.depth[4]!.ask * 100) / 100).toBe(152.8);
  });

  it('CALL 55795: LTP 95.90, LTQ 300', () => {
    const p = decodePacket(fragment('08 a2 00 02 f3 d9 00 00 cd cc bf 42 2c 01 58 9a'), 0);
    expect(p?.type === 'full' && p.header.securityId).toBe(55795);
    if (p?.type !== 'full') return;
    expect(Math.round(p.values.ltp * 100) / 100).toBe(95.9);
    expect(p.values.ltq).toBe(300);
  });

  it('the full-packet LTT of the capture is the IST-shifted reading (docs/dhan-protocol.md §2.9)', () => {
    // 0x6883_9a58 read as UTC is 14:53:12 on the post's date: the IST wall clock.
    expect(new Date(0x68839a58 * 1000).toISOString()).toBe('2025-07-25T14:53:12.000Z');
    expect(0x68839a58).toBe(LTT_WIRE);
  });
});

describe('all-zero keep-alive headers (docs/dhan-protocol.md §2.5)', () => {
  it('encodeKeepAlive writes 8 zero bytes; the test decoder reports a keepAlive and walks on to the next packet', () => {
    const b = Buffer.alloc(8 + 16 + 8).fill(0xee);
    let o = encodeKeepAlive(b, 0);
    o = encodeTicker(b, o, NSE_FNO, 55796, { ltp: 152.25, ltt: LTT_WIRE });
    o = encodeKeepAlive(b, o);
    expect(o).toBe(b.length);
    expect(spaced(b.subarray(0, 8))).toBe('00 00 00 00 00 00 00 00');
    const { packets, rest } = decodePackets(b);
    expect(rest).toBe(0);
    expect(packets.map((p) => p.type)).toEqual(['keepAlive', 'ticker', 'keepAlive']);
    expect(() => encodeKeepAlive(Buffer.alloc(7), 0)).toThrow();
  });
});

describe('constants', () => {
  it('codes and lengths are the annexure values', () => {
    expect([ResponseCode.INDEX, ResponseCode.TICKER, ResponseCode.QUOTE, ResponseCode.OI, ResponseCode.PREV_CLOSE, ResponseCode.MARKET_STATUS, ResponseCode.FULL, ResponseCode.DISCONNECT]).toEqual([1, 2, 4, 5, 6, 7, 8, 50]);
    expect(RequestCode).toEqual({
      DISCONNECT: 12, SUBSCRIBE_TICKER: 15, UNSUBSCRIBE_TICKER: 16, SUBSCRIBE_QUOTE: 17, UNSUBSCRIBE_QUOTE: 18, SUBSCRIBE_FULL: 21, UNSUBSCRIBE_FULL: 22,
    });
    expect([PacketLength.TICKER, PacketLength.QUOTE, PacketLength.OI, PacketLength.PREV_CLOSE, PacketLength.MARKET_STATUS, PacketLength.FULL, PacketLength.DISCONNECT]).toEqual([
      16, 50, 12, 16, 8, 162, 10,
    ]);
    expect(Object.keys(DISCONNECT_REASON_TEXT).map(Number)).toEqual([800, 804, 805, 806, 807, 808, 809, 810, 811, 812, 813, 814]);
    expect(disconnectReasonText(808)).toMatch(/Authentication failed/);
    expect(disconnectReasonText(809)).toMatch(/token is invalid/);
    expect(disconnectReasonText(801)).toMatch(/unknown/);
  });
});

describe('subscribe messages (docs/dhan-protocol.md §2.2, §2.3)', () => {
  it('builds the documented JSON shape with string ids and string segments', () => {
    const text = buildSubscribeMessage(RequestCode.SUBSCRIBE_TICKER, [
      { segment: 'NSE_EQ', securityId: 1333 },
      { segment: 'BSE_EQ', securityId: '532540' },
    ]);
    expect(JSON.parse(text)).toEqual({
      RequestCode: 15,
      InstrumentCount: 2,
      InstrumentList: [
        { ExchangeSegment: 'NSE_EQ', SecurityId: '1333' },
        { ExchangeSegment: 'BSE_EQ', SecurityId: '532540' },
      ],
    });
    expect(subscribeMessageSchema.safeParse(JSON.parse(text)).success).toBe(true);
    expect(buildDisconnectMessage()).toBe('{"RequestCode":12}');
  });

  it('refuses > 100 instruments, 0 instruments, bad codes, segments and ids', () => {
    const many = Array.from({ length: 101 }, (_, i) => ({ segment: 'NSE_FNO' as const, securityId: i + 1 }));
    expect(() => buildSubscribeMessage(21, many)).toThrow(/1\.\.100/);
    expect(() => buildSubscribeMessage(21, [])).toThrow(/1\.\.100/);
    expect(() => buildSubscribeMessage(19, many.slice(0, 1))).toThrow(/request code 19/);
    expect(() => buildSubscribeMessage(21, [{ segment: 'NSE_XX' as never, securityId: 1 }])).toThrow(/segment/);
    expect(() => buildSubscribeMessage(21, [{ segment: 'NSE_FNO', securityId: -1 }])).toThrow(/unsigned/);
    expect(() => buildSubscribeMessage(21, [{ segment: 'NSE_FNO', securityId: '12a' }])).toThrow(/unsigned/);
    expect(() => buildSubscribeMessage(21, [{ segment: 'NSE_FNO', securityId: 2 ** 32 }])).toThrow(/unsigned/);
  });

  it('buildSubscribeMessages chunks 5000 instruments into 50 valid messages', () => {
    const all = Array.from({ length: 5000 }, (_, i) => ({ segment: 'NSE_FNO' as const, securityId: 35000 + i }));
    const msgs = buildSubscribeMessages(RequestCode.SUBSCRIBE_FULL, all);
    expect(msgs).toHaveLength(50);
    const ids: number[] = [];
    for (const m of msgs) {
      const r = parseFeedRequest(m);
      expect(r.ok).toBe(true);
      if (r.ok && r.kind === 'subscription') ids.push(...r.instruments.map((i) => i.securityId));
    }
    expect(ids).toEqual(all.map((a) => a.securityId));
  });

  it('the strict server schema rejects what Dhan would, with fitting reason codes', () => {
    const good = { RequestCode: 17, InstrumentCount: 1, InstrumentList: [{ ExchangeSegment: 'NSE_FNO', SecurityId: '55796' }] };
    expect(parseFeedRequest(JSON.stringify(good))).toEqual({
      ok: true, kind: 'subscription', requestCode: 17, mode: 'quote', subscribe: true, instruments: [{ segment: 'NSE_FNO', securityId: 55796 }],
    });
    expect(parseFeedRequest('{"RequestCode":12}')).toEqual({ ok: true, kind: 'disconnect' });
    expect(parseFeedRequest(JSON.stringify({ ...good, RequestCode: 22 }))).toMatchObject({ ok: true, mode: 'full', subscribe: false });

    const reason = (m: unknown): number | undefined => {
      const r = parseFeedRequest(typeof m === 'string' ? m : JSON.stringify(m));
      return r.ok ? undefined : r.reasonCode;
    };
    const list101 = Array.from({ length: 101 }, (_, i) => ({ ExchangeSegment: 'NSE_FNO', SecurityId: String(i + 1) }));
    expect(reason({ RequestCode: 21, InstrumentCount: 101, InstrumentList: list101 })).toBe(804);
    expect(reason({ ...good, InstrumentList: [{ ExchangeSegment: 'NSE_FNO', SecurityId: 55796 }] })).toBe(813); // numeric id
    expect(reason({ ...good, InstrumentList: [{ ExchangeSegment: 'NSE_FNO', SecurityId: '55a' }] })).toBe(813);
    expect(reason({ ...good, InstrumentCount: 2 })).toBe(814); // count ≠ list length
    expect(reason({ ...good, RequestCode: '17' })).toBe(814); // RequestCode must be an int
    expect(reason({ ...good, RequestCode: 17.5 })).toBe(814);
    expect(reason({ ...good, RequestCode: 19 })).toBe(814); // v1 depth code
    expect(reason({ ...good, InstrumentList: [{ ExchangeSegment: 2, SecurityId: '1' }] })).toBe(814); // numeric segment
    expect(reason({ ...good, InstrumentList: [{ ExchangeSegment: 'NSE_FNO', SecurityId: '1', Extra: 1 }] })).toBe(814);
    expect(reason({ RequestCode: 12, Extra: true })).toBe(814);
    expect(reason('not json')).toBe(814);
    expect(reason('null')).toBe(814);
    expect(feedRequestSchema.safeParse({ RequestCode: 12 }).success).toBe(true);
  });
});
