/**
 * `MarginCache[userId][positionSetHash] = {margin, computedAt}` (issue 7, docs/contract.md §6): per user,
 * per canonical position set, with a TTL. Entries expire lazily on read; each user keeps at most
 * `maxPerUser` sets (oldest dropped first) so a user who probes many what-if baskets cannot grow
 * the worker's heap without bound.
 *
 * @module
 */
import type { MarginFigures } from './dhan-margin-api.js';

/** One cached margin. */
export interface CacheEntry {
  readonly margin: MarginFigures;
  /** Unix ms when Dhan answered. */
  readonly computedAt: number;
}

/** The per-user, per-set margin cache. */
export class MarginCache {
  private readonly users = new Map<number, Map<string, CacheEntry>>();
  private readonly ttlMs: number;
  private readonly maxPerUser: number;
  private readonly now: () => number;

  constructor(ttlMs: number, now: () => number = Date.now, maxPerUser = 64) {
    this.ttlMs = ttlMs;
    this.now = now;
    this.maxPerUser = maxPerUser;
  }

  /** A fresh entry, or undefined (an expired one is dropped). */
  get(userId: number, hash: string): CacheEntry | undefined {
    const sets = this.users.get(userId);
    const e = sets?.get(hash);
    if (e === undefined) return undefined;
    if (this.now() - e.computedAt >= this.ttlMs) {
      sets!.delete(hash);
      return undefined;
    }
    return e;
  }

  set(userId: number, hash: string, entry: CacheEntry): void {
    let sets = this.users.get(userId);
    if (sets === undefined) this.users.set(userId, (sets = new Map()));
    sets.delete(hash);
    sets.set(hash, entry);
    while (sets.size > this.maxPerUser) sets.delete(sets.keys().next().value as string);
  }

  /** The user's set changed: every other set's entry is dropped (docs/contract.md §6 invalidation). */
  invalidate(userId: number, keepHash?: string): void {
    const sets = this.users.get(userId);
    if (sets === undefined) return;
    for (const h of [...sets.keys()]) if (h !== keepHash) sets.delete(h);
    if (sets.size === 0) this.users.delete(userId);
  }

  /** Entries held (expired ones included until read). */
  get size(): number {
    let n = 0;
    for (const s of this.users.values()) n += s.size;
    return n;
  }
}
