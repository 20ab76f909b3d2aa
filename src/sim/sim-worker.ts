/**
 * Worker-thread entry of the embedded simulator (src/sim/embedded-sim.ts): starts the
 * simulator with the options in `workerData`, reports its URLs, then serves fault, stats and
 * close requests arriving as messages. Runs only from compiled JS in dist/ (project rule).
 *
 * Protocol (parent → worker): `{ id, op: 'fault', name, args }`, `{ id, op: 'stats' }`,
 * `{ id, op: 'close' }`; answers `{ id, ok: true, value }` or `{ id, ok: false, error }`.
 * `{ op: 'test-crash' }` makes the thread throw an uncaught error, only when `workerData`
 * says `testHooks` (crash-recovery tests).
 * At start the worker posts `{ type: 'ready', info }` or `{ type: 'failed', error }`.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ErrorCodes, OptchainError } from '../errors.js';
import { startSimulator, type SimFaults, type SimHandle, type SimulatorOptions } from './sim-server.js';

/** A request from the parent. */
export type SimWorkerRequest =
  | { readonly id: number; readonly op: 'fault'; readonly name: keyof SimFaults; readonly args: unknown[] }
  | { readonly id: number; readonly op: 'stats' }
  | { readonly id: number; readonly op: 'close' }
  | { readonly id: number; readonly op: 'test-crash' };

/** `workerData` of the simulator thread. */
export interface SimWorkerData {
  readonly options: SimulatorOptions;
  readonly testHooks: boolean;
}

/** What the worker reports once listening. */
export interface SimWorkerInfo {
  readonly urls: SimHandle['urls'];
  readonly accounts: SimHandle['accounts'];
  readonly tradingDate: string;
  readonly clockOffsetMs: number;
  readonly sessionLengthMs: number;
  readonly port: number;
}

const port = parentPort;
if (port) {
  let sim: SimHandle | null = null;
  const data = workerData as SimWorkerData;
  port.on('message', (msg: SimWorkerRequest) => {
    if (msg.op === 'test-crash') {
      if (!data.testHooks) return;
      // Outside the request's try/catch: an uncaught error, as a bug in the simulator would be.
      setImmediate(() => {
        throw new OptchainError(ErrorCodes.SIM_FAILED, 'simulator: crash requested by a test hook');
      });
      return;
    }
    void (async () => {
      try {
        if (!sim) throw new OptchainError(ErrorCodes.SIM_FAILED, 'simulator not started');
        let value: unknown;
        if (msg.op === 'stats') value = sim.stats();
        else if (msg.op === 'close') {
          await sim.close();
          value = true;
        } else {
          const fn = sim.faults[msg.name] as (...a: unknown[]) => unknown;
          if (typeof fn !== 'function') throw new OptchainError(ErrorCodes.SIM_FAILED, `unknown fault ${String(msg.name)}`);
          value = fn(...msg.args);
        }
        port.postMessage({ id: msg.id, ok: true, value });
        if (msg.op === 'close') port.close();
      } catch (err) {
        port.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    })();
  });
  startSimulator(data.options).then(
    (s) => {
      sim = s;
      const info: SimWorkerInfo = {
        urls: s.urls,
        accounts: s.accounts,
        tradingDate: s.tradingDate,
        clockOffsetMs: s.clockOffsetMs,
        sessionLengthMs: s.sessionLengthMs,
        port: s.port,
      };
      port.postMessage({ type: 'ready', info });
    },
    (err: unknown) => {
      port.postMessage({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
      port.close();
    },
  );
}
