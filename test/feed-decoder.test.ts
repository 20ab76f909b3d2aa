import { describe, expect, it } from 'vitest';
import {
  encodeDisconnect,
  encodeFull,
  encodeHeader,
  encodeIndex,
  encodeMarketStatus,
  encodeOi,
  encodePrevClose,
  encodeQuote,
  encodeKeepAlive,
  encodeTicker,
} from '../src/sim/packet-encoder.js';
import type { FullValues, QuoteValues } from '../src/dhan/packet-layout.js';
import { SEGMENT_CODE, type Segment } from '../src/dhan/segments.js';
import { FeedDecoder, PrevCloseSource } from '../src/feed/decoder.js';
import { SlotLookup } from '../src/feed/slot-lookup.js';
import { SlotChains } from '../src/feed/slot-chains.js';
import { F, FIELD_COUNT, SLOT_WORDS } from '../src/price-table/layout.js';
import { PriceTable } from '../src/price-table/price-table.js';
import { Rng } from '../src/util/random.js';

const LTT_WIRE = 1753455192;
const IST = 19800;
const f32 = Math.fround;

const TOKENS: { slot: number; segment: Segment; securityId: number }[] = [
  { slot: 0, segment: 'NSE_FNO', securityId: 55796 },
  { slot: 1, segment: 'NSE_FNO', securityId: 55795 },
  { slot: 2, segment: 'IDX_I', securityId: 13 },
  { slot: 3, segment: 'BSE_FNO', securityId: 1100470 }, // sparse segment → hash mode
  { slot: 4, segment: 'NSE_EQ', securityId: 1333 },
];
/** Slot 2 is the spot of chains 0 and 1; slot 3 belongs to chain 2; slot 4 to none. */
const CHAINS_OF_SLOT = [[0], [0], [0, 1], [2], []];
const SLOTS = 8;
const CHAINS = 4;

function setup(options: ConstructorParameters<typeof FeedDecoder>[3] = {}) {
  const table = PriceTable.allocate(SLOTS, CHAINS);
  const decoder = FeedDecoder.forTokens(table, TOKENS, CHAINS_OF_SLOT, options);
  return { table, decoder };
}

function fields(table: PriceTable, slot: number): Record<string, number> {
  const out = new Float64Array(FIELD_COUNT);
  expect(table.readSlot(slot, out)).toBe(true);
  const names = Object.keys(F) as (keyof typeof F)[];
  const r: Record<string, number> = {};
  for (const n of names) r[n] = out[F[n] - 1]!;
  return r;
}

const quote: QuoteValues = {
  ltp: 1500.5, ltq: 10, ltt: LTT_WIRE, atp: 1498.25, volume: 123456, totalSellQty: 2000, totalBuyQty: 3000,
  open: 1490, close: 1488.75, high: 1505, low: 1485.5,
};

const full: FullValues = {
  ltp: 152.3, ltq: 75, ltt: LTT_WIRE, atp: 150.5, volume: 1_000_000, totalSellQty: 20000, totalBuyQty: 30000,
  oi: 3786445, oiHigh: 3800000, oiLow: 3700000, open: 140, close: 244.85, high: 160, low: 130,
  depth: [
    { bidQty: 1625, askQty: 1365, bidOrders: 12, askOrders: 9, bid: 152.1, ask: 152.8 },
    { bidQty: 650, askQty: 975, bidOrders: 4, askOrders: 7, bid: 152.05, ask: 152.85 },
  ],
};

