/**
 * The simulator's packets: built from the market model's state with the codec's encoders, they
 * decode back to exactly that state, and reproduce the hex test vectors of docs/dhan-protocol.md
 * §2.12 byte for byte when the state holds the vectors' values.
 */
import { describe, expect, it } from 'vitest';
import { PacketLength } from '../src/dhan/packet-layout.js';
import { decodePacket } from './helpers/packet-decoder.js';
import type { Instrument } from '../src/master/instrument.js';
import { MarketModel, onTickGrid } from '../src/sim/market-model.js';
import { SessionClock } from '../src/sim/session-clock.js';
import { writeFull, writeOi, writePrevClose, writeQuote, writeTicker } from '../src/sim/sim-packets.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function inst(p: Partial<Instrument> & Pick<Instrument, 'segment' | 'securityId' | 'underlyingSymbol'>): Instrument {
  return {
    exchange: 'NSE', instrument: 'EQUITY', underlyingSecurityId: 0, symbolName: p.underlyingSymbol, displayName: p.underlyingSymbol, lotSize: 1,
    expiry: '', strike: 0, optionType: null, tickSize: 0.05, expiryFlag: 'NA', upperLimit: 0, lowerLimit: 0, freezeQty: 0, ...p,
  };
}

const instruments: Instrument[] = [
  inst({ segment: 'NSE_FNO', securityId: 55796, underlyingSymbol: 'NIFTY', instrument: 'OPTIDX', lotSize: 75, expiry: '2025-07-31', strike: 24900, optionType: 'PE', expiryFlag: 'M' }),
  inst({ segment: 'IDX_I', securityId: 13, underlyingSymbol: 'NIFTY', instrument: 'INDEX' }),
  inst({ segment: 'NSE_EQ', securityId: 1333, underlyingSymbol: 'HDFCBANK' }),
];

function model(): MarketModel {
  const clock = new SessionClock('2025-07-25', { wallNowMs: Date.UTC(2025, 6, 25, 4, 0) });
  return new MarketModel({
    instruments,
    underlyings: [
      { symbol: 'NIFTY', exchange: 'NSE', kind: 'index', spot: 24900, annualVol: 0.13, liquidity: 1 },
      { symbol: 'HDFCBANK', exchange: 'NSE', kind: 'stock', spot: 1500, annualVol: 0.22, liquidity: 0.9 },
    ],
    clock,
    previousTradingDate: '2025-07-24',
    seed: 7,
    startWallMs: Date.UTC(2025, 6, 25, 4, 0),
  });
}

describe('simulator packets match the docs/dhan-protocol.md §2.12 test vectors byte for byte', () => {
  const m = model();
  const fno = m.indexOf(2, 55796);
  const idx = m.indexOf(0, 13);
  const eq = m.indexOf(1, 1333);
  for (const i of [fno, idx, eq]) m.ensure(i);

  it('ticker', () => {
    m.ltp[fno] = 152.25;
    m.ltt[fno] = 1753455192;
    const b = Buffer.alloc(16);
    expect(writeTicker(b, 0, m, fno)).toBe(16);
    expect(b).toEqual(hex('02 10 00 02 f4 d9 00 00 00 40 18 43 58 9a 83 68'));
  });

  it('OI', () => {
    m.oi[fno] = 3786445;
    const b = Buffer.alloc(12);
    writeOi(b, 0, m, fno);
    expect(b).toEqual(hex('05 0c 00 02 f4 d9 00 00 cd c6 39 00'));
  });

  it('prev close', () => {
    m.prevClose[idx] = 24500.5;
    m.prevOi[idx] = 0;
    const b = Buffer.alloc(16);
    writePrevClose(b, 0, m, idx);
    expect(b).toEqual(hex('06 10 00 00 0d 00 00 00 00 69 bf 46 00 00 00 00'));
  });

  it('quote (close carries the previous close)', () => {
    m.ltp[eq] = 1500.5;
    m.ltq[eq] = 10;
    m.ltt[eq] = 1753455192;
    m.volume[eq] = 123456;
    m.turnover[eq] = 1498.25 * 123456;
    m.totalSellQty[eq] = 2000;
    m.totalBuyQty[eq] = 3000;
    m.open[eq] = 1490;
    m.prevClose[eq] = 1488.75;
    m.high[eq] = 1505;
    m.low[eq] = 1485.5;
    const b = Buffer.alloc(50);
    writeQuote(b, 0, m, eq);
    expect(b).toEqual(hex('04 32 00 01 35 05 00 00 00 90 bb 44 0a 00 58 9a 83 68 00 48 bb 44 40 e2 01 00 d0 07 00 00 b8 0b 00 00 00 40 ba 44 00 18 ba 44 00 20 bc 44 00 b0 b9 44'));
  });

  it('full (first 62 bytes) and depth from the book', () => {
    m.ltp[fno] = 152.25;
    m.ltq[fno] = 75;
    m.ltt[fno] = 1753455192;
    m.volume[fno] = 1000000;
    m.turnover[fno] = 150.5 * 1000000;
    m.totalSellQty[fno] = 20000;
    m.totalBuyQty[fno] = 30000;
    m.oi[fno] = 3786445;
    m.oiHigh[fno] = 3800000;
    m.oiLow[fno] = 3700000;
    m.open[fno] = 140;
    m.prevClose[fno] = 244.75;
    m.high[fno] = 160;
    m.low[fno] = 130;
    const b = Buffer.alloc(162);
    expect(writeFull(b, 0, m, fno)).toBe(PacketLength.FULL);
    expect(b.subarray(0, 62)).toEqual(
      hex('08 a2 00 02 f4 d9 00 00 00 40 18 43 4b 00 58 9a 83 68 00 80 16 43 40 42 0f 00 20 4e 00 00 30 75 00 00 cd c6 39 00 c0 fb 39 00 20 75 38 00 00 00 0c 43 00 c0 74 43 00 00 20 43 00 00 02 43'),
    );
    const p = decodePacket(b, 0);
    if (p?.type !== 'full') throw new Error('not a full packet');
    for (let l = 0; l < 5; l++) {
      const d = p.values.depth[l]!;
      expect(d.bidQty).toBe(m.bidQty[fno * 5 + l]);
      expect(d.askQty).toBe(m.askQty[fno * 5 + l]);
      expect(d.bidOrders).toBe(m.bidOrders[fno * 5 + l]);
      expect(d.askOrders).toBe(m.askOrders[fno * 5 + l]);
      expect(d.bid).toBe(Math.fround(m.bidPrice(fno, l)));
      expect(d.ask).toBe(Math.fround(m.askPrice(fno, l)));
    }
  });
});

