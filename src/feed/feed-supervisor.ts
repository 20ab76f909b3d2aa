/**
 * Main-thread side of the live feed: plans the connections (connection-plan.ts), spawns the
 * feed workers from compiled JS with the shared price table, collects their once-a-second
 * statistics, answers `status()` for `/health` (docs/contract.md §5) and swaps to a new skeleton and
 * table at a trading-date rollover.
 *
 * The main thread never sees a tick: workers write the table, the main thread only reads slot
 * versions (withData) and the workers' counters.
 *
 * Rollover: `swap()` stops every worker of the old day (their sockets closed) before any
 * worker of the new day starts, and the new day has its own table, so no slot of the old day
 * can be written into, or read through, the new day's chains. Messages from the old day's
 * workers carry the old epoch and are dropped.
 *
 * @module
 */
import type { EventLoopUtilization } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { ErrorCodes, FeedError } from '../errors.js';
import { Backoff } from './backoff.js';
import type { PriceTable } from '../price-table/price-table.js';
import type { Skeleton } from '../skeleton/types.js';
import type { MarketClock } from '../time/market-clock.js';
import { distUrl } from '../util/dist-path.js';
import { loadAccounts, type AccountsSource } from '../dhan/accounts.js';
import { accountsNeeded, MAX_CONNECTIONS_PER_ACCOUNT, planConnections, type ConnectionPlan, type PlanLimits } from './connection-plan.js';
import type { ConnectionState, ConnectionStats } from './upstream-connection.js';
import type { DecoderSnapshot, FeedWorkerData, FeedWorkerTimings, MainMessage, MissingTokens, WorkerMessage } from './worker-protocol.js';
import { stopWorker } from '../util/stop-worker.js';


/** How many unsubscribed tokens the status and the log name. */
const EXAMPLES = 5;
/** A worker that does not confirm a stop within this is terminated. */
const STOP_TIMEOUT_MS = 5000;
/** Default of config `feedStaleMs` (config/default.json has the same). */
export const DEFAULT_FEED_STALE_MS = 10_000;

/** Restart policy of a crashed worker (see {@link WorkerRestartPolicy}). */
const DEFAULT_RESTART: WorkerRestartPolicy = { baseMs: 200, maxMs: 30_000, stableMs: 60_000 };

/**
 * How a feed worker that threw or exited is brought back. The first restart comes almost at
 * once (the shard is dark meanwhile); a worker that keeps dying right after its start backs
 * off exponentially (jittered) up to `maxMs`, so a crash loop costs a trickle of threads
 * instead of a storm of Dhan connects; `stableMs` of uptime resets the backoff.
 */
export interface WorkerRestartPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly stableMs: number;
}

/** How a test kills a feed worker (FeedSupervisor.crashWorkerForTest). */
export type WorkerCrash = 'throw' | 'exit' | 'terminate';

/** One feed worker thread in `/health` (detail beyond docs/contract.md §5). */
export interface FeedWorkerStatus {
  readonly index: number;
  /** False from the thread's death until its replacement is spawned. */
  readonly up: boolean;
  /** Unexpected exits of this worker's thread (each was followed by a restart). */
  readonly restarts: number;
  /** Unix ms of the last unexpected exit, null when none. */
  readonly lastExitAt: number | null;
  /** Why it last died (uncaught error message or exit code), null when never. */
  readonly lastExit: string | null;
}

/** One connection in `/health` (docs/contract.md §5 fields first, then detail). */
export interface FeedConnectionStatus {
  /** Client id — never the token. */
  readonly account: string;
  readonly index: number;
  readonly state: ConnectionState;
  readonly tokens: number;
  /** Unix ms of the last frame received, null before the first. */
  readonly lastPacketAt: number | null;
  readonly worker: number;
  readonly packets: number;
  readonly packetsPerSec: number;
  readonly reconnects: number;
  readonly watchdogReconnects: number;
  readonly lastError: string | null;
  readonly lastDisconnectReason: number | null;
  readonly authError: string | null;
  /**
   * Open, during market hours, and its last packet (or its open, before the first) is older
   * than `feedStaleMs`: the data may be silently stale, so `/health` says degraded.
   */
  readonly stale: boolean;
}