describe('FeedDecoder writes decoded values into the right slot fields', () => {
  it('a Full packet fills ltp, depth level 0, volume, OI, OHLC, ATP, LTT (IST shift removed), prevClose from close; prevOi stays NaN', () => {
    const { table, decoder } = setup();
    const b = Buffer.alloc(162);
    encodeFull(b, 0, SEGMENT_CODE.NSE_FNO, 55796, full);
    decoder.decodeFrame(b, 1786000000099);
    expect(fields(table, 0)).toEqual({
      LTP: f32(152.3), BID: f32(152.1), ASK: f32(152.8), BID_QTY: 1625, ASK_QTY: 1365, VOLUME: 1_000_000, OI: 3786445,
      PREV_CLOSE: f32(244.85), LTT: LTT_WIRE - IST, UPDATED_AT: 1786000000099, OPEN: 140, HIGH: 160, LOW: 130, ATP: 150.5, PREV_OI: NaN,
    });
    expect(new Date(fields(table, 0).LTT! * 1000).toISOString()).toBe('2025-07-25T09:23:12.000Z'); // 14:53:12 IST
    expect(decoder.prevCloseSource(0)).toBe(PrevCloseSource.CLOSE_FIELD);
    expect(table.version(0)).toBe(2);
    for (let s = 1; s < SLOTS; s++) {
      expect(table.version(s)).toBe(0);
      expect(fields(table, s).LTP).toBeNaN();
    }
    expect(decoder.counters.applied).toBe(1);
    expect(decoder.counters.byCode[8]).toBe(1);
  });

  it('a Ticker touches only LTP, LTT and updatedAt', () => {
    const { table, decoder } = setup();
    const b = Buffer.alloc(16);
    encodeTicker(b, 0, SEGMENT_CODE.NSE_FNO, 55795, { ltp: 95.9, ltt: LTT_WIRE });
    decoder.decodeFrame(b, 5);
    const got = fields(table, 1);
    expect(got.LTP).toBe(f32(95.9));
    expect(got.LTT).toBe(LTT_WIRE - IST);
    expect(got.UPDATED_AT).toBe(5);
    for (const k of ['BID', 'ASK', 'BID_QTY', 'ASK_QTY', 'VOLUME', 'OI', 'PREV_CLOSE', 'OPEN', 'HIGH', 'LOW', 'ATP', 'PREV_OI']) expect(got[k]).toBeNaN();
  });

  it('an Index packet (code 1, 16 bytes) decodes like a ticker for the IDX_I spot', () => {
    const { table, decoder } = setup();
    const b = Buffer.alloc(16);
    encodeIndex(b, 0, SEGMENT_CODE.IDX_I, 13, { ltp: 24410.5, ltt: LTT_WIRE });
    decoder.decodeFrame(b, 7);
    expect(fields(table, 2).LTP).toBe(24410.5);
    expect(decoder.counters.applied).toBe(1);
  });

  it('index values as Dhan really sends them: Ticker (code 2) and Quote (code 4) packets on IDX_I land in the spot slot', () => {
    const { table, decoder } = setup();
    const b = Buffer.alloc(16);
    encodeTicker(b, 0, SEGMENT_CODE.IDX_I, 13, { ltp: 24420.25, ltt: LTT_WIRE });
    decoder.decodeFrame(b, 8);
    expect(fields(table, 2)).toMatchObject({ LTP: 24420.25, LTT: LTT_WIRE - IST, UPDATED_AT: 8 });
    const q = Buffer.alloc(50);
    encodeQuote(q, 0, SEGMENT_CODE.IDX_I, 13, { ...quote, ltp: 24431.5, ltq: 0, atp: 0, volume: 0, totalSellQty: 0, totalBuyQty: 0, open: 24380, close: 24350.75, high: 24450, low: 24370 });
    decoder.decodeFrame(q, 9);
    expect(fields(table, 2)).toMatchObject({ LTP: 24431.5, OPEN: 24380, HIGH: 24450, LOW: 24370, PREV_CLOSE: 24350.75, VOLUME: 0, UPDATED_AT: 9 });
    expect(decoder.counters.applied).toBe(2);
    expect(decoder.counters.errors()).toBe(0);
    // Both move the spot's chains (slot 2 is the spot of chains 0 and 1).
    expect([table.generation(0), table.generation(1)]).toEqual([2, 2]);
  });

  it('Quote, OI and Prev Close merge into one slot; code 6 wins over the close field for the rest of the day', () => {
    const { table, decoder } = setup();
    const b = Buffer.alloc(50);
    encodeQuote(b, 0, SEGMENT_CODE.NSE_EQ, 1333, quote);
    decoder.decodeFrame(b, 1);
    let got = fields(table, 4);
    expect(got.PREV_CLOSE).toBe(1488.75);
    expect(decoder.prevCloseSource(4)).toBe(PrevCloseSource.CLOSE_FIELD);
    expect(got.OI).toBeNaN();
    expect(got.BID).toBeNaN();

    const oi = Buffer.alloc(12);
    encodeOi(oi, 0, SEGMENT_CODE.NSE_EQ, 1333, { oi: 4242 });
    decoder.decodeFrame(oi, 2);
    got = fields(table, 4);
    expect(got.OI).toBe(4242);
    expect(got.LTP).toBe(1500.5); // untouched by the OI packet
    expect(got.UPDATED_AT).toBe(2);

    const pc = Buffer.alloc(16);
    encodePrevClose(pc, 0, SEGMENT_CODE.NSE_EQ, 1333, { prevClose: 1480.5, prevOi: 4000 });
    decoder.decodeFrame(pc, 3);
    got = fields(table, 4);
    expect(got.PREV_CLOSE).toBe(1480.5);
    expect(got.PREV_OI).toBe(4000);
    expect(decoder.prevCloseSource(4)).toBe(PrevCloseSource.PREV_CLOSE_PACKET);

    decoder.decodeFrame(b, 4); // the same quote again: its close must not overwrite code 6
    got = fields(table, 4);
    expect(got.PREV_CLOSE).toBe(1480.5);
    expect(got.UPDATED_AT).toBe(4);
    expect(decoder.counters.prevCloseFromPacket).toBe(1);
    expect(decoder.counters.prevCloseFromClose).toBe(1);
    expect(table.version(4)).toBe(8);

    decoder.resetDay();
    decoder.decodeFrame(b, 5);
    expect(fields(table, 4).PREV_CLOSE).toBe(1488.75);
  });

  it('a zero close ("only sent post market close") and a zero LTT ("no trade") are not written', () => {
    const { table, decoder } = setup();
    const b = Buffer.alloc(162);
    encodeFull(b, 0, SEGMENT_CODE.NSE_FNO, 55796, { ...full, close: 0, ltt: 0 });
    decoder.decodeFrame(b, 1);
    const got = fields(table, 0);
    expect(got.PREV_CLOSE).toBeNaN();
    expect(got.LTT).toBeNaN();
    expect(got.LTP).toBe(f32(152.3));
    expect(decoder.prevCloseSource(0)).toBe(PrevCloseSource.NONE);
  });

  it('the real capture fragment of docs/dhan-protocol.md §2.12 lands LTP 152.30 in the PUT’s slot', () => {
    const { table, decoder } = setup();
    const b = Buffer.alloc(162);
    Buffer.from('08a20002f4d90000cd4c18434b00589a', 'hex').copy(b, 0);
    Buffer.from('9a191843cdcc1843', 'hex').copy(b, 154);
    decoder.decodeFrame(b, 1);
    expect(Math.round(fields(table, 0).LTP! * 100) / 100).toBe(152.3);
  });

  it('volume and OI u32 wrap-around is unwrapped (docs/market-structure.md §4.1), and undone if the drop reverses', () => {
    const { table, decoder } = setup();
    const b = Buffer.alloc(162);
    const send = (volume: number, oi: number) => {
      encodeFull(b, 0, SEGMENT_CODE.NSE_FNO, 55796, { ...full, volume, oi });
      decoder.decodeFrame(b, 1);
      return fields(table, 0);
    };
    expect(send(4294967000, 10).VOLUME).toBe(4294967000);
    expect(send(4294967000 + 400, 10).VOLUME).toBe(4294967400); // encoder wraps to 104
    expect(decoder.counters.volumeWraps).toBe(1);
    // Steps below 2^31 are growth, whatever the raw value does.
    expect(send(2 ** 32 + 2e9, 10).VOLUME).toBe(2 ** 32 + 2e9);
    expect(send(2 ** 32 + 4e9, 10).VOLUME).toBe(2 ** 32 + 4e9);
    expect(send(2 ** 33 + 7, 10).VOLUME).toBe(2 ** 33 + 7); // second wrap
    expect(decoder.counters.volumeWraps).toBe(2);
    // OI: a spurious drop to ~0 reads as a wrap, and the return undoes it.
    expect(send(2 ** 33 + 8, 3e9).OI).toBe(3e9);
    expect(send(2 ** 33 + 9, 5).OI).toBe(2 ** 32 + 5);
    expect(send(2 ** 33 + 10, 3e9 + 10).OI).toBe(3e9 + 10);
    expect(decoder.counters.oiWraps).toBe(0);
    const unwrapped = setup({ unwrapCounters: false });
    encodeFull(b, 0, SEGMENT_CODE.NSE_FNO, 55796, { ...full, volume: 2 ** 32 + 3 });
    unwrapped.decoder.decodeFrame(b, 1);
    expect(fields(unwrapped.table, 0).VOLUME).toBe(3);
  });
});

