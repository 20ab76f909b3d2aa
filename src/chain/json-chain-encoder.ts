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
import { FIELD_COUNT, F } from '../price-table/layout.js';
import type { PriceTable } from '../price-table/price-table.js';
import type { AnalyticsTable } from '../price-table/analytics-table.js';
import { AC, AL, copyWords, legOffset } from '../price-table/analytics-layout.js';
import { ANALYTICS_SIG_DIGITS, IV_PRICE_DECIMALS } from './quote-rounding.js';
import { forwardSourceName, ivFromName, ivNullReasonName } from './analytics-names.js';
import { CONTENT_TYPES, copyInto, type ChainEncoder, type EncodedChain } from './chain-encoder.js';
import {
  MAX_NUMBER_BYTES,
  compileLiteral,
  digitCount,
  patchUint,
  utf8,
  writeBytes,
  writeFixedField,
  writeIntField,
  writePriceField,
  writeSigField,
} from './json-bytes.js';
import type { Market } from './market.js';
import { FIELD_LTP, FIELD_UPDATED_AT } from './quote-rounding.js';

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
  /** Analytics cache: the table and block version the legs' analytics bytes were rendered from (-1 = none). */
  anaTable: AnalyticsTable | null;
  anaVersion: number;
  /** Analytics cache: each leg's rendered IV/Greeks keys (views into `anaArena`). */
  readonly anaBytes: (Uint8Array | undefined)[];
  anaArena: Uint8Array | null;
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
const K_OI_CHANGE = compileLiteral(',"oiChange":');
const K_IV = compileLiteral(',"iv":');
const K_DELTA = compileLiteral(',"delta":');
const K_GAMMA = compileLiteral(',"gamma":');
const K_THETA = compileLiteral(',"theta":');
const K_VEGA = compileLiteral(',"vega":');
const K_IV_PRICE = compileLiteral(',"ivPrice":');
const K_IV_FROM = compileLiteral(',"ivFrom":');
const K_IV_NULL = compileLiteral(',"ivNullReason":');
const K_ANALYTICS = compileLiteral(',"analytics":{"generation":');
const K_ANALYTICS_NULL = compileLiteral(',"analytics":null');
const K_A_PRICE_GEN = compileLiteral(',"priceGeneration":');
const K_A_COMPUTED_AT = compileLiteral(',"computedAt":');
const K_A_AS_OF = compileLiteral(',"asOf":');
const K_A_T = compileLiteral(',"yearsToExpiry":');
const K_A_FORWARD = compileLiteral(',"forward":');
const K_A_FORWARD_SOURCE = compileLiteral(',"forwardSource":');
const K_A_PARITY_PAIRS = compileLiteral(',"parityPairs":');
const K_A_ATM_STRIKE = compileLiteral(',"atmStrike":');
const K_A_ATM_IV = compileLiteral(',"atmIv":');
const K_A_PCR_OI = compileLiteral(',"pcrOi":');
const K_A_PCR_VOLUME = compileLiteral(',"pcrVolume":');
const K_A_MAX_PAIN = compileLiteral(',"maxPain":');
const K_A_CE_OI = compileLiteral(',"ceOi":');
const K_A_PE_OI = compileLiteral(',"peOi":');
const K_A_CE_OI_CHANGE = compileLiteral(',"ceOiChange":');
const K_A_PE_OI_CHANGE = compileLiteral(',"peOiChange":');
/** Every leg's analytics keys while analytics are off (OPTCHAIN_ANALYTICS=off). */
const OFF_LEG = utf8(',"iv":null,"delta":null,"gamma":null,"theta":null,"vega":null,"ivPrice":null,"ivFrom":null,"ivNullReason":"off"');

