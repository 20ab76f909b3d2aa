/**
 * `/v1/snapshot` bodies without letting snapshot requests starve chain serving (issue 15
 * item 1: twenty snapshot connections cut chain throughput ÷350, because the whole universe
 * was encoded on the main thread for every request, HEAD included).
 *
 * - **Cached per (symbol set, generation vector)**: a body is served again while no chain of
 *   its set has a new generation (checked per request: one Int32 read per chain).
 * - **Built incrementally**: a build copies each chain's FlatBuffers body out of the chain
 *   cache (SnapshotAssembler), so only chains that ticked since their last encode are
 *   encoded; between slices of at most `sliceMs` the build yields to the event loop, so chain
 *   requests are answered in the middle of a build.
 * - **Bounded**: at most `maxConcurrentBuilds` builds or compressions run at once (default
 *   1); requests for a set whose build is running share it (one build serves them all);
 *   at most `maxWaiting` requests wait at once, past that the answer is 503 SNAPSHOT_BUSY
 *   and the route adds `Retry-After`.
 * - **Rebuild pacing**: while chains tick, a set is rebuilt at most once per
 *   `rebuildFactor` × its last build's event-loop time (default 4: builds take at most ~20 %
 *   of the main thread); a request in between gets the last body built, whose chains each
 *   carry their own generation and whose servedAt says when it was built. Without this,
 *   10k ticks/s across the universe made every request a (near full) rebuild.
 * - **Egress budget**: snapshot bodies leave at most `maxBytesPerSecond` in total (a token
 *   bucket holding one second's worth, or one body if larger); a request waits its turn
 *   (counted in `maxWaiting`). Measured: sending a 3.3 MB body costs the main thread several
 *   ms, so a build bound alone left twenty connections 170 snapshots/s and the chain route
 *   4 % of its quiet throughput (bench/snapshot-flood.bench.mjs).
 * - **HEAD builds nothing** ({@link SnapshotCache.peek}).
 * - Compressed copies (gzip, br) are made once per cached body on libuv's thread pool and
 *   counted as builds for the bound.
 *
 * A cached body is shared by every request that gets it, so it is never patched: its root
 * `servedAt` and each chain's are the time the body was built (README "Caching, ETag and
 * compression").
 *
 * @module
 */
import { ErrorCodes, HttpError } from '../errors.js';
import type { Chain } from '../skeleton/types.js';
import { compressAsync, type ContentEncoding } from './body-compression.js';
import type { ChainCache, ServedBody } from './chain-cache.js';
import { nextMarketTag, weakTag } from './entity-tag.js';
import { SnapshotWriter, snapshotHeaderBytes } from './snapshot-assembler.js';

/** First-build size estimate of a FlatBuffers chain body: fixed part and per strike row (measured: NIFTY 271 rows, 89 KB with analytics). */
const ESTIMATED_CHAIN_BYTES = 2048;
const ESTIMATED_ROW_BYTES = 352;

/** Hooks for metrics and tests. */
export interface SnapshotCacheObserver {
  /** A build finished; `busySeconds` is the event-loop time it took (slices summed). */
  build?(busySeconds: number, chains: number): void;
  /** A request was answered from a cached body. */
  hit?(): void;
  /** A request joined a build another request started. */
  shared?(): void;
  /** A request was refused (too many waiting). */
  refused?(): void;
  compressed?(encoding: ContentEncoding, seconds: number): void;
}

/** Options of a {@link SnapshotCache}. */
export interface SnapshotCacheOptions {
  /** Clock for servedAt, Unix ms. */
  readonly now?: () => number;
  /** Builds and compressions running at once. Default 1. */
  readonly maxConcurrentBuilds?: number;
  /** Requests waiting for a build or a compression at once before 503. Default 64. */
  readonly maxWaiting?: number;
  /** Symbol sets kept (each up to ~3.5 MB). Default 4. */
  readonly maxEntries?: number;
  /** Total snapshot bytes handed out per second. Default 48 MiB (~15 whole-universe snapshots/s). */
  readonly maxBytesPerSecond?: number;
  /** A set is rebuilt at most once per this many times its last build's busy time. Default 4; 0 = always current. */
  readonly rebuildFactor?: number;
  /** Longest stretch of a build without yielding to the event loop, ms. Default 1. */
  readonly sliceMs?: number;
  readonly observer?: SnapshotCacheObserver;
  /** Entity-tag prefix (default: a fresh one, see entity-tag.ts). */
  readonly tagPrefix?: string;
}

