/**
 * The market routes of docs/contract.md §5 on the synchronous fast path: `GET /v1/chains/:symbol`,
 * `GET /v1/snapshot`, `GET /v1/underlyings`. They read the market installed at the time of
 * the request (a rollover swaps it atomically between two requests) and answer 503
 * NOT_READY while none is.
 *
 * Chains and snapshots carry a weak `ETag`, answer a matching `If-None-Match` with 304 and no
 * body, say `Cache-Control: no-cache`, and (JSON chains, snapshots) come gzip- or
 * brotli-compressed when `Accept-Encoding` allows, from copies cached per body
 * (conditional.ts, content-encoding.ts, src/chain/chain-cache.ts, snapshot-cache.ts).
 *
 * @module
 */
import { z } from 'zod';
import type { ChainCache } from '../chain/chain-cache.js';
import { CONTENT_TYPES, type ChainFormat } from '../chain/chain-encoder.js';
import type { Market } from '../chain/market.js';
import type { SnapshotCache } from '../chain/snapshot-cache.js';
import { ErrorCodes, HttpError } from '../errors.js';
import type { Chain, Exchange, Underlying } from '../skeleton/types.js';
import { noneMatchHits } from './conditional.js';
import { ChainTargetMemo, type ChainTarget } from './chain-target-memo.js';
import { negotiateEncoding, type NegotiatedEncoding } from './content-encoding.js';
import type { FastReply, HttpServer, RouteReply } from './http-server.js';
import { decodePathSegment, parseQuery } from './query.js';

/** What the routes need from the installed market. */
export interface MarketContext {
  readonly market: Market;
  readonly cache: ChainCache;
  readonly snapshots: SnapshotCache;
  /** `GET /v1/underlyings` body, rendered once per skeleton (it never changes intraday). */
  readonly underlyingsBody: Uint8Array;
}

/** Dependencies of the market routes. */
export interface MarketRoutesDeps {
  readonly current: () => MarketContext | null;
}

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
/** Query of `GET /v1/chains/{symbol}` (also described in /openapi.json). */
export const chainQuerySchema = z.object({
  expiry: isoDate.optional().describe('YYYY-MM-DD; the nearest selected expiry when absent'),
  exchange: z.enum(['NSE', 'BSE']).optional().describe('needed only for a symbol with options on both exchanges (default NSE)'),
  format: z.enum(['json', 'fb', 'flatbuffers']).optional(),
});
/** Query of `GET /v1/snapshot`. */
export const snapshotQuerySchema = z.object({ symbols: z.string().max(65536).optional().describe('SYMBOL or EXCHANGE:SYMBOL, comma-separated; all when absent') });
const symbolSchema = z.string().min(1, 'empty symbol').max(64, 'symbol too long').regex(/^[A-Z0-9&._-]+$/, 'unexpected characters in symbol');

/** Store, but revalidate before every use (RFC 9111 §5.2.2.4): the data moves many times a second. */
const NO_CACHE = ['cache-control', 'no-cache'] as const;
const CHAIN_VARY = ['vary', 'Accept, Accept-Encoding'] as const;
const ENCODING_VARY = ['vary', 'Accept-Encoding'] as const;
const GZIP = ['content-encoding', 'gzip'] as const;
const BR = ['content-encoding', 'br'] as const;
const FB = 'application/x-flatbuffers';

function badRequest(error: z.ZodError): HttpError {
  const issue = error.issues[0]!;
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return new HttpError(ErrorCodes.BAD_REQUEST, `${where}${issue.message}`);
}

function ready(deps: MarketRoutesDeps): MarketContext {
  const ctx = deps.current();
  if (!ctx) throw new HttpError(ErrorCodes.NOT_READY, 'the skeleton is not loaded yet');
  return ctx;
}