/** Bytes of the keys of one leg after `"ltp":`, plus the closing brace. */
const LEG_KEY_BYTES = ',"bid":,"ask":,"bidQty":,"askQty":,"volume":,"oi":,"prevClose":,"ltt":,"updatedAt":,"oiChange":}'.length;
/** Upper bound of one leg's quote values and keys after its head. */
const LEG_MAX_BYTES = LEG_KEY_BYTES + 11 * MAX_NUMBER_BYTES;
/** Upper bound of one leg's analytics keys and values (the longest reason name is 15 bytes). */
const ANA_MAX_BYTES = OFF_LEG.length + 6 * MAX_NUMBER_BYTES + 24;
/** Upper bound of the chain's `"analytics":{…}` object. */
const ANA_CHAIN_MAX_BYTES = 320 + 16 * MAX_NUMBER_BYTES;

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
  /** A chain's analytics block copy (grown to the largest chain seen). */
  private ana = new Float64Array(0);
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
    const analytics = market.analytics;
    // One consistent copy of the chain's analytics (a per-chain seqlock): every leg's IV
    // below belongs to the forward and ATM figures printed here.
    let anaVersion = -1;
    let anaCached = false;
    if (analytics !== null) {
      const words = copyWords(analytics.rows[chain.index]!);
      if (this.ana.length < words) this.ana = new Float64Array(words);
      anaVersion = analytics.readChain(chain.index, this.ana);
      anaCached = cacheLegs && anaVersion >= 0 && t.anaTable === analytics && t.anaVersion === anaVersion;
      if (!anaCached) {
        t.anaTable = analytics;
        t.anaVersion = -1;
      }
      out = this.ensure(pos, pos + ANA_CHAIN_MAX_BYTES);
      pos = K_ANALYTICS(out, pos);
      pos = writeIntField(out, pos, analytics.generation(chain.index));
      pos = writeChainAnalytics(out, pos, this.ana);
    } else {
      out = this.ensure(pos, pos + 32);
      pos = K_ANALYTICS_NULL(out, pos);
    }
    const ana = this.ana;
    pos = K_ROWS(out, pos);
    const rows = t.rowHead.length;
    for (let r = 0; r < rows; r++) {
      const rowHead = t.rowHead[r]!;
      const peHead = t.peHead[r]!;
      const need = pos + rowHead.length + peHead.length + 2 * (LEG_MAX_BYTES + ANA_MAX_BYTES) + 4;
      if (need > out.length) out = this.ensure(pos, need);
      pos = writeBytes(out, pos, rowHead);
      const ce = t.ceSlot[r]!;
      if (ce >= 0) {
        if (cacheLegs) pos = writeCachedLeg(out, pos, table, t, 2 * r, ce, scratch);
        else {
          table.readSlot(ce, scratch, 0, FIELD_COUNT);
          pos = writeLeg(out, pos, scratch);
        }
        pos = analytics === null ? writeBytes(out, pos, OFF_LEG) : writeLegAnalytics(out, pos, t, 2 * r, ana, anaCached, anaVersion >= 0 && cacheLegs);
        out[pos++] = 125;
      }
      pos = writeBytes(out, pos, peHead);
      const pe = t.peSlot[r]!;
      if (pe >= 0) {
        if (cacheLegs) pos = writeCachedLeg(out, pos, table, t, 2 * r + 1, pe, scratch);
        else {
          table.readSlot(pe, scratch, 0, FIELD_COUNT);
          pos = writeLeg(out, pos, scratch);
        }
        pos = analytics === null ? writeBytes(out, pos, OFF_LEG) : writeLegAnalytics(out, pos, t, 2 * r + 1, ana, anaCached, anaVersion >= 0 && cacheLegs);
        out[pos++] = 125;
      }
      out[pos++] = 125; // } of the row
    }
    if (analytics !== null && !anaCached && anaVersion >= 0 && cacheLegs) t.anaVersion = anaVersion;
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
  table.readSlot(slot, scratch, 0, FIELD_COUNT);
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

/** Writes a leg's quote values after its head (which ends in `"ltp":`), up to `oiChange` (no `}`: the analytics keys follow). */
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
  pos = K_OI_CHANGE(out, pos);
  // Today's OI against the previous session's closing OI (the Prev Close packet, docs/dhan-protocol.md §2); null when either is missing.
  return writeIntField(out, pos, f[6]! - f[F.PREV_OI - 1]!);
}