describe('frames, chains and counters', () => {
  it('walks stacked packets in one frame and bumps the generation of every chain of each slot', () => {
    const { table, decoder } = setup();
    const b = Buffer.alloc(162 + 16 + 12 + 16 + 50);
    let o = encodeFull(b, 0, SEGMENT_CODE.NSE_FNO, 55796, full); // chain 0
    o = encodeIndex(b, o, SEGMENT_CODE.IDX_I, 13, { ltp: 24410.5, ltt: LTT_WIRE }); // spot: chains 0 and 1
    o = encodeOi(b, o, SEGMENT_CODE.BSE_FNO, 1100470, { oi: 99 }); // chain 2
    o = encodePrevClose(b, o, SEGMENT_CODE.IDX_I, 13, { prevClose: 24300, prevOi: 0 }); // chains 0 and 1
    o = encodeQuote(b, o, SEGMENT_CODE.NSE_EQ, 1333, quote); // no chain
    expect(o).toBe(b.length);
    decoder.decodeFrame(b, 9);
    expect([table.generation(0), table.generation(1), table.generation(2), table.generation(3)]).toEqual([3, 2, 1, 0]);
    expect(fields(table, 2).LTP).toBe(24410.5);
    expect(fields(table, 2).PREV_CLOSE).toBe(24300);
    expect(fields(table, 3).OI).toBe(99);
    expect(fields(table, 4).LTP).toBe(1500.5);
    expect(decoder.counters.packets).toBe(5);
    expect(decoder.counters.applied).toBe(5);
    expect(decoder.counters.errors()).toBe(0);
  });

  it('counts unknown tokens, unknown codes, layout mismatches, short frames and bad lengths without writing', () => {
    const { table, decoder } = setup();
    const c = decoder.counters;
    const b = Buffer.alloc(16);
    encodeTicker(b, 0, SEGMENT_CODE.NSE_FNO, 1, { ltp: 1, ltt: 1 }); // id 1 not ours
    decoder.decodeFrame(b, 1);
    encodeTicker(b, 0, SEGMENT_CODE.BSE_FNO, 55796, { ltp: 1, ltt: 1 }); // right id, wrong segment
    decoder.decodeFrame(b, 1);
    encodeTicker(b, 0, 200, 55796, { ltp: 1, ltt: 1 }); // segment byte nobody uses
    decoder.decodeFrame(b, 1);
    expect(c.unknownToken).toBe(3);

    encodeHeader(b, 0, 99, 16, 2, 55796);
    decoder.decodeFrame(b, 1);
    expect(c.unknownCode).toBe(1);

    encodeHeader(b, 0, 8, 16, 2, 55796); // a "Full" of 16 bytes
    decoder.decodeFrame(b, 1);
    encodeHeader(b, 0, 1, 12, 0, 13); // index packet that is not 16 bytes
    decoder.decodeFrame(b.subarray(0, 12), 1);
    expect(c.layoutMismatch).toBe(2);

    decoder.decodeFrame(Buffer.alloc(5), 1);
    expect(c.shortFrame).toBe(1);
    encodeTicker(b, 0, SEGMENT_CODE.NSE_FNO, 55796, { ltp: 1, ltt: 1 });
    decoder.decodeFrame(b.subarray(0, 15), 1); // length says 16, 15 present
    b.writeUInt16LE(3, 1);
    decoder.decodeFrame(b, 1); // length < 8
    expect(c.badLength).toBe(2);

    const stackedThenTail = Buffer.alloc(16 + 3);
    encodeTicker(stackedThenTail, 0, SEGMENT_CODE.NSE_FNO, 55796, { ltp: 7, ltt: 1 });
    decoder.decodeFrame(stackedThenTail, 1); // one good packet, then 3 stray bytes
    expect(c.shortFrame).toBe(2);
    expect(c.applied).toBe(1);
    expect(fields(table, 0).LTP).toBe(7);

    decoder.decodeFrame(new Uint8Array(0), 1);
    decoder.decodeFrame('junk' as unknown as Uint8Array, 1);
    decoder.decodeFrame(null as unknown as Uint8Array, 1);
    expect(c.badInput).toBe(2);
    expect(c.frames).toBe(13);
    expect(c.packets).toBe(c.applied + c.unknownToken + c.unknownCode + c.layoutMismatch + c.marketStatus + c.disconnects);
    for (let s = 1; s < SLOTS; s++) expect(table.version(s)).toBe(0);
  });

  it('skips all-zero keep-alive headers (docs/dhan-protocol.md §2.5), counts them apart from errors, and decodes the packets after them', () => {
    const { table, decoder } = setup();
    const c = decoder.counters;
    // Alone in a frame, several in a row, and in front of / between / after real packets.
    decoder.decodeFrame(Buffer.alloc(8), 1);
    decoder.decodeFrame(Buffer.alloc(24), 1);
    const mixed = Buffer.alloc(8 + 16 + 8 + 8 + 162 + 8);
    let o = encodeKeepAlive(mixed, 0);
    o = encodeTicker(mixed, o, SEGMENT_CODE.NSE_FNO, 55795, { ltp: 95.9, ltt: LTT_WIRE });
    o = encodeKeepAlive(mixed, o);
    o = encodeKeepAlive(mixed, o);
    o = encodeFull(mixed, o, SEGMENT_CODE.NSE_FNO, 55796, full);
    o = encodeKeepAlive(mixed, o);
    expect(o).toBe(mixed.length);
    decoder.decodeFrame(mixed, 2);
    expect(c.keepAlives).toBe(1 + 3 + 4);
    expect(c.errors()).toBe(0);
    expect(c.applied).toBe(2);
    expect(c.packets).toBe(2);
    expect(c.byCode[0]).toBe(0);
    expect(fields(table, 1).LTP).toBe(f32(95.9));
    expect(fields(table, 0).LTP).toBe(f32(152.3));
    // A zero length with anything non-zero in the header is still a bad length, not a keep-alive.
    const bad = Buffer.alloc(8 + 16);
    encodeHeader(bad, 0, 2, 0, 2, 55796);
    encodeTicker(bad, 8, SEGMENT_CODE.NSE_FNO, 55795, { ltp: 1, ltt: 1 });
    decoder.decodeFrame(bad, 3);
    expect(c.badLength).toBe(1);
    expect(c.keepAlives).toBe(8);
    // A keep-alive, then a lying header: the keep-alive counts, the frame stops at the lie.
    const lie = Buffer.alloc(8 + 16);
    encodeTicker(lie, 8, SEGMENT_CODE.NSE_FNO, 55795, { ltp: 2, ltt: 1 });
    lie.writeUInt16LE(3, 9);
    decoder.decodeFrame(lie, 4);
    expect(c.keepAlives).toBe(9);
    expect(c.badLength).toBe(2);
    // 1..7 zero bytes are not a header: a short frame.
    decoder.decodeFrame(Buffer.alloc(8 + 5), 5);
    expect(c.keepAlives).toBe(10);
    expect(c.shortFrame).toBe(1);
    expect(fields(table, 1).LTP).toBe(f32(95.9));
  });

  it('surfaces disconnect and market-status packets through callbacks, not slots; a throwing callback is counted', () => {
    const reasons: number[] = [];
    const statuses: [number, number][] = [];
    const { table, decoder } = setup({ onDisconnect: (r) => reasons.push(r), onMarketStatus: (s, id) => statuses.push([s, id]) });
    const b = Buffer.alloc(18);
    encodeMarketStatus(b, 0, 2, 55796);
    encodeDisconnect(b, 8, 807);
    decoder.decodeFrame(b, 1);
    expect(reasons).toEqual([807]);
    expect(statuses).toEqual([[2, 55796]]);
    expect(decoder.counters.lastDisconnectReason).toBe(807);
    expect(table.version(0)).toBe(0);

    const thrower = setup({
      onDisconnect: () => {
        throw new Error('boom');
      },
    });
    expect(() => thrower.decoder.decodeFrame(b, 1)).not.toThrow();
    expect(thrower.decoder.counters.callbackErrors).toBe(1);
    expect(thrower.decoder.counters.disconnects).toBe(1);
  });

  it('reads frames that are slices of a larger buffer, ArrayBuffers, and SharedArrayBuffer views', () => {
    const { table, decoder } = setup();
    const big = Buffer.alloc(1000, 0xff);
    encodeTicker(big, 333, SEGMENT_CODE.NSE_FNO, 55796, { ltp: 11, ltt: 1 });
    encodeTicker(big, 500, SEGMENT_CODE.NSE_FNO, 55795, { ltp: 12, ltt: 1 });
    decoder.decodeFrame(big.subarray(333, 349), 1);
    decoder.decodeFrame(big.subarray(500, 516), 1); // same backing buffer → cached view, different offset
    expect(fields(table, 0).LTP).toBe(11);
    expect(fields(table, 1).LTP).toBe(12);
    const ab = new ArrayBuffer(16);
    encodeTicker(new Uint8Array(ab), 0, SEGMENT_CODE.IDX_I, 13, { ltp: 13, ltt: 1 });
    decoder.decodeFrame(ab, 1);
    expect(fields(table, 2).LTP).toBe(13);
    const sab = new Uint8Array(new SharedArrayBuffer(32), 8, 16);
    encodeTicker(sab, 0, SEGMENT_CODE.BSE_FNO, 1100470, { ltp: 14, ltt: 1 });
    decoder.decodeFrame(sab, 1);
    expect(fields(table, 3).LTP).toBe(14);
  });
});

