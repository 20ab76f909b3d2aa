/**
 * Shared set-up for the feed's end-to-end tests: the real simulator on 127.0.0.1, its master
 * parsed into a real skeleton, a supervisor with test timings, a log capture, and a bounded wait.
 */
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/log/logger.js';
import { startSimulator, type SimHandle, type SimulatorOptions } from '../../src/sim/sim-server.js';
import { loadMaster } from '../../src/master/load-master.js';
import { buildSkeleton } from '../../src/skeleton/build-skeleton.js';
import type { Skeleton } from '../../src/skeleton/types.js';
import { FeedSupervisor, type FeedSupervisorOptions } from '../../src/feed/feed-supervisor.js';
import { PriceTable } from '../../src/price-table/price-table.js';
import { MarketClock } from '../../src/time/market-clock.js';

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

/** Test defaults for a supervisor against the simulator: short backoff and stats period. */
export interface TestSupervisorOptions extends Partial<FeedSupervisorOptions> {
  /** Merged over the supervisor config defaults (1 worker, 5 s watchdog, 1 s backoff cap). */
  readonly configOverrides?: Partial<FeedSupervisorOptions['config']>;
}

/**
 * A FeedSupervisor on `sim` for `skeleton` with a fresh table and a captured log; `over`
 * replaces any option (timings are merged over the test defaults).
 */
export function testSupervisor(sim: SimHandle, skeleton: Skeleton, over: TestSupervisorOptions = {}): { sup: FeedSupervisor; table: PriceTable; lines: string[] } {
  const { configOverrides, timings, ...rest } = over;
  const sk = rest.skeleton ?? skeleton;
  const table = rest.table ?? PriceTable.allocate(sk.tokens.length, sk.chains.length);
  const { logger, lines } = captureLogger();
  const sup = new FeedSupervisor({
    skeleton: sk,
    table,
    accounts: { kind: 'static', accounts: sim.accounts },
    feedUrl: sim.urls.feed,
    clock: new MarketClock(sim.clockOffsetMs),
    config: { feedWorkers: 1, feedWatchdogMs: 5000, feedFirstPacketMs: 60_000, feedBackoffMaxMs: 1000, ...configOverrides },
    logger,
    ...rest,
    timings: { backoffBaseMs: 100, statsMs: 200, ...timings },
  });
  return { sup, table, lines };
}
