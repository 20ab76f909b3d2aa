/**
 * Shared set-up for the feed's end-to-end tests: the real simulator on 127.0.0.1, its master
 * parsed into a real skeleton, a log capture, and a bounded wait.
 */
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/log/logger.js';
import { startSimulator, type SimHandle, type SimulatorOptions } from '../../src/sim/sim-server.js';
import { loadMaster } from '../../src/master/load-master.js';
import { buildSkeleton } from '../../src/skeleton/build-skeleton.js';
import type { Skeleton } from '../../src/skeleton/types.js';

/** A Monday in a normal week (2-expiry month): ~29.7k tokens in the synthetic master. */
export const TRADING_DATE = '2026-08-17';

/** Starts the simulator and builds the day's skeleton from the master it serves. */
export async function simWithSkeleton(opts: Partial<SimulatorOptions> = {}): Promise<{ sim: SimHandle; skeleton: Skeleton }> {
  const sim = await startSimulator({ host: '127.0.0.1', port: 0, tradingDate: TRADING_DATE, seed: 7, ...opts });
  const master = await loadMaster({ source: sim.urls.master, tradingDate: TRADING_DATE, dataDir: null, progress: false });
  return { sim, skeleton: buildSkeleton(master.instruments, TRADING_DATE) };
}

/** The project's logger (with its redaction), its JSON lines kept for assertions. */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

/** Polls `cond` every 50 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