describe('SlotLookup', () => {
  it('finds every token in dense and hash segments and nothing else', () => {
    const tokens: { slot: number; segment: Segment; securityId: number }[] = [];
    let slot = 0;
    for (let i = 0; i < 3000; i++) tokens.push({ slot: slot++, segment: 'NSE_FNO', securityId: 35000 + i * 3 });
    for (let i = 0; i < 1500; i++) tokens.push({ slot: slot++, segment: 'BSE_FNO', securityId: 800000 + i * 197 });
    tokens.push({ slot: slot++, segment: 'BSE_FNO', securityId: 0xffffffff });
    tokens.push({ slot: slot++, segment: 'IDX_I', securityId: 13 });
    const lookup = SlotLookup.fromTokens(tokens);
    for (const t of tokens) expect(lookup.slotOf(SEGMENT_CODE[t.segment], t.securityId)).toBe(t.slot);
    expect(lookup.slotOf(SEGMENT_CODE.NSE_FNO, 35001)).toBe(-1);
    expect(lookup.slotOf(SEGMENT_CODE.BSE_FNO, 800001)).toBe(-1);
    expect(lookup.slotOf(SEGMENT_CODE.BSE_FNO, 35000)).toBe(-1);
    expect(lookup.slotOf(SEGMENT_CODE.IDX_I, 14)).toBe(-1);
    expect(lookup.slotOf(6, 13)).toBe(-1);
    expect(lookup.slotOf(SEGMENT_CODE.NSE_FNO, -1)).toBe(-1);
    expect(lookup.slotOf(SEGMENT_CODE.NSE_FNO, 1e12)).toBe(-1);
    expect(lookup.size).toBe(tokens.length);
    expect(lookup.maxSlot()).toBe(slot - 1);
  });

  it('refuses duplicate tokens and a lookup that does not fit the table', () => {
    expect(() => SlotLookup.fromTokens([{ slot: 0, segment: 'NSE_FNO', securityId: 1 }, { slot: 1, segment: 'NSE_FNO', securityId: 1 }])).toThrow(/twice/);
    const table = PriceTable.allocate(2, 1);
    expect(() => FeedDecoder.forTokens(table, [{ slot: 2, segment: 'NSE_FNO', securityId: 1 }], [])).toThrow(/slot 2/);
    expect(() => FeedDecoder.forTokens(table, [{ slot: 0, segment: 'NSE_FNO', securityId: 1 }], [[1]])).toThrow(/chain 1/);
    expect(SlotChains.from([[0], [], [2, 1]], 3).chainsOf(2)).toEqual([2, 1]);
  });
});