/** What symbolSchema accepts, checked without zod on the hot path (zod only explains a refusal). */
const SYMBOL_OK = /^[A-Z0-9&._-]{1,64}$/;
const NO_QUERY: z.infer<typeof chainQuerySchema> = Object.freeze({});

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const FORMATS: ReadonlySet<string> = new Set(['json', 'fb', 'flatbuffers']);

/** A query chainQuerySchema accepts as it is (the common case), checked without zod. */
function plainChainQuery(q: Record<string, string>): boolean {
  for (const k in q) {
    const v = q[k]!;
    if (k === 'expiry' ? !ISO_DATE.test(v) : k === 'exchange' ? v !== 'NSE' && v !== 'BSE' : k === 'format' ? !FORMATS.has(v) : true) return false;
  }
  return true;
}

function parseSymbol(raw: string): string {
  const upper = raw.toUpperCase();
  if (SYMBOL_OK.test(upper)) return upper;
  const parsed = symbolSchema.safeParse(upper);
  if (!parsed.success) throw badRequest(parsed.error);
  return parsed.data;
}

/**
 * The underlying for a symbol and optional exchange (docs/contract.md §5: `exchange` is needed only
 * when the symbol trades on both, default NSE; an exchange it has no options on is a 404).
 */
function resolveUnderlying(market: Market, symbol: string, exchange: Exchange | undefined): Underlying {
  const u = market.index.underlying(symbol, exchange);
  if (u) return u;
  const listings = market.index.listings(symbol);
  if (listings.length > 0 && exchange) {
    throw new HttpError(ErrorCodes.UNKNOWN_SYMBOL, `${symbol} has no options on ${exchange}`, { exchanges: listings.map((l) => l.exchange) });
  }
  throw new HttpError(ErrorCodes.UNKNOWN_SYMBOL, `unknown symbol ${symbol}`);
}

/**
 * What a chain request's raw symbol and query name (validated as chainQuerySchema and
 * symbolSchema say; a refusal throws the contract's 400/404), remembered in `memo` under the
 * request's raw path and query.
 */
function resolveChain(market: Market, rawSymbol: string, rawPath: string, rawQuery: string, memo: ChainTargetMemo): ChainTarget {
  let query = NO_QUERY;
  if (rawQuery.length > 0) {
    const q = parseQuery(rawQuery);
    if (q.exchange !== undefined) q.exchange = q.exchange.toUpperCase();
    if (plainChainQuery(q)) query = q;
    else {
      const parsed = chainQuerySchema.safeParse(q);
      if (!parsed.success) throw badRequest(parsed.error);
      query = parsed.data;
    }
  }
  const { expiry, exchange, format } = query;
  const symbol = parseSymbol(decodePathSegment(rawSymbol));
  const u = resolveUnderlying(market, symbol, exchange);
  const chain = market.index.chain(u, expiry);
  if (!chain) {
    throw new HttpError(ErrorCodes.UNKNOWN_EXPIRY, `${u.exchange}:${u.symbol} has no selected expiry ${expiry}`, { expiries: u.chains.map((c) => c.expiry) });
  }
  const target: ChainTarget = { chain, format: format === undefined ? undefined : format === 'json' ? 'json' : 'flatbuffers' };
  memo.set(market, rawPath, rawQuery, target);
  return target;
}

type HeaderList = readonly (readonly [string, string])[];
/** Answer headers per (representations or current tags, coding, 200 or 304): built once per generation, not per request. */
const HEADERS = new WeakMap<object, Partial<Record<string, HeaderList>>>();
const PLAIN_KEY: Readonly<Record<NegotiatedEncoding, string>> = { identity: 'identity', gzip: 'gzip-plain', br: 'br-plain' };

/**
 * The headers of a chain answer: Cache-Control, ETag, Vary, Content-Encoding (a compressed
 * 200) and the generation. `owner` (a ChainRepresentations or CurrentTags object, one per
 * body generation) keeps them, so a client polling one chain gets the same array each time.
 */
