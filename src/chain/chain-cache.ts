/**
 * Serialization cache keyed by (chain, format, generation) (docs/engineering.md §1.2, §2.6: with
 * per-request serialization the HTTP server barely matters; cache the bytes per version).
 *
 * - Identical requests between ticks get the cached bytes; only `servedAt` is rewritten in
 *   place (it is the time the body is served; every other byte is equal, as docs/contract.md §5
 *   promises for equal generations).
 * - A changed generation rebuilds once: builds are synchronous on the server thread, so
 *   the first request after a tick rebuilds and concurrent ones find the new entry.
 * - The generation is read before the build and checked after it. If a tick landed during
 *   the build (the feed writes from other threads), the body is rebuilt (up to
 *   {@link MAX_BUILD_ATTEMPTS} times) so a cached body never mixes two generations'
 *   worth of ticks under one label; after that the last build is served uncached.
 *
 * - A rebuild writes into the memory of the body it replaces (see ChainEncoder.encode), and a
 *   servedAt patch writes into the body itself, unless the body was lent
 *   ({@link ChainRepresentations.retain}: an HTTP backend still sends from it): a lent body's
 *   memory is never written again; its entry moves to a copy at its next patch or rebuild.
 *
 * - Representations (see {@link ChainCache.representations}): each cached body gets its weak
 *   entity tag, derived from the cache key (market, generation, format), and compressed
 *   copies (gzip, br) made on first demand, once per (chain, format, generation, coding).
 *   A compressed copy keeps the `servedAt` of the moment it was made: patching a number
 *   inside a compressed stream is not possible without compressing again, which is what the
 *   cache exists to avoid (README "Caching, ETag and compression" states this for users).
 *
 * One cache belongs to one {@link Market}; a rollover makes a new market and a new cache.
 *
 * @module
 */
import type { Chain } from '../skeleton/types.js';
import { compressSync, type ContentEncoding } from './body-compression.js';
import { copyInto, type ChainEncoder, type ChainFormat, type EncodedChain } from './chain-encoder.js';
import { nextMarketTag, weakTag } from './entity-tag.js';
import type { Market } from './market.js';

/** Builds attempted before serving an unstable chain uncached. */
export const MAX_BUILD_ATTEMPTS = 3;

/** Hooks for metrics (the HTTP layer wires them to prom-client). */
export interface ChainCacheObserver {
  hit(format: ChainFormat): void;
  /** A build happened; `seconds` is its duration. */
  miss(format: ChainFormat, seconds: number): void;
  /** A compressed copy was made; `seconds` is its duration. */
  compressed?(format: ChainFormat, encoding: ContentEncoding, seconds: number): void;
}

/** A body ready to send with its entity tag. */
export interface ServedBody {
  /** The body (owned by the cache: send or copy it before the next call). */
  readonly bytes: Uint8Array;
  /** Its weak entity tag. */
  readonly etag: string;
  /** The chain generation it carries. */
  readonly generation: number;
}

/** The representations of one chain body (one format, one cache key). */
export interface ChainRepresentations {
  /** The uncompressed body, servedAt = the time of the {@link ChainCache.representations} call. */
  readonly identity: ServedBody;
  /** Entity tag per coding (known before anything is compressed, for `If-None-Match`). */
  readonly etags: Readonly<Record<ContentEncoding, string>>;
  /**
   * Lends `identity.bytes` to whoever still reads them after the call that got them (an HTTP
   * backend whose send did not complete at once: FastReply.retain): the cache never writes
   * that memory again. Costs one copy at the entry's next patch or rebuild, instead of a copy
   * per answer.
   */
  readonly retain: () => void;
}

interface Representations extends ChainRepresentations {
  /** False for a body served uncached (unstable chain): its copies are not kept either. */
  readonly cached: boolean;
  readonly compressed: Partial<Record<ContentEncoding, ServedBody>>;
}

