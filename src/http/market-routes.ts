/**
 * The market routes of contract §5 on the synchronous fast path: `GET /v1/chains/:symbol`,
 * `GET /v1/snapshot`, `GET /v1/underlyings`. They read the market installed at the time of
 * the request (a rollover swaps it atomically between two requests) and answer 503
 * NOT_READY while none is.
 *
 * @module
 */
import { z } from 'zod';
import type { ChainCache } from '../chain/chain-cache.js';
import { CONTENT_TYPES, type ChainFormat } from '../chain/chain-encoder.js';
import type { Market } from '../chain/market.js';
import type { SnapshotEncoder } from '../chain/snapshot-encoder.js';
import { ErrorCodes, HttpError } from '../errors.js';
import type { Chain, Exchange, Underlying } from '../skeleton/types.js';
import type { FastReply, HttpServer } from './http-server.js';
import type { HttpMetrics } from './http-metrics.js';
import { decodePathSegment, parseQuery } from './query.js';

/** What the routes need from the installed market. */
export interface MarketContext {
  readonly market: Market;
  readonly cache: ChainCache;
  /** `GET /v1/underlyings` body, rendered once per skeleton (it never changes intraday). */
  readonly underlyingsBody: Uint8Array;
}

/** Dependencies of the market routes. */
export interface MarketRoutesDeps {
  readonly current: () => MarketContext | null;
  readonly snapshotEncoder: SnapshotEncoder;
  readonly metrics: HttpMetrics;
  readonly now: () => number;
}

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const chainQuery = z.object({
  expiry: isoDate.optional(),
  exchange: z.enum(['NSE', 'BSE']).optional(),
  format: z.enum(['json', 'fb', 'flatbuffers']).optional(),
});
const snapshotQuery = z.object({ symbols: z.string().max(65536).optional() });
const symbolSchema = z.string().min(1, 'empty symbol').max(64, 'symbol too long').regex(/^[A-Z0-9&._-]+$/, 'unexpected characters in symbol');

const NO_STORE = ['cache-control', 'no-store'] as const;
const FB = 'application/x-flatbuffers';

function badRequest(error: z.ZodError): HttpError {
  const issue = error.issues[0]!;
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return new HttpError(400, ErrorCodes.BAD_REQUEST, `${where}${issue.message}`);
}

function ready(deps: MarketRoutesDeps): MarketContext {
  const ctx = deps.current();
  if (!ctx) throw new HttpError(503, ErrorCodes.NOT_READY, 'the skeleton is not loaded yet');
  return ctx;
}

function parseSymbol(raw: string): string {
  const parsed = symbolSchema.safeParse(raw.toUpperCase());
  if (!parsed.success) throw badRequest(parsed.error);
  return parsed.data;
}

/**
 * The underlying for a symbol and optional exchange (contract §5: `exchange` is needed only
 * when the symbol trades on both, default NSE; an exchange it has no options on is a 404).
 */
function resolveUnderlying(market: Market, symbol: string, exchange: Exchange | undefined): Underlying {
  const u = market.index.underlying(symbol, exchange);
  if (u) return u;
  const listings = market.index.listings(symbol);
  if (listings.length > 0 && exchange) {
    throw new HttpError(404, ErrorCodes.UNKNOWN_SYMBOL, `${symbol} has no options on ${exchange}`, { exchanges: listings.map((l) => l.exchange) });
  }
  throw new HttpError(404, ErrorCodes.UNKNOWN_SYMBOL, `unknown symbol ${symbol}`);
}

/** Registers the market routes on `server`. */
export function registerMarketRoutes(server: HttpServer, deps: MarketRoutesDeps): void {
  server.fastRoute('GET', '/v1/chains/:symbol', (req) => {
    // rule 1: read everything from req before doing anything else
    const rawSymbol = req.getParameter(0);
    const rawQuery = req.getQuery() ?? '';
    const accept = req.getHeader('accept');
    const ctx = ready(deps);
    const q = parseQuery(rawQuery);
    if (q.exchange !== undefined) q.exchange = q.exchange.toUpperCase();
    const parsed = chainQuery.safeParse(q);
    if (!parsed.success) throw badRequest(parsed.error);
    const { expiry, exchange, format } = parsed.data;
    const symbol = parseSymbol(decodePathSegment(rawSymbol));
    const u = resolveUnderlying(ctx.market, symbol, exchange);
    const chain = ctx.market.index.chain(u, expiry);
    if (!chain) {
      throw new HttpError(404, ErrorCodes.UNKNOWN_EXPIRY, `${u.exchange}:${u.symbol} has no selected expiry ${expiry}`, { expiries: u.chains.map((c) => c.expiry) });
    }
    const wire: ChainFormat = format === 'fb' || format === 'flatbuffers' || (format === undefined && accept.includes(FB)) ? 'flatbuffers' : 'json';
    const encoded = ctx.cache.get(chain, wire);
    return {
      status: 200,
      contentType: CONTENT_TYPES[wire],
      body: encoded.bytes,
      headers: [NO_STORE, ['x-optchain-generation', String(encoded.generation)]],
    };
  });

  server.fastRoute('GET', '/v1/snapshot', (req): FastReply => {
    const rawQuery = req.getQuery() ?? '';
    const ctx = ready(deps);
    const parsed = snapshotQuery.safeParse(parseQuery(rawQuery));
    if (!parsed.success) throw badRequest(parsed.error);
    const chains = parsed.data.symbols === undefined ? ctx.market.skeleton.chains : selectChains(ctx.market, parsed.data.symbols);
    const t0 = performance.now();
    const body = deps.snapshotEncoder.encode(ctx.market, chains, deps.now());
    deps.metrics.snapshot((performance.now() - t0) / 1000);
    // `body` is a view of the reused builder: uWS end() copies it synchronously, and the
    // streaming path copies what it could not send at once.
    return { status: 200, contentType: FB, body, headers: [NO_STORE] };
  });

  server.fastRoute('GET', '/v1/underlyings', () => {
    const ctx = ready(deps);
    return { status: 200, contentType: CONTENT_TYPES.json, body: ctx.underlyingsBody };
  });
}

/** `A,BSE:B` → the chains of those underlyings in the order given (duplicates once). */
function selectChains(market: Market, list: string): Chain[] {
  const items = list.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new HttpError(400, ErrorCodes.BAD_REQUEST, 'symbols: expected SYMBOL or EXCHANGE:SYMBOL, comma-separated');
  const seen = new Set<Underlying>();
  const chains: Chain[] = [];
  for (const item of items) {
    const colon = item.indexOf(':');
    let exchange: Exchange | undefined;
    let symbol = item;
    if (colon >= 0) {
      const ex = item.slice(0, colon).toUpperCase();
      if (ex !== 'NSE' && ex !== 'BSE') throw new HttpError(400, ErrorCodes.BAD_REQUEST, `symbols: unknown exchange '${item.slice(0, colon)}' (NSE or BSE)`);
      exchange = ex;
      symbol = item.slice(colon + 1);
    }
    const u = resolveUnderlying(market, parseSymbol(symbol), exchange);
    if (seen.has(u)) continue;
    seen.add(u);
    chains.push(...u.chains);
  }
  return chains;
}
