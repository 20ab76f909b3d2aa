/**
 * Decoders for the chain wire formats. Browser-safe: imports only the flatbuffers runtime and
 * the generated schema code (no node: modules), so a page can bundle it.
 *
 * `decodeChainFlatbuffer` returns exactly the object `decodeChainJson` returns for the same
 * chain and generation (the encoders round identically, see src/chain/quote-rounding.ts):
 * NaN fields become `null`, sides without the LISTED flag become `null`.
 *
 * @module
 */
import * as flatbuffers from 'flatbuffers';
import { forwardSourceString, ivFromString, ivNullReasonString } from '../chain/analytics-names.js';
import {
  Chain as FbChain, ChainAnalytics as FbChainAnalytics, Leg as FbLeg, LegAnalytics as FbLegAnalytics, Row as FbRow, RowAnalytics as FbRowAnalytics, Snapshot as FbSnapshot, SpotQuote as FbSpotQuote,
} from '../chain/fbs/chain_generated.js';
import { OptchainClientError } from './client-error.js';
import type { ChainAnalyticsJson, ChainJson, LegJson, RowJson, SnapshotJson, SpotJson } from './types.js';

/** `flags` bit 0 of a Leg/SpotQuote (schemas/chain.fbs). */
const FLAG_LISTED = 1;
const SNAPSHOT_IDENTIFIER = 'OSNP';

const utf8 = new TextDecoder();

function toBytes(input: Uint8Array | ArrayBuffer): Uint8Array {
  return input instanceof Uint8Array ? input : new Uint8Array(input);
}

function bad(message: string): OptchainClientError {
  return new OptchainClientError('BAD_RESPONSE', message);
}

/** Parses a chain JSON body (string or bytes) and checks its outline. */
export function decodeChainJson(input: string | Uint8Array | ArrayBuffer): ChainJson {
  const text = typeof input === 'string' ? input : utf8.decode(toBytes(input));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw bad(`chain body is not JSON: ${(err as Error).message}`);
  }
  const c = value as Partial<ChainJson> | null;
  if (!c || typeof c !== 'object' || typeof c.symbol !== 'string' || typeof c.expiry !== 'string' || !Array.isArray(c.rows) || typeof c.generation !== 'number') {
    throw bad('chain body lacks symbol/expiry/generation/rows');
  }
  return c as ChainJson;
}

function num(x: number): number | null {
  return x === x ? x : null;
}

/** A leg's analytics keys; a buffer without `row_analytics` (an older server) reads as not computed. */
function legAnalytics(a: FbLegAnalytics | null): Pick<LegJson, 'oiChange' | 'iv' | 'delta' | 'gamma' | 'theta' | 'vega' | 'ivPrice' | 'ivFrom' | 'ivNullReason'> {
  if (a === null) return { oiChange: null, iv: null, delta: null, gamma: null, theta: null, vega: null, ivPrice: null, ivFrom: null, ivNullReason: 'pending' };
  const code = a.code();
  return {
    oiChange: num(a.oiChange()),
    iv: num(a.iv()),
    delta: num(a.delta()),
    gamma: num(a.gamma()),
    theta: num(a.theta()),
    vega: num(a.vega()),
    ivPrice: num(a.ivPrice()),
    ivFrom: ivFromString(code),
    ivNullReason: ivNullReasonString(code),
  };
}

function chainAnalytics(a: FbChainAnalytics | null): ChainAnalyticsJson | null {
  if (a === null) return null;
  return {
    generation: a.generation(),
    priceGeneration: num(a.priceGeneration()),
    computedAt: num(a.computedAt()),
    asOf: num(a.asOf()),
    yearsToExpiry: num(a.yearsToExpiry()),
    forward: num(a.forward()),
    forwardSource: forwardSourceString(a.forwardSource()),
    parityPairs: num(a.parityPairs()),
    atmStrike: num(a.atmStrike()),
    atmIv: num(a.atmIv()),
    pcrOi: num(a.pcrOi()),
    pcrVolume: num(a.pcrVolume()),
    maxPain: num(a.maxPain()),
    ceOi: num(a.ceOi()),
    peOi: num(a.peOi()),
    ceOiChange: num(a.ceOiChange()),
    peOiChange: num(a.peOiChange()),
  };
}