/** What HEAD can say without building. */
export interface SnapshotPeek {
  /** The tag a body built now would carry. */
  readonly etag: string;
  /** The body's length when a current body is cached in that coding, else null. */
  readonly length: number | null;
}

interface Entry {
  readonly gens: Float64Array;
  /** performance.now() when the build finished, and its busy time (ms). */
  readonly builtAt: number;
  readonly busyMs: number;
  readonly identity: ServedBody;
  readonly compressed: Partial<Record<ContentEncoding, Promise<ServedBody>>>;
  readonly compressedLength: Partial<Record<ContentEncoding, number>>;
}

/** Snapshot bodies of one market (one per {@link ChainCache}). */
export class SnapshotCache {
  private readonly chainCache: ChainCache;
  private readonly now: () => number;
  private readonly maxConcurrent: number;
  private readonly maxWaiting: number;
  private readonly maxEntries: number;
  private readonly sliceMs: number;
  private readonly rebuildFactor: number;
  private readonly observer: SnapshotCacheObserver | undefined;
  private readonly tagPrefix: string;
  private readonly entries = new Map<string, Entry>();
  private readonly building = new Map<string, Promise<Entry>>();
  private readonly slotQueue: (() => void)[] = [];
  private active = 0;
  private waiting = 0;
  private readonly rate: number;
  private tokens: number;
  private refilledAt = performance.now();
  private egressTail: Promise<void> = Promise.resolve();

  constructor(chainCache: ChainCache, options: SnapshotCacheOptions = {}) {
    this.chainCache = chainCache;
    this.now = options.now ?? Date.now;
    this.maxConcurrent = options.maxConcurrentBuilds ?? 1;
    this.maxWaiting = options.maxWaiting ?? 64;
    this.maxEntries = options.maxEntries ?? 4;
    this.sliceMs = options.sliceMs ?? 1;
    this.rebuildFactor = options.rebuildFactor ?? 4;
    this.observer = options.observer;
    this.tagPrefix = options.tagPrefix ?? nextMarketTag();
    this.rate = options.maxBytesPerSecond ?? 48 * 1024 * 1024;
    this.tokens = this.rate;
  }

  /** Requests waiting for a build or a compression right now. */
  get waitingRequests(): number {
    return this.waiting;
  }

  /**
   * The tag of the body a request for `chains` (identified by `setKey`, which must be equal
   * exactly for equal lists) would get now in `encoding`: the cached body's if it would be
   * served, else the one a build at the current generations would carry. Builds nothing.
   */
  etag(setKey: string, chains: readonly Chain[], encoding: ContentEncoding | 'identity'): string {
    const e = this.usable(setKey, chains);
    if (e !== undefined) return encoding === 'identity' ? e.identity.etag : this.withCoding(e.identity.etag, encoding);
    const market = this.chainCache.market;
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    for (let i = 0; i < chains.length; i++) {
      const g = market.generation(chains[i]!.index);
      h1 = Math.imul(h1 ^ g, 0x01000193) >>> 0;
      h2 = (Math.imul(h2, 31) + g + i) >>> 0;
    }
    return this.tagOf(setKey, chains.length, h1, h2, encoding);
  }

  /** What a HEAD answer can say: the tag, and the length if that body is cached. */
  peek(setKey: string, chains: readonly Chain[], encoding: ContentEncoding | 'identity'): SnapshotPeek {
    const etag = this.etag(setKey, chains, encoding);
    const e = this.usable(setKey, chains);
    const length = e === undefined ? null : encoding === 'identity' ? e.identity.bytes.byteLength : (e.compressedLength[encoding] ?? null);
    return { etag, length };
  }

