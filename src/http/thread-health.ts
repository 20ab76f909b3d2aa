/**
 * The server's helper threads as `/health` and `/metrics` report them (issue 14 §2: a thread
 * that dies is restarted, and the restart is visible): the margin worker and, in sim mode, the
 * embedded simulator. Feed workers report their own in the feed object
 * (src/feed/feed-metrics.ts). A thread that is down makes `/health` degraded until its
 * replacement runs.
 *
 * @module
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** One helper thread. */
export interface ThreadHealth {
  /** False from the thread's death until its replacement runs. */
  readonly up: boolean;
  /** Unexpected exits since start (each followed by a restart). */
  readonly restarts: number;
  /** Unix ms of the last unexpected exit, null when none. */
  readonly lastExitAt: number | null;
  /** Why it last died, null when never. */
  readonly lastExit: string | null;
}

/** Helper threads by name (`margin`, `sim`); absent when the process has no such thread. */
export type ThreadsHealth = Readonly<Record<string, ThreadHealth>>;

/** Reasons for `degraded`: every thread that is down. */
export function threadProblems(threads: ThreadsHealth): string[] {
  return Object.entries(threads)
    .filter(([, t]) => !t.up)
    .map(([name, t]) => `${name} thread down (${t.lastExit ?? 'starting'}); restarting`);
}

/** Registers `optchain_thread_up` and `optchain_thread_restarts_total` by thread. */
export function registerThreadMetrics(registry: Registry, threads: () => ThreadsHealth): void {
  const registers = [registry];
  new Gauge({
    name: 'optchain_thread_up',
    help: '1 while the helper thread (margin worker, embedded simulator) runs, 0 between its death and its restart',
    labelNames: ['thread'],
    registers,
    collect() {
      this.reset();
      for (const [thread, t] of Object.entries(threads())) this.set({ thread }, t.up ? 1 : 0);
    },
  });
  new Counter({
    name: 'optchain_thread_restarts_total',
    help: 'Helper threads restarted after they threw or exited, by thread',
    labelNames: ['thread'],
    registers,
    collect() {
      this.reset();
      for (const [thread, t] of Object.entries(threads())) this.inc({ thread }, t.restarts);
    },
  });
}
