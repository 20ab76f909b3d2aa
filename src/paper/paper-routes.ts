/**
 * Registers the paper-trading and margin routes (docs/contract.md §6) on the HTTP server and owns what
 * they need: the paper database and the margin worker. The lead wires it from `optchain serve`:
 *
 * ```ts
 * const paper = registerPaperRoutes(server, { getMarket: () => market, config, logger,
 *   marginApiUrl: sim?.urls.api, marginAccount: sim ? async () => sim.accounts[0] : undefined });
 * // … on shutdown
 * await paper.close();
 * ```
 *
 * Every route requires `Authorization: Bearer <key>` (401 UNAUTHORIZED otherwise) and acts on
 * the key's user only, and takes one token of the user's rate-limit bucket (429 RATE_LIMITED
 * with `Retry-After` when empty, held a second first for a client that ignores it;
 * {@link UserRateLimit}). A 429 QUEUE_FULL carries
 * `Retry-After: 1`. The client's disconnect signal is passed down, so an order whose client
 * has gone is dropped before its decision (paper-service.ts says when).
 *
 * @module
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Market } from '../chain/market.js';
import type { Config } from '../config/config.js';
import { ErrorCodes, MarginError, OptchainError } from '../errors.js';
import { readAccountsFile } from '../dhan/accounts.js';
import type { HttpServer, RouteReply, RouteRequest } from '../http/http-server.js';
import type { DhanAccount } from '../margin/dhan-margin-api.js';
import { MarginWorkerPool } from '../margin/margin-pool.js';
import type { MarginBackend, MarginStats } from '../margin/types.js';
import { openPaperDb, type PaperDb } from './paper-db.js';
import { registerPaperMetrics } from './paper-metrics.js';
import { PaperService, type PaperAnswer } from './paper-service.js';
import type { PaperUser } from './api-keys.js';
import { PaperWriterThread } from './paper-writer.js';
import { UserRateLimit } from './user-rate-limit.js';

/** What {@link registerPaperRoutes} needs. */
export interface PaperRoutesDeps {
  /** The current market, or null before the skeleton and table exist (paper routes answer 503). */
  readonly getMarket: () => Market | null;
  /** `dataDir`, `quoteMaxAgeMs`, `maxSpreadAbs`, `maxSpreadRel`, `marginCacheTtlMs`, `marginTimeoutMs`, `dhanApiUrl`, `dhanAccounts`, `paper*`. */
  readonly config: Config;
  readonly logger?: Logger;
  /** Wall clock, Unix ms (default Date.now). */
  readonly clock?: () => number;
  /** REST base ending in /v2 for margin calls; default `config.dhanApiUrl` (sim mode: the simulator's `urls.api`). */
  readonly marginApiUrl?: string;
  /**
   * The account that signs margin calls; default: the first entry of `config.dhanAccounts`,
   * re-read at every call so a rolled-over token is used (docs/contract.md §4). Sim mode: the
   * simulator's first account.
   */
  readonly marginAccount?: () => Promise<DhanAccount | null>;
  /** Lets crash-recovery tests kill the margin worker (MarginWorkerPool.crashForTest). */
  readonly marginTestHooks?: boolean;
  /** Replaces the piscina margin worker (tests). */
  readonly marginBackend?: MarginBackend;
  /** The read connection; default `openPaperDb(config.dataDir)`. Writes always go to a writer thread on `config.dataDir`. */
  readonly db?: PaperDb;
  /** Where `/metrics` is rendered from (the server's registry); the paper and margin metrics go there. */
  readonly registry?: Registry;
}

/** What the caller keeps. */
export interface PaperRoutes {
  readonly service: PaperService;
  /** The margin backend in use (its thread's health is reported by /health). */
  readonly marginBackend: MarginBackend;
  readonly writer: PaperWriterThread;
  /** Margin worker counters (calls made to Dhan, cache hits, …). */
  marginStats(): Promise<MarginStats>;
  /** Stops the margin worker and closes the database. */
  close(): Promise<void>;
}

const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json; charset=utf-8' });

function reply(a: PaperAnswer): RouteReply {
  return a.replayed ? { status: a.status, headers: { ...JSON_HEADERS, 'idempotent-replayed': 'true' }, body: a.body } : { status: a.status, headers: JSON_HEADERS, body: a.body };
}

/** A 429 in the contract's error shape with `Retry-After` in whole seconds (RFC 9110 §10.2.3). */
function tooMany(err: OptchainError, waitMs: number): RouteReply {
  return { status: 429, headers: { ...JSON_HEADERS, 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) }, body: JSON.stringify(err.toJSON()) };
}

