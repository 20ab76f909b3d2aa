/**
 * Turns the market model's state into Dhan packets with the simulator's encoders
 * (src/sim/packet-encoder.ts), reusing one mutable value record per packet type so steady-state
 * encoding allocates nothing.
 *
 * Field decisions (docs/dhan-protocol.md §2.6–§2.7, written down in the simulator README):
 * - Quote/Full `close` carries the previous session's close during the session (the Dhan
 *   support answer quoted in docs/dhan-protocol.md §2.7), so non-index instruments learn their previous close there.
 * - LTT is the IST-shifted second of the last trade (docs/dhan-protocol.md §2.9), 0 for an instrument that has not
 *   traded today; OHLC are 0 until the first trade of the day.
 * - Index instruments (IDX_I) carry their value in the packet of the mode they were subscribed
 *   in, like any instrument: Ticker (code 2) in Ticker mode, Quote (code 4) in Quote mode, as
 *   Dhan's SDK and four independent clients read them (docs/dhan-protocol.md §2.6); never the code-1
 *   "index packet", which none of those clients decodes.
 *
 * @module
 */
import { PacketLength, type DepthLevel } from '../dhan/packet-layout.js';
import { encodeFull, encodeOi, encodePrevClose, encodeQuote, encodeTicker } from './packet-encoder.js';
import type { MarketModel } from './market-model.js';

type MutableDepth = { -readonly [K in keyof DepthLevel]: DepthLevel[K] };

const ticker = { ltp: 0, ltt: 0 };
const quote = { ltp: 0, ltq: 0, ltt: 0, atp: 0, volume: 0, totalSellQty: 0, totalBuyQty: 0, open: 0, close: 0, high: 0, low: 0 };
const oiValues = { oi: 0 };
const prev = { prevClose: 0, prevOi: 0 };
const depth: MutableDepth[] = [0, 1, 2, 3, 4].map(() => ({ bidQty: 0, askQty: 0, bidOrders: 0, askOrders: 0, bid: 0, ask: 0 }));
const full = {
  ltp: 0,
  ltq: 0,
  ltt: 0,
  atp: 0,
  volume: 0,
  totalSellQty: 0,
  totalBuyQty: 0,
  oi: 0,
  oiHigh: 0,
  oiLow: 0,
  open: 0,
  close: 0,
  high: 0,
  low: 0,
  depth: depth as readonly DepthLevel[],
};

/** Largest number of bytes {@link writeSnapshot} / the tick writers emit for one instrument and one mode set. */
export const MAX_BYTES_PER_INSTRUMENT = PacketLength.FULL + PacketLength.QUOTE + PacketLength.OI + PacketLength.TICKER + PacketLength.PREV_CLOSE;

/** Ticker (code 2). Returns the offset after it. */
export function writeTicker(buf: Uint8Array, off: number, m: MarketModel, i: number): number {
  ticker.ltp = m.ltp[i]!;
  ticker.ltt = m.ltt[i]!;
  return encodeTicker(buf, off, m.segCode[i]!, m.securityId[i]!, ticker);
}

/** Quote (code 4). */
export function writeQuote(buf: Uint8Array, off: number, m: MarketModel, i: number): number {
  quote.ltp = m.ltp[i]!;
  quote.ltq = m.ltq[i]!;
  quote.ltt = m.ltt[i]!;
  quote.atp = m.atp(i);
  quote.volume = m.volume[i]!;
  quote.totalSellQty = m.totalSellQty[i]!;
  quote.totalBuyQty = m.totalBuyQty[i]!;
  quote.open = m.open[i]!;
  quote.close = m.prevClose[i]!;
  quote.high = m.high[i]!;
  quote.low = m.low[i]!;
  return encodeQuote(buf, off, m.segCode[i]!, m.securityId[i]!, quote);
}

/** OI (code 5). */
export function writeOi(buf: Uint8Array, off: number, m: MarketModel, i: number): number {
  oiValues.oi = m.oi[i]!;
  return encodeOi(buf, off, m.segCode[i]!, m.securityId[i]!, oiValues);
}

/** Prev Close (code 6). */
export function writePrevClose(buf: Uint8Array, off: number, m: MarketModel, i: number): number {
  prev.prevClose = m.prevClose[i]!;
  prev.prevOi = m.prevOi[i]!;
  return encodePrevClose(buf, off, m.segCode[i]!, m.securityId[i]!, prev);
}

/** Full (code 8) with 5 depth levels. */
export function writeFull(buf: Uint8Array, off: number, m: MarketModel, i: number): number {
  full.ltp = m.ltp[i]!;
  full.ltq = m.ltq[i]!;
  full.ltt = m.ltt[i]!;
  full.atp = m.atp(i);
  full.volume = m.volume[i]!;
  full.totalSellQty = m.totalSellQty[i]!;
  full.totalBuyQty = m.totalBuyQty[i]!;
  full.oi = m.oi[i]!;
  full.oiHigh = m.oiHigh[i]!;
  full.oiLow = m.oiLow[i]!;
  full.open = m.open[i]!;
  full.close = m.prevClose[i]!;
  full.high = m.high[i]!;
  full.low = m.low[i]!;
  const b = i * 5;
  for (let l = 0; l < 5; l++) {
    const d = depth[l]!;
    d.bidQty = m.bidQty[b + l]!;
    d.askQty = m.askQty[b + l]!;
    d.bidOrders = m.bidOrders[b + l]!;
    d.askOrders = m.askOrders[b + l]!;
    d.bid = m.bidPrice(i, l);
    d.ask = m.askPrice(i, l);
  }
  return encodeFull(buf, off, m.segCode[i]!, m.securityId[i]!, full);
}
