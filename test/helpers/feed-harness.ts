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

/**
 * Starts the simulator and builds the day's skeleton from the master it serves. With `stocks`,
 * the skeleton keeps the three indices and only the first `stocks` stock underlyings (by
 * symbol): the behaviour tests that do not need the whole ~30k universe stay fast on a busy
 * 2-core machine (the simulator only animates what is subscribed).
 */
export async function simWithSkeleton(opts: Partial<SimulatorOptions> & { stocks?: number } = {}): Promise<{ sim: SimHandle; skeleton: Skeleton }> {
  const { stocks, ...simOpts } = opts;
  const sim = await startSimulator({ host: '127.0.0.1', port: 0, tradingDate: TRADING_DATE, seed: 7, ...simOpts });
  const master = await loadMaster({ source: sim.urls.master, tradingDate: TRADING_DATE, dataDir: null, progress: false });
  let instruments = master.instruments;
  if (stocks !== undefined) {
    const indices = new Set(['NIFTY', 'BANKNIFTY', 'SENSEX']);
    const symbols = [...new Set(instruments.filter((i) => i.instrument === 'OPTSTK').map((i) => i.underlyingSymbol))].sort().slice(0, stocks);
    const keep = new Set([...indices, ...symbols]);
    instruments = instruments.filter((i) => i.optionType === null || keep.has(i.underlyingSymbol));
  }
  return { sim, skeleton: buildSkeleton(instruments, TRADING_DATE) };
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
