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
});

/** `GET /v1/chains/{symbol}` as JSON. */
export const chainSchema = z.object({
  symbol: z.string(),
  exchange: z.enum(['NSE', 'BSE']),
  expiry: z.string().describe('YYYY-MM-DD'),
  tags: z.array(z.string()),
  tradingDate: z.string(),
  generation: z.number().int().describe('moves whenever any slot of the chain or its spot changed; equal generation ⇒ equal body apart from servedAt'),
  servedAt: z.number().int().describe('Unix ms; the serve time for an uncompressed body, the time the cached copy was made for a compressed one'),
  spot: z.object({ securityId: z.number().int(), segment: z.string(), ltp: num, updatedAt: num }).nullable(),
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
