/**
 * Metrics of the cached representations: compressed chain copies and snapshot requests by
 * how they were answered (the snapshot bound's effect is visible here: `refused`).
 *
 * @module
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ContentEncoding } from '../chain/body-compression.js';
import type { ChainCacheObserver } from '../chain/chain-cache.js';
import type { ChainFormat } from '../chain/chain-encoder.js';
import type { SnapshotCacheObserver } from '../chain/snapshot-cache.js';

/** Registers the counters on `registry` and returns the observers to give the caches. */
export function representationMetrics(registry: Registry, chainObserver: ChainCacheObserver, snapshotBuild: (seconds: number) => void): { chain: ChainCacheObserver; snapshot: SnapshotCacheObserver } {
  const compressions = new Histogram({
    name: 'optchain_body_compress_seconds',
    help: 'Time to compress a cached body (once per chain, format, generation and coding; once per snapshot body and coding)',
    labelNames: ['body', 'encoding'],
    buckets: [1e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 100e-3, 250e-3],
    registers: [registry],
  });
  const snapshots = new Counter({
    name: 'optchain_snapshot_requests_total',
    help: '/v1/snapshot requests by outcome: hit (cached body), shared (joined a running build), refused (503 SNAPSHOT_BUSY); builds are counted in optchain_snapshot_build_seconds',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const hit = snapshots.labels('hit');
  const shared = snapshots.labels('shared');
  const refused = snapshots.labels('refused');
  return {
    chain: {
      hit: (f) => chainObserver.hit(f),
      miss: (f, s) => chainObserver.miss(f, s),
      compressed: (f: ChainFormat, e: ContentEncoding, s: number) => compressions.labels(`chain-${f}`, e).observe(s),
    },
    snapshot: {
      build: (s) => snapshotBuild(s),
      hit: () => hit.inc(),
      shared: () => shared.inc(),
      refused: () => refused.inc(),
      compressed: (e, s) => compressions.labels('snapshot', e).observe(s),
    },
  };
}
