/**
 * Chain → JSON bytes, exactly the shape and key order of docs/contract.md §5 ("Chain JSON"), written
 * straight into a reused byte buffer (see json-bytes.ts for why not JSON.stringify).
 *
 * Everything static about a chain (symbol, tags, strikes, security ids, lot sizes, which side
 * exists) is rendered once per chain into byte templates, kept in a WeakMap keyed by the
 * frozen skeleton's Chain object, so a rollover's new skeleton gets new templates and the
 * old ones are collected with the old skeleton.
 *
 * @module
 */
import type { Chain } from '../skeleton/types.js';
import { FIELD_COUNT } from '../price-table/layout.js';
import type { PriceTable } from '../price-table/price-table.js';
import { CONTENT_TYPES, copyInto, type ChainEncoder, type EncodedChain } from './chain-encoder.js';
import {
  MAX_NUMBER_BYTES,
  compileLiteral,
  digitCount,
  patchUint,
  utf8,
  writeBytes,
  writeIntField,
  writePriceField,
} from './json-bytes.js';
import type { Market } from './market.js';
import { FIELD_LTP, FIELD_UPDATED_AT, LEG_FIELD_COUNT } from './quote-rounding.js';

/**
 * The static bytes of one chain, plus the rendered bytes of each leg keyed by the slot's
 * seqlock version (the leg cache, see {@link JsonChainEncoder}).
 */
interface JsonTemplate {
  /** `{"symbol":…,"tradingDate":"…","generation":` */
  readonly head: Uint8Array;
  /** `,"spot":{"securityId":…,"segment":"…","ltp":` or null when the skeleton has no spot. */
  readonly spotHead: Uint8Array | null;
  readonly spotSlot: number;
  /** Per row: `[,]{"strike":S,"ce":` then `{"securityId":…,"lotSize":…,"ltp":` or `null`. */
  readonly rowHead: readonly Uint8Array[];
  /** Per row: `,"pe":` then `{"securityId":…,"lotSize":…,"ltp":` or `null`. */
  readonly peHead: readonly Uint8Array[];
  /** Slot per row and side, -1 where the skeleton has no contract. */
  readonly ceSlot: Int32Array;
  readonly peSlot: Int32Array;
  /** Leg cache: the table the cached bytes were read from (a new table resets the cache). */
  table: PriceTable | null;
  /** Leg cache, index 2·row (CE) / 2·row+1 (PE): the even slot version rendered, -1 = none. */
  readonly legVersion: Int32Array;
  /** Leg cache: the rendered values of each leg (views into `arena`). */
  readonly legBytes: (Uint8Array | undefined)[];
  /** Leg cache storage, LEG_MAX_BYTES per leg, allocated on first use. */
  arena: Uint8Array | null;
}

const K_SERVED_AT = compileLiteral(',"servedAt":');
const K_SPOT_NULL = compileLiteral(',"spot":null');
const K_ROWS = compileLiteral(',"rows":[');
const K_BID = compileLiteral(',"bid":');
const K_ASK = compileLiteral(',"ask":');
const K_BID_QTY = compileLiteral(',"bidQty":');
const K_ASK_QTY = compileLiteral(',"askQty":');
const K_VOLUME = compileLiteral(',"volume":');
const K_OI = compileLiteral(',"oi":');
const K_PREV_CLOSE = compileLiteral(',"prevClose":');
const K_LTT = compileLiteral(',"ltt":');
const K_UPDATED_AT = compileLiteral(',"updatedAt":');

/** Bytes of the keys of one leg after `"ltp":`, plus the closing brace. */
const LEG_KEY_BYTES = ',"bid":,"ask":,"bidQty":,"askQty":,"volume":,"oi":,"prevClose":,"ltt":,"updatedAt":}'.length;
/** Upper bound of one leg's values and keys after its head. */
const LEG_MAX_BYTES = LEG_KEY_BYTES + 10 * MAX_NUMBER_BYTES;

/** Options of a {@link JsonChainEncoder}. */
export interface JsonChainEncoderOptions {
  /** Starting size of the reused output buffer (it grows as needed). Default 256 KiB. */
  readonly initialBytes?: number;
  /** Reuse the rendered bytes of legs whose slot did not change (default true). */
  readonly legCache?: boolean;
}