  /**
   * The body of `chains` in `encoding`: cached if no chain moved, else built (or shared with
   * the build already running for this set). Throws 503 SNAPSHOT_BUSY when `maxWaiting`
   * requests already wait.
   */
  async get(setKey: string, chains: readonly Chain[], encoding: ContentEncoding | 'identity'): Promise<ServedBody> {
    const body = await this.produce(setKey, chains, encoding);
    this.admit();
    await this.waitFor(this.egress(body.bytes.byteLength));
    return body;
  }

  private async produce(setKey: string, chains: readonly Chain[], encoding: ContentEncoding | 'identity'): Promise<ServedBody> {
    let entry = this.usable(setKey, chains);
    if (entry === undefined) {
      let pending = this.building.get(setKey);
      if (pending === undefined) {
        this.admit();
        pending = this.withSlot(() => this.build(setKey, chains));
        this.building.set(setKey, pending);
        const forget = () => {
          if (this.building.get(setKey) === pending) this.building.delete(setKey);
        };
        pending.then(forget, forget);
      } else {
        this.admit();
        this.observer?.shared?.();
      }
      entry = await this.waitFor(pending);
    } else if (encoding === 'identity' || entry.compressed[encoding] !== undefined) {
      this.observer?.hit?.();
    }
    if (encoding === 'identity') return entry.identity;
    let compressed = entry.compressed[encoding];
    if (compressed === undefined) {
      this.admit();
      const e = entry;
      compressed = this.withSlot(async () => {
        const t0 = performance.now();
        const bytes = await compressAsync(e.identity.bytes, encoding);
        this.observer?.compressed?.(encoding, (performance.now() - t0) / 1000);
        e.compressedLength[encoding] = bytes.byteLength;
        return { bytes, etag: this.withCoding(e.identity.etag, encoding), generation: e.identity.generation };
      });
      entry.compressed[encoding] = compressed;
      compressed.catch(() => {
        if (e.compressed[encoding] === compressed) e.compressed[encoding] = undefined;
      });
      return this.waitFor(compressed);
    }
    return this.waitFor(compressed, false);
  }

  /**
   * Takes `bytes` from the egress bucket, waiting (in arrival order) until they are there. The
   * bucket holds one second's worth, or one body if that is larger, so a body bigger than the
   * rate still goes out.
   */
  private egress(bytes: number): Promise<void> {
    const take = async () => {
      for (;;) {
        const t = performance.now();
        this.tokens = Math.min(Math.max(this.rate, bytes), this.tokens + ((t - this.refilledAt) / 1000) * this.rate);
        this.refilledAt = t;
        if (this.tokens >= bytes) {
          this.tokens -= bytes;
          return;
        }
        await new Promise((r) => setTimeout(r, Math.max(1, Math.ceil(((bytes - this.tokens) / this.rate) * 1000))));
      }
    };
    const turn = this.egressTail.then(take);
    this.egressTail = turn;
    return turn;
  }

  /** Drops every cached body. */
  clear(): void {
    this.entries.clear();
  }

  /** The cached body of the set if it is current, or recent enough under the rebuild pacing. */
  private usable(setKey: string, chains: readonly Chain[]): Entry | undefined {
    const e = this.entries.get(setKey);
    if (e === undefined || e.gens.length !== chains.length) return undefined;
    if (performance.now() - e.builtAt < e.busyMs * this.rebuildFactor) return e;
    return this.current(setKey, chains);
  }

  private current(setKey: string, chains: readonly Chain[]): Entry | undefined {
    const e = this.entries.get(setKey);
    if (e === undefined || e.gens.length !== chains.length) return undefined;
    const market = this.chainCache.market;
    for (let i = 0; i < chains.length; i++) if (market.generation(chains[i]!.index) !== e.gens[i]) return undefined;
    return e;
  }

  /** Counts one more waiting request, or refuses it. */
  private admit(): void {
    if (this.waiting >= this.maxWaiting) {
      this.observer?.refused?.();
      throw new HttpError(ErrorCodes.SNAPSHOT_BUSY, `too many snapshot requests in progress (${this.waiting}); retry shortly`);
    }
  }