/** The entity tags of one chain and format at one generation, per coding (ChainCache.currentTags). */
export interface CurrentTags {
  readonly generation: number;
  /** `generation` as decimal text (the `x-optchain-generation` header). */
  readonly generationText: string;
  readonly identity: string;
  readonly gzip: string;
  readonly br: string;
}

const FORMAT_TAG: Readonly<Record<ChainFormat, string>> = { json: 'j', flatbuffers: 'f' };

/** Options of a {@link ChainCache}. */
export interface ChainCacheOptions {
  /** Clock for servedAt, Unix ms (tests pin it). */
  readonly now?: () => number;
  readonly observer?: ChainCacheObserver;
  /** Prefix of every entity tag (default: a fresh one per cache, see entity-tag.ts). */
  readonly tagPrefix?: string;
}

/** Cached encoded chains of one market. */
export class ChainCache {
  readonly market: Market;
  private readonly encoders: Readonly<Record<ChainFormat, ChainEncoder>>;
  private readonly entries: Record<ChainFormat, (EncodedChain | undefined)[]>;
  private readonly now: () => number;
  private readonly observer: ChainCacheObserver | undefined;
  private readonly tagPrefix: string;
  private readonly reps: Record<ChainFormat, (Representations | undefined)[]>;
  private readonly tags: Record<ChainFormat, (CurrentTags | undefined)[]>;
  /** Memory of bodies lent out ({@link ChainRepresentations.retain}): never written again. */
  private readonly lent = new WeakSet<ArrayBufferLike>();

  constructor(market: Market, encoders: Readonly<Record<ChainFormat, ChainEncoder>>, options: ChainCacheOptions = {}) {
    this.market = market;
    this.encoders = encoders;
    const n = market.skeleton.chains.length;
    this.entries = { json: new Array<EncodedChain | undefined>(n), flatbuffers: new Array<EncodedChain | undefined>(n) };
    this.now = options.now ?? Date.now;
    this.observer = options.observer;
    this.tagPrefix = options.tagPrefix ?? nextMarketTag();
    this.reps = { json: new Array<Representations | undefined>(n), flatbuffers: new Array<Representations | undefined>(n) };
    this.tags = { json: new Array<CurrentTags | undefined>(n), flatbuffers: new Array<CurrentTags | undefined>(n) };
  }

  /**
   * The body of `chain` in `format` at its current generation (as {@link get}) with its
   * entity tags. Allocates only when the body was rebuilt.
   */
  representations(chain: Chain, format: ChainFormat): ChainRepresentations {
    const body = this.get(chain, format);
    const reps = this.reps[format];
    const r = reps[chain.index];
    if (r !== undefined && r.identity.bytes === body.bytes && r.identity.generation === body.generation && r.cached) return r;
    const cached = this.entries[format][chain.index] === body;
    const lend = this.lent;
    const memory = body.bytes.buffer;
    const retain = (): void => {
      lend.add(memory);
    };
    if (r !== undefined && r.identity.generation === body.generation && r.cached && cached) {
      // Same body moved to fresh memory (it was lent): same tags, same compressed copies.
      const moved: Representations = { ...r, identity: { ...r.identity, bytes: body.bytes }, retain };
      reps[chain.index] = moved;
      return moved;
    }
    const key = this.cacheKey(body);
    const fresh: Representations = {
      identity: { bytes: body.bytes, etag: weakTag(key), generation: body.generation },
      etags: { gzip: weakTag(`${key}-gzip`), br: weakTag(`${key}-br`) },
      retain,
      cached,
      compressed: {},
    };
    reps[chain.index] = cached ? fresh : undefined;
    return fresh;
  }