describe('fuzz: 1,000,000 random and mutated frames', () => {
  it('never throws, never writes outside addressed slots, keeps versions even, and its counters add up', () => {
    const FRAMES = 1_000_000;
    const SLOTS_F = 64;
    const CHAINS_F = 12;
    const MAPPED = 16;
    // Tokens in a dense segment (NSE_FNO), a hash segment (BSE_FNO), IDX_I and NSE_EQ.
    const tokens: { slot: number; segment: Segment; securityId: number }[] = [];
    for (let i = 0; i < 6; i++) tokens.push({ slot: tokens.length, segment: 'NSE_FNO', securityId: 1000 + i });
    for (let i = 0; i < 6; i++) tokens.push({ slot: tokens.length, segment: 'BSE_FNO', securityId: 1100000 + i * 7 });
    tokens.push({ slot: tokens.length, segment: 'IDX_I', securityId: 13 });
    tokens.push({ slot: tokens.length, segment: 'IDX_I', securityId: 51 });
    tokens.push({ slot: tokens.length, segment: 'NSE_EQ', securityId: 1333 });
    tokens.push({ slot: tokens.length, segment: 'NSE_EQ', securityId: 2885 });
    expect(tokens).toHaveLength(MAPPED);
    // Chains 0..9 referenced; 10 and 11 never.
    const chainsOfSlot = tokens.map((t) => (t.slot % 4 === 0 ? [t.slot % 10, (t.slot + 1) % 10] : t.slot % 4 === 1 ? [] : [t.slot % 10]));

    const table = PriceTable.allocate(SLOTS_F, CHAINS_F);
    // Sentinels in every unmapped slot, version word included.
    for (let s = MAPPED; s < SLOTS_F; s++) for (let w = 0; w < SLOT_WORDS; w++) table.f64[s * SLOT_WORDS + w] = s * 1000 + w + 0.125;
    const sentinel = table.f64.slice(MAPPED * SLOT_WORDS);
    let disconnectCalls = 0;
    const decoder = FeedDecoder.forTokens(table, tokens, chainsOfSlot, { onDisconnect: () => disconnectCalls++ });

    // Reference model: an independent frame walker over the same bytes.
    const key = (seg: number, id: number) => seg * 2 ** 32 + id;
    const slotByKey = new Map(tokens.map((t) => [key(SEGMENT_CODE[t.segment], t.securityId), t.slot]));
    const minLen: Record<number, number> = { 1: 16, 2: 16, 4: 50, 5: 12, 6: 16, 7: 8, 8: 162, 50: 10 };
    const exp = { frames: 0, bytes: 0, packets: 0, applied: 0, marketStatus: 0, disconnects: 0, keepAlives: 0, shortFrame: 0, badLength: 0, layoutMismatch: 0, unknownCode: 0, unknownToken: 0 };
    const expByCode = new Float64Array(256);
    const writes = new Float64Array(SLOTS_F);
    const bumps = new Float64Array(CHAINS_F);
    function reference(u8: Uint8Array): void {
      exp.frames++;
      exp.bytes += u8.length;
      let o = 0;
      while (o < u8.length) {
        const rem = u8.length - o;
        if (rem < 8) {
          exp.shortFrame++;
          return;
        }
        const code = u8[o]!;
        const len = u8[o + 1]! | (u8[o + 2]! << 8);
        if (len === 0 && u8.subarray(o, o + 8).every((x) => x === 0)) {
          exp.keepAlives++;
          o += 8;
          continue;
        }
        if (len < 8 || len > rem) {
          exp.badLength++;
          return;
        }
        exp.packets++;
        expByCode[code]!++;
        const min = minLen[code];
        if (min === undefined) exp.unknownCode++;
        else if (len < min || (code === 1 && len !== 16)) exp.layoutMismatch++;
        else if (code === 7) exp.marketStatus++;
        else if (code === 50) exp.disconnects++;
        else {
          const id = (u8[o + 4]! | (u8[o + 5]! << 8) | (u8[o + 6]! << 16)) + u8[o + 7]! * 2 ** 24;
          const slot = slotByKey.get(key(u8[o + 3]!, id));
          if (slot === undefined) exp.unknownToken++;
          else {
            exp.applied++;
            writes[slot]!++;
            for (const ch of chainsOfSlot[slot]!) bumps[ch]!++;
          }
        }
        o += len;
      }
    }

    const prng = new Rng(0x5eed1234);
    const next = (): number => prng.uint32();
    const scratch = Buffer.alloc(4096);
    const f = () => (next() % 200000) / 100;
    const randomToken = (): [number, number] => {
      const r = next() % 10;
      if (r < 7) {
        const t = tokens[next() % MAPPED]!;
        return [SEGMENT_CODE[t.segment], t.securityId];
      }
      return [next() % 10, r === 7 ? next() : 1000 + (next() % 20)];
    };
    /** Writes 1..5 valid packets of random types, some behind all-zero keep-alive headers; returns the end offset. */
    function validPackets(at: number): number {
      let o = at;
      const count = 1 + (next() % 5);
      for (let k = 0; k < count; k++) {
        const [seg, id] = randomToken();
        if (next() % 8 === 0) o = encodeKeepAlive(scratch, o);
        switch (next() % 9) {
          case 0:
            o = encodeTicker(scratch, o, seg, id, { ltp: f(), ltt: next() });
            break;
          case 1:
            o = encodeIndex(scratch, o, seg, id, { ltp: f(), ltt: next() });
            break;
          case 2:
            o = encodeQuote(scratch, o, seg, id, { ...quote, ltp: f(), volume: next(), close: f() });
            break;
          case 3:
            o = encodeOi(scratch, o, seg, id, { oi: next() });
            break;
          case 4:
            o = encodePrevClose(scratch, o, seg, id, { prevClose: f(), prevOi: next() });
            break;
          case 5:
            o = encodeMarketStatus(scratch, o, seg, id);
            break;
          case 6:
            o = encodeDisconnect(scratch, o, 800 + (next() % 15));
            break;
          default:
            o = encodeFull(scratch, o, seg, id, { ...full, ltp: f(), volume: next(), oi: next(), close: f() });
        }
      }
      return o;
    }

    const t0 = Date.now();
    const kinds = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < FRAMES; i++) {
      let len: number;
      const kind = next() % 6;
      kinds[kind]!++;
      switch (kind) {
        case 0: {
          // pure random bytes, 0..300
          len = next() % 301;
          for (let j = 0; j < len; j += 4) scratch.writeUInt32LE(next(), j);
          break;
        }
        case 1:
          // valid stacked packets
          len = validPackets(0);
          break;
        case 2: {
          // valid packets, truncated anywhere
          const end = validPackets(0);
          len = next() % (end + 1);
          break;
        }
        case 3: {
          // valid packets, then one header lies about its length (zero, tiny, huge, off by a little)
          len = validPackets(0);
          const lies = [0, 1 + (next() % 7), 0xffff, 0x8000 + (next() % 0x8000), len + 1, len - 1, next() % 400];
          scratch.writeUInt16LE(lies[next() % lies.length]! & 0xffff, 1);
          break;
        }
        case 4: {
          // valid packets with 1..4 random byte mutations
          len = validPackets(0);
          const m = 1 + (next() % 4);
          for (let j = 0; j < m; j++) scratch[next() % len] = next() & 255;
          break;
        }
        default: {
          // random code and length in a valid-looking header, random body
          len = 8 + (next() % 200);
          for (let j = 0; j < len; j += 4) scratch.writeUInt32LE(next(), j);
          scratch[0] = [1, 2, 4, 5, 6, 7, 8, 50, 3, 41, 0][next() % 11]!;
          scratch.writeUInt16LE(next() % 3 === 0 ? len : next() % 256, 1);
          if (next() % 2 === 0) {
            const [seg, id] = randomToken();
            scratch[3] = seg;
            scratch.writeUInt32LE(id, 4);
          }
        }
      }
      const frame = scratch.subarray(0, len);
      reference(frame);
      // Every 97th frame arrives in a fresh buffer (exercises the DataView cache miss path).
      decoder.decodeFrame(i % 97 === 0 ? Buffer.from(frame) : frame, i);
    }
    const elapsed = Date.now() - t0;

    const c = decoder.counters;
    expect(c.internalErrors).toBe(0);
    expect(c.badInput).toBe(0);
    expect({
      frames: c.frames, bytes: c.bytes, packets: c.packets, applied: c.applied, marketStatus: c.marketStatus, disconnects: c.disconnects, keepAlives: c.keepAlives,
      shortFrame: c.shortFrame, badLength: c.badLength, layoutMismatch: c.layoutMismatch, unknownCode: c.unknownCode, unknownToken: c.unknownToken,
    }).toEqual(exp);
    expect(Array.from(c.byCode)).toEqual(Array.from(expByCode));
    expect(c.packets).toBe(c.applied + c.unknownToken + c.unknownCode + c.layoutMismatch + c.marketStatus + c.disconnects);
    expect(disconnectCalls).toBe(c.disconnects);
    // The fuzz really exercised every path.
    for (const k of ['applied', 'unknownToken', 'unknownCode', 'layoutMismatch', 'shortFrame', 'badLength', 'marketStatus', 'disconnects', 'keepAlives'] as const) {
      expect(c[k], k).toBeGreaterThan(1000);
    }

    // Sentinel slots bit-identical; every version even and equal to 2 × the writes the model expects.
    const after = table.f64.slice(MAPPED * SLOT_WORDS);
    expect(Buffer.from(after.buffer).equals(Buffer.from(sentinel.buffer))).toBe(true);
    for (let s = 0; s < MAPPED; s++) {
      expect(table.version(s) % 2).toBe(0);
      expect(table.version(s)).toBe(2 * writes[s]!);
    }
    for (let ch = 0; ch < CHAINS_F; ch++) expect(table.generation(ch)).toBe(bumps[ch]);
    expect(table.generation(10)).toBe(0);
    expect(table.generation(11)).toBe(0);

    // The decoder still decodes correctly afterwards.
    const b = Buffer.alloc(162);
    encodeFull(b, 0, SEGMENT_CODE.NSE_FNO, 1000, full);
    decoder.decodeFrame(b, 42);
    const out = new Float64Array(FIELD_COUNT);
    table.readSlot(0, out);
    expect([out[F.LTP - 1], out[F.BID - 1], out[F.ASK - 1], out[F.UPDATED_AT - 1]]).toEqual([f32(152.3), f32(152.1), f32(152.8), 42]);

    console.log(`fuzz: ${FRAMES} frames (${kinds.join('/')}) in ${elapsed} ms; packets ${c.packets}, applied ${c.applied}, errors ${c.errors()}`);
  }, 60_000);
});
