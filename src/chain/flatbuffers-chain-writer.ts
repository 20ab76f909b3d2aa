/**
 * Writes one `Chain` table (schemas/chain.fbs) into a FlatBuffers builder. Shared by the
 * single-chain encoder and the snapshot encoder.
 *
 * The rows vector is the hot part: n × 200-byte structs. The generated `Row.createRow`
 * writes 29 arguments byte by byte (the runtime's writeFloat64 is eight byte stores), so when
 * the platform is little-endian (FlatBuffers' byte order) the writer reserves the whole
 * vector once and fills it through Float64Array/Uint32Array views over the builder's own
 * bytes — the same bytes createRow would produce, at a fraction of the cost. This touches
 * the builder's private `space` field (flatbuffers 25.9.23, pinned in package.json); the
 * writer checks that the field exists and falls back to createRow otherwise, and the
 * encoder test suite decodes every output with the generated accessors.
 *
 * @module
 */
import * as flatbuffers from 'flatbuffers';
import { ErrorCodes, OptchainError } from '../errors.js';
import { FIELD_COUNT } from '../price-table/layout.js';
import type { Chain } from '../skeleton/types.js';
import { Chain as FbChain, Leg as FbLeg, Row as FbRow, SpotQuote as FbSpotQuote } from './fbs/chain_generated.js';
import type { Market } from './market.js';
import { roundPaise } from '../util/round-paise.js';
import { FIELD_LTP, FIELD_UPDATED_AT, LEG_FIELD_COUNT, roundInt } from './quote-rounding.js';

/** `flags` bit 0 of a Leg or SpotQuote: the skeleton lists this contract (schemas/chain.fbs). */
export const FLAG_LISTED = 1;

const ROW_BYTES = 200;
const LEG_BYTES = 96;
/** Offsets in Float64 / Uint32 units inside a row (schemas/chain.fbs layout comments). */
const ROW_F64 = ROW_BYTES / 8;
const ROW_U32 = ROW_BYTES / 4;
const CE_U32 = 8 / 4;
const CE_F64 = (8 + 16) / 8;
const PE_U32 = (8 + LEG_BYTES) / 4;
const PE_F64 = (8 + LEG_BYTES + 16) / 8;

