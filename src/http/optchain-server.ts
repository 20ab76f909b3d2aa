/**
 * The optchain HTTP API (docs/contract.md §5) on the chosen backend (uWS or node:http): market routes (chains, snapshot, underlyings),
 * `/health`, `/metrics`, and a `route()` passthrough for the other route modules (paper
 * trading, margin, the web page). The serve command creates one, installs the day's market
 * with {@link OptchainServer.setMarket} and listens.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import { ChainCache } from '../chain/chain-cache.js';
import type { ChainEncoder, ChainFormat } from '../chain/chain-encoder.js';
import { FlatbuffersChainEncoder } from '../chain/flatbuffers-chain-encoder.js';
import { JsonChainEncoder } from '../chain/json-chain-encoder.js';
import { Market } from '../chain/market.js';
import { SnapshotCache, type SnapshotCacheOptions } from '../chain/snapshot-cache.js';
import type { AnalyticsTable } from '../price-table/analytics-table.js';
import type { PriceTable } from '../price-table/price-table.js';
import type { SkeletonIndex } from '../skeleton/skeleton-index.js';
import { summarizeSkeleton } from '../skeleton/summary.js';
import type { Skeleton } from '../skeleton/types.js';
import { defaultHealth, type HealthProvider } from './health.js';
import { HttpMetrics } from './http-metrics.js';
import { HttpServer, type HttpMethod, type HttpServerOptions, type RouteHandler, type RouteOptions } from './http-server.js';
import { registerMarketRoutes, type MarketContext } from './market-routes.js';
import { buildOpenApi } from './openapi.js';
import { representationMetrics } from './representation-metrics.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;

/** Options of an {@link OptchainServer}. */
export interface OptchainServerOptions extends Omit<HttpServerOptions, 'metrics'> {
  /** Reported by the default health provider. Default 'sim'. */
  readonly mode?: 'sim' | 'live';
  /** Health report source (the feed plugs in here); see {@link OptchainServer.setHealthProvider}. */
  readonly health?: HealthProvider;
  /** Clock for servedAt, Unix ms. */
  readonly now?: () => number;
  /** Collect prom-client's process metrics too. */
  readonly defaultMetrics?: boolean;
  /** Bounds of `/v1/snapshot` builds (defaults in src/chain/snapshot-cache.ts). */
  readonly snapshot?: Pick<SnapshotCacheOptions, 'maxConcurrentBuilds' | 'maxWaiting' | 'maxEntries' | 'sliceMs'>;
}

/** The optchain API server. */
export class OptchainServer {
  readonly http: HttpServer;
  readonly metrics: HttpMetrics;
  private ctx: MarketContext | null = null;
  private health: HealthProvider;
  private readonly now: () => number;
  private readonly snapshotOptions: OptchainServerOptions['snapshot'];
  private readonly observers: ReturnType<typeof representationMetrics>;
  private readonly encoders: Readonly<Record<ChainFormat, ChainEncoder>> = { json: new JsonChainEncoder(), flatbuffers: new FlatbuffersChainEncoder() };

  /** Throws HTTP_BACKEND_UNAVAILABLE when `backend: 'uws'` is asked for and no native uWS build loads. */
  constructor(options: OptchainServerOptions = {}) {
    this.metrics = new HttpMetrics({ defaultMetrics: options.defaultMetrics ?? false });
    this.http = new HttpServer({ ...options, metrics: this.metrics });
    this.now = options.now ?? Date.now;
    this.health = options.health ?? defaultHealth(options.mode ?? 'sim');
    this.snapshotOptions = options.snapshot;
    this.observers = representationMetrics(this.metrics.registry, this.metrics.cacheObserver, (s) => this.metrics.snapshot(s));
    registerMarketRoutes(this.http, { current: () => this.ctx });
    this.http.route('GET', '/health', () => ({ body: { ...this.health(this.ctx ? this.ctx.market : null), http: this.http.backend } }));
    // Made from the routes registered by the time of the first request (the other modules
    // register theirs before listen), then kept: routes never change while serving.
    let openapi: string | null = null;
    this.http.route('GET', '/openapi.json', () => {
      openapi ??= JSON.stringify(buildOpenApi(this.http.routes(), { version: PACKAGE_VERSION }));
      return { headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' }, body: openapi };
    });
    this.http.route('GET', '/metrics', async () => ({
      headers: { 'content-type': this.metrics.registry.contentType },
      body: await this.metrics.registry.metrics(),
    }));
  }

  /** The registry `/metrics` renders; the feed registers its counters here. */
  get registry(): Registry {
    return this.metrics.registry;
  }

  /** The market being served, or null. */
  get market(): Market | null {
    return this.ctx ? this.ctx.market : null;
  }

  /**
   * Installs (or, at a trading-date rollover, replaces) the skeleton and its price table.
   * The swap is one assignment between two requests; the new market gets a fresh cache, so
   * no body or slot of the old day can be served for the new one. Throws
   * PRICE_TABLE_LAYOUT when the table does not fit the skeleton. `analytics`: the day's
   * analytics table (null with OPTCHAIN_ANALYTICS=off).
   */
  setMarket(skeleton: Skeleton, table: PriceTable, index?: SkeletonIndex, analytics: AnalyticsTable | null = null): Market {
    const market = new Market(skeleton, table, index, analytics);
    const cache = new ChainCache(market, this.encoders, { now: this.now, observer: this.observers.chain });
    const snapshots = new SnapshotCache(cache, { ...this.snapshotOptions, now: this.now, observer: this.observers.snapshot });
    const underlyingsBody = new TextEncoder().encode(JSON.stringify(summarizeSkeleton(skeleton)));
    this.ctx = { market, cache, snapshots, underlyingsBody };
    return market;
  }

  /** Stops serving market routes (503 NOT_READY) until the next {@link setMarket}. */
  clearMarket(): void {
    this.ctx = null;
  }

  /** Replaces the health provider (the feed's, once it runs). */
  setHealthProvider(provider: HealthProvider): void {
    this.health = provider;
  }

  /** Registers another module's route; see {@link HttpServer.route}. */
  route(method: HttpMethod, pattern: string, handler: RouteHandler, options?: RouteOptions): this {
    this.http.route(method, pattern, handler, options);
    return this;
  }

  /** Listens on `host:port` (explicit host, docs/engineering.md §1.3 rule 8); resolves with the port. */
  listen(host: string, port: number): Promise<number> {
    return this.http.listen(host, port);
  }

  /** Closes the listen socket and every connection. */
  close(): Promise<void> {
    return this.http.close();
  }
}
