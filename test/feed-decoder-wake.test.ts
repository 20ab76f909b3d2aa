/**
 * The decoder's side of the analytics worker's wake-up (src/feed/decoder.ts, price-table.ts
 * wake word): one count per decoded frame that published at least one slot, whatever the
 * number of packets in it, and none for a frame that published nothing (keep-alives, tokens
 * of no one, garbage), so the feed's cost stays one atomic add per frame.
 */
import { describe, expect, it } from 'vitest';
import { SEGMENT_CODE } from '../src/dhan/segments.js';
import { FeedDecoder } from '../src/feed/decoder.js';
import { PriceTable } from '../src/price-table/price-table.js';
import { encodeKeepAlive, encodeTicker } from '../src/sim/packet-encoder.js';

const TOKENS = [
  { slot: 0, segment: 'NSE_FNO' as const, securityId: 55796 },
  { slot: 1, segment: 'NSE_FNO' as const, securityId: 55795 },
];

function setup(): { table: PriceTable; decoder: FeedDecoder } {
  const table = PriceTable.allocate(2, 1);
  return { table, decoder: FeedDecoder.forTokens(table, TOKENS, [[0], [0]]) };
}

describe('feed decoder: the wake word', () => {
  it('a frame of several packets counts once', () => {
    const { table, decoder } = setup();
    const b = Buffer.alloc(48);
    let o = encodeTicker(b, 0, SEGMENT_CODE.NSE_FNO, 55796, { ltp: 10, ltt: 1 });
    o = encodeTicker(b, o, SEGMENT_CODE.NSE_FNO, 55795, { ltp: 11, ltt: 1 });
    encodeTicker(b, o, SEGMENT_CODE.NSE_FNO, 55796, { ltp: 12, ltt: 1 });
    decoder.decodeFrame(b, 1);
    expect(decoder.counters.applied).toBe(3);
    expect(table.generation(0)).toBe(3);
    expect(table.ticksPublished()).toBe(1);
    decoder.decodeFrame(b, 2);
    expect(table.ticksPublished()).toBe(2);
  });

  it('a frame that publishes nothing does not count: keep-alive, unknown token, garbage, empty', () => {
    const { table, decoder } = setup();
    const ka = Buffer.alloc(8);
    encodeKeepAlive(ka, 0);
    decoder.decodeFrame(ka, 1);
    const stranger = Buffer.alloc(16);
    encodeTicker(stranger, 0, SEGMENT_CODE.NSE_FNO, 1, { ltp: 1, ltt: 1 });
    decoder.decodeFrame(stranger, 1);
    decoder.decodeFrame(Buffer.from([1, 2, 3]), 1);
    decoder.decodeFrame(new Uint8Array(0), 1);
    expect(decoder.counters.keepAlives).toBe(1);
    expect(decoder.counters.unknownToken).toBe(1);
    expect(table.ticksPublished()).toBe(0);
  });

  it('a keep-alive in front of a packet still counts the frame once', () => {
    const { table, decoder } = setup();
    const b = Buffer.alloc(24);
    const o = encodeKeepAlive(b, 0);
    encodeTicker(b, o, SEGMENT_CODE.NSE_FNO, 55795, { ltp: 11, ltt: 1 });
    decoder.decodeFrame(b, 1);
    expect(decoder.counters.applied).toBe(1);
    expect(table.ticksPublished()).toBe(1);
  });
});
