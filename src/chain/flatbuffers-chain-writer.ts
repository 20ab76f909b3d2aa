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
import { FIELD_LTP, FIELD_UPDATED_AT, LEG_FIELD_COUNT, PRICE_FIELD_MASK, roundInt, roundPrice } from './quote-rounding.js';

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

/** Writes Chain tables; holds one reused scratch array, so one instance per thread. */
export class FlatbuffersChainWriter {
  private readonly scratch = new Float64Array(2 * FIELD_COUNT);
  private readonly bulkRows: boolean;

  constructor(options: FlatbuffersChainWriterOptions = {}) {
    this.bulkRows = (options.bulkRows ?? true) && LITTLE_ENDIAN;
  }

  /** Writes `chain` as a Chain table and returns its offset (not finished). */
  writeChain(builder: flatbuffers.Builder, market: Market, chain: Chain, generation: number, servedAt: number): flatbuffers.Offset {
    const skeleton = market.skeleton;
    const u = skeleton.underlyings[chain.underlyingIndex]!;
    // Strings and vectors before startChain (engineering.md §3.3); shared strings dedupe
    // exchange/tags/dates across the chains of a snapshot.
    const symbol = builder.createSharedString(chain.symbol);
    const exchange = builder.createSharedString(chain.exchange);
    const expiry = builder.createSharedString(chain.expiry);
    const tagOffsets: flatbuffers.Offset[] = [];
    for (const tag of chain.tags) tagOffsets.push(builder.createSharedString(tag));
    const tags = FbChain.createTagsVector(builder, tagOffsets);
    const tradingDate = builder.createSharedString(skeleton.tradingDate);
    const spotSegment = u.spot ? builder.createSharedString(u.spot.segment) : 0;
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
      const ltp = roundPrice(s[FIELD_LTP]!);
      const updatedAt = roundInt(s[FIELD_UPDATED_AT]!);
      const delivered = (ltp === ltp ? 1 : 0) | (updatedAt === updatedAt ? 2 : 0);
      FbChain.addSpotSegment(builder, spotSegment);
      // A struct field is written inline, immediately before it is added.
      FbChain.addSpot(builder, FbSpotQuote.createSpotQuote(builder, u.spot.securityId, FLAG_LISTED, delivered, 0, ltp, updatedAt));
    }
    FbChain.addRows(builder, rows);
    return FbChain.endChain(builder);
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
        table.readSlot(ce.slot, s, 0);
        u32[ub + CE_U32] = ce.securityId;
        u32[ub + CE_U32 + 1] = ce.lotSize;
        u32[ub + CE_U32 + 2] = FLAG_LISTED;
        u32[ub + CE_U32 + 3] = fillLeg(f64, fb + CE_F64, s, 0);
      } else {
        absentLeg(f64, u32, fb + CE_F64, ub + CE_U32);
      }
      const pe = row.pe;
      if (pe) {
        table.readSlot(pe.slot, s, 0);
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
        table.readSlot(row.ce.slot, s, 0);
        cd = fillLeg(c, 0, s, 0);
      } else c.fill(Number.NaN);
      if (row.pe) {
        table.readSlot(row.pe.slot, s, 0);
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

/** Rounds the ten leg fields of a slot copy into `dst[at..]`; returns the delivered mask. */
function fillLeg(dst: Float64Array, at: number, src: Float64Array, from: number): number {
  let delivered = 0;
  for (let i = 0; i < LEG_FIELD_COUNT; i++) {
    const x = src[from + i]!;
    if (x === x) {
      delivered |= 1 << i;
      dst[at + i] = (PRICE_FIELD_MASK >> i) & 1 ? roundPrice(x) : roundInt(x);
    } else {
      dst[at + i] = Number.NaN;
    }
  }
  return delivered;
}

/** A side the skeleton does not list: every byte written (the reused builder holds stale data). */
function absentLeg(f64: Float64Array, u32: Uint32Array, f: number, u: number): void {
  u32[u] = 0;
  u32[u + 1] = 0;
  u32[u + 2] = 0;
  u32[u + 3] = 0;
  for (let i = 0; i < LEG_FIELD_COUNT; i++) f64[f + i] = Number.NaN;
}