if (FbRow.sizeOf() !== ROW_BYTES || FbLeg.sizeOf() !== LEG_BYTES) {
  // The bulk writer below hard-codes the struct layout; a schema change must update it.
  throw new OptchainError(ErrorCodes.INTERNAL, `schemas/chain.fbs struct sizes changed (Row ${FbRow.sizeOf()}, Leg ${FbLeg.sizeOf()}): update flatbuffers-chain-writer.ts`);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The builder field the bulk path needs (see the module comment). */
interface BuilderInternals {
  space: number;
}

/** Options for {@link FlatbuffersChainWriter}. */
export interface FlatbuffersChainWriterOptions {
  /** Fill row vectors through typed-array views (default true; false forces the generated createRow path). */
  readonly bulkRows?: boolean;
}

/** A chain's strings as UTF-8, encoded once per chain. */
interface ChainStrings {
  readonly symbol: Uint8Array;
  readonly exchange: Uint8Array;
  readonly expiry: Uint8Array;
  readonly tags: readonly Uint8Array[];
  readonly tradingDate: Uint8Array;
  readonly spotSegment: Uint8Array | null;
}

const utf8 = new TextEncoder();
/** One byte array per distinct string (a few thousand: symbols, dates, tags, segments). */
const internTable = new Map<string, Uint8Array>();

function interned(s: string): Uint8Array {
  let b = internTable.get(s);
  if (b === undefined) {
    b = utf8.encode(s);
    internTable.set(s, b);
  }
  return b;
}

/** Writes Chain tables; holds reused scratch state, so one instance per thread. */
export class FlatbuffersChainWriter {
  private readonly scratch = new Float64Array(2 * FIELD_COUNT);
  private readonly shared = new Map<Uint8Array, flatbuffers.Offset>();
  private readonly tagOffsets: flatbuffers.Offset[] = [];
  private readonly strings = new WeakMap<Chain, ChainStrings>();
  private readonly bulkRows: boolean;

  constructor(options: FlatbuffersChainWriterOptions = {}) {
    this.bulkRows = (options.bulkRows ?? true) && LITTLE_ENDIAN;
  }

  /**
   * Starts a new buffer: string offsets remembered for sharing belong to the previous one.
   * Call after `builder.clear()`, before the first {@link writeChain}.
   */
  begin(): void {
    this.shared.clear();
  }

  /** Writes `chain` as a Chain table and returns its offset (not finished). */
  writeChain(builder: flatbuffers.Builder, market: Market, chain: Chain, generation: number, servedAt: number): flatbuffers.Offset {
    const u = market.skeleton.underlyings[chain.underlyingIndex]!;
    const str = this.stringsOf(market, chain);
    // Strings and vectors before startChain (docs/engineering.md §3.3). Pre-encoded UTF-8 and our
    // own sharing: the runtime's createSharedString runs TextEncoder on every call (measured
    // ~6 µs of a ~45 µs chain build), and sharing dedupes exchange/tags/dates in snapshots.
    const symbol = this.string(builder, str.symbol);
    const exchange = this.string(builder, str.exchange);
    const expiry = this.string(builder, str.expiry);
    const tagOffsets = this.tagOffsets;
    tagOffsets.length = 0;
    for (const tag of str.tags) tagOffsets.push(this.string(builder, tag));
    const tags = FbChain.createTagsVector(builder, tagOffsets);
    const tradingDate = this.string(builder, str.tradingDate);
    const spotSegment = str.spotSegment ? this.string(builder, str.spotSegment) : 0;
    const rows = this.writeRows(builder, market, chain);

    FbChain.startChain(builder);
    FbChain.addSymbol(builder, symbol);
    FbChain.addExchange(builder, exchange);
    FbChain.addExpiry(builder, expiry);
    FbChain.addTags(builder, tags);
    FbChain.addTradingDate(builder, tradingDate);
    FbChain.addGeneration(builder, generation);
    FbChain.addServedAt(builder, servedAt);
    if (u.spot) {
      const s = this.scratch;
      market.table.readSlot(u.spot.slot, s, 0);
      const ltp = roundPaise(s[FIELD_LTP]!);
      const updatedAt = roundInt(s[FIELD_UPDATED_AT]!);
      const delivered = (ltp === ltp ? 1 : 0) | (updatedAt === updatedAt ? 2 : 0);
      FbChain.addSpotSegment(builder, spotSegment);
      // A struct field is written inline, immediately before it is added.
      FbChain.addSpot(builder, FbSpotQuote.createSpotQuote(builder, u.spot.securityId, FLAG_LISTED, delivered, 0, ltp, updatedAt));
    }
    FbChain.addRows(builder, rows);
    return FbChain.endChain(builder);
  }

  /** A string written once per buffer (interned bytes are compared by identity). */
  private string(builder: flatbuffers.Builder, bytes: Uint8Array): flatbuffers.Offset {
    let offset = this.shared.get(bytes);
    if (offset === undefined) {
      offset = builder.createString(bytes);
      this.shared.set(bytes, offset);
    }
    return offset;
  }

  private stringsOf(market: Market, chain: Chain): ChainStrings {
    let s = this.strings.get(chain);
    if (!s) {
      const spot = market.skeleton.underlyings[chain.underlyingIndex]!.spot;
      s = {
        symbol: interned(chain.symbol),
        exchange: interned(chain.exchange),
        expiry: interned(chain.expiry),
        tags: chain.tags.map(interned),
        tradingDate: interned(market.skeleton.tradingDate),
        spotSegment: spot ? interned(spot.segment) : null,
      };
      this.strings.set(chain, s);
    }
    return s;
  }

  private writeRows(builder: flatbuffers.Builder, market: Market, chain: Chain): flatbuffers.Offset {
    const n = chain.rows.length;
    FbChain.startRowsVector(builder, n);
    const internals = builder as unknown as BuilderInternals;
    if (this.bulkRows && typeof internals.space === 'number') {
      // startVector has reserved and aligned n × 200 bytes; claim them and fill forward.
      internals.space -= n * ROW_BYTES;
      const bytes = builder.dataBuffer().bytes();
      const at = bytes.byteOffset + internals.space;
      if (at % 8 === 0) {
        this.fillRows(new Float64Array(bytes.buffer, at, n * ROW_F64), new Uint32Array(bytes.buffer, at, n * ROW_U32), market, chain);
        return builder.endVector();
      }
      internals.space += n * ROW_BYTES; // not 8-aligned (never with a power-of-two buffer): undo, use the generic path
    }
    this.createRows(builder, market, chain);
    return builder.endVector();
  }

  private fillRows(f64: Float64Array, u32: Uint32Array, market: Market, chain: Chain): void {
    const table = market.table;
    const s = this.scratch;
    const rows = chain.rows;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      const fb = r * ROW_F64;
      const ub = r * ROW_U32;
      f64[fb] = row.strike;
      const ce = row.ce;
      if (ce) {
        table.readSlot(ce.slot, s, 0, LEG_FIELD_COUNT);
        u32[ub + CE_U32] = ce.securityId;
        u32[ub + CE_U32 + 1] = ce.lotSize;
        u32[ub + CE_U32 + 2] = FLAG_LISTED;
        u32[ub + CE_U32 + 3] = fillLeg(f64, fb + CE_F64, s, 0);
      } else {
        absentLeg(f64, u32, fb + CE_F64, ub + CE_U32);
      }
      const pe = row.pe;
      if (pe) {
        table.readSlot(pe.slot, s, 0, LEG_FIELD_COUNT);
        u32[ub + PE_U32] = pe.securityId;
        u32[ub + PE_U32 + 1] = pe.lotSize;
        u32[ub + PE_U32 + 2] = FLAG_LISTED;
        u32[ub + PE_U32 + 3] = fillLeg(f64, fb + PE_F64, s, 0);
      } else {
        absentLeg(f64, u32, fb + PE_F64, ub + PE_U32);
      }
    }
  }

  /** Generic path: generated createRow, last row first (vectors are built back to front). */
  private createRows(builder: flatbuffers.Builder, market: Market, chain: Chain): void {
    const table = market.table;
    const s = this.scratch;
    const c = new Float64Array(LEG_FIELD_COUNT);
    const p = new Float64Array(LEG_FIELD_COUNT);
    for (let r = chain.rows.length - 1; r >= 0; r--) {
      const row = chain.rows[r]!;
      let cd = 0;
      let pd = 0;
      if (row.ce) {
        table.readSlot(row.ce.slot, s, 0, LEG_FIELD_COUNT);
        cd = fillLeg(c, 0, s, 0);
      } else c.fill(Number.NaN);
      if (row.pe) {
        table.readSlot(row.pe.slot, s, 0, LEG_FIELD_COUNT);
        pd = fillLeg(p, 0, s, 0);
      } else p.fill(Number.NaN);
      FbRow.createRow(
        builder, row.strike,
        row.ce ? row.ce.securityId : 0, row.ce ? row.ce.lotSize : 0, row.ce ? FLAG_LISTED : 0, cd,
        c[0]!, c[1]!, c[2]!, c[3]!, c[4]!, c[5]!, c[6]!, c[7]!, c[8]!, c[9]!,
        row.pe ? row.pe.securityId : 0, row.pe ? row.pe.lotSize : 0, row.pe ? FLAG_LISTED : 0, pd,
        p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!, p[6]!, p[7]!, p[8]!, p[9]!,
      );
    }
  }
}

