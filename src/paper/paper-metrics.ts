/**
 * Prometheus metrics of paper trading and the margin service (issue 15 item 6: the README
 * listed margin metrics that `/metrics` did not have), registered on the HTTP layer's
 * registry. Margin counters live in the margin worker and are fetched once per scrape (one
 * `stats` round trip shared by every metric's collect); the rest are the HTTP thread's own.
 *
 * @module
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MarginStats } from '../margin/types.js';
import type { PaperServiceStats } from './paper-service.js';
import type { PaperWriterStats } from './paper-writer.js';

/** Where the values come from. */
export interface PaperMetricsSources {
  readonly margin: () => Promise<MarginStats>;
  readonly service: () => PaperServiceStats;
  readonly writer: () => PaperWriterStats;
  /** Requests refused by the per-user rate limit. */
  readonly rateLimited: () => number;
  /** Of those, 429s held a second (the client kept sending past its limit). */
  readonly rateLimitHeld: () => number;
}

/** Registers the metrics on `registry`. */
export function registerPaperMetrics(registry: Registry, src: PaperMetricsSources): void {
  let inflight: Promise<MarginStats | null> | null = null;
  // The worker may be restarting: a scrape then shows the last values instead of failing.
  let last: MarginStats | null = null;
  const margin = async (): Promise<MarginStats | null> => {
    inflight ??= src.margin().then(
      (s) => (last = s),
      () => last,
    ).finally(() => {
      inflight = null;
    });
    return inflight;
  };
  const registers = [registry];
  const marginCounter = (name: string, help: string, pick: (s: MarginStats) => number): void => {
    new Counter({
      name, help, registers,
      async collect() {
        const s = await margin();
        this.reset();
        if (s !== null) this.inc(pick(s));
      },
    });
  };
  marginCounter('optchain_margin_calls_total', 'HTTP calls made to Dhan\'s margin calculator (each retry counts)', (s) => s.upstreamCalls);
  marginCounter('optchain_margin_cache_hits_total', 'Margins answered from the per-user, per-position-set cache', (s) => s.cacheHits);
  marginCounter('optchain_margin_dedup_hits_total', 'Margin requests that joined an identical call already in flight', (s) => s.dedupHits);
  marginCounter('optchain_margin_retries_total', 'Margin call retries', (s) => s.retries);
  marginCounter('optchain_margin_failures_total', 'Margin computations that ended without a margin', (s) => s.failures);
  marginCounter('optchain_margin_rate_limit_waits_total', 'Margin calls that waited in the fair queue for a token of Dhan\'s rate budget', (s) => s.limiterWaits);
  marginCounter('optchain_margin_reserve_grants_total', 'Margin calls of users with nothing waiting that took the token held back for them while others\' calls waited', (s) => s.queueReserveGrants);
  new Counter({
    name: 'optchain_margin_queue_refused_total',
    help: 'Margin calls dropped before reaching Dhan: the user\'s queue was full, the deadline passed while waiting, or the client went away',
    labelNames: ['reason'],
    registers,
    async collect() {
      const s = await margin();
      this.reset();
      if (s === null) return;
      this.inc({ reason: 'full' }, s.queueFull);
      this.inc({ reason: 'deadline' }, s.queueExpired);
      this.inc({ reason: 'cancelled' }, s.queueCancelled);
    },
  });
  new Gauge({
    name: 'optchain_margin_queue_depth',
    help: 'Margin calls waiting for a token of Dhan\'s rate budget now',
    registers,
    async collect() {
      const s = await margin();
      this.set(s?.queueDepth ?? 0);
    },
  });
  new Gauge({
    name: 'optchain_margin_cache_entries',
    help: 'Position sets held in the margin cache',
    registers,
    async collect() {
      const s = await margin();
      this.set(s?.cacheEntries ?? 0);
    },
  });
  new Counter({
    name: 'optchain_margin_invalidation_failures_total',
    help: 'Margin-cache invalidations that failed after a fill (the user\'s stale what-ifs then expire by TTL)',
    registers,
    collect() {
      this.reset();
      this.inc(src.service().invalidationFailures);
    },
  });
  new Counter({
    name: 'optchain_paper_orders_total',
    help: 'Paper orders by outcome: filled, refused (422, stored for replay), queue_full (429), deadline (503), cancelled (client gone)',
    labelNames: ['outcome'],
    registers,
    collect() {
      const s = src.service();
      this.reset();
      this.inc({ outcome: 'filled' }, s.filled);
      this.inc({ outcome: 'refused' }, s.refused);
      this.inc({ outcome: 'queue_full' }, s.queueFull);
      this.inc({ outcome: 'deadline' }, s.deadlineExceeded);
      this.inc({ outcome: 'cancelled' }, s.cancelled);
    },
  });
  new Counter({
    name: 'optchain_paper_rate_limited_total',
    help: 'Paper and margin requests refused 429 RATE_LIMITED by the per-user token bucket',
    registers,
    collect() {
      this.reset();
      this.inc(src.rateLimited());
    },
  });
  new Counter({
    name: 'optchain_paper_rate_limit_held_total',
    help: 'Of the 429 RATE_LIMITED answers, those held one second because the user kept sending past the limit',
    registers,
    collect() {
      this.reset();
      this.inc(src.rateLimitHeld());
    },
  });
  new Counter({
    name: 'optchain_paper_db_writes_total',
    help: 'Paper database writes committed by the writer thread',
    registers,
    collect() {
      this.reset();
      this.inc(src.writer().writes);
    },
  });
  new Counter({
    name: 'optchain_paper_db_commits_total',
    help: 'Paper database transactions (one fsync each); writes / commits is the group-commit batch size',
    registers,
    collect() {
      this.reset();
      this.inc(src.writer().commits);
    },
  });
  new Gauge({
    name: 'optchain_paper_db_writes_pending',
    help: 'Paper database writes handed to the writer thread and not yet committed (a stalled disk shows here first)',
    registers,
    collect() {
      this.set(src.writer().pending);
    },
  });
}
