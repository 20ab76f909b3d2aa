/**
 * The main thread's side of the analytics worker (issue 13): allocates nothing itself (the
 * caller hands it the day's price and analytics tables), spawns the worker, and heals it like
 * the feed worker (src/feed/feed-supervisor.ts): a worker that throws, exits or is terminated
 * is replaced after a jittered exponential backoff (200 ms doubling to 30 s in a crash loop,
 * reset after a minute of uptime), and before the replacement starts, any chain block the
 * dead thread left mid-write is made consistent again (`repairAbandonedWrites`) — the table
 * keeps exactly one writer. The replacement's first pass republishes every chain. While no
 * worker runs, chains are served with the last published analytics and `/health` says the
 * thread is down.
 *
 * @module
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { SpreadRules } from '../analytics/iv-price.js';
import { ErrorCodes, OptchainError } from '../errors.js';
import { Backoff } from '../feed/backoff.js';
import type { ThreadHealth } from '../http/thread-health.js';
import type { AnalyticsTable } from '../price-table/analytics-table.js';
import type { PriceTable } from '../price-table/price-table.js';
import type { Skeleton } from '../skeleton/types.js';
import type { MarketClock } from '../time/market-clock.js';
import { distUrl } from '../util/dist-path.js';
import { chainInputs, type ChainInputs } from './chain-inputs.js';
import type { AnalyticsMainMessage, AnalyticsWorkerData, AnalyticsWorkerMessage, AnalyticsWorkerStats } from './worker-protocol.js';
import { stopWorker } from '../util/stop-worker.js';


/** A worker that does not confirm a stop within this is terminated. */
const STOP_TIMEOUT_MS = 2000;
/** Start-up: the worker's `ready` must come within this. */
const START_TIMEOUT_MS = 30_000;

/** Restart policy (as the feed worker's). */
export interface AnalyticsRestartPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly stableMs: number;
}

const DEFAULT_RESTART: AnalyticsRestartPolicy = { baseMs: 200, maxMs: 30_000, stableMs: 60_000 };

/** Options of an {@link AnalyticsSupervisor}. */
export interface AnalyticsSupervisorOptions {
  readonly skeleton: Skeleton;
  readonly price: PriceTable;
  readonly analytics: AnalyticsTable;
  /** The market clock (the simulator's session clock in sim mode). */
  readonly clock: MarketClock;
  readonly riskFreeRate: number;
  readonly rules: SpreadRules;
  readonly intervalMs: number;
  readonly refreshMs: number;
  readonly logger: Logger;
  readonly testHooks?: boolean;
  readonly restart?: Partial<AnalyticsRestartPolicy>;
}

/** The analytics thread in `/health` (`threads.analytics`) and `/metrics`. */
export interface AnalyticsStatus extends ThreadHealth {
  /** Passes over the universe since start (all threads). */
  readonly passes: number;
  /** Chains recomputed and published since start. */
  readonly chainsComputed: number;
  /** Legs solved (IV + Greeks) since start. */
  readonly legsComputed: number;
  /** Legs of recomputed chains kept unsolved since start (their input and the chain's forward and T unchanged). */
  readonly legsReused: number;
  /** Share of the last stats interval the thread spent inside passes (0..1). */
  readonly busy: number;
  /** The thread's CPU over the last stats interval, share of one core (0..1, from the OS: includes waking and messaging); null where the OS does not say. */
  readonly cpu: number | null;
  /** The longest pass in the last stats interval, ms. */
  readonly maxPassMs: number;
  readonly lastPassMs: number;
  /** Chains recomputed per second over the last stats interval. */
  readonly chainsPerSec: number;
}

/** Supervises one analytics worker for one market (a rollover makes a new supervisor). */
export class AnalyticsSupervisor {
  private worker: Worker | null = null;
  private running = false;
  private restarts = 0;
  private lastExitAt: number | null = null;
  private lastExit: string | null = null;
  private pendingError: string | null = null;
  private spawnedAt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly backoff: Backoff;
  private readonly restart: AnalyticsRestartPolicy;
  private readonly inputs: ChainInputs;
  /** Totals of dead threads, so counters never go backwards after a restart. */
  private carried = { passes: 0, chains: 0, legs: 0, reused: 0 };
  private stats: AnalyticsWorkerStats | null = null;
  private rate: { busy: number; cpu: number | null; chainsPerSec: number } = { busy: 0, cpu: null, chainsPerSec: 0 };

  constructor(private readonly opts: AnalyticsSupervisorOptions) {
    this.restart = { ...DEFAULT_RESTART, ...opts.restart };
    this.backoff = new Backoff({ baseMs: this.restart.baseMs, maxMs: this.restart.maxMs });
    this.inputs = chainInputs(opts.skeleton);
  }

  /** Starts the worker; resolves once it runs (its first pass is under way). */
  async start(): Promise<void> {
    this.running = true;
    await this.spawn();
  }

  /** The thread's health and load. */
  status(): AnalyticsStatus {
    const s = this.stats;
    return {
      up: this.worker !== null,
      restarts: this.restarts,
      lastExitAt: this.lastExitAt,
      lastExit: this.lastExit,
      passes: this.carried.passes + (s?.passes ?? 0),
      chainsComputed: this.carried.chains + (s?.chains ?? 0),
      legsComputed: this.carried.legs + (s?.legs ?? 0),
      legsReused: this.carried.reused + (s?.reused ?? 0),
      busy: this.worker !== null ? this.rate.busy : 0,
      cpu: this.worker !== null ? this.rate.cpu : null,
      maxPassMs: s?.maxPassMs ?? 0,
      lastPassMs: s?.lastPassMs ?? 0,
      chainsPerSec: this.worker !== null ? this.rate.chainsPerSec : 0,
    };
  }

