/**
 * zod schemas of the market routes' JSON answers and of the error shape (docs/contract.md §5), used
 * to describe them in `GET /openapi.json` (openapi.ts). A test checks real answers against
 * them, key by key, so the description cannot drift from what the server sends.
 *
 * @module
 */
import { z } from 'zod';

const num = z.number().nullable();

/** One option contract with its quote; a number no tick delivered yet is null. */
export const legSchema = z.object({
  securityId: z.number().int(),
  lotSize: z.number().int(),
  ltp: num,
  bid: num,
  ask: num,
  bidQty: num,
  askQty: num,
  volume: num,
  oi: num,
  prevClose: num,
  ltt: num.describe('last trade time, true Unix seconds'),
  updatedAt: num.describe('server receive time, Unix ms'),
  oiChange: num.describe('OI now minus the previous session closing OI'),
  iv: num.describe('implied volatility, percent (Black-76 on the chain forward); null with ivNullReason'),
  delta: num.describe('dV/dS, S = forward x discount factor'),
  gamma: num.describe('d2V/dS2, per rupee'),
  theta: num.describe('rupees per calendar day'),
  vega: num.describe('rupees per one vol point'),
  ivPrice: num.describe('the option price the IV was solved from (3 dp)'),
  ivFrom: z.enum(['mid', 'ltp']).nullable().describe('mid of a sane two-sided quote, else the LTP; null when not solved'),
  ivNullReason: z
    .enum(['pending', 'noPrice', 'belowIntrinsic', 'aboveUpperBound', 'expired', 'noForward', 'noTimeValue', 'off'])
    .nullable()
    .describe('why iv is null (off: the server runs with OPTCHAIN_ANALYTICS=off); null when solved'),
});

/** A chain's analytics object (issue 13); NaN-free: unknown values are null. */
export const chainAnalyticsSchema = z.object({
  generation: z.number().int().describe('times the analytics worker published this chain; the chain generation is the price generation plus this'),
  priceGeneration: num.describe('the price generation of the chain the computation read'),
  computedAt: num.describe('wall-clock Unix ms of the computation'),
  asOf: num.describe('market-clock Unix ms the time to expiry was measured at (the simulator clock in sim mode)'),
  yearsToExpiry: num.describe('ACT/365 years to 15:30 IST of the expiry day'),
  forward: num.describe('forward of (underlying, expiry), rupees'),
  forwardSource: z.enum(['parity', 'spot']).nullable().describe('parity: median of put-call parity near the money; spot: spot x e^(rT); null: none'),
  parityPairs: num.describe('strikes in the parity median'),
  atmStrike: num,
  atmIv: num.describe('percent'),
  pcrOi: num.describe('sum PE OI / sum CE OI'),
  pcrVolume: num.describe('sum PE volume / sum CE volume'),
  maxPain: num.describe('strike minimising the intrinsic payout to holders, by OI'),
  ceOi: num,
  peOi: num,
  ceOiChange: num,
  peOiChange: num,
});

/** `GET /v1/chains/{symbol}` as JSON. */
export const chainSchema = z.object({
  symbol: z.string(),
  exchange: z.enum(['NSE', 'BSE']),
  expiry: z.string().describe('YYYY-MM-DD'),
  tags: z.array(z.string()),
  tradingDate: z.string(),
  generation: z.number().int().describe('moves whenever any slot of the chain or its spot changed, or its analytics were republished; equal generation ⇒ equal body apart from servedAt'),
  servedAt: z.number().int().describe('Unix ms; the serve time for an uncompressed body, the time the cached copy was made for a compressed one'),
  spot: z.object({ securityId: z.number().int(), segment: z.string(), ltp: num, updatedAt: num }).nullable(),
  analytics: chainAnalyticsSchema.nullable().describe('null only when the server runs with OPTCHAIN_ANALYTICS=off'),
  rows: z.array(z.object({ strike: z.number(), ce: legSchema.nullable(), pe: legSchema.nullable() })),
});

/** `GET /v1/underlyings` (docs/contract.md §2.1). */
export const underlyingsSchema = z.object({
  tradingDate: z.string(),
  underlyings: z.array(
    z.object({
      symbol: z.string(),
      exchange: z.enum(['NSE', 'BSE']),
      kind: z.enum(['index', 'stock']),
      spot: z.object({ segment: z.string(), securityId: z.number().int() }).nullable(),
      expiries: z.array(z.object({ expiry: z.string(), tags: z.array(z.string()), strikes: z.number().int(), contracts: z.number().int() })),
    }),
  ),
  totals: z.object({ underlyings: z.number().int(), chains: z.number().int(), contracts: z.number().int(), spots: z.number().int() }),
});

/** `GET /health` (the keys every report has; feed details vary by mode). */
export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded', 'starting']),
  tradingDate: z.string().nullable(),
  mode: z.enum(['sim', 'live']),
  skeleton: z.object({ underlyings: z.number().int(), chains: z.number().int(), contracts: z.number().int() }),
  feed: z.object({ connections: z.array(z.record(z.string(), z.unknown())), subscribed: z.number().int(), unsubscribed: z.number().int(), withData: z.number().int(), packets: z.number() }).loose(),
  http: z.object({ name: z.enum(['uws', 'node']), source: z.string(), version: z.string(), fallbackReason: z.string().describe('why a faster backend was not used; empty when none was passed over') }).optional(),
});

/** Every error answer (docs/contract.md §5). */
export const errorSchema = z.object({
  error: z.object({ code: z.string().describe('UPPER_SNAKE, stable'), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});
