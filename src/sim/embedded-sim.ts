/**
 * The simulator in the background of the server's process (docs/contract.md §2: `optchain serve` with
 * no accounts runs on it, "off the server's main thread"): a worker thread spawned from the
 * compiled dist/ module, so the market model's timer rounds and the feed's socket writes never
 * compete with the server's event loop. The caller gets the same URLs, accounts and session
 * clock offset as from {@link startSimulator}, and fault controls that travel as messages.
 *
 * Self-healing (issue 14 §2): a simulator thread that throws or exits is started again on the
 * same port, with the same control secret and the same session-clock offset, so every URL the
 * server holds (master, feed, margin API, control) stays valid and its market clock stays
 * right; the server's feed connections see their sockets drop and reconnect on their own
 * backoff, re-reading the credentials from `GET /sim/accounts` (the restarted simulator holds
 * its initial tokens again). The restarted market starts from the seed's opening state: prices,
 * volumes and OI jump back, which a simulator may do and Dhan would not. A port taken in the
 * meantime is retried with a capped backoff until it is free or the handle is closed.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { ErrorCodes, OptchainError } from '../errors.js';
import { Backoff } from '../feed/backoff.js';
import type { AccountsSource } from '../dhan/accounts.js';
import { distUrl } from '../util/dist-path.js';
import type { SimAccount } from './accounts.js';
import type { SimFaults, SimStats, SimulatorOptions } from './sim-server.js';
import type { SimWorkerData, SimWorkerInfo, SimWorkerRequest } from './sim-worker.js';

/** A simulator failure with the project's stable code. */
const simError = (message: string): OptchainError => new OptchainError(ErrorCodes.SIM_FAILED, message);

/** {@link SimFaults} with every call made across the thread boundary. */
export type EmbeddedSimFaults = { [K in keyof SimFaults]: (...args: Parameters<SimFaults[K]>) => Promise<ReturnType<SimFaults[K]>> };

/** How a test kills the simulator thread. */
export type SimCrash = 'throw' | 'terminate';

/** The simulator thread's health (for `/health` and `/metrics`). */
export interface EmbeddedSimStatus {
  /** False from the thread's death until its replacement listens again. */
  readonly up: boolean;
  /** Unexpected exits (each followed by a restart attempt). */
  readonly restarts: number;
  readonly lastExitAt: number | null;
  readonly lastExit: string | null;
}

/** A simulator running in a worker thread. */
export interface EmbeddedSimHandle {
  readonly urls: SimWorkerInfo['urls'];
  /** Current credentials as last known (refreshed by `faults.expireToken` and on restart). */
  readonly accounts: SimAccount[];
  /**
   * Where the server reads credentials on every (re)connect: the simulator's
   * `GET /sim/accounts`, authorised with the control secret.
   */
  readonly accountsSource: AccountsSource;
  /** The control API's per-run secret (never log it). */
  readonly controlSecret: string;
  readonly tradingDate: string;
  /** Session clock = wall clock + this (give it to MarketClock); kept across restarts. */
  readonly clockOffsetMs: number;
  readonly sessionLengthMs: number;
  /** Kept across restarts. */
  readonly port: number;
  readonly faults: EmbeddedSimFaults;
  stats(): Promise<SimStats>;
  status(): EmbeddedSimStatus;
  /**
   * Test hook (needs `testHooks`): kills the thread — `throw` makes it throw an uncaught error
   * on a crafted request, `terminate` calls `worker.terminate()`. Resolves once it is gone.
   */
  crashForTest(how: SimCrash): Promise<void>;
  /** Resolves once the simulator listens (at once when it does; after a restart otherwise). */
  ready(): Promise<void>;
  /** Stops the simulator and the worker (no restart after this). */
  close(): Promise<void>;
}

/** Options: those of startSimulator, plus how long to wait for start-up. */
export interface EmbeddedSimOptions extends Omit<SimulatorOptions, 'controlSecret' | 'clockOffsetMs'> {
  /** Start-up timeout, ms (the master is generated in the worker). Default 60 000. */
  readonly startTimeoutMs?: number;
}

/** What the embedding process adds (not sent to the worker). */
export interface EmbeddedSimControl {
  readonly logger?: Logger;
  /** Allow {@link EmbeddedSimHandle.crashForTest}. */
  readonly testHooks?: boolean;
  /** Restart backoff, ms (first delay, cap). Default 200 / 30 000. */
  readonly restartBaseMs?: number;
  readonly restartMaxMs?: number;
}

const FAULT_NAMES: readonly (keyof SimFaults)[] = [
  'dropConnections', 'stallConnections', 'unstall', 'sendMalformed', 'expireToken', 'setRestLatency', 'burst', 'setRate', 'setStacked', 'setKeepAlives',
];

/** One simulator thread, listening. */
interface Running {
  readonly worker: Worker;
  readonly info: SimWorkerInfo;
}

/** Spawns a simulator thread and resolves once it listens; rejects (thread gone) otherwise. */
function spawnSim(data: SimWorkerData, startTimeoutMs: number): Promise<Running> {
  const worker = new Worker(distUrl('./sim-worker.js', import.meta.url), { workerData: data, name: 'optchain-sim' });
  return new Promise<Running>((resolve, reject) => {
    const fail = (err: Error): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      void worker.terminate();
      reject(err);
    };
    const timer = setTimeout(() => fail(simError(`embedded simulator did not start within ${startTimeoutMs} ms`)), startTimeoutMs);
    const onMessage = (msg: { type?: string; info?: SimWorkerInfo; error?: string }): void => {
      if (msg.type === 'ready') {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        resolve({ worker, info: msg.info! });
      } else if (msg.type === 'failed') {
        fail(simError(`embedded simulator failed to start: ${msg.error}`));
      }
    };
    const onExit = (code: number): void => fail(simError(`embedded simulator exited during start-up (code ${code})`));
    worker.on('message', onMessage);
    worker.once('error', (err) => fail(err));
    worker.once('exit', onExit);
  });
}