/**
 * Byte-level JSON chain encoder; one instance per thread (it reuses its buffers).
 *
 * Leg cache: most rebuilds follow a handful of ticks on a chain of hundreds of legs, and
 * printing ~5,000 numbers dominates a full build. Each leg's rendered bytes are kept with the
 * slot's seqlock version; a leg whose version has not moved is copied instead of re-read and
 * re-printed. The version is even and equal before and after the read, so the cached bytes
 * are exactly those of that version (a slot has one writer and its version only grows,
 * docs/engineering.md §2.2). Output is byte-identical with and without the cache. Memory: up to
 * LEG_MAX_BYTES (~340 B) per leg of each chain ever encoded — 170 KB for a 250-row chain,
 * ~11 MB if every chain of a ~32k-contract universe is requested as JSON.
 */
export class JsonChainEncoder implements ChainEncoder {
  readonly format = 'json' as const;
  readonly contentType = CONTENT_TYPES.json;
  private out: Uint8Array;
  private readonly scratch = new Float64Array(FIELD_COUNT);
  private readonly templates = new WeakMap<Chain, JsonTemplate>();
  private readonly legCache: boolean;

  constructor(options: JsonChainEncoderOptions = {}) {
    this.out = new Uint8Array(options.initialBytes ?? 256 * 1024);
    this.legCache = options.legCache ?? true;
  }

  encode(market: Market, chain: Chain, generation: number, servedAt: number, reuse?: Uint8Array): EncodedChain {
    const t = this.template(market, chain);
    const table = market.table;
    const scratch = this.scratch;
    const cacheLegs = this.legCache;
    if (cacheLegs && t.table !== table) {
      t.table = table;
      t.legVersion.fill(-1);
    }
    let out = this.ensure(0, t.head.length + 64 + (t.spotHead ? t.spotHead.length : 0) + 4 * MAX_NUMBER_BYTES);
    let pos = writeBytes(out, 0, t.head);
    pos = writeIntField(out, pos, generation);
    pos = K_SERVED_AT(out, pos);
    const servedAtOffset = pos;
    pos = writeIntField(out, pos, servedAt);
    if (t.spotHead) {
      pos = writeBytes(out, pos, t.spotHead);
      table.readSlot(t.spotSlot, scratch, 0);
      pos = writePriceField(out, pos, scratch[FIELD_LTP]!);
      pos = K_UPDATED_AT(out, pos);
      pos = writeIntField(out, pos, scratch[FIELD_UPDATED_AT]!);
      out[pos++] = 125; // }
    } else {
      pos = K_SPOT_NULL(out, pos);
    }
    pos = K_ROWS(out, pos);
    const rows = t.rowHead.length;
    for (let r = 0; r < rows; r++) {
      const rowHead = t.rowHead[r]!;
      const peHead = t.peHead[r]!;
      const need = pos + rowHead.length + peHead.length + 2 * LEG_MAX_BYTES + 4;
      if (need > out.length) out = this.ensure(pos, need);
      pos = writeBytes(out, pos, rowHead);
      const ce = t.ceSlot[r]!;
      if (ce >= 0) {
        if (cacheLegs) pos = writeCachedLeg(out, pos, table, t, 2 * r, ce, scratch);
        else {
          table.readSlot(ce, scratch, 0, LEG_FIELD_COUNT);
          pos = writeLeg(out, pos, scratch);
        }
      }
      pos = writeBytes(out, pos, peHead);
      const pe = t.peSlot[r]!;
      if (pe >= 0) {
        if (cacheLegs) pos = writeCachedLeg(out, pos, table, t, 2 * r + 1, pe, scratch);
        else {
          table.readSlot(pe, scratch, 0, LEG_FIELD_COUNT);
          pos = writeLeg(out, pos, scratch);
        }
      }
      out[pos++] = 125; // } of the row
    }
    out = this.ensure(pos, pos + 2);
    out[pos++] = 93; // ]
    out[pos++] = 125; // }
    return {
      format: 'json',
      bytes: copyInto(out.subarray(0, pos), reuse),
      generation,
      servedAt,
      servedAtOffset: Number.isSafeInteger(servedAt) && servedAt >= 0 ? servedAtOffset : -1,
    };
  }

  patchServedAt(encoded: EncodedChain, servedAt: number): boolean {
    if (encoded.servedAtOffset < 0) return false;
    if (!patchUint(encoded.bytes, encoded.servedAtOffset, servedAt, digitCount(encoded.servedAt))) return false;
    encoded.servedAt = servedAt;
    return true;
  }

