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
  /** OI now minus the previous session's closing OI; null when either is unknown. */
  oiChange: number | null;
  /** Implied volatility in percent (Black-76 on the chain's forward); null with {@link ivNullReason}. */
  iv: number | null;
  /** ∂V/∂S (S = forward × discount factor). */
  delta: number | null;
  /** ∂²V/∂S², per rupee. */
  gamma: number | null;
  /** Rupees per calendar day (negative = the option loses value). */
  theta: number | null;
  /** Rupees per one vol point. */
  vega: number | null;
  /** The option price the IV was solved from, rupees (3 dp: a mid may be a half paisa). */
  ivPrice: number | null;
  /** What `ivPrice` is: the two-sided quote's mid when its spread is sane, else the LTP; null when not solved. */
  ivFrom: 'mid' | 'ltp' | null;
  /** Why `iv` is null; null when it is not. */
  ivNullReason: IvNullReason | null;
}

/** Why a leg has no IV (src/analytics reason codes; `off` = the server runs with OPTCHAIN_ANALYTICS=off). */
export type IvNullReason = 'pending' | 'noPrice' | 'belowIntrinsic' | 'aboveUpperBound' | 'expired' | 'noForward' | 'noTimeValue' | 'off';

/** A chain's analytics (issue 13), computed by the analytics worker off the request path. */
export interface ChainAnalyticsJson {
  /** How many times the chain's analytics were published (part of the chain's `generation`). */
  generation: number;
  /** The chain's price generation the computation read (the ticks it reflects); null before the first. */
  priceGeneration: number | null;
  /** Wall-clock Unix ms the computation was published. */
  computedAt: number | null;
  /** Market-clock Unix ms the time to expiry was measured at (the simulator's clock in sim mode). */
  asOf: number | null;
  /** Years (ACT/365) to 15:30 IST of the expiry day. */
  yearsToExpiry: number | null;
  /** The forward of (underlying, expiry), rupees. */
  forward: number | null;
  /** `parity`: median put-call parity over strikes near the money; `spot`: spot × e^{rT}; null: no forward. */
  forwardSource: 'parity' | 'spot' | null;
  /** Strikes the parity median used (0 unless forwardSource is parity). */
  parityPairs: number | null;
  atmStrike: number | null;
  /** Percent. */
  atmIv: number | null;
  /** Σ PE OI / Σ CE OI. */
  pcrOi: number | null;
  /** Σ PE volume / Σ CE volume. */
  pcrVolume: number | null;
  /** The strike minimising the total intrinsic payout to option holders, by OI. */
  maxPain: number | null;
  ceOi: number | null;
  peOi: number | null;
  /** Change from the previous session's closing OI, over legs where both are known. */
  ceOiChange: number | null;
  peOiChange: number | null;
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
  /** `null` only when the server runs with OPTCHAIN_ANALYTICS=off. */
  analytics: ChainAnalyticsJson | null;
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
