/**
 * Registers the paper-trading and margin routes (contract §6) on the HTTP server and owns what
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
 * the key's user only.
 *
 * @module
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { ErrorCodes, MarginError } from '../errors.js';
import { readAccountsFile } from '../feed/accounts.js';
import type { HttpServer, RouteReply, RouteRequest } from '../http/http-server.js';
import type { DhanAccount } from '../margin/dhan-margin-api.js';
import { MarginWorkerPool } from '../margin/margin-pool.js';
import type { MarginBackend, MarginStats } from '../margin/types.js';
import type { PriceTable } from '../price-table/price-table.js';
import type { SkeletonIndex } from '../skeleton/skeleton-index.js';
import { openPaperDb, type PaperDb } from './paper-db.js';
import { PaperService, type PaperAnswer, type PaperMarket } from './paper-service.js';

/**
 * The live market as the server holds it: either `{skeletonIndex, table}` or the chain module's
 * `Market` (`{index, table}`).
 */
export type PaperMarketSource = { readonly table: PriceTable } & ({ readonly skeletonIndex: SkeletonIndex } | { readonly index: SkeletonIndex });

/** What {@link registerPaperRoutes} needs. */
export interface PaperRoutesDeps {
  /** The current market, or null before the skeleton and table exist (paper routes answer 503). */
  readonly getMarket: () => PaperMarketSource | null;
  /** `dataDir`, `quoteMaxAgeMs`, `maxSpreadAbs`, `maxSpreadRel`, `marginCacheTtlMs`, `marginTimeoutMs`, `dhanApiUrl`, `dhanAccounts`. */
  readonly config: Config;
  readonly logger?: Logger;
  /** Wall clock, Unix ms (default Date.now). */
  readonly clock?: () => number;
  /** REST base ending in /v2 for margin calls; default `config.dhanApiUrl` (sim mode: the simulator's `urls.api`). */
  readonly marginApiUrl?: string;
  /**
   * The account that signs margin calls; default: the first entry of `config.dhanAccounts`,
   * re-read at every call so a rolled-over token is used (contract §4). Sim mode: the
   * simulator's first account.
   */
  readonly marginAccount?: () => Promise<DhanAccount | null>;
  /** Lets crash-recovery tests kill the margin worker (MarginWorkerPool.crashForTest). */
  readonly marginTestHooks?: boolean;
  /** Replaces the piscina margin worker (tests). */
  readonly marginBackend?: MarginBackend;
  /** Replaces `openPaperDb(config.dataDir)` (tests). */
  readonly db?: PaperDb;
}

/** What the caller keeps. */
export interface PaperRoutes {
  readonly service: PaperService;
  /** The margin backend in use (its thread's health is reported by /health). */
  readonly marginBackend: MarginBackend;
  /** Margin worker counters (calls made to Dhan, cache hits, …). */
  marginStats(): Promise<MarginStats>;
  /** Stops the margin worker and closes the database. */
  close(): Promise<void>;
}

const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json; charset=utf-8' });

function reply(a: PaperAnswer): RouteReply {
  return a.replayed ? { status: a.status, headers: { ...JSON_HEADERS, 'idempotent-replayed': 'true' }, body: a.body } : { status: a.status, headers: JSON_HEADERS, body: a.body };
}

function normalise(m: PaperMarketSource | null): PaperMarket | null {
  if (m === null) return null;
  return 'skeletonIndex' in m ? { skeletonIndex: m.skeletonIndex, table: m.table } : { skeletonIndex: m.index, table: m.table };
}

/** The first account of the accounts file (null in sim mode without an explicit account). */
function accountsFileAccount(config: Config): () => Promise<DhanAccount | null> {
  return async () => {
    if (config.dhanAccounts === null) return null;
    try {
      const [first] = await readAccountsFile(config.dhanAccounts);
      return first ?? null;
    } catch (err) {
      throw new MarginError(ErrorCodes.MARGIN_UNAVAILABLE, `cannot read the Dhan accounts for margin calls: ${(err as Error).message}`, 503, false);
    }
  };
}

/** Registers the routes of contract §6 on `server`. */
export function registerPaperRoutes(server: HttpServer, deps: PaperRoutesDeps): PaperRoutes {
  const { config } = deps;
  const db = deps.db ?? openPaperDb(config.dataDir);
  const margin =
    deps.marginBackend ??
    new MarginWorkerPool({ apiUrl: deps.marginApiUrl ?? config.dhanApiUrl, timeoutMs: config.marginTimeoutMs, cacheTtlMs: config.marginCacheTtlMs, testHooks: deps.marginTestHooks === true });
  const service = new PaperService({
    db,
    margin,
    getMarket: () => normalise(deps.getMarket()),
    rules: { quoteMaxAgeMs: config.quoteMaxAgeMs, maxSpreadAbs: config.maxSpreadAbs, maxSpreadRel: config.maxSpreadRel },
    marginAccount: deps.marginAccount ?? accountsFileAccount(config),
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  const user = (req: RouteRequest) => service.authenticate(req.headers.authorization);

  server.route('POST', '/v1/paper/orders', async (req) => reply(await service.placeOrder(user(req), req.body)));
  server.route('GET', '/v1/paper/orders', (req) => reply(service.listOrders(user(req), req.query)));
  server.route('GET', '/v1/paper/positions', (req) => reply(service.positions(user(req))));
  server.route('POST', '/v1/paper/strategies', async (req) => reply(await service.createStrategy(user(req), req.body)));
  server.route('GET', '/v1/paper/strategies', (req) => reply(service.listStrategies(user(req))));
  server.route('GET', '/v1/paper/strategies/:id', (req) => reply(service.getStrategy(user(req), req.params.id!)));
  server.route('PUT', '/v1/paper/strategies/:id', async (req) => reply(await service.updateStrategy(user(req), req.params.id!, req.body)));
  server.route('DELETE', '/v1/paper/strategies/:id', (req) => reply(service.deleteStrategy(user(req), req.params.id!)));
  server.route('POST', '/v1/margin', async (req) => reply(await service.margin(user(req), req.body)));

  let closed = false;
  return {
    service,
    marginBackend: margin,
    marginStats: () => margin.stats(),
    async close() {
      if (closed) return;
      closed = true;
      await margin.close();
      if (deps.db === undefined) db.close();
    },
  };
}