/** The `/health` `feed` object (docs/contract.md §5) plus detail. */
export interface FeedStatus {
  readonly connections: readonly FeedConnectionStatus[];
  /** Tokens subscribed (each exactly once). */
  readonly subscribed: number;
  /** Skeleton tokens the accounts cannot hold (> 0 is degraded, never hidden). */
  readonly unsubscribed: number;
  /** Subscribed slots that have received at least one packet. */
  readonly withData: number;
  /** Packets decoded since start (all workers). */
  readonly packets: number;
  readonly running: boolean;
  readonly tradingDate: string;
  readonly workers: number;
  readonly accounts: number;
  /** Accounts the skeleton's tokens need (25,000 each); more than `accounts` means a shortfall. */
  readonly accountsNeeded: number;
  /** Instruments the accounts can hold. */
  readonly capacity: number;
  readonly unsubscribedExamples: readonly string[];
  readonly packetsPerSec: number;
  readonly frames: number;
  readonly bytes: number;
  /** Packets by response code. */
  readonly byCode: Readonly<Record<string, number>>;
  /** All-zero keep-alive headers skipped (docs/dhan-protocol.md §2.5); not packets, not errors. */
  readonly keepAlives: number;
  /** Sum of decode error counters (bad framing, unknown codes/tokens, short layouts). */
  readonly decodeErrors: number;
  readonly errors: DecoderSnapshot['errors'];
  /** Tokens that delivered nothing within feedFirstPacketMs of max(open, subscription). */
  readonly missingAfterOpen: MissingTokens;
  /** Feed worker threads restarted after an unexpected exit since start (all workers). */
  readonly workerRestarts: number;
  readonly workerThreads: readonly FeedWorkerStatus[];
  /** Human-readable reasons the feed is degraded; empty when healthy. */
  readonly problems: readonly string[];
}

/** Constructor options. */
export interface FeedSupervisorOptions {
  readonly skeleton: Skeleton;
  readonly table: PriceTable;
  readonly accounts: AccountsSource;
  /** Feed WebSocket base (config dhanFeedUrl or the simulator's feed URL). */
  readonly feedUrl: string;
  readonly clock: MarketClock;
  readonly config: Pick<Config, 'feedWorkers' | 'feedWatchdogMs' | 'feedFirstPacketMs' | 'feedBackoffMaxMs'> & Partial<Pick<Config, 'feedStaleMs'>>;
  readonly logger: Logger;
  /** Overrides of the derived timings (tests use short ones). */
  readonly timings?: Partial<FeedWorkerTimings>;
  /** Planning limits (tests shrink Dhan's). */
  readonly limits?: PlanLimits;
  /** Wall clock (Unix ms) the staleness check reads; tests move it. Default `Date.now`. */
  readonly now?: () => number;
  /** Restart policy of crashed workers (tests shorten it). */
  readonly workerRestart?: Partial<WorkerRestartPolicy>;
  /**
   * Lets {@link FeedSupervisor.crashWorkerForTest} kill workers (the worker then honours a
   * crash message). Off in the server: nothing outside a test can ask a worker to die.
   */
  readonly testHooks?: boolean;
}

/** Timings derived from the configuration (see upstream-connection.ts for their meaning). */
export function deriveTimings(config: FeedSupervisorOptions['config'], overrides: Partial<FeedWorkerTimings> = {}): FeedWorkerTimings {
  const watchdogMs = config.feedWatchdogMs;
  const backoffMaxMs = config.feedBackoffMaxMs;
  return {
    watchdogMs,
    // Outside market hours only a dead transport matters, and no data is expected (docs/peers.md §3.3).
    outsideHoursWatchdogMs: Math.max(4 * watchdogMs, 120_000),
    // Dhan pings every 10 s (docs/dhan-protocol.md §2.10); ours must come often enough for the watchdog to see pongs.
    pingMs: Math.min(10_000, Math.max(100, Math.floor(watchdogMs / 3))),
    backoffBaseMs: Math.min(500, backoffMaxMs),
    backoffMaxMs,
    tooManyBackoffMs: Math.max(backoffMaxMs, 15_000),
    authRetryMs: 10 * 60_000,
    accountsPollMs: 1000,
    connectTimeoutMs: 10_000,
    stableMs: Math.min(10_000, watchdogMs),
    closeTimeoutMs: 1000,
    firstPacketMs: config.feedFirstPacketMs,
    statsMs: 1000,
    ...overrides,
  };
}

