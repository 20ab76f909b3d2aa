/**
 * Request bodies of the paper routes (docs/contract.md §6), validated with zod. Shape errors are 400
 * BAD_REQUEST; economically wrong values that are well-formed (fractional lots, a price outside
 * the band) pass here and are refused by the feasibility checks with a 422 and their numbers.
 *
 * @module
 */
import { z } from 'zod';
import { ErrorCodes, HttpError } from '../errors.js';

const segment = z.enum(['NSE_FNO', 'BSE_FNO']);
/** Dhan sends security ids as strings in REST; accept both, keep a number. */
const securityId = z.union([z.number().int().positive(), z.string().regex(/^\d{1,10}$/).transform(Number)]).refine((n) => n > 0 && n <= 0xffff_ffff, 'out of range');
const side = z.enum(['BUY', 'SELL']);
/** Any finite number: whole-lot and freeze checks are 422 refusals with numbers (feasibility.ts). */
const lots = z.number().finite();

/** One order leg. `type` defaults to MARKET; `limitPrice` is required for LIMIT. */
export const orderLegSchema = z
  .object({
    exchangeSegment: segment,
    securityId,
    side,
    lots,
    type: z.enum(['MARKET', 'LIMIT']).default('MARKET'),
    limitPrice: z.number().finite().positive().optional(),
  })
  .refine((l) => l.type !== 'LIMIT' || l.limitPrice !== undefined, { message: 'limitPrice is required for a LIMIT leg', path: ['limitPrice'] });

/** `POST /v1/paper/orders`. */
export const orderBodySchema = z.object({
  clientOrderId: z.string().min(1).max(128),
  strategyId: z.string().min(1).max(64).optional(),
  legs: z.array(orderLegSchema).min(1).max(20),
});

/** A strategy leg: what to hold, not how to trade it. */
export const strategyLegSchema = z.object({ exchangeSegment: segment, securityId, side, lots });

/** `POST /v1/paper/strategies`, `PUT /v1/paper/strategies/{id}`. */
export const strategyBodySchema = z.object({
  name: z.string().trim().min(1).max(100),
  legs: z.array(strategyLegSchema).min(1).max(20),
});

/**
 * `POST /v1/margin`. `includePositions` (default true): the margin of the user's current
 * positions plus these legs — what the account would need after trading them, the same number
 * an order reports; false: these legs alone as a basket.
 */
export const marginBodySchema = z.object({
  legs: z.array(z.object({ exchangeSegment: segment, securityId, side, lots, type: z.enum(['MARKET', 'LIMIT']).optional(), limitPrice: z.number().finite().positive().optional() })).max(50),
  includePositions: z.boolean().default(true),
});

export type OrderLeg = z.infer<typeof orderLegSchema>;
export type OrderBody = z.infer<typeof orderBodySchema>;
export type StrategyLeg = z.infer<typeof strategyLegSchema>;
export type StrategyBody = z.infer<typeof strategyBodySchema>;
export type MarginBody = z.infer<typeof marginBodySchema>;

/** Parses or throws 400 BAD_REQUEST naming the first bad field (never echoing values). */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
  throw new HttpError(ErrorCodes.BAD_REQUEST, `invalid request body: ${where}: ${issue?.message ?? 'invalid'}`, { field: where });
}

/** JSON with object keys sorted at every level: equal values ⇒ equal text (idempotency key). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}