  /**
   * The entity tags the body of `chain` in `format` has at the chain's current generation, per
   * content coding, without building, patching or compressing anything: what a conditional
   * request is checked against, so a 304 costs a generation read (issue 12: a 304 must cost
   * no more than the hello route). Equal to the tag {@link representations} would give, as
   * both come from {@link cacheKey}. The strings are kept per chain until the generation moves.
   */
  currentTags(chain: Chain, format: ChainFormat): CurrentTags {
    // The body's generation (price + analytics, Market.generation), as cacheKey uses: the price
    // generation alone never matched a body's tag with analytics on, and could equal an older
    // body's sum (a 304 for stale data).
    const generation = this.market.generation(chain.index);
    const tags = this.tags[format];
    let t = tags[chain.index];
    if (t === undefined || t.generation !== generation) {
      const key = this.keyOf(generation, format);
      t = { generation, generationText: String(generation), identity: weakTag(key), gzip: weakTag(`${key}-gzip`), br: weakTag(`${key}-br`) };
      tags[chain.index] = t;
    }
    return t;
  }

  /**
   * The body in `encoding`: compressed from the identity body the first time it is asked for
   * at this cache key, then served from the cache. `r` must come from {@link representations}
   * just before (it carries the body this copy is made of).
   */
  compressed(chain: Chain, format: ChainFormat, r: ChainRepresentations, encoding: ContentEncoding): ServedBody {
    const reps = r as Representations;
    const have = reps.compressed[encoding];
    if (have !== undefined) return have;
    const t0 = performance.now();
    const out: ServedBody = { bytes: compressSync(reps.identity.bytes, encoding, format === 'json'), etag: reps.etags[encoding], generation: reps.identity.generation };
    this.observer?.compressed?.(format, encoding, (performance.now() - t0) / 1000);
    if (reps.cached && this.reps[format][chain.index] === reps) reps.compressed[encoding] = out;
    return out;
  }

  /**
   * The cache key of a body as entity-tag text: market, generation (price + analytics, see
   * {@link Market.generation}), format. Every field that
   * decides whether a cached body is current belongs here, so a tag changes exactly when the
   * body does.
   */
  private cacheKey(body: EncodedChain): string {
    return this.keyOf(body.generation, body.format);
  }

  private keyOf(generation: number, format: ChainFormat): string {
    return `${this.tagPrefix}-${generation.toString(36)}${FORMAT_TAG[format]}`;
  }

  /**
   * The body of `chain` in `format` at the chain's current generation, servedAt = now. The
   * returned bytes belong to the cache: send or copy them before the next call.
   */
  get(chain: Chain, format: ChainFormat): EncodedChain {
    const market = this.market;
    const encoder = this.encoders[format];
    const entries = this.entries[format];
    const servedAt = this.now();
    let generation = market.generation(chain.index);
    let cached = entries[chain.index];
    if (cached !== undefined && cached.generation === generation) {
      if (cached.servedAt === servedAt) {
        this.observer?.hit(format);
        return cached;
      }
      if (this.lent.has(cached.bytes.buffer)) {
        cached = { ...cached, bytes: copyInto(cached.bytes, undefined) };
        entries[chain.index] = cached;
      }
      if (encoder.patchServedAt(cached, servedAt)) {
        this.observer?.hit(format);
        return cached;
      }
    }
    const t0 = performance.now();
    // The stale entry's memory is reused for the new body (no fresh allocation per tick), so
    // the entry is dropped first: it must never describe bytes it no longer holds. Memory
    // still lent to a backend is never reused.
    let reuse = cached === undefined || this.lent.has(cached.bytes.buffer) ? undefined : cached.bytes;
    entries[chain.index] = undefined;
    let built: EncodedChain | undefined;
    for (let attempt = 0; attempt < MAX_BUILD_ATTEMPTS; attempt++) {
      built = encoder.encode(this.market, chain, generation, servedAt, reuse);
      reuse = built.bytes;
      const after = market.generation(chain.index);
      if (after === generation) {
        entries[chain.index] = built;
        break;
      }
      generation = after;
    }
    this.observer?.miss(format, (performance.now() - t0) / 1000);
    return built!;
  }

  /** Drops every cached body (not needed for correctness; for memory pressure or tests). */
  clear(): void {
    this.entries.json.fill(undefined);
    this.entries.flatbuffers.fill(undefined);
    this.reps.json.fill(undefined);
    this.reps.flatbuffers.fill(undefined);
    this.tags.json.fill(undefined);
    this.tags.flatbuffers.fill(undefined);
  }
}