function leg(l: FbLeg, a: FbLegAnalytics | null): LegJson | null {
  if (!(l.flags() & FLAG_LISTED)) return null;
  return {
    securityId: l.securityId(),
    lotSize: l.lotSize(),
    ltp: num(l.ltp()),
    bid: num(l.bid()),
    ask: num(l.ask()),
    bidQty: num(l.bidQty()),
    askQty: num(l.askQty()),
    volume: num(l.volume()),
    oi: num(l.oi()),
    prevClose: num(l.prevClose()),
    ltt: num(l.ltt()),
    updatedAt: num(l.updatedAt()),
    ...legAnalytics(a),
  };
}

/** Converts a zero-copy Chain accessor into the JSON-shaped object. */
export function chainFromFlatbuffer(c: FbChain): ChainJson {
  const symbol = c.symbol();
  const exchange = c.exchange();
  const expiry = c.expiry();
  const tradingDate = c.tradingDate();
  if (symbol === null || expiry === null || tradingDate === null || (exchange !== 'NSE' && exchange !== 'BSE')) {
    throw bad('FlatBuffers chain lacks symbol/exchange/expiry/tradingDate');
  }
  const tags: string[] = [];
  for (let i = 0; i < c.tagsLength(); i++) tags.push(c.tags(i));
  let spot: SpotJson | null = null;
  const s: FbSpotQuote | null = c.spot();
  if (s && s.flags() & FLAG_LISTED) {
    spot = { securityId: s.securityId(), segment: c.spotSegment() ?? '', ltp: num(s.ltp()), updatedAt: num(s.updatedAt()) };
  }
  const rows: RowJson[] = [];
  const row = new FbRow();
  const ce = new FbLeg();
  const pe = new FbLeg();
  const ra = new FbRowAnalytics();
  const cea = new FbLegAnalytics();
  const pea = new FbLegAnalytics();
  const n = c.rowsLength();
  const withAnalytics = c.rowAnalyticsLength() === n;
  for (let i = 0; i < n; i++) {
    c.rows(i, row);
    const a = withAnalytics ? c.rowAnalytics(i, ra) : null;
    rows.push({ strike: row.strike(), ce: leg(row.ce(ce)!, a ? a.ce(cea) : null), pe: leg(row.pe(pe)!, a ? a.pe(pea) : null) });
  }
  const analytics = chainAnalytics(c.analytics());
  return { symbol, exchange, expiry, tags, tradingDate, generation: c.generation(), servedAt: c.servedAt(), spot, analytics, rows };
}

/** Decodes a FlatBuffers chain body (root `Chain`, identifier "OCHN"). */
export function decodeChainFlatbuffer(input: Uint8Array | ArrayBuffer): ChainJson {
  const bb = new flatbuffers.ByteBuffer(toBytes(input));
  if (bb.capacity() < 8 || !FbChain.bufferHasIdentifier(bb)) throw bad('not a FlatBuffers chain (identifier OCHN missing)');
  return chainFromFlatbuffer(FbChain.getRootAsChain(bb));
}

/** Decodes a snapshot body (root `Snapshot`, identifier "OSNP") into JSON-shaped chains. */
export function decodeSnapshot(input: Uint8Array | ArrayBuffer): SnapshotJson {
  const bb = new flatbuffers.ByteBuffer(toBytes(input));
  if (bb.capacity() < 8 || !bb.__has_identifier(SNAPSHOT_IDENTIFIER)) throw bad('not a FlatBuffers snapshot (identifier OSNP missing)');
  const s = FbSnapshot.getRootAsSnapshot(bb);
  const chains: ChainJson[] = [];
  const c = new FbChain();
  for (let i = 0; i < s.chainsLength(); i++) chains.push(chainFromFlatbuffer(s.chains(i, c)!));
  return { tradingDate: s.tradingDate() ?? '', servedAt: s.servedAt(), chains };
}
