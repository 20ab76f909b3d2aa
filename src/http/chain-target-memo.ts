/**
 * What `GET /v1/chains/:symbol?…` requests resolve to, remembered by their raw path and raw
 * query, so a client polling the same chain costs two Map lookups instead of a query parse,
 * validation, symbol decoding and the underlying and expiry lookups per request (and, on uWS,
 * no native read of the path parameter: the request guard read the path already) (issue 12: a
 * 304 must cost no more than the hello route, and on node:http every µs of the route counts
 * against the 80 % of uWS target; bench/RESULTS.md 2026-12-03 http-perf section).
 *
 * - Only successful resolutions are kept (a refused request is resolved, and refused, again).
 * - The resolution depends on the market's skeleton only (chains never change intraday,
 *   docs/contract.md §3), so the memo is emptied when the market it was filled in is replaced.
 * - Bounded: only short keys (what real clients send) are kept, at most {@link MEMO_LIMIT}
 *   of them; when full it starts over. A client that sends many distinct URLs costs the
 *   full resolution per request, as before, and a few hundred KB at most.
 *
 * @module
 */
import type { ChainFormat } from '../chain/chain-encoder.js';
import type { Chain } from '../skeleton/types.js';

/** What a chain request names. */
export interface ChainTarget {
  readonly chain: Chain;
  /** The format asked for by `?format=`; undefined: by the `Accept` header. */
  readonly format: ChainFormat | undefined;
}

/** Keys remembered at most (then the memo starts over). */
export const MEMO_LIMIT = 4096;
/** Longest raw path + raw query remembered. */
const KEY_LIMIT = 160;

/** The memo of one chain route. */
export class ChainTargetMemo {
  private owner: object | null = null;
  private readonly byPath = new Map<string, Map<string, ChainTarget>>();
  private size = 0;

  /** The target `rawPath` and `rawQuery` resolved to in the market `owner`, if remembered. */
  get(owner: object, rawPath: string, rawQuery: string): ChainTarget | undefined {
    if (owner !== this.owner) return undefined;
    return this.byPath.get(rawPath)?.get(rawQuery);
  }

  /** Remembers a successful resolution made in the market `owner`. */
  set(owner: object, rawPath: string, rawQuery: string, target: ChainTarget): void {
    if (rawPath.length + rawQuery.length > KEY_LIMIT) return;
    if (owner !== this.owner || this.size >= MEMO_LIMIT) {
      this.byPath.clear();
      this.size = 0;
      this.owner = owner;
    }
    let byQuery = this.byPath.get(rawPath);
    if (byQuery === undefined) {
      byQuery = new Map();
      this.byPath.set(rawPath, byQuery);
    }
    if (!byQuery.has(rawQuery)) this.size++;
    byQuery.set(rawQuery, target);
  }
}