  private async waitFor<T>(p: Promise<T>, counted = true): Promise<T> {
    if (!counted) return p;
    this.waiting++;
    try {
      return await p;
    } finally {
      this.waiting--;
    }
  }

  private async withSlot<T>(job: () => Promise<T>): Promise<T> {
    // A released slot is handed straight to the next waiter (active stays counted), so a
    // newcomer can never slip in between and exceed the bound.
    if (this.active >= this.maxConcurrent) await new Promise<void>((resolve) => this.slotQueue.push(resolve));
    else this.active++;
    try {
      return await job();
    } finally {
      const next = this.slotQueue.shift();
      if (next) next();
      else this.active--;
    }
  }

  private async build(setKey: string, chains: readonly Chain[]): Promise<Entry> {
    const cache = this.chainCache;
    const tradingDate = cache.market.skeleton.tradingDate;
    const writer = new SnapshotWriter(tradingDate, chains.length, this.memoryFor(setKey, tradingDate, chains));
    const gens = new Float64Array(chains.length);
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    let busy = 0;
    // One pass in slices of at most sliceMs, yielding to the event loop between them: each
    // chain's body is brought up to date (encoded only if it ticked since its last encode) and
    // copied into the message at once, because the chain cache rewrites that memory at its
    // next rebuild. A chain is taken at its generation of that moment (its body says which,
    // and its servedAt when); no pass over every chain runs without a yield (the profile of
    // the flood bench put 40–50 ms stalls there, bench/RESULTS.md 2026-12-03 19:00).
    let sliceStart = performance.now();
    for (let i = 0; i < chains.length; i++) {
      const body = cache.get(chains[i]!, 'flatbuffers');
      writer.append(body.bytes);
      const g = body.generation;
      gens[i] = g;
      h1 = Math.imul(h1 ^ g, 0x01000193) >>> 0;
      h2 = (Math.imul(h2, 31) + g + i) >>> 0;
      const t = performance.now();
      if (t - sliceStart >= this.sliceMs && i + 1 < chains.length) {
        busy += t - sliceStart;
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
    const bytes = writer.finish(this.now());
    busy += performance.now() - sliceStart;
    this.observer?.build?.(busy / 1000, chains.length);
    const entry: Entry = {
      gens,
      builtAt: performance.now(),
      busyMs: busy,
      identity: { bytes, etag: this.tagOf(setKey, chains.length, h1, h2, 'identity'), generation: 0 },
      compressed: {},
      compressedLength: {},
    };
    this.entries.delete(setKey);
    this.entries.set(setKey, entry);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }

  /**
   * Memory for a build of `setKey`: its last size plus an eighth (a chain's body grows when
   * its analytics arrive or a quote goes from never-delivered to priced), or for a first
   * build an estimate from the rows, so the writer rarely has to grow (each growth copies).
   */
  private memoryFor(setKey: string, tradingDate: string, chains: readonly Chain[]): Uint8Array {
    const last = this.entries.get(setKey)?.identity.bytes.byteLength;
    let bytes: number;
    if (last !== undefined) bytes = last + (last >>> 3);
    else {
      bytes = snapshotHeaderBytes(tradingDate, chains.length);
      for (const c of chains) bytes += ESTIMATED_CHAIN_BYTES + ESTIMATED_ROW_BYTES * c.rows.length;
    }
    return new Uint8Array(new ArrayBuffer(bytes));
  }

  private tagOf(setKey: string, n: number, h1: number, h2: number, encoding: ContentEncoding | 'identity'): string {
    const base = `${this.tagPrefix}-s${hashString(setKey).toString(36)}.${n.toString(36)}-${h1.toString(36)}.${h2.toString(36)}`;
    return weakTag(encoding === 'identity' ? base : `${base}-${encoding}`);
  }

  private withCoding(identityTag: string, encoding: ContentEncoding): string {
    return `${identityTag.slice(0, -1)}-${encoding}"`;
  }
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