/**
 * Rounds the ten leg fields of a slot copy into `dst[at..]` (prices: ltp, bid, ask,
 * prevClose: PRICE_FIELDS in quote-rounding.ts) and returns the delivered mask. Unrolled:
 * ~15% faster than a loop with a per-field kind test (measured A/B, 250-row chain).
 */
function fillLeg(dst: Float64Array, at: number, src: Float64Array, from: number): number {
  let d = 0;
  let x = src[from]!;
  if (x === x) { d |= 1; dst[at] = roundPaise(x); } else dst[at] = Number.NaN;
  x = src[from + 1]!;
  if (x === x) { d |= 2; dst[at + 1] = roundPaise(x); } else dst[at + 1] = Number.NaN;
  x = src[from + 2]!;
  if (x === x) { d |= 4; dst[at + 2] = roundPaise(x); } else dst[at + 2] = Number.NaN;
  x = src[from + 3]!;
  if (x === x) { d |= 8; dst[at + 3] = roundInt(x); } else dst[at + 3] = Number.NaN;
  x = src[from + 4]!;
  if (x === x) { d |= 16; dst[at + 4] = roundInt(x); } else dst[at + 4] = Number.NaN;
  x = src[from + 5]!;
  if (x === x) { d |= 32; dst[at + 5] = roundInt(x); } else dst[at + 5] = Number.NaN;
  x = src[from + 6]!;
  if (x === x) { d |= 64; dst[at + 6] = roundInt(x); } else dst[at + 6] = Number.NaN;
  x = src[from + 7]!;
  if (x === x) { d |= 128; dst[at + 7] = roundPaise(x); } else dst[at + 7] = Number.NaN;
  x = src[from + 8]!;
  if (x === x) { d |= 256; dst[at + 8] = roundInt(x); } else dst[at + 8] = Number.NaN;
  x = src[from + 9]!;
  if (x === x) { d |= 512; dst[at + 9] = roundInt(x); } else dst[at + 9] = Number.NaN;
  return d;
}

/** A side the skeleton does not list: every byte written (the reused builder holds stale data). */
function absentLeg(f64: Float64Array, u32: Uint32Array, f: number, u: number): void {
  u32[u] = 0;
  u32[u + 1] = 0;
  u32[u + 2] = 0;
  u32[u + 3] = 0;
  for (let i = 0; i < LEG_FIELD_COUNT; i++) f64[f + i] = Number.NaN;
}