  /** Returns the output buffer with at least `need` bytes, keeping the first `pos`. */
  private ensure(pos: number, need: number): Uint8Array {
    if (need <= this.out.length) return this.out;
    const bigger = new Uint8Array(Math.max(need, this.out.length * 2));
    bigger.set(this.out.subarray(0, pos));
    this.out = bigger;
    return bigger;
  }

  private template(market: Market, chain: Chain): JsonTemplate {
    let t = this.templates.get(chain);
    if (!t) {
      t = buildTemplate(market, chain);
      this.templates.set(chain, t);
    }
    return t;
  }
}

/** A leg through the leg cache (see {@link JsonChainEncoder}). */
function writeCachedLeg(out: Uint8Array, pos: number, table: PriceTable, t: JsonTemplate, i: number, slot: number, scratch: Float64Array): number {
  const v = table.version(slot);
  if (v === t.legVersion[i] && (v & 1) === 0) return writeBytes(out, pos, t.legBytes[i]!);
  table.readSlot(slot, scratch, 0, LEG_FIELD_COUNT);
  const start = pos;
  pos = writeLeg(out, pos, scratch);
  // Only a read that began and ended at the same even version describes that version.
  if ((v & 1) === 0 && table.version(slot) === v) {
    const arena = (t.arena ??= new Uint8Array(t.legVersion.length * LEG_MAX_BYTES));
    const at = i * LEG_MAX_BYTES;
    arena.set(out.subarray(start, pos), at);
    t.legBytes[i] = arena.subarray(at, at + (pos - start));
    t.legVersion[i] = v;
  }
  return pos;
}

/** Writes a leg's values after its head (which ends in `"ltp":`), then `}`. */
function writeLeg(out: Uint8Array, pos: number, f: Float64Array): number {
  pos = writePriceField(out, pos, f[0]!);
  pos = K_BID(out, pos);
  pos = writePriceField(out, pos, f[1]!);
  pos = K_ASK(out, pos);
  pos = writePriceField(out, pos, f[2]!);
  pos = K_BID_QTY(out, pos);
  pos = writeIntField(out, pos, f[3]!);
  pos = K_ASK_QTY(out, pos);
  pos = writeIntField(out, pos, f[4]!);
  pos = K_VOLUME(out, pos);
  pos = writeIntField(out, pos, f[5]!);
  pos = K_OI(out, pos);
  pos = writeIntField(out, pos, f[6]!);
  pos = K_PREV_CLOSE(out, pos);
  pos = writePriceField(out, pos, f[7]!);
  pos = K_LTT(out, pos);
  pos = writeIntField(out, pos, f[8]!);
  pos = K_UPDATED_AT(out, pos);
  pos = writeIntField(out, pos, f[9]!);
  out[pos] = 125;
  return pos + 1;
}

function buildTemplate(market: Market, chain: Chain): JsonTemplate {
  const skeleton = market.skeleton;
  const u = skeleton.underlyings[chain.underlyingIndex]!;
  const head = utf8(
    `{"symbol":${JSON.stringify(chain.symbol)},"exchange":${JSON.stringify(chain.exchange)},"expiry":${JSON.stringify(chain.expiry)},` +
      `"tags":${JSON.stringify(chain.tags)},"tradingDate":${JSON.stringify(skeleton.tradingDate)},"generation":`,
  );
  const spotHead = u.spot ? utf8(`,"spot":{"securityId":${u.spot.securityId},"segment":${JSON.stringify(u.spot.segment)},"ltp":`) : null;
  const n = chain.rows.length;
  const rowHead: Uint8Array[] = new Array<Uint8Array>(n);
  const peHead: Uint8Array[] = new Array<Uint8Array>(n);
  const ceSlot = new Int32Array(n);
  const peSlot = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const row = chain.rows[r]!;
    const legHead = (c: { securityId: number; lotSize: number } | null): string => (c ? `{"securityId":${c.securityId},"lotSize":${c.lotSize},"ltp":` : 'null');
    rowHead[r] = utf8(`${r > 0 ? ',' : ''}{"strike":${JSON.stringify(row.strike)},"ce":${legHead(row.ce)}`);
    peHead[r] = utf8(`,"pe":${legHead(row.pe)}`);
    ceSlot[r] = row.ce ? row.ce.slot : -1;
    peSlot[r] = row.pe ? row.pe.slot : -1;
  }
  return {
    head, spotHead, spotSlot: u.spot ? u.spot.slot : -1, rowHead, peHead, ceSlot, peSlot,
    table: null, legVersion: new Int32Array(2 * n).fill(-1), legBytes: new Array<Uint8Array | undefined>(2 * n), arena: null,
  };
}