/** The chain's analytics fields after `"generation":N` (copy-shaped block `a`), then `}`. */
function writeChainAnalytics(out: Uint8Array, pos: number, a: Float64Array): number {
  pos = K_A_PRICE_GEN(out, pos);
  pos = writeIntField(out, pos, a[AC.PRICE_GENERATION - 1]!);
  pos = K_A_COMPUTED_AT(out, pos);
  pos = writeIntField(out, pos, a[AC.COMPUTED_AT - 1]!);
  pos = K_A_AS_OF(out, pos);
  pos = writeIntField(out, pos, a[AC.AS_OF - 1]!);
  pos = K_A_T(out, pos);
  pos = writeSigField(out, pos, a[AC.T - 1]!, 10);
  pos = K_A_FORWARD(out, pos);
  pos = writeFixedField(out, pos, a[AC.FORWARD - 1]!, IV_PRICE_DECIMALS);
  pos = K_A_FORWARD_SOURCE(out, pos);
  pos = writeBytes(out, pos, forwardSourceName(a[AC.FORWARD_SOURCE - 1]!));
  pos = K_A_PARITY_PAIRS(out, pos);
  pos = writeIntField(out, pos, a[AC.PARITY_PAIRS - 1]!);
  pos = K_A_ATM_STRIKE(out, pos);
  pos = writePriceField(out, pos, a[AC.ATM_STRIKE - 1]!);
  pos = K_A_ATM_IV(out, pos);
  pos = writeSigField(out, pos, a[AC.ATM_IV - 1]!, ANALYTICS_SIG_DIGITS);
  pos = K_A_PCR_OI(out, pos);
  pos = writeSigField(out, pos, a[AC.PCR_OI - 1]!, ANALYTICS_SIG_DIGITS);
  pos = K_A_PCR_VOLUME(out, pos);
  pos = writeSigField(out, pos, a[AC.PCR_VOLUME - 1]!, ANALYTICS_SIG_DIGITS);
  pos = K_A_MAX_PAIN(out, pos);
  pos = writePriceField(out, pos, a[AC.MAX_PAIN - 1]!);
  pos = K_A_CE_OI(out, pos);
  pos = writeIntField(out, pos, a[AC.CE_OI - 1]!);
  pos = K_A_PE_OI(out, pos);
  pos = writeIntField(out, pos, a[AC.PE_OI - 1]!);
  pos = K_A_CE_OI_CHANGE(out, pos);
  pos = writeIntField(out, pos, a[AC.CE_OI_CHANGE - 1]!);
  pos = K_A_PE_OI_CHANGE(out, pos);
  pos = writeIntField(out, pos, a[AC.PE_OI_CHANGE - 1]!);
  out[pos] = 125;
  return pos + 1;
}

/**
 * Leg `i`'s analytics keys from the block copy `a`, or its bytes rendered at the same block
 * version by an earlier build (`cached`). `store`: keep what is rendered for the next build.
 */
function writeLegAnalytics(out: Uint8Array, pos: number, t: JsonTemplate, i: number, a: Float64Array, cached: boolean, store: boolean): number {
  if (cached) return writeBytes(out, pos, t.anaBytes[i]!);
  const start = pos;
  const o = legOffset(i);
  const code = a[o + AL.CODE]!;
  pos = K_IV(out, pos);
  pos = writeSigField(out, pos, a[o + AL.IV]!, ANALYTICS_SIG_DIGITS);
  pos = K_DELTA(out, pos);
  pos = writeSigField(out, pos, a[o + AL.DELTA]!, ANALYTICS_SIG_DIGITS);
  pos = K_GAMMA(out, pos);
  pos = writeSigField(out, pos, a[o + AL.GAMMA]!, ANALYTICS_SIG_DIGITS);
  pos = K_THETA(out, pos);
  pos = writeSigField(out, pos, a[o + AL.THETA]!, ANALYTICS_SIG_DIGITS);
  pos = K_VEGA(out, pos);
  pos = writeSigField(out, pos, a[o + AL.VEGA]!, ANALYTICS_SIG_DIGITS);
  pos = K_IV_PRICE(out, pos);
  pos = writeFixedField(out, pos, a[o + AL.PRICE]!, IV_PRICE_DECIMALS);
  pos = K_IV_FROM(out, pos);
  pos = writeBytes(out, pos, ivFromName(code));
  pos = K_IV_NULL(out, pos);
  pos = writeBytes(out, pos, ivNullReasonName(code));
  if (store) {
    const arena = (t.anaArena ??= new Uint8Array(t.legVersion.length * ANA_MAX_BYTES));
    const at = i * ANA_MAX_BYTES;
    arena.set(out.subarray(start, pos), at);
    t.anaBytes[i] = arena.subarray(at, at + (pos - start));
  }
  return pos;
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
    anaTable: null, anaVersion: -1, anaBytes: new Array<Uint8Array | undefined>(2 * n), anaArena: null,
  };
}