type StatsMessage = Extract<WorkerMessage, { type: 'stats' }>;

/** Decoder counters summed over threads. */
interface DecoderTotals {
  frames: number;
  bytes: number;
  packets: number;
  byCode: Record<string, number>;
  keepAlives: number;
  errors: Record<keyof DecoderSnapshot['errors'], number>;
}

/** Counters of a worker's earlier (dead) threads, so totals never go backwards after a restart. */
interface Carried extends DecoderTotals {
  /** Per connection id: packets, reconnects, watchdog reconnects. */
  connections: Map<number, { packets: number; reconnects: number; watchdogReconnects: number }>;
}

const emptyErrors = (): DecoderTotals['errors'] => ({ shortFrame: 0, badLength: 0, layoutMismatch: 0, unknownCode: 0, unknownToken: 0, badInput: 0, internalErrors: 0, callbackErrors: 0 });
const emptyTotals = (): DecoderTotals => ({ frames: 0, bytes: 0, packets: 0, byCode: {}, keepAlives: 0, errors: emptyErrors() });
const emptyCarried = (): Carried => ({ ...emptyTotals(), connections: new Map() });

/** Adds `from` into `into`. */
function addTotals(into: DecoderTotals, from: Readonly<DecoderTotals> | DecoderSnapshot): void {
  into.frames += from.frames;
  into.bytes += from.bytes;
  into.packets += from.packets;
  into.keepAlives += from.keepAlives;
  for (const [k, v] of Object.entries(from.byCode)) into.byCode[k] = (into.byCode[k] ?? 0) + v;
  for (const k of Object.keys(into.errors) as (keyof DecoderTotals['errors'])[]) into.errors[k] += from.errors[k];
}

interface WorkerSlot {
  readonly index: number;
  worker: Worker | null;
  stats: StatsMessage | null;
  restartTimer: NodeJS.Timeout | null;
  readonly backoff: Backoff;
  spawnedAt: number;
  restarts: number;
  lastExitAt: number | null;
  lastExit: string | null;
  /** The uncaught error of the current thread, kept for the 'exit' that follows. */
  pendingError: string | null;
  readonly carried: Carried;
}

/** Owns the feed workers of the current trading day. */
export class FeedSupervisor {
  private skeleton: Skeleton;
  private table: PriceTable;
  private readonly opts: FeedSupervisorOptions;
  private readonly logger: Logger;
  private readonly timings: FeedWorkerTimings;
  private plan: ConnectionPlan | null = null;
  private slots: WorkerSlot[] = [];
  private epoch = 0;
  private running = false;
  private stopping: Promise<void> | null = null;
  /** Bumped by start() and stop(): a start whose number is stale when its await returns gives up. */
  private startGeneration = 0;
  /** Previous (at, packets) per connection id, for packets/s. */
  private readonly rate = new Map<number, { at: number; packets: number; perSec: number }>();
  private totalRate = { at: 0, packets: 0, perSec: 0 };
  private readonly elu = new Map<number, EventLoopUtilization>();
  private readonly restart: WorkerRestartPolicy;

  constructor(opts: FeedSupervisorOptions) {
    this.opts = opts;
    this.skeleton = opts.skeleton;
    this.table = opts.table;
    this.logger = opts.logger;
    this.timings = deriveTimings(opts.config, opts.timings);
    this.restart = { ...DEFAULT_RESTART, ...opts.workerRestart };
  }

  /** The current plan (null before start). */
  get connectionPlan(): ConnectionPlan | null {
    return this.plan;
  }

  /** The skeleton currently fed. */
  get currentSkeleton(): Skeleton {
    return this.skeleton;
  }

