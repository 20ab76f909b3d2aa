/**
 * Schema evolution (schemas/chain.fbs "Evolution"): the analytics fields were appended, so a
 * reader generated from the schema before them (test/helpers/fbs-v1/chain_generated.ts: flatc
 * 2.0.8 --ts --ts-flat-files --gen-mutable on schemas/chain.fbs as of main 34ad1a6) reads today's chain and snapshot
 * buffers and gets every old field right, while today's reader sees the new ones.
 */
import * as flatbuffers from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { FlatbuffersChainEncoder } from '../src/chain/flatbuffers-chain-encoder.js';
import { JsonChainEncoder } from '../src/chain/json-chain-encoder.js';
import { Market } from '../src/chain/market.js';
import { SnapshotEncoder } from '../src/chain/snapshot-encoder.js';
import { decodeChainFlatbuffer, decodeChainJson, decodeSnapshot } from '../src/client/decode.js';
import { Chain as OldChain, Leg as OldLeg, Row as OldRow, Snapshot as OldSnapshot } from './helpers/fbs-v1/chain_generated.js';
import { fillRandom, withRandomAnalytics } from './chain-encoder.case.js';
import { tableFor, tinySkeleton } from './helpers/tiny-skeleton.js';

const num = (x: number): number | null => (x === x ? x : null);

/** The old schema's view of a chain, in the JSON shape of its time. */
function oldView(c: OldChain): unknown {
  const rows = [];
  const row = new OldRow();
  const leg = (l: OldLeg): unknown =>
    l.flags() & 1
      ? { securityId: l.securityId(), lotSize: l.lotSize(), ltp: num(l.ltp()), bid: num(l.bid()), ask: num(l.ask()), bidQty: num(l.bidQty()), askQty: num(l.askQty()), volume: num(l.volume()), oi: num(l.oi()), prevClose: num(l.prevClose()), ltt: num(l.ltt()), updatedAt: num(l.updatedAt()) }
      : null;
  for (let i = 0; i < c.rowsLength(); i++) {
    c.rows(i, row);
    rows.push({ strike: row.strike(), ce: leg(row.ce()!), pe: leg(row.pe()!) });
  }
  const s = c.spot();
  return { symbol: c.symbol(), exchange: c.exchange(), expiry: c.expiry(), tags: Array.from({ length: c.tagsLength() }, (_, i) => c.tags(i)), tradingDate: c.tradingDate(), generation: c.generation(), servedAt: c.servedAt(), spot: s ? { securityId: s.securityId(), segment: c.spotSegment(), ltp: num(s.ltp()), updatedAt: num(s.updatedAt()) } : null, rows };
}

/** The same chain as today's JSON, without the fields the old schema did not have. */
function withoutAnalytics(json: ReturnType<typeof decodeChainJson>): unknown {
  const strip = (l: Record<string, unknown> | null): unknown => {
    if (l === null) return null;
    const { oiChange: _a, iv: _b, delta: _c, gamma: _d, theta: _e, vega: _f, ivPrice: _g, ivFrom: _h, ivNullReason: _i, ...old } = l;
    return old;
  };
  const { analytics: _x, ...rest } = json;
  return { ...rest, rows: json.rows.map((r) => ({ strike: r.strike, ce: strip(r.ce as never), pe: strip(r.pe as never) })) };
}

describe('FlatBuffers: a reader of the pre-analytics schema reads new buffers', () => {
  const market = (): Market => {
    const s = tinySkeleton();
    const m = new Market(s, tableFor(s));
    fillRandom(m, 77);
    return withRandomAnalytics(m, 77);
  };

  it('chain buffers: every old field as before, and the new reader sees the analytics', () => {
    const m = market();
    const fb = new FlatbuffersChainEncoder();
    const json = new JsonChainEncoder();
    for (const c of m.skeleton.chains) {
      const g = m.generation(c.index);
      const bytes = fb.encode(m, c, g, 1786000000123).bytes;
      const bb = new flatbuffers.ByteBuffer(bytes);
      expect(OldChain.bufferHasIdentifier(bb)).toBe(true);
      const today = decodeChainJson(json.encode(m, c, g, 1786000000123).bytes);
      expect(oldView(OldChain.getRootAsChain(bb))).toEqual(withoutAnalytics(today));
      const fresh = decodeChainFlatbuffer(bytes);
      expect(fresh.analytics).not.toBeNull();
      expect(fresh).toEqual(today);
    }
  });

  it('snapshot buffers too', () => {
    const m = market();
    const bytes = new SnapshotEncoder().encode(m, m.skeleton.chains, 1786000000123).slice();
    const old = OldSnapshot.getRootAsSnapshot(new flatbuffers.ByteBuffer(bytes));
    const now = decodeSnapshot(bytes);
    expect(old.chainsLength()).toBe(m.skeleton.chains.length);
    for (let i = 0; i < old.chainsLength(); i++) expect(oldView(old.chains(i)!)).toEqual(withoutAnalytics(now.chains[i]!));
    expect(now.chains.every((c) => c.analytics !== null)).toBe(true);
  });

  it('a buffer of the old schema reads with today\'s reader: analytics null, legs pending', () => {
    // What a server from before issue 13 sends: the old schema's fields only.
    const b = new flatbuffers.Builder(1024);
    const sym = b.createString('NIFTY');
    const ex = b.createString('NSE');
    const exp = b.createString('2026-08-18');
    const td = b.createString('2026-08-17');
    const tags = OldChain.createTagsVector(b, [b.createString('weekly')]);
    OldChain.startRowsVector(b, 1);
    OldRow.createRow(b, 24000, 1, 65, 1, 1, 100, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, 0, 0, 0, 0, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN);
    const rows = b.endVector();
    OldChain.startChain(b);
    OldChain.addSymbol(b, sym);
    OldChain.addExchange(b, ex);
    OldChain.addExpiry(b, exp);
    OldChain.addTags(b, tags);
    OldChain.addTradingDate(b, td);
    OldChain.addGeneration(b, 3);
    OldChain.addServedAt(b, 1);
    OldChain.addRows(b, rows);
    OldChain.finishChainBuffer(b, OldChain.endChain(b));
    const got = decodeChainFlatbuffer(b.asUint8Array());
    expect(got.analytics).toBeNull();
    expect(got.rows[0]!.ce).toMatchObject({ ltp: 100, iv: null, oiChange: null, ivFrom: null, ivNullReason: 'pending' });
    expect(got.rows[0]!.pe).toBeNull();
  });
});
