/**
 * Prometheus metrics of the analytics worker (issue 13), pulled from
 * AnalyticsSupervisor.status() at scrape time (the worker posts counters once a second;
 * nothing is counted per chain on the main thread). Up/restarts are the generic
 * `optchain_thread_up{thread="analytics"}` and `optchain_thread_restarts_total`.
 *
 * @module
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AnalyticsStatus } from './analytics-supervisor.js';

/** Registers the analytics metrics; `status` returns null while analytics are off or before the first market. */
export function registerAnalyticsMetrics(registry: Registry, status: () => AnalyticsStatus | null): void {
  const registers = [registry];
  new Counter({
    name: 'optchain_analytics_passes_total',
    help: 'Analytics passes over the universe (each recomputes the chains whose prices changed)',
    registers,
    collect() {
      this.reset();
      this.inc(status()?.passes ?? 0);
    },
  });
  new Counter({
    name: 'optchain_analytics_chains_computed_total',
    help: 'Chains whose IV, Greeks and aggregates the analytics worker recomputed and published',
    registers,
    collect() {
      this.reset();
      this.inc(status()?.chainsComputed ?? 0);
    },
  });
  new Counter({
    name: 'optchain_analytics_legs_computed_total',
    help: 'Option legs whose IV and Greeks the analytics worker solved',
    registers,
    collect() {
      this.reset();
      this.inc(status()?.legsComputed ?? 0);
    },
  });
  new Counter({
    name: 'optchain_analytics_legs_reused_total',
    help: 'Option legs of recomputed chains kept without a new solve (their price and the chain forward and time to expiry unchanged)',
    registers,
    collect() {
      this.reset();
      this.inc(status()?.legsReused ?? 0);
    },
  });
  new Gauge({
    name: 'optchain_analytics_cpu_ratio',
    help: 'CPU of the analytics worker thread over the last second, share of one core (from the OS; absent where it does not say)',
    registers,
    collect() {
      this.reset();
      const cpu = status()?.cpu;
      if (cpu !== null && cpu !== undefined) this.set(cpu);
    },
  });
  new Gauge({
    name: 'optchain_analytics_busy_ratio',
    help: 'Share of the last second the analytics worker thread spent inside passes (0..1)',
    registers,
    collect() {
      this.set(status()?.busy ?? 0);
    },
  });
  new Gauge({
    name: 'optchain_analytics_pass_max_seconds',
    help: 'Longest analytics pass in the last second',
    registers,
    collect() {
      this.set((status()?.maxPassMs ?? 0) / 1000);
    },
  });
}
