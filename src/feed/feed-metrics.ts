/**
 * Prometheus metrics of the live feed (issue #5 item 5: packets by code, bytes, decode errors,
 * per-connection state), registered on the HTTP layer's registry. Values are pulled from
 * `FeedSupervisor.status()` at scrape time; nothing is counted on the tick path for this.
 *
 * @module
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { FeedStatus } from './feed-supervisor.js';

/** Registers the feed's metrics; `status` is called once per scrape. */
export function registerFeedMetrics(registry: Registry, status: () => FeedStatus): void {
  // One status() per scrape, shared by every metric's collect().
  let cached: { at: number; value: FeedStatus } | null = null;
  const get = (): FeedStatus => {
    const now = Date.now();
    if (cached === null || now - cached.at > 100) cached = { at: now, value: status() };
    return cached.value;
  };
  const registers = [registry];

  new Counter({
    name: 'optchain_feed_packets_total',
    help: 'Feed packets decoded, by Dhan response code (docs/dhan-protocol.md §2.6)',
    labelNames: ['code'],
    registers,
    collect() {
      this.reset();
      for (const [code, n] of Object.entries(get().byCode)) this.inc({ code }, n);
    },
  });
  new Counter({
    name: 'optchain_feed_bytes_total',
    help: 'Feed bytes received in binary frames',
    registers,
    collect() {
      this.reset();
      this.inc(get().bytes);
    },
  });
  new Counter({
    name: 'optchain_feed_frames_total',
    help: 'Feed WebSocket binary messages received',
    registers,
    collect() {
      this.reset();
      this.inc(get().frames);
    },
  });
  new Counter({
    name: 'optchain_feed_keepalive_headers_total',
    help: 'All-zero 8-byte keep-alive headers skipped in feed frames (docs/dhan-protocol.md §2.5); not decode errors',
    registers,
    collect() {
      this.reset();
      this.inc(get().keepAlives);
    },
  });
  new Counter({
    name: 'optchain_feed_decode_errors_total',
    help: 'Feed decode errors by kind (bad framing, unknown codes or tokens, short layouts)',
    labelNames: ['kind'],
    registers,
    collect() {
      this.reset();
      for (const [kind, n] of Object.entries(get().errors)) this.inc({ kind }, n);
    },
  });
  new Gauge({
    name: 'optchain_feed_packets_per_second',
    help: 'Feed packets decoded per second (all connections)',
    registers,
    collect() {
      this.set(get().packetsPerSec);
    },
  });
  new Gauge({
    name: 'optchain_feed_tokens',
    help: 'Skeleton tokens by feed state: subscribed, unsubscribed (no account capacity), with_data, missing_after_open',
    labelNames: ['state'],
    registers,
    collect() {
      const s = get();
      this.set({ state: 'subscribed' }, s.subscribed);
      this.set({ state: 'unsubscribed' }, s.unsubscribed);
      this.set({ state: 'with_data' }, s.withData);
      this.set({ state: 'missing_after_open' }, s.missingAfterOpen.count);
    },
  });
  new Gauge({
    name: 'optchain_feed_accounts',
    help: 'Dhan accounts: configured, and needed to hold every skeleton token at 5 x 5000 each (needed > configured = tokens unsubscribed)',
    labelNames: ['kind'],
    registers,
    collect() {
      const s = get();
      this.set({ kind: 'configured' }, s.accounts);
      this.set({ kind: 'needed' }, s.accountsNeeded);
    },
  });
  new Gauge({
    name: 'optchain_feed_connection_up',
    help: '1 when the upstream connection is open and subscribed',
    labelNames: ['account', 'index'],
    registers,
    collect() {
      this.reset();
      for (const c of get().connections) this.set({ account: c.account, index: String(c.index) }, c.state === 'open' ? 1 : 0);
    },
  });
  new Counter({
    name: 'optchain_feed_connection_reconnects_total',
    help: 'Reconnects of each upstream connection',
    labelNames: ['account', 'index'],
    registers,
    collect() {
      this.reset();
      for (const c of get().connections) this.inc({ account: c.account, index: String(c.index) }, c.reconnects);
    },
  });
  new Counter({
    name: 'optchain_feed_worker_restarts_total',
    help: 'Feed worker threads restarted after they threw or exited, by worker',
    labelNames: ['worker'],
    registers,
    collect() {
      this.reset();
      for (const w of get().workerThreads) this.inc({ worker: String(w.index) }, w.restarts);
    },
  });
  new Gauge({
    name: 'optchain_feed_worker_up',
    help: '1 while the feed worker thread runs, 0 between its death and its restart',
    labelNames: ['worker'],
    registers,
    collect() {
      this.reset();
      for (const w of get().workerThreads) this.set({ worker: String(w.index) }, w.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'optchain_feed_connection_last_packet_age_seconds',
    help: 'Seconds since the connection last received a frame (absent before the first)',
    labelNames: ['account', 'index'],
    registers,
    collect() {
      this.reset();
      const now = Date.now();
      for (const c of get().connections) if (c.lastPacketAt !== null) this.set({ account: c.account, index: String(c.index) }, (now - c.lastPacketAt) / 1000);
    },
  });
}
