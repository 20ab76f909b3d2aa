/**
 * The skeleton summary shape of docs/contract.md §2.1, shared by `optchain skeleton --json` and
 * `GET /v1/underlyings`.
 *
 * @module
 */
import type { ExpiryTag, Skeleton } from './types.js';

/** One expiry line of the summary. */
export interface ExpirySummary {
  expiry: string;
  tags: ExpiryTag[];
  strikes: number;
  contracts: number;
}

/** One underlying of the summary. */
export interface UnderlyingSummary {
  symbol: string;
  exchange: 'NSE' | 'BSE';
  kind: 'index' | 'stock';
  spot: { segment: string; securityId: number } | null;
  expiries: ExpirySummary[];
}

/** docs/contract.md §2.1 JSON. */
export interface SkeletonSummary {
  tradingDate: string;
  underlyings: UnderlyingSummary[];
  totals: { underlyings: number; chains: number; contracts: number; spots: number };
}

/** Builds the docs/contract.md §2.1 summary (underlyings in skeleton order, expiries ascending). */
export function summarizeSkeleton(skeleton: Skeleton): SkeletonSummary {
  return {
    tradingDate: skeleton.tradingDate,
    underlyings: skeleton.underlyings.map((u) => ({
      symbol: u.symbol,
      exchange: u.exchange,
      kind: u.kind,
      spot: u.spot ? { segment: u.spot.segment, securityId: u.spot.securityId } : null,
      expiries: u.chains.map((c) => ({ expiry: c.expiry, tags: [...c.tags], strikes: c.rows.length, contracts: c.contracts })),
    })),
    totals: { ...skeleton.totals },
  };
}