function answerHeaders(owner: object, coding: NegotiatedEncoding, etag: string, generation: number | string, compressed: boolean): HeaderList {
  let lists = HEADERS.get(owner);
  if (lists === undefined) {
    lists = {};
    HEADERS.set(owner, lists);
  }
  const key = compressed ? coding : PLAIN_KEY[coding];
  let list = lists[key];
  if (list === undefined) {
    const gen = ['x-optchain-generation', String(generation)] as const;
    // Frozen: the security-headers interceptor then remembers its completed copy too.
    list = Object.freeze(compressed ? [NO_CACHE, ['etag', etag], CHAIN_VARY, coding === 'gzip' ? GZIP : BR, gen] : [NO_CACHE, ['etag', etag], CHAIN_VARY, gen]);
    lists[key] = list;
  }
  return list;
}

/**
 * Whole answers, frozen, per owner (a CurrentTags object for 304s, a ChainRepresentations
 * object for identity 200s, a compressed ServedBody for compressed 200s; each lives for one
 * body generation) and coding: a client polling one chain gets the same reply object each
 * time, which the security-headers interceptor and the uWS backend then finish from their own
 * memos (one header block per reply) instead of per request.
 */
const REPLIES = new WeakMap<object, Partial<Record<NegotiatedEncoding, FastReply>>>();

function remembered(owner: object, coding: NegotiatedEncoding): FastReply | undefined {
  return REPLIES.get(owner)?.[coding];
}

function remember(owner: object, coding: NegotiatedEncoding, reply: FastReply): FastReply {
  let byCoding = REPLIES.get(owner);
  if (byCoding === undefined) {
    byCoding = {};
    REPLIES.set(owner, byCoding);
  }
  const frozen = Object.freeze(reply);
  byCoding[coding] = frozen;
  return frozen;
}

