/**
 * Serialization cache keyed by (chain, format, generation) (engineering.md §1.2, §2.6: with
 * per-request serialization the HTTP server barely matters; cache the bytes per version).
 *
 * - Identical requests between ticks get the cached bytes; only `servedAt` is rewritten in
 *   place (it is the time the body is served; every other byte is equal, as contract §5
 *   promises for equal generations).
 * - A changed generation rebuilds once: builds are synchronous on the server thread, so
 *   the first request after a tick rebuilds and concurrent ones find the new entry.
 * - The generation is read before the build and checked after it. If a tick landed during
 *   the build (the feed writes from other threads), the body is rebuilt (up to
 *   {@link MAX_BUILD_ATTEMPTS} times) so a cached body never mixes two generations'
 *   worth of ticks under one label; after that the last build is served uncached.
 *
 * - A rebuild writes into the memory of the body it replaces (see ChainEncoder.encode).
 *
 * One cache belongs to one {@link Market}; a rollover makes a new market and a new cache.
 *
 * @module
 */
import type { Chain } from '../skeleton/types.js';
import type { ChainEncoder, ChainFormat, EncodedChain } from './chain-encoder.js';
import type { Market } from './market.js';

/** Builds attempted before serving an unstable chain uncached. */
export const MAX_BUILD_ATTEMPTS = 3;

/** Hooks for metrics (the HTTP layer wires them to prom-client). */
export interface ChainCacheObserver {
  hit(format: ChainFormat): void;
  /** A build happened; `seconds` is its duration. */
  miss(format: ChainFormat, seconds: number): void;
}

/** Options of a {@link ChainCache}. */
export interface ChainCacheOptions {
  /** Clock for servedAt, Unix ms (tests pin it). */
  readonly now?: () => number;
  readonly observer?: ChainCacheObserver;
}

/** Cached encoded chains of one market. */
export class ChainCache {
  readonly market: Market;
  private readonly encoders: Readonly<Record<ChainFormat, ChainEncoder>>;
  private readonly entries: Record<ChainFormat, (EncodedChain | undefined)[]>;
  private readonly now: () => number;
  private readonly observer: ChainCacheObserver | undefined;

  constructor(market: Market, encoders: Readonly<Record<ChainFormat, ChainEncoder>>, options: ChainCacheOptions = {}) {
    this.market = market;
    this.encoders = encoders;
    const n = market.skeleton.chains.length;
    this.entries = { json: new Array<EncodedChain | undefined>(n), flatbuffers: new Array<EncodedChain | undefined>(n) };
    this.now = options.now ?? Date.now;
    this.observer = options.observer;
  }

  /**
   * The body of `chain` in `format` at the chain's current generation, servedAt = now. The
   * returned bytes belong to the cache: send or copy them before the next call.
   */
  get(chain: Chain, format: ChainFormat): EncodedChain {
    const table = this.market.table;
    const encoder = this.encoders[format];
    const entries = this.entries[format];
    const servedAt = this.now();
    let generation = table.generation(chain.index);
    const cached = entries[chain.index];
    if (cached !== undefined && cached.generation === generation && (cached.servedAt === servedAt || encoder.patchServedAt(cached, servedAt))) {
      this.observer?.hit(format);
      return cached;
    }
    const t0 = performance.now();
    // The stale entry's memory is reused for the new body (no fresh allocation per tick), so
    // the entry is dropped first: it must never describe bytes it no longer holds.
    let reuse = cached?.bytes;
    entries[chain.index] = undefined;
    let built: EncodedChain | undefined;
    for (let attempt = 0; attempt < MAX_BUILD_ATTEMPTS; attempt++) {
      built = encoder.encode(this.market, chain, generation, servedAt, reuse);
      reuse = built.bytes;
      const after = table.generation(chain.index);
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
  }
}