describe('every packet the simulator builds decodes to the state it was built from', () => {
  const m = model();
  const ids = [m.indexOf(2, 55796), m.indexOf(0, 13), m.indexOf(1, 1333)];
  for (const i of ids) m.retain(i, Date.UTC(2025, 6, 25, 4, 0));
  // Let the market run a little so the state is not just the materialized one.
  for (let t = 1; t <= 200; t++) m.advance(Date.UTC(2025, 6, 25, 4, 0) + t * 50);

  it.each(ids.map((i) => [i]))('instrument %i', (i) => {
    const b = Buffer.alloc(400);
    const f32 = Math.fround;
    const seg = m.segCode[i]!;
    const sid = m.securityId[i]!;
    let off = 0;
    const at: number[] = [];
    for (const w of [writeTicker, writeQuote, writeOi, writePrevClose, writeFull]) {
      at.push(off);
      off = w(b, off, m, i);
    }
    expect(off).toBe(16 + 50 + 12 + 16 + 162);
    const get = (k: number) => {
      const p = decodePacket(b, at[k]!);
      expect(p).not.toBeNull();
      expect(p!.header.segment).toBe(seg);
      expect(p!.header.securityId).toBe(sid);
      return p!;
    };
    const ticker = get(0);
    expect(ticker).toMatchObject({ type: 'ticker', header: { code: 2, length: 16 }, values: { ltp: f32(m.ltp[i]!), ltt: m.ltt[i] } });
    expect(get(1)).toMatchObject({
      type: 'quote',
      header: { code: 4, length: 50 },
      values: {
        ltp: f32(m.ltp[i]!), ltq: m.ltq[i], ltt: m.ltt[i], atp: f32(m.atp(i)), volume: m.volume[i]! % 2 ** 32,
        totalSellQty: m.totalSellQty[i], totalBuyQty: m.totalBuyQty[i], open: f32(m.open[i]!), close: f32(m.prevClose[i]!),
        high: f32(m.high[i]!), low: f32(m.low[i]!),
      },
    });
    expect(get(2)).toMatchObject({ type: 'oi', header: { code: 5, length: 12 }, values: { oi: m.oi[i] } });
    expect(get(3)).toMatchObject({ type: 'prevClose', header: { code: 6, length: 16 }, values: { prevClose: f32(m.prevClose[i]!), prevOi: m.prevOi[i] } });
    const full = get(4);
    expect(full).toMatchObject({
      type: 'full',
      header: { code: 8, length: 162 },
      values: {
        ltp: f32(m.ltp[i]!), ltq: m.ltq[i], ltt: m.ltt[i], volume: m.volume[i]! % 2 ** 32, oi: m.oi[i], oiHigh: m.oiHigh[i], oiLow: m.oiLow[i],
        open: f32(m.open[i]!), close: f32(m.prevClose[i]!), high: f32(m.high[i]!), low: f32(m.low[i]!),
      },
    });
    // Prices on the wire are f32 values of tick multiples.
    const tick = m.tick[i]!;
    for (const v of [m.ltp[i]!, m.open[i]!, m.high[i]!, m.low[i]!, m.prevClose[i]!]) expect(onTickGrid(v, tick)).toBe(true);
  });
});