  /**
   * Reads the accounts, plans, and spawns the workers. Resolves once they are spawned (the
   * sockets open asynchronously; watch `status()`). Throws FEED_ACCOUNTS_INVALID for an
   * unusable accounts source.
   */
  async start(): Promise<void> {
    if (this.running) return;
    if (this.stopping !== null) await this.stopping;
    const generation = ++this.startGeneration;
    const accounts = await loadAccounts(this.opts.accounts);
    // stop() (or another start) while the accounts were being read: this start is void.
    if (generation !== this.startGeneration || this.running) return;
    if (accounts.length === 0) throw new FeedError(ErrorCodes.FEED_ACCOUNTS_INVALID, 'no Dhan account configured for the feed');
    const plan = planConnections(this.skeleton.tokens, accounts.map((a) => a.clientId), this.opts.config.feedWorkers, this.opts.limits);
    this.plan = plan;
    this.epoch++;
    this.running = true;
    this.rate.clear();
    this.elu.clear();
    this.totalRate = { at: 0, packets: 0, perSec: 0 };
    const log = this.logger;
    log.info(
      { tradingDate: this.skeleton.tradingDate, tokens: this.skeleton.tokens.length, accounts: plan.accounts, connections: plan.connections.length, workers: plan.workers, capacity: plan.capacity },
      `feed: ${plan.subscribed} tokens on ${plan.connections.length} connections of ${plan.accounts.length} account(s), ${plan.workers} worker(s)`,
    );
    if (plan.unsubscribed > 0) {
      // Loud by design (issue #5): the skeleton is kept whole and the gap is reported.
      log.error(
        { unsubscribed: plan.unsubscribed, capacity: plan.capacity, examples: this.unsubscribedExamples() },
        `feed: ${plan.unsubscribed} of ${this.skeleton.tokens.length} skeleton tokens cannot be subscribed: ${plan.accounts.length} account(s) hold at most ${plan.capacity} (${MAX_CONNECTIONS_PER_ACCOUNT} × 5000 each); add an account to OPTCHAIN_DHAN_ACCOUNTS`,
      );
    }
    this.slots = [];
    for (let w = 0; w < plan.workers; w++) {
      const slot: WorkerSlot = {
        index: w,
        worker: null,
        stats: null,
        restartTimer: null,
        backoff: new Backoff({ baseMs: this.restart.baseMs, maxMs: this.restart.maxMs }),
        spawnedAt: 0,
        restarts: 0,
        lastExitAt: null,
        lastExit: null,
        pendingError: null,
        carried: emptyCarried(),
      };
      this.slots.push(slot);
      this.spawn(slot);
    }
  }

  /** Stops every worker (sockets closed cleanly, then the threads end). Idempotent. */
  stop(): Promise<void> {
    this.startGeneration++;
    if (this.stopping !== null) return this.stopping;
    if (!this.running) return Promise.resolve();
    this.running = false;
    const slots = this.slots;
    this.stopping = Promise.all(slots.map((s) => this.stopWorker(s))).then(() => {
      this.stopping = null;
    });
    return this.stopping;
  }

  /**
   * Trading-date rollover: stops the old day's workers, then feeds `skeleton` into `table`
   * (a fresh table sized for it). The old table is never written again.
   */
  async swap(skeleton: Skeleton, table: PriceTable): Promise<void> {
    const wasRunning = this.running;
    await this.stop();
    this.skeleton = skeleton;
    this.table = table;
    this.plan = null;
    this.slots = [];
    if (wasRunning) await this.start();
  }

