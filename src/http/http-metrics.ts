/**
 * Prometheus metrics of the HTTP layer on a private prom-client Registry (one per server, so
 * several servers in one process — tests — never clash). Other parts (the feed) register
 * their own metrics on {@link HttpMetrics.registry}.
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ChainCacheObserver } from '../chain/chain-cache.js';
import type { ChainFormat } from '../chain/chain-encoder.js';
import type { BackendInfo } from './transport.js';

/** Options of {@link HttpMetrics}. */
export interface HttpMetricsOptions {
  /** Also collect prom-client's process/runtime metrics (off by default: tests start many servers). */
  readonly defaultMetrics?: boolean;
  /** Use this registry instead of a new one. */
  readonly registry?: Registry;
}

/** The HTTP layer's metrics. */
export class HttpMetrics {
  /** Register feed and other metrics here; `/metrics` renders it. */
  readonly registry: Registry;
  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly requestChildren = new Map<string, Counter.Internal>();
  private readonly chainBuild: Histogram<'format'>;
  private readonly cacheHits: Counter<'format'>;
  private readonly cacheMisses: Counter<'format'>;
  private readonly snapshotBuild: Histogram<string>;
  /** Adapter the chain caches report to. */
  readonly cacheObserver: ChainCacheObserver;

  constructor(options: HttpMetricsOptions = {}) {
    const registry = options.registry ?? new Registry();
    this.registry = registry;
    if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'optchain_' });
    this.requests = new Counter({ name: 'optchain_http_requests_total', help: 'HTTP requests by route pattern, method and status', labelNames: ['route', 'method', 'status'], registers: [registry] });
    this.chainBuild = new Histogram({
      name: 'optchain_chain_build_seconds',
      help: 'Time to assemble and encode one chain (cache misses only)',
      labelNames: ['format'],
      buckets: [10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 10e-3],
      registers: [registry],
    });
    this.cacheHits = new Counter({ name: 'optchain_chain_cache_hits_total', help: 'Chain requests served from the serialization cache', labelNames: ['format'], registers: [registry] });
    this.cacheMisses = new Counter({ name: 'optchain_chain_cache_misses_total', help: 'Chain requests that had to build the body', labelNames: ['format'], registers: [registry] });
    this.snapshotBuild = new Histogram({
      name: 'optchain_snapshot_build_seconds',
      help: 'Time to build a /v1/snapshot message',
      buckets: [1e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 10e-3, 15e-3, 25e-3, 50e-3, 100e-3],
      registers: [registry],
    });
    const hits = { json: this.cacheHits.labels('json'), flatbuffers: this.cacheHits.labels('flatbuffers') };
    const misses = { json: this.cacheMisses.labels('json'), flatbuffers: this.cacheMisses.labels('flatbuffers') };
    const builds = { json: this.chainBuild.labels('json'), flatbuffers: this.chainBuild.labels('flatbuffers') };
    this.cacheObserver = {
      hit: (format: ChainFormat) => hits[format].inc(),
      miss: (format: ChainFormat, seconds: number) => {
        misses[format].inc();
        builds[format].observe(seconds);
      },
    };
  }

  /** Counts one answered request. Children are cached: the label hashing is the costly part. */
  request(route: string, method: string, status: number): void {
    const key = `${route} ${method} ${status}`;
    let child = this.requestChildren.get(key);
    if (child === undefined) {
      child = this.requests.labels(route, method, String(status));
      this.requestChildren.set(key, child);
    }
    child.inc();
  }

  /**
   * Names the HTTP backend serving: `optchain_http_backend_info{backend, source, version,
   * fallback_reason} 1` (the Prometheus info-metric convention). Once per server.
   */
  backend(info: BackendInfo): void {
    const g = new Gauge({ name: 'optchain_http_backend_info', help: 'The HTTP backend serving (uws or node), its build and version, and why a faster one was not used', labelNames: ['backend', 'source', 'version', 'fallback_reason'], registers: [this.registry] });
    g.labels(info.name, info.source, info.version, info.fallbackReason).set(1);
  }

  /** Records a snapshot build. */
  snapshot(seconds: number): void {
    this.snapshotBuild.observe(seconds);
  }
}
