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

/** A count kept in a plain number and added to its prom-client child when the registry is read. */
interface PendingCount {
  n: number;
  readonly child: Counter.Internal;
}

function pendingCount(child: Counter.Internal, all: PendingCount[]): PendingCount {
  const cell = { n: 0, child };
  all.push(cell);
  return cell;
}

/** Adds every pending count to its counter. */
function flush(all: readonly PendingCount[]): void {
  for (const cell of all) {
    if (cell.n === 0) continue;
    cell.child.inc(cell.n);
    cell.n = 0;
  }
}

/** The HTTP layer's metrics. */
export class HttpMetrics {
  /** Register feed and other metrics here; `/metrics` renders it. */
  readonly registry: Registry;
  /**
   * Answered requests per route, method and status, counted here and added to the prom-client
   * counter when it is read (its collect hook): prom-client's own `inc` hashes and validates
   * the labels on every call, which cost the hot chain route a few µs per request
   * (bench/RESULTS.md 2026-12-03 http-perf section).
   */
  private readonly requestCells = new Map<string, Map<string, Map<number, PendingCount>>>();
  private readonly pending: PendingCount[] = [];
  private readonly requests: Counter<'route' | 'method' | 'status'>;
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
    const pending = this.pending;
    const collect = (): void => flush(pending);
    this.requests = new Counter({ name: 'optchain_http_requests_total', help: 'HTTP requests by route pattern, method and status', labelNames: ['route', 'method', 'status'], registers: [registry], collect });
    this.chainBuild = new Histogram({
      name: 'optchain_chain_build_seconds',
      help: 'Time to assemble and encode one chain (cache misses only)',
      labelNames: ['format'],
      buckets: [10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 10e-3],
      registers: [registry],
    });
    this.cacheHits = new Counter({ name: 'optchain_chain_cache_hits_total', help: 'Chain requests served from the serialization cache', labelNames: ['format'], registers: [registry], collect });
    this.cacheMisses = new Counter({ name: 'optchain_chain_cache_misses_total', help: 'Chain requests that had to build the body', labelNames: ['format'], registers: [registry], collect });
    this.snapshotBuild = new Histogram({
      name: 'optchain_snapshot_build_seconds',
      help: 'Time to build a /v1/snapshot message',
      buckets: [1e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 10e-3, 15e-3, 25e-3, 50e-3, 100e-3],
      registers: [registry],
    });
    const hits = { json: pendingCount(this.cacheHits.labels('json'), pending), flatbuffers: pendingCount(this.cacheHits.labels('flatbuffers'), pending) };
    const misses = { json: pendingCount(this.cacheMisses.labels('json'), pending), flatbuffers: pendingCount(this.cacheMisses.labels('flatbuffers'), pending) };
    const builds = { json: this.chainBuild.labels('json'), flatbuffers: this.chainBuild.labels('flatbuffers') };
    this.cacheObserver = {
      hit: (format: ChainFormat) => {
        hits[format].n++;
      },
      miss: (format: ChainFormat, seconds: number) => {
        misses[format].n++;
        builds[format].observe(seconds);
      },
    };
  }

  /** Counts one answered request (three Map lookups, no allocation once the cell exists). */
  request(route: string, method: string, status: number): void {
    let byMethod = this.requestCells.get(route);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.requestCells.set(route, byMethod);
    }
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) {
      byStatus = new Map();
      byMethod.set(method, byStatus);
    }
    let cell = byStatus.get(status);
    if (cell === undefined) {
      cell = pendingCount(this.requests.labels(route, method, String(status)), this.pending);
      byStatus.set(status, cell);
    }
    cell.n++;
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
