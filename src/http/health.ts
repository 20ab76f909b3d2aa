/**
 * `GET /health` (docs/contract.md §5). The report comes from a provider function so the feed, written
 * elsewhere, can plug its connection states in later; until then the default reports the
 * skeleton and an empty feed.
 *
 * @module
 */
import type { Market } from '../chain/market.js';
import type { HealthReport } from '../client/types.js';

/** The contract's health report shape (defined with the other wire types in src/client/types.ts). */
export type { HealthReport } from '../client/types.js';

/** Produces the health report; `market` is the one being served (null before the first). */
export type HealthProvider = (market: Market | null) => HealthReport;

/** Skeleton counts of the health report. */
export function skeletonHealth(market: Market | null): HealthReport['skeleton'] {
  if (!market) return { underlyings: 0, chains: 0, contracts: 0 };
  const t = market.skeleton.totals;
  return { underlyings: t.underlyings, chains: t.chains, contracts: t.contracts };
}

/**
 * The report without a feed: `starting` until a market is installed, then `degraded` (chains
 * are served, but nothing says prices are flowing).
 */
export function defaultHealth(mode: 'sim' | 'live'): HealthProvider {
  return (market) => ({
    status: market ? 'degraded' : 'starting',
    tradingDate: market ? market.skeleton.tradingDate : null,
    mode,
    skeleton: skeletonHealth(market),
    feed: { connections: [], subscribed: 0, unsubscribed: 0, withData: 0, packets: 0 },
  });
}