/** Starts the simulator in a worker thread and resolves once it listens. */
export async function startEmbeddedSimulator(opts: EmbeddedSimOptions, control: EmbeddedSimControl = {}): Promise<EmbeddedSimHandle> {
  const { startTimeoutMs = 60_000, ...simOpts } = opts;
  const log = control.logger;
  const controlSecret = randomBytes(16).toString('hex');
  const first = await spawnSim({ options: { ...simOpts, controlSecret }, testHooks: control.testHooks === true }, startTimeoutMs);
  const info = first.info;
  // Restarts keep the port, the secret and the session clock: the server's URLs and clock hold.
  const restartData: SimWorkerData = {
    options: { ...simOpts, port: info.port, controlSecret, clockOffsetMs: info.clockOffsetMs },
    testHooks: control.testHooks === true,
  };
  const backoff = new Backoff({ baseMs: control.restartBaseMs ?? 200, maxMs: control.restartMaxMs ?? 30_000 });

  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let current: Worker | null = null;
  let closing: Promise<void> | null = null;
  let accounts = info.accounts;
  let restarts = 0;
  let lastExitAt: number | null = null;
  let lastExit: string | null = null;
  let upSince = Date.now();
  let waiters: (() => void)[] = [];

  const attach = (worker: Worker): void => {
    current = worker;
    upSince = Date.now();
    let error: string | null = null;
    worker.on('message', (msg: { id?: number; ok?: boolean; value?: unknown; error?: string }) => {
      if (msg.id === undefined) return;
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(simError(msg.error ?? 'simulator request failed'));
    });
    worker.on('error', (err) => {
      error = err.message;
    });
    worker.on('exit', (code) => {
      current = null;
      const reason = error ?? `exit code ${code}`;
      const err = simError(`embedded simulator exited (${reason})`);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
      if (closing !== null) return;
      restarts++;
      lastExitAt = Date.now();
      lastExit = reason;
      if (Date.now() - upSince >= 60_000) backoff.reset();
      log?.error({ reason, restarts }, `embedded simulator died (${reason}); restarting on port ${info.port}`);
      scheduleRestart();
    });
    const ws = waiters;
    waiters = [];
    for (const w of ws) w();
  };

  const scheduleRestart = (): void => {
    const delay = backoff.next();
    setTimeout(() => {
      if (closing !== null) return;
      const t0 = performance.now();
      spawnSim(restartData, startTimeoutMs).then(
        (r) => {
          if (closing !== null) {
            void r.worker.terminate();
            return;
          }
          accounts = r.info.accounts;
          attach(r.worker);
          log?.info({ ms: Math.round(performance.now() - t0), port: info.port }, 'embedded simulator restarted');
        },
        (err: unknown) => {
          log?.error({ err: (err as Error).message }, 'embedded simulator restart failed; retrying');
          scheduleRestart();
        },
      );
    }, delay).unref();
  };

  attach(first.worker);

  const call = (req: Omit<SimWorkerRequest, 'id'>): Promise<unknown> => {
    const worker = current;
    if (worker === null || closing !== null) return Promise.reject(simError('embedded simulator is not running'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...req, id });
    });
  };

  const faults = {} as Record<keyof SimFaults, (...args: unknown[]) => Promise<unknown>>;
  for (const name of FAULT_NAMES) {
    faults[name] = async (...args: unknown[]) => {
      const value = await call({ op: 'fault', name, args } as Omit<SimWorkerRequest, 'id'>);
      if (name === 'expireToken') {
        const acc = value as SimAccount;
        accounts = accounts.map((a) => (a.clientId === acc.clientId ? acc : a));
      }
      return value;
    };
  }

  return {
    urls: info.urls,
    get accounts() {
      return accounts;
    },
    accountsSource: { kind: 'sim', url: `${info.urls.control}/accounts`, secret: controlSecret },
    controlSecret,
    tradingDate: info.tradingDate,
    clockOffsetMs: info.clockOffsetMs,
    sessionLengthMs: info.sessionLengthMs,
    port: info.port,
    faults: faults as unknown as EmbeddedSimFaults,
    stats: () => call({ op: 'stats' }) as Promise<SimStats>,
    status: () => ({ up: current !== null, restarts, lastExitAt, lastExit }),
    crashForTest: async (how) => {
      if (control.testHooks !== true) throw simError('embedded simulator test hooks are disabled');
      const worker = current;
      if (worker === null) throw simError('embedded simulator is not running');
      const gone = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      if (how === 'terminate') void worker.terminate();
      else worker.postMessage({ id: 0, op: 'test-crash' } satisfies SimWorkerRequest);
      await gone;
    },
    ready: () => (current !== null ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    close: () => {
      closing ??= (async () => {
        const worker = current;
        if (worker === null) return;
        const done = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        const id = nextId++;
        const closed = new Promise<unknown>((resolve) => {
          pending.set(id, { resolve, reject: resolve });
          worker.postMessage({ id, op: 'close' } satisfies SimWorkerRequest);
        });
        await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
        const t = setTimeout(() => void worker.terminate(), 2000);
        await done;
        clearTimeout(t);
      })();
      return closing;
    },
  };
}