  /** Asks every worker for fresh statistics and resolves when they all answered (tests, tools). */
  async refresh(timeoutMs = 2000): Promise<void> {
    const epoch = this.epoch;
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            const w = s.worker;
            if (w === null) return resolve();
            const timer = setTimeout(done, timeoutMs);
            function done(): void {
              clearTimeout(timer);
              w!.off('message', onMsg);
              resolve();
            }
            const onMsg = (m: WorkerMessage): void => {
              if (m.type === 'stats' && m.epoch === epoch) done();
            };
            w.on('message', onMsg);
            w.postMessage({ type: 'stats-now' } satisfies MainMessage);
          }),
      ),
    );
  }

  /**
   * Event-loop utilization of each feed worker since the previous call (0..1; 1 = the thread
   * never idled, i.e. it is the bottleneck). For benchmarks and diagnostics.
   */
  utilization(): number[] {
    return this.slots.map((s) => {
      const w = s.worker;
      if (w === null) return 0;
      const now = w.performance.eventLoopUtilization();
      const prev = this.elu.get(s.index);
      this.elu.set(s.index, now);
      return prev === undefined ? now.utilization : w.performance.eventLoopUtilization(now, prev).utilization;
    });
  }

  /** The `/health` feed object (docs/contract.md §5) with detail. */
  status(): FeedStatus {
    const plan = this.plan;
    const byId = new Map<number, { s: ConnectionStats; worker: number }>();
    const totals = emptyTotals();
    let missing = 0;
    let checkedConnections = 0;
    const missingExamples: string[] = [];
    const carriedConn = new Map<number, { packets: number; reconnects: number; watchdogReconnects: number }>();
    for (const slot of this.slots) {
      addTotals(totals, slot.carried);
      for (const [id, v] of slot.carried.connections) carriedConn.set(id, v);
      const st = slot.stats;
      if (st === null) continue;
      for (const c of st.connections) byId.set(c.id, { s: c, worker: slot.index });
      addTotals(totals, st.decoder);
      missing += st.missing.count;
      checkedConnections += st.missing.checkedConnections;
      for (const e of st.missing.examples) if (missingExamples.length < EXAMPLES) missingExamples.push(e);
    }
    const now = (this.opts.now ?? Date.now)();
    const staleMs = this.opts.config.feedStaleMs ?? DEFAULT_FEED_STALE_MS;
    // Market hours on the market clock (the simulator's session in sim mode), ages on the wall clock.
    const inSession = this.opts.clock.isSessionOpen(now + this.opts.clock.offsetMs);
    const connections: FeedConnectionStatus[] = (plan?.connections ?? []).map((pc) => {
      const got = byId.get(pc.id);
      const s = got?.s;
      const old = carriedConn.get(pc.id);
      const lastSign = s?.lastPacketAt ?? s?.openedAt ?? null;
      const stale = this.running && inSession && s?.state === 'open' && lastSign !== null && now - lastSign > staleMs;
      return {
        account: pc.account,
        index: pc.index,
        state: s?.state ?? (this.running ? 'connecting' : 'stopped'),
        tokens: pc.instruments.length,
        lastPacketAt: s?.lastPacketAt ?? null,
        worker: pc.worker,
        packets: (s?.packets ?? 0) + (old?.packets ?? 0),
        packetsPerSec: this.rate.get(pc.id)?.perSec ?? 0,
        reconnects: (s?.reconnects ?? 0) + (old?.reconnects ?? 0),
        watchdogReconnects: (s?.watchdogReconnects ?? 0) + (old?.watchdogReconnects ?? 0),
        lastError: s?.lastError ?? null,
        lastDisconnectReason: s?.lastDisconnectReason ?? null,
        authError: s?.authError ?? null,
        stale,
      };
    });
    const withData = this.countWithData();
    const { packets, frames, bytes, byCode, keepAlives, errors } = totals;
    const decodeErrors = errors.shortFrame + errors.badLength + errors.layoutMismatch + errors.unknownCode + errors.unknownToken + errors.badInput + errors.internalErrors;
    const problems: string[] = [];
    const needed = accountsNeeded(this.skeleton.tokens.length, this.opts.limits);
    if (plan !== null && plan.unsubscribed > 0) {
      problems.push(`${plan.unsubscribed} tokens unsubscribed (account capacity ${plan.capacity}): ${this.skeleton.tokens.length} tokens need ${needed} Dhan accounts at ${plan.capacity / Math.max(1, plan.accounts.length)} each, ${plan.accounts.length} configured`);
    }
    const workerThreads: FeedWorkerStatus[] = this.slots.map((w) => ({ index: w.index, up: w.worker !== null, restarts: w.restarts, lastExitAt: w.lastExitAt, lastExit: w.lastExit }));
    for (const w of workerThreads) if (this.running && !w.up) problems.push(`feed worker ${w.index} down (${w.lastExit ?? 'starting'}); restarting`);
    for (const c of connections) {
      if (c.authError !== null) problems.push(`${c.account}#${c.index}: auth error: ${c.authError}`);
      else if (this.running && c.state !== 'open') problems.push(`${c.account}#${c.index}: ${c.state}${c.lastError === null ? '' : ` (${c.lastError})`}`);
      else if (c.stale) problems.push(`${c.account}#${c.index}: stale, ${c.lastPacketAt === null ? 'no packet since the socket opened' : `last packet ${Math.round((now - c.lastPacketAt) / 1000)} s ago`} (limit ${staleMs / 1000} s during market hours)`);
    }
    if (missing > 0) problems.push(`${missing} subscribed tokens delivered no packet after the open`);
    return {
      connections,
      subscribed: plan?.subscribed ?? 0,
      unsubscribed: plan?.unsubscribed ?? 0,
      withData,
      packets,
      running: this.running,
      tradingDate: this.skeleton.tradingDate,
      workers: plan?.workers ?? 0,
      accounts: plan?.accounts.length ?? 0,
      accountsNeeded: needed,
      capacity: plan?.capacity ?? 0,
      unsubscribedExamples: this.unsubscribedExamples(),
      packetsPerSec: this.totalRate.perSec,
      frames,
      bytes,
      byCode,
      keepAlives,
      decodeErrors,
      errors,
      missingAfterOpen: { checkedConnections, count: missing, examples: missingExamples },
      workerRestarts: workerThreads.reduce((n, w) => n + w.restarts, 0),
      workerThreads,
      problems,
    };
  }

  private unsubscribedExamples(): string[] {
    const plan = this.plan;
    if (plan === null) return [];
    return plan.unsubscribedSlots.slice(0, EXAMPLES).map((slot) => {
      const t = this.skeleton.tokens[slot]!;
      return `${t.segment}:${t.securityId}`;
    });
  }

  /** Subscribed slots whose seqlock version moved (each write adds 2, so ≠ 0 ⇔ written). */
  private countWithData(): number {
    const plan = this.plan;
    if (plan === null) return 0;
    let n = 0;
    for (const c of plan.connections) for (const i of c.instruments) if (this.table.version(i.slot) !== 0) n++;
    return n;
  }

  private workerData(w: number): FeedWorkerData {
    const plan = this.plan!;
    return {
      workerIndex: w,
      epoch: this.epoch,
      table: this.table.handle(),
      chainsOfSlot: this.skeleton.chainsOfSlot,
      connections: plan.connections.filter((c) => c.worker === w).map((c) => ({ id: c.id, account: c.account, index: c.index, instruments: c.instruments })),
      accounts: this.opts.accounts,
      feedUrl: this.opts.feedUrl,
      clockOffsetMs: this.opts.clock.offsetMs,
      timings: this.timings,
      socketsPerAccount: MAX_CONNECTIONS_PER_ACCOUNT,
      testHooks: this.opts.testHooks === true,
    };
  }

  /**
   * Test hook: kills feed worker `index` — `throw` makes it throw an uncaught error from its
   * message handler, `exit` makes it call process.exit(3) (both need `testHooks`), `terminate`
   * calls `worker.terminate()` from this side (a thread stopped at an arbitrary instruction,
   * possibly mid-write). Resolves once the thread is gone. Throws FEED_TEST_HOOK_DISABLED when
   * the supervisor was not built with `testHooks`.
   */
  async crashWorkerForTest(index: number, how: WorkerCrash): Promise<void> {
    if (this.opts.testHooks !== true) throw new FeedError(ErrorCodes.FEED_TEST_HOOK_DISABLED, 'feed worker test hooks are disabled');
    const worker = this.slots[index]?.worker;
    if (worker === undefined || worker === null) throw new FeedError(ErrorCodes.FEED_TEST_HOOK_DISABLED, `feed worker ${index} is not running`);
    const gone = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    if (how === 'terminate') void worker.terminate();
    else worker.postMessage({ type: 'test-crash', how } satisfies MainMessage);
    await gone;
  }

  private spawn(slot: WorkerSlot): void {
    const epoch = this.epoch;
    const worker = new Worker(distUrl('./feed-worker.js', import.meta.url), { workerData: this.workerData(slot.index), name: `feed-${slot.index}` });
    slot.worker = worker;
    slot.spawnedAt = Date.now();
    slot.pendingError = null;
    worker.on('message', (m: WorkerMessage) => {
      if (m.epoch !== this.epoch || epoch !== this.epoch) return;
      if (m.type === 'stats') {
        slot.stats = m;
        this.updateRates();
      } else if (m.type === 'log') {
        this.logger[m.level]({ worker: slot.index, ...(m.fields ?? {}) }, m.msg);
      }
    });
    worker.on('error', (err) => {
      slot.pendingError = err.message;
      this.logger.error({ worker: slot.index, err: err.message }, `feed worker ${slot.index} failed`);
    });
    worker.on('exit', (code) => {
      if (slot.worker === worker) slot.worker = null;
      if (this.running && epoch === this.epoch) this.onWorkerDied(slot, code, epoch);
    });
  }

  /**
   * A worker of the current day died while running. Its sockets died with it (Dhan, and the
   * simulator, then drop those subscriptions), so its replacement opens fresh sockets and
   * subscribes the same shard once each — nothing else resubscribes it. Before the
   * replacement starts, slots the dead thread may have left mid-write are repaired; until
   * then no thread writes them, so each slot keeps exactly one writer.
   */
  private onWorkerDied(slot: WorkerSlot, code: number, epoch: number): void {
    const now = Date.now();
    const reason = slot.pendingError ?? `exit code ${code}`;
    slot.pendingError = null;
    this.carry(slot);
    slot.stats = null;
    slot.restarts++;
    slot.lastExitAt = now;
    slot.lastExit = reason;
    let repaired = 0;
    for (const c of this.plan?.connections ?? []) {
      if (c.worker !== slot.index) continue;
      for (const i of c.instruments) if (this.table.repairAbandonedWrite(i.slot)) repaired++;
    }
    if (now - slot.spawnedAt >= this.restart.stableMs) slot.backoff.reset();
    const delay = slot.backoff.next();
    this.logger.error({ worker: slot.index, code, reason, restarts: slot.restarts, repairedSlots: repaired, restartInMs: delay }, `feed worker ${slot.index} died (${reason}); restarting in ${delay} ms`);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (this.running && epoch === this.epoch) this.spawn(slot);
    }, delay);
  }

  /** Folds the dead thread's last reported counters into the slot's carried totals. */
  private carry(slot: WorkerSlot): void {
    const st = slot.stats;
    if (st === null) return;
    const c = slot.carried;
    addTotals(c, st.decoder);
    for (const conn of st.connections) {
      const prev = c.connections.get(conn.id) ?? { packets: 0, reconnects: 0, watchdogReconnects: 0 };
      // The replacement's first socket is a reconnect of this connection too.
      c.connections.set(conn.id, { packets: prev.packets + conn.packets, reconnects: prev.reconnects + conn.reconnects + 1, watchdogReconnects: prev.watchdogReconnects + conn.watchdogReconnects });
    }
    // Rates restart from the new thread's counters.
    for (const conn of st.connections) this.rate.delete(conn.id);
    this.totalRate = { at: 0, packets: 0, perSec: 0 };
  }

  private async stopWorker(slot: WorkerSlot): Promise<void> {
    if (slot.restartTimer !== null) clearTimeout(slot.restartTimer);
    slot.restartTimer = null;
    const worker = slot.worker;
    if (worker === null) return;
    await stopWorker<WorkerMessage>(worker, { type: 'stop' } satisfies MainMessage, STOP_TIMEOUT_MS, (m) => {
      // The final stats come just before 'stopped'; keep them for the last status().
      if (m.type === 'stats') slot.stats = m;
    });
    slot.worker = null;
  }

  private updateRates(): void {
    let total = 0;
    let at = 0;
    for (const slot of this.slots) {
      const st = slot.stats;
      if (st === null) continue;
      total += st.decoder.packets;
      at = Math.max(at, st.at);
      for (const c of st.connections) {
        const prev = this.rate.get(c.id);
        if (prev === undefined) this.rate.set(c.id, { at: st.at, packets: c.packets, perSec: 0 });
        else if (st.at - prev.at >= 500) this.rate.set(c.id, { at: st.at, packets: c.packets, perSec: Math.round(((c.packets - prev.packets) * 1000) / (st.at - prev.at)) });
      }
    }
    const prev = this.totalRate;
    if (prev.at === 0) this.totalRate = { at, packets: total, perSec: 0 };
    else if (at - prev.at >= 500) this.totalRate = { at, packets: total, perSec: Math.round(((total - prev.packets) * 1000) / (at - prev.at)) };
  }
}
