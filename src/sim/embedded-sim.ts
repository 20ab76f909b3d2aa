/**
 * The simulator in the background of the server's process (contract §2: `optchain serve` with
 * no accounts runs on it, "off the server's main thread"): a worker thread spawned from the
 * compiled dist/ module, so the market model's timer rounds and the feed's socket writes never
 * compete with the server's event loop. The caller gets the same URLs, accounts and session
 * clock offset as from {@link startSimulator}, and fault controls that travel as messages.
 *
 * @module
 */
import { Worker } from 'node:worker_threads';
import { ErrorCodes, OptchainError } from '../errors.js';
import { distUrl } from '../util/dist-path.js';
import type { SimAccount } from './accounts.js';
import type { SimFaults, SimStats, SimulatorOptions } from './sim-server.js';
import type { SimWorkerInfo, SimWorkerRequest } from './sim-worker.js';

/** A simulator failure with the project's stable code. */
const simError = (message: string): OptchainError => new OptchainError(ErrorCodes.SIM_FAILED, message);

/** {@link SimFaults} with every call made across the thread boundary. */
export type EmbeddedSimFaults = { [K in keyof SimFaults]: (...args: Parameters<SimFaults[K]>) => Promise<ReturnType<SimFaults[K]>> };

/** A simulator running in a worker thread. */
export interface EmbeddedSimHandle {
  readonly urls: SimWorkerInfo['urls'];
  /** Current credentials as last known (refreshed by `faults.expireToken`). */
  readonly accounts: SimAccount[];
  readonly tradingDate: string;
  /** Session clock = wall clock + this (give it to MarketClock). */
  readonly clockOffsetMs: number;
  readonly sessionLengthMs: number;
  readonly port: number;
  readonly faults: EmbeddedSimFaults;
  stats(): Promise<SimStats>;
  /** Stops the simulator and the worker. */
  close(): Promise<void>;
}

/** Options: those of startSimulator, plus how long to wait for start-up. */
export interface EmbeddedSimOptions extends SimulatorOptions {
  /** Start-up timeout, ms (the master is generated in the worker). Default 60 000. */
  readonly startTimeoutMs?: number;
}

const FAULT_NAMES: readonly (keyof SimFaults)[] = [
  'dropConnections', 'stallConnections', 'unstall', 'sendMalformed', 'expireToken', 'setRestLatency', 'burst', 'setRate', 'setStacked',
];

/** Starts the simulator in a worker thread and resolves once it listens. */
export async function startEmbeddedSimulator(opts: EmbeddedSimOptions): Promise<EmbeddedSimHandle> {
  const { startTimeoutMs = 60_000, ...simOpts } = opts;
  const worker = new Worker(distUrl('./sim-worker.js', import.meta.url), { workerData: simOpts, name: 'optchain-sim' });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  let exitError: Error | null = null;

  const info = await new Promise<SimWorkerInfo>((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(simError(`embedded simulator did not start within ${startTimeoutMs} ms`));
    }, startTimeoutMs);
    const onMessage = (msg: { type?: string; info?: SimWorkerInfo; error?: string }): void => {
      if (msg.type === 'ready') {
        clearTimeout(timer);
        worker.off('message', onMessage);
        resolve(msg.info!);
      } else if (msg.type === 'failed') {
        clearTimeout(timer);
        void worker.terminate();
        reject(simError(`embedded simulator failed to start: ${msg.error}`));
      }
    };
    worker.on('message', onMessage);
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      reject(simError(`embedded simulator exited during start-up (code ${code})`));
    });
  });

  worker.on('message', (msg: { id?: number; ok?: boolean; value?: unknown; error?: string }) => {
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(simError(msg.error ?? 'simulator request failed'));
  });
  worker.on('error', (err) => {
    exitError = err;
  });
  worker.on('exit', (code) => {
    exited = true;
    const err = exitError ?? simError(`embedded simulator exited (code ${code})`);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  });

  const call = (req: Omit<SimWorkerRequest, 'id'>): Promise<unknown> => {
    if (exited) return Promise.reject(exitError ?? simError('embedded simulator is not running'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...req, id });
    });
  };

  let accounts = info.accounts;
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

  let closing: Promise<void> | null = null;
  return {
    urls: info.urls,
    get accounts() {
      return accounts;
    },
    tradingDate: info.tradingDate,
    clockOffsetMs: info.clockOffsetMs,
    sessionLengthMs: info.sessionLengthMs,
    port: info.port,
    faults: faults as unknown as EmbeddedSimFaults,
    stats: () => call({ op: 'stats' }) as Promise<SimStats>,
    close: () => {
      closing ??= (async () => {
        if (exited) return;
        const done = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        try {
          await Promise.race([call({ op: 'close' }), new Promise((r) => setTimeout(r, 5000))]);
        } catch {
          // the worker is going away either way
        }
        const t = setTimeout(() => void worker.terminate(), 2000);
        await done;
        clearTimeout(t);
      })();
      return closing;
    },
  };
}
