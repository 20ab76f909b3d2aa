/**
 * The wire shapes of the HTTP API (docs/contract.md §2.1, §5) as TypeScript types. Shared by the
 * server's encoders, the decoders and the client; type-only, so it bundles for the browser.
 *
 * @module
 */

/** One option contract of a chain row with its live quote; `null` = no tick delivered it yet. */
export interface LegJson {
  securityId: number;
  lotSize: number;
  ltp: number | null;
  bid: number | null;
  ask: number | null;
  bidQty: number | null;
  askQty: number | null;
  volume: number | null;
  oi: number | null;
  prevClose: number | null;
  /** True Unix seconds. */
  ltt: number | null;
  /** Server receive time, Unix ms. */
  updatedAt: number | null;
}

/** One strike; a side is `null` only where the skeleton lists no such contract. */
export interface RowJson {
  strike: number;
  ce: LegJson | null;
  pe: LegJson | null;
}

/** The underlying's spot quote. */
export interface SpotJson {
  securityId: number;
  segment: string;
  ltp: number | null;
  updatedAt: number | null;
}

/** One chain (docs/contract.md §5 "Chain JSON"), keys in the contract's order. */
export interface ChainJson {
  symbol: string;
  exchange: 'NSE' | 'BSE';
  expiry: string;
  tags: string[];
  tradingDate: string;
  generation: number;
  servedAt: number;
  /** `null` only when the skeleton has no spot for the underlying. */
  spot: SpotJson | null;
  rows: RowJson[];
}

/** A decoded `GET /v1/snapshot` message. */
export interface SnapshotJson {
  tradingDate: string;
  servedAt: number;
  chains: ChainJson[];
}

/** `GET /v1/underlyings` (docs/contract.md §2.1). */
export interface SkeletonSummaryJson {
  tradingDate: string;
  underlyings: {
    symbol: string;
    exchange: 'NSE' | 'BSE';
    kind: 'index' | 'stock';
    spot: { segment: string; securityId: number } | null;
    expiries: { expiry: string; tags: string[]; strikes: number; contracts: number }[];
  }[];
  totals: { underlyings: number; chains: number; contracts: number; spots: number };
}

/** One feed connection in the health report. */
export interface FeedConnectionHealth {
  account: string;
  index: number;
  state: string;
  tokens: number;
  /** Unix ms of the last packet, or null before the first. */
  lastPacketAt: number | null;
}

/** `GET /health` (docs/contract.md §5). */
export interface HealthReport {
  status: 'ok' | 'degraded' | 'starting';
  tradingDate: string | null;
  mode: 'sim' | 'live';
  skeleton: { underlyings: number; chains: number; contracts: number };
  feed: {
    connections: FeedConnectionHealth[];
    subscribed: number;
    unsubscribed: number;
    withData: number;
    packets: number;
  };
  /** The HTTP backend serving: `uws` or `node`, its source and version, and why a faster one was not used (`''` when none was passed over). */
  http?: { name: 'uws' | 'node'; source: string; version: string; fallbackReason: string };
}

/** The contract's error body (docs/contract.md §5). */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}