/** Resolves after `ms`, or at once when the client goes away (nobody is left to answer). */
function held(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The first account of the accounts file (null in sim mode without an explicit account). */
function accountsFileAccount(config: Config): () => Promise<DhanAccount | null> {
  return async () => {
    if (config.dhanAccounts === null) return null;
    try {
      const [first] = await readAccountsFile(config.dhanAccounts);
      return first ?? null;
    } catch (err) {
      throw new MarginError(ErrorCodes.MARGIN_UNAVAILABLE, `cannot read the Dhan accounts for margin calls: ${(err as Error).message}`, false);
    }
  };
}

/** Registers the routes of docs/contract.md §6 on `server`. */
export function registerPaperRoutes(server: HttpServer, deps: PaperRoutesDeps): PaperRoutes {
  const { config } = deps;
  const db = deps.db ?? openPaperDb(config.dataDir);
  const writer = new PaperWriterThread({ dataDir: config.dataDir, refusalsKept: config.paperRefusalsKept, ...(deps.logger ? { logger: deps.logger } : {}) });
  const margin =
    deps.marginBackend ??
    new MarginWorkerPool({ apiUrl: deps.marginApiUrl ?? config.dhanApiUrl, timeoutMs: config.marginTimeoutMs, cacheTtlMs: config.marginCacheTtlMs, maxQueuedPerUser: config.paperQueuePerUser, testHooks: deps.marginTestHooks === true });
  const service = new PaperService({
    db,
    writer,
    margin,
    getMarket: deps.getMarket,
    limits: { queuePerUser: config.paperQueuePerUser, orderDeadlineMs: config.paperOrderDeadlineMs },
    rules: { quoteMaxAgeMs: config.quoteMaxAgeMs, maxSpreadAbs: config.maxSpreadAbs, maxSpreadRel: config.maxSpreadRel, maxLots: config.paperMaxLots },
    marginAccount: deps.marginAccount ?? accountsFileAccount(config),
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  const limiter = new UserRateLimit(config.paperRateLimitPerSec, config.paperRateLimitBurst);
  if (deps.registry) {
    registerPaperMetrics(deps.registry, { margin: () => margin.stats(), service: () => service.stats(), writer: () => writer.stats(), rateLimited: () => limiter.limited, rateLimitHeld: () => limiter.held });
  }
  /** Authenticates, takes a rate-limit token, runs `fn`; 429s carry Retry-After. */
  const guarded = (fn: (u: PaperUser, req: RouteRequest, ctx: { signal: AbortSignal }) => PaperAnswer | Promise<PaperAnswer>) => async (req: RouteRequest): Promise<RouteReply> => {
    const u = service.authenticate(req.headers.authorization);
    const { waitMs, holdMs } = limiter.take(u.id);
    if (waitMs > 0) {
      if (holdMs > 0) await held(holdMs, req.signal);
      return tooMany(new OptchainError(ErrorCodes.RATE_LIMITED, `more than ${config.paperRateLimitPerSec} requests/s (burst ${config.paperRateLimitBurst}) from this user`, { retryAfterMs: Math.ceil(waitMs) }), waitMs);
    }
    try {
      return reply(await fn(u, req, { signal: req.signal }));
    } catch (err) {
      if (err instanceof OptchainError && err.code === ErrorCodes.QUEUE_FULL) return tooMany(err, 1000);
      throw err;
    }
  };

  server.route('POST', '/v1/paper/orders', guarded((u, req, ctx) => service.placeOrder(u, req.body, ctx)));
  server.route('GET', '/v1/paper/orders', guarded((u, req) => service.listOrders(u, req.query)));
  server.route('GET', '/v1/paper/positions', guarded((u) => service.positions(u)));
  server.route('POST', '/v1/paper/strategies', guarded((u, req, ctx) => service.createStrategy(u, req.body, ctx)));
  server.route('GET', '/v1/paper/strategies', guarded((u) => service.listStrategies(u)));
  server.route('GET', '/v1/paper/strategies/:id', guarded((u, req) => service.getStrategy(u, req.params.id!)));
  server.route('PUT', '/v1/paper/strategies/:id', guarded((u, req, ctx) => service.updateStrategy(u, req.params.id!, req.body, ctx)));
  server.route('DELETE', '/v1/paper/strategies/:id', guarded((u, req) => service.deleteStrategy(u, req.params.id!)));
  server.route('POST', '/v1/margin', guarded((u, req, ctx) => service.margin(u, req.body, ctx)));

  let closed = false;
  return {
    service,
    marginBackend: margin,
    writer,
    marginStats: () => margin.stats(),
    async close() {
      if (closed) return;
      closed = true;
      await margin.close();
      await writer.close();
      if (deps.db === undefined) db.close();
    },
  };
}