/** Registers the market routes on `server`. */
export function registerMarketRoutes(server: HttpServer, deps: MarketRoutesDeps): void {
  const targets = new ChainTargetMemo();
  server.fastRoute('GET', '/v1/chains/:symbol', (req) => {
    // rule 1: read everything from req before doing anything else (the raw symbol too, below,
    // but only when the memo does not know the path: a native call the polling client skips)
    const rawPath = req.getUrl();
    const rawQuery = req.getQuery();
    const ifNoneMatch = req.getHeader('if-none-match');
    const accept = req.getHeader('accept');
    const acceptEncoding = req.getHeader('accept-encoding');
    const ctx = ready(deps);
    const target = targets.get(ctx.market, rawPath, rawQuery) ?? resolveChain(ctx.market, req.getParameter(0), rawPath, rawQuery, targets);
    const chain = target.chain;
    const format = target.format;
    const wire: ChainFormat = format ?? (accept.includes(FB) ? 'flatbuffers' : 'json');
    // FlatBuffers bodies are mostly doubles and compress poorly; only JSON is offered compressed.
    const coding = wire === 'json' ? negotiateEncoding(acceptEncoding) : 'identity';
    if (ifNoneMatch.length > 0) {
      // Checked against the tag of the current generation before any body is built or
      // patched: a 304 costs a generation read and a string compare (issue 12).
      const tags = ctx.cache.currentTags(chain, wire);
      const current = tags[coding];
      if (noneMatchHits(ifNoneMatch, current)) {
        // RFC 9110 §15.4.5: a 304 carries the validator and caching fields a 200 would, and no
        // other representation metadata (no Content-Type, no Content-Encoding).
        return remembered(tags, coding) ?? remember(tags, coding, { status: 304, contentType: CONTENT_TYPES[wire], body: '', headers: answerHeaders(tags, coding, current, tags.generationText, false) });
      }
    }
    const reps = ctx.cache.representations(chain, wire);
    if (coding === 'identity') {
      const identity = reps.identity;
      return remembered(reps, coding) ?? remember(reps, coding, { status: 200, contentType: CONTENT_TYPES[wire], body: identity.bytes, headers: answerHeaders(reps, coding, identity.etag, identity.generation, false), retain: reps.retain });
    }
    const body = ctx.cache.compressed(chain, wire, reps, coding);
    // A compressed copy is made once into its own memory and never written again.
    return remembered(body, coding) ?? remember(body, coding, { status: 200, contentType: CONTENT_TYPES[wire], body: body.bytes, headers: answerHeaders(reps, coding, reps.etags[coding], reps.identity.generation, true), immutable: true });
  });

  server.route('GET', '/v1/snapshot', async (req): Promise<RouteReply> => {
    const ctx = ready(deps);
    const parsed = snapshotQuerySchema.safeParse(req.query);
    if (!parsed.success) throw badRequest(parsed.error);
    const { chains, key } = parsed.data.symbols === undefined ? { chains: ctx.market.skeleton.chains, key: '*' } : selectChains(ctx.market, parsed.data.symbols);
    const coding = negotiateEncoding(req.headers['accept-encoding'] ?? '');
    const codingHeaders: Record<string, string> = coding === 'identity' ? {} : { 'content-encoding': coding };
    const etag = ctx.snapshots.etag(key, chains, coding);
    const base = { 'content-type': FB, [NO_CACHE[0]]: NO_CACHE[1], [ENCODING_VARY[0]]: ENCODING_VARY[1] };
    const inm = req.headers['if-none-match'];
    if (inm !== undefined && noneMatchHits(inm, etag)) return { status: 304, headers: { ...base, etag } };
    if (req.method === 'HEAD') {
      // Only the headers (issue 15): the length is known only if a current body is cached.
      const peek = ctx.snapshots.peek(key, chains, coding);
      return { status: 200, headers: { ...base, ...codingHeaders, etag: peek.etag }, headLength: peek.length };
    }
    try {
      const body = await ctx.snapshots.get(key, chains, coding);
      return { status: 200, headers: { ...base, ...codingHeaders, etag: body.etag }, body: body.bytes, immutable: true };
    } catch (err) {
      if (err instanceof HttpError && err.code === ErrorCodes.SNAPSHOT_BUSY) return { status: err.status, headers: { 'retry-after': '1' }, body: err.toJSON() };
      throw err;
    }
  });

  server.fastRoute('GET', '/v1/underlyings', () => {
    const ctx = ready(deps);
    return { status: 200, contentType: CONTENT_TYPES.json, body: ctx.underlyingsBody, immutable: true };
  });
}

/**
 * `A,BSE:B` → the chains of those underlyings in the order given (duplicates once), and the
 * snapshot cache's key for that list (equal exactly for equal lists).
 */
function selectChains(market: Market, list: string): { chains: Chain[]; key: string } {
  const items = list.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new HttpError(ErrorCodes.BAD_REQUEST, 'symbols: expected SYMBOL or EXCHANGE:SYMBOL, comma-separated');
  const seen = new Set<Underlying>();
  const chains: Chain[] = [];
  const keys: string[] = [];
  for (const item of items) {
    const colon = item.indexOf(':');
    let exchange: Exchange | undefined;
    let symbol = item;
    if (colon >= 0) {
      const ex = item.slice(0, colon).toUpperCase();
      if (ex !== 'NSE' && ex !== 'BSE') throw new HttpError(ErrorCodes.BAD_REQUEST, `symbols: unknown exchange '${item.slice(0, colon)}' (NSE or BSE)`);
      exchange = ex;
      symbol = item.slice(colon + 1);
    }
    const u = resolveUnderlying(market, parseSymbol(symbol), exchange);
    if (seen.has(u)) continue;
    seen.add(u);
    chains.push(...u.chains);
    keys.push(`${u.exchange}:${u.symbol}`);
  }
  return { chains, key: keys.join(',') };
}