  /**
   * Test hook: kills the worker — `throw` (an uncaught error in the thread), `exit`
   * (process.exit in the thread), `terminate` (from this side, possibly mid-write). Resolves
   * once the thread is gone. Throws ANALYTICS_TEST_HOOK_DISABLED without `testHooks`.
   */
  async crashForTest(how: 'throw' | 'exit' | 'terminate'): Promise<void> {
    const worker = this.worker;
    if (this.opts.testHooks !== true || worker === null) throw new OptchainError(ErrorCodes.ANALYTICS_TEST_HOOK_DISABLED, this.opts.testHooks === true ? 'the analytics worker is not running' : 'analytics test hooks are disabled');
    const gone = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    if (how === 'terminate') void worker.terminate();
    else {
      worker.postMessage({ type: 'test-crash', how } satisfies AnalyticsMainMessage);
      this.opts.price.wakeTickWaiters();
    }
    await gone;
  }

  /** Stops the worker (no restart after this). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const worker = this.worker;
    if (worker === null) return;
    const stopped = stopWorker<AnalyticsWorkerMessage>(worker, { type: 'stop' } satisfies AnalyticsMainMessage, STOP_TIMEOUT_MS, (m) => {
      if (m.type === 'stats') this.onStats(m);
    });
    // The worker may be asleep on the wake word: end the sleep so it reads the message now.
    this.opts.price.wakeTickWaiters();
    await stopped;
    this.worker = null;
  }

  private workerData(): AnalyticsWorkerData {
    const o = this.opts;
    return {
      role: 'analytics-worker',
      price: o.price.handle(),
      analytics: o.analytics.handle(),
      inputs: this.inputs,
      params: { rate: o.riskFreeRate, rules: o.rules },
      clockOffsetMs: o.clock.offsetMs,
      intervalMs: o.intervalMs,
      refreshMs: o.refreshMs,
      testHooks: o.testHooks === true,
    };
  }

  private spawn(): Promise<void> {
    const worker = new Worker(distUrl('./analytics-worker.js', import.meta.url), { workerData: this.workerData(), name: 'optchain-analytics' });
    this.spawnedAt = Date.now();
    this.pendingError = null;
    this.stats = null;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new OptchainError(ErrorCodes.ANALYTICS_START_FAILED, `analytics worker did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      const onExit = (code: number): void => {
        clearTimeout(timer);
        reject(new OptchainError(ErrorCodes.ANALYTICS_START_FAILED, `analytics worker exited during start-up (${this.pendingError ?? `exit code ${code}`})`));
      };
      worker.once('exit', onExit);
      worker.on('message', (m: AnalyticsWorkerMessage) => {
        if (m.type !== 'ready') return;
        clearTimeout(timer);
        worker.off('exit', onExit);
        this.worker = worker;
        resolve();
      });
    });
    worker.on('message', (m: AnalyticsWorkerMessage) => {
      if (m.type === 'stats') this.onStats(m);
      else if (m.type === 'log') this.opts.logger[m.level]({ thread: 'analytics' }, m.msg);
    });
    worker.on('error', (err) => {
      this.pendingError = err.message;
      this.opts.logger.error({ thread: 'analytics', err: err.message }, 'analytics worker failed');
    });
    worker.on('exit', (code) => {
      const wasUp = this.worker === worker;
      if (wasUp) this.worker = null;
      if (this.running && wasUp) this.onDied(code);
    });
    return ready;
  }

  private onStats(m: AnalyticsWorkerStats): void {
    const prev = this.stats;
    if (prev !== null && m.at > prev.at) {
      const dt = m.at - prev.at;
      const cpu = m.cpuMs !== null && prev.cpuMs !== null ? Math.min(1, (m.cpuMs - prev.cpuMs) / dt) : null;
      this.rate = { busy: Math.min(1, (m.busyMs - prev.busyMs) / dt), cpu, chainsPerSec: Math.round(((m.chains - prev.chains) * 1000) / dt) };
    }
    this.stats = m;
  }

  /** The running worker died: repair its table, then restart it after the backoff. */
  private onDied(code: number): void {
    const now = Date.now();
    const reason = this.pendingError ?? `exit code ${code}`;
    this.pendingError = null;
    const s = this.stats;
    if (s !== null) this.carried = { passes: this.carried.passes + s.passes, chains: this.carried.chains + s.chains, legs: this.carried.legs + s.legs, reused: this.carried.reused + s.reused };
    this.stats = null;
    this.restarts++;
    this.lastExitAt = now;
    this.lastExit = reason;
    const repaired = this.opts.analytics.repairAbandonedWrites();
    if (now - this.spawnedAt >= this.restart.stableMs) this.backoff.reset();
    const delay = this.backoff.next();
    this.opts.logger.error({ thread: 'analytics', code, reason, restarts: this.restarts, repairedChains: repaired, restartInMs: delay }, `analytics worker died (${reason}); restarting in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.running) return;
      this.spawn().catch((err: unknown) => {
        // A start-up failure is a death too: back off and try again.
        this.opts.logger.error({ thread: 'analytics', err: (err as Error).message }, 'analytics worker restart failed');
        if (this.running && this.worker === null) this.onDied(-1);
      });
    }, delay);
  }
}
