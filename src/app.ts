/**
 * The main thread's wiring, and nothing else: config → (simulator in sim mode) → master →
 * skeleton → price table → feed workers → HTTP. Each step lives in its own module; this file
 * only connects them and owns the trading-date rollover.
 *
 * @module
 */
import { CorsPolicy, parseCorsOrigins } from './http/cors.js';
import { envName, isSimMode, type Config } from './config/config.js';
import { ConfigError } from './errors.js';
import { FeedSupervisor, type FeedSupervisorOptions } from './feed/feed-supervisor.js';
import { registerFeedMetrics } from './feed/feed-metrics.js';
import { loadAccounts, type AccountsSource } from './dhan/accounts.js';
import { defaultHealth, skeletonHealth, type HealthReport } from './http/health.js';
import type { Market } from './chain/market.js';
import { OptchainServer } from './http/optchain-server.js';
import { registerThreadMetrics, threadProblems, type ThreadsHealth } from './http/thread-health.js';
import { MarginWorkerPool } from './margin/margin-pool.js';
import type { Logger } from './log/logger.js';
import { describeMissingOptional, describeUnknownValues } from './master/columns.js';
import { loadMaster } from './master/load-master.js';
import { registerPaperRoutes, type PaperRoutes } from './paper/paper-routes.js';
import { PriceTable } from './price-table/price-table.js';
import { AnalyticsTable } from './price-table/analytics-table.js';
import { AnalyticsSupervisor, type AnalyticsRestartPolicy } from './analytics-worker/analytics-supervisor.js';
import { registerAnalyticsMetrics } from './analytics-worker/analytics-metrics.js';
import { buildSkeleton } from './skeleton/build-skeleton.js';
import { startEmbeddedSimulator, type EmbeddedSimHandle } from './sim/embedded-sim.js';
import { MarketClock } from './time/market-clock.js';
import { dueTradingDate, tradingDateFor } from './time/trading-date.js';
import { registerWebRoutes } from './web/serve-static.js';

/** A running server. */
export interface App {
  readonly url: string;
  readonly port: number;
  readonly mode: 'sim' | 'live';
  readonly tradingDate: () => string | null;
  readonly server: OptchainServer;
  readonly sim: EmbeddedSimHandle | null;
  /** The feed supervisor of the current day (null before the first market). */
  readonly feed: () => FeedSupervisor | null;
  /** The analytics worker's supervisor of the current day (null before the first market or with OPTCHAIN_ANALYTICS=off). */
  readonly analytics: () => AnalyticsSupervisor | null;
  /** The paper routes (their margin backend, for crash-recovery tests). */
  readonly paper: PaperRoutes;
  /** Stops everything: listen socket, feed workers, margin worker, simulator. */
  close(): Promise<void>;
}

/** How often the rollover rule is checked (it switches at 08:30 IST, trading-date.ts). */
const ROLLOVER_CHECK_MS = 60_000;

interface Upstream {
  masterUrl: string;
  feedUrl: string;
  apiUrl: string;
  accounts: AccountsSource;
  clock: MarketClock;
}

/** Starts the server. Resolves once it listens and the first day's market is live. */
/** Start options beyond the configuration (tests). */
export interface AppOptions {
  /** Enable the feed's and the simulator's crash hooks (crash-recovery tests only). */
  readonly testHooks?: boolean;
  /** Feed worker restart policy (tests shorten it). */
  readonly feedWorkerRestart?: FeedSupervisorOptions['workerRestart'];
  /** Analytics worker restart policy (tests shorten it). */
  readonly analyticsRestart?: Partial<AnalyticsRestartPolicy>;
}

export async function startApp(config: Config, log: Logger, options: AppOptions = {}): Promise<App> {
  const mode = isSimMode(config) ? 'sim' : 'live';
  const fixedDate = config.tradingDate;
  let tradingDate: string | null = null;
  let feed: FeedSupervisor | null = null;
  let analytics: AnalyticsSupervisor | null = null;
  let sim: EmbeddedSimHandle | null = null;
  let rolloverTimer: NodeJS.Timeout | null = null;
  let closed = false;

  const server = new OptchainServer({ mode, maxBodyBytes: config.httpMaxBodyBytes, logger: log, defaultMetrics: true, cors: new CorsPolicy(parseCorsOrigins(config.corsOrigins)),
    limits: { maxHeaders: config.httpMaxHeaders, maxHeaderBytes: config.httpMaxHeaderBytes },
    allowedHosts: config.allowedHosts,
    backend: config.httpBackend,
  });
  server.setHealthProvider((market) => health(mode, market, feed, threads()));
  registerWebRoutes(server.http);

  let upstream: Upstream;
  if (mode === 'sim') {
    const date = fixedDate ?? tradingDateFor(Date.now());
    sim = await startEmbeddedSimulator({ host: '127.0.0.1', port: config.simPort, tradingDate: date, seed: config.simSeed, universe: config.simUniverse, rate: config.simRate, keepAlivesPerSecond: config.simKeepAlives }, { logger: log, testHooks: options.testHooks === true });
    log.info({ master: sim.urls.master, feed: sim.urls.feed, api: sim.urls.api, accounts: sim.accounts.map((a) => a.clientId) }, 'sim mode: no Dhan accounts configured, started the built-in simulator');
    // Credentials are re-read from the simulator on every reconnect (as the accounts file is in
    // live mode), so a token expired through its control API, or a restarted simulator, heals.
    upstream = { masterUrl: sim.urls.master, feedUrl: sim.urls.feed, apiUrl: sim.urls.api, accounts: sim.accountsSource, clock: new MarketClock(sim.clockOffsetMs) };
  } else {
    const accounts: AccountsSource = { kind: 'file', path: config.dhanAccounts! };
    // Fail fast on a bad accounts file (it is re-read on every reconnect later); the message
    // names the variable, never a token.
    await loadAccounts(accounts).catch((err: unknown) => {
      throw new ConfigError(envName('dhanAccounts'), `${config.dhanAccounts}: ${(err as Error).message}`);
    });
    upstream = { masterUrl: config.dhanMasterUrl, feedUrl: config.dhanFeedUrl, apiUrl: config.dhanApiUrl, accounts, clock: new MarketClock(0) };
  }

  const firstSim = sim;
  const paper: PaperRoutes = registerPaperRoutes(server.http, {
    getMarket: () => server.market,
    config,
    logger: log,
    registry: server.registry,
    // Quote freshness compares with the feed's receive time, which is wall-clock (not the sim's session clock).
    marginApiUrl: upstream.apiUrl,
    marginTestHooks: options.testHooks === true,
    ...(firstSim ? { marginAccount: async () => (await loadAccounts(firstSim.accountsSource))[0]! } : {}),
  });

  /** Helper threads for /health and /metrics. */
  const threads = (): ThreadsHealth => {
    const margin = paper.marginBackend;
    return {
      ...(margin instanceof MarginWorkerPool ? { margin: margin.threadStatus() } : {}),
      ...(sim ? { sim: sim.status() } : {}),
      ...(analytics ? { analytics: analytics.status() } : {}),
    };
  };
  registerThreadMetrics(server.registry, threads);
  registerAnalyticsMetrics(server.registry, () => (analytics ? analytics.status() : null));

  const port = await server.listen(config.host, config.port);
  const url = `http://${config.host}:${port}`;

  /** Builds one trading date's skeleton and table and puts them live. */
  const installDay = async (date: string): Promise<void> => {
    const master = await loadMaster({
      source: upstream.masterUrl, tradingDate: date, dataDir: mode === 'sim' ? null : config.dataDir,
      onRetry: (attempt, reason) => log.warn({ tradingDate: date, attempt }, `instrument master download attempt ${attempt} failed (${reason}); retrying`),
    });
    const s = master.stats;
    log.info({ origin: master.origin, rows: s.rows, kept: s.kept, ignored: s.ignored, test: s.test, malformed: s.malformed, malformedExamples: s.malformedExamples.slice(0, 5), unknownColumns: s.unknownColumns, ms: Math.round(master.loadMs) }, 'instrument master loaded');
    if (s.missingOptionalColumns.length > 0) log.warn({ tradingDate: date, missingOptionalColumns: s.missingOptionalColumns }, describeMissingOptional(s.missingOptionalColumns));
    const unknownValues = describeUnknownValues(s.unknownOptionalValues);
    if (unknownValues) log.warn({ tradingDate: date, unknownOptionalValues: s.unknownOptionalValues }, unknownValues);
    const skeleton = buildSkeleton(master.instruments, date);
    for (const w of skeleton.warnings.slice(0, 20)) log.warn({ tradingDate: date }, w);
    log.info({ tradingDate: date, ...skeleton.totals, slots: skeleton.slotCount, fingerprint: skeleton.fingerprint.slice(0, 16) }, 'skeleton built');
    const table = PriceTable.allocate(skeleton.slotCount, skeleton.chains.length);
    // The analytics worker of the old day stops before the new market is served (its table
    // goes with the old market); the new one starts on the new tables, off the main thread.
    if (analytics !== null) await analytics.stop();
    analytics = null;
    let analyticsTable: AnalyticsTable | null = null;
    if (config.analytics === 'on') {
      analyticsTable = AnalyticsTable.allocate(skeleton.chains.map((c) => c.rows.length));
      const next = new AnalyticsSupervisor({
        skeleton, price: table, analytics: analyticsTable, clock: upstream.clock, riskFreeRate: config.riskFreeRate,
        rules: { maxSpreadAbs: config.maxSpreadAbs, maxSpreadRel: config.maxSpreadRel },
        intervalMs: config.analyticsIntervalMs, refreshMs: config.analyticsRefreshMs, logger: log, testHooks: options.testHooks === true,
        ...(options.analyticsRestart ? { restart: options.analyticsRestart } : {}),
      });
      await next.start();
      analytics = next;
    }
    if (feed === null) {
      feed = new FeedSupervisor({ skeleton, table, accounts: upstream.accounts, feedUrl: upstream.feedUrl, clock: upstream.clock, config, logger: log, testHooks: options.testHooks === true, ...(options.feedWorkerRestart ? { workerRestart: options.feedWorkerRestart } : {}) });
      const started = feed;
      registerFeedMetrics(server.registry, () => started.status());
      server.setMarket(skeleton, table, undefined, analyticsTable);
      await feed.start();
    } else {
      // Stop the old day's workers before the new market is served: no old slot can leak.
      await feed.swap(skeleton, table);
      server.setMarket(skeleton, table, undefined, analyticsTable);
    }
    tradingDate = date;
    const st = feed.status();
    if (st.unsubscribed > 0) log.error({ unsubscribed: st.unsubscribed, capacity: st.capacity, examples: st.unsubscribedExamples }, 'the configured Dhan accounts cannot hold the whole skeleton; add an account');
  };

  try {
    await installDay(fixedDate ?? (sim ? sim.tradingDate : tradingDateFor(upstream.clock.now())));
  } catch (err) {
    await closeAll();
    throw err;
  }

  if (fixedDate === null && mode === 'live') {
    let busy = false;
    rolloverTimer = setInterval(() => {
      const due = dueTradingDate(tradingDate, upstream.clock.now());
      if (busy || closed || due === tradingDate) return;
      busy = true;
      log.info({ from: tradingDate, to: due }, 'trading date rollover');
      installDay(due)
        .catch((err: unknown) => log.error({ err, tradingDate: due }, 'rollover failed; retrying at the next check'))
        .finally(() => {
          busy = false;
        });
    }, ROLLOVER_CHECK_MS);
    rolloverTimer.unref();
  }

  async function closeAll(): Promise<void> {
    if (closed) return;
    closed = true;
    if (rolloverTimer) clearInterval(rolloverTimer);
    const steps: [string, () => Promise<void>][] = [
      ['http', () => server.close()],
      ['feed', () => (feed ? feed.stop() : Promise.resolve())],
      ['analytics', () => (analytics ? analytics.stop() : Promise.resolve())],
      ['paper', () => paper.close()],
      ['sim', () => (sim ? sim.close() : Promise.resolve())],
    ];
    for (const [name, step] of steps) {
      const t0 = performance.now();
      try {
        await step();
        log.info({ step: name, ms: Math.round(performance.now() - t0) }, 'stopped');
      } catch (err) {
        log.error({ err, step: name }, 'shutdown step failed');
      }
    }
  }

  return { url, port, mode, tradingDate: () => tradingDate, server, sim, feed: () => feed, analytics: () => analytics, paper, close: closeAll };
}

/** The /health report: `starting` until a market and feed run, `ok` when the feed reports no problem. */
function health(mode: 'sim' | 'live', market: Market | null, feed: FeedSupervisor | null, threads: ThreadsHealth): HealthReport {
  if (!market || !feed) return { ...defaultHealth(mode)(market), status: 'starting' };
  const st = feed.status();
  const threadIssues = threadProblems(threads);
  return {
    status: st.problems.length === 0 && threadIssues.length === 0 && st.running ? 'ok' : 'degraded',
    tradingDate: market.skeleton.tradingDate,
    mode,
    skeleton: skeletonHealth(market),
    feed: {
      connections: st.connections.map((c) => {
        const detail = { packetsPerSec: c.packetsPerSec, reconnects: c.reconnects, lastError: c.lastError, stale: c.stale };
        return { account: c.account, index: c.index, state: c.state, tokens: c.tokens, lastPacketAt: c.lastPacketAt, ...detail };
      }),
      subscribed: st.subscribed,
      unsubscribed: st.unsubscribed,
      withData: st.withData,
      packets: st.packets,
      ...{ packetsPerSec: st.packetsPerSec, decodeErrors: st.decodeErrors, missingAfterOpen: st.missingAfterOpen.count, problems: st.problems },
      accounts: { configured: st.accounts, needed: st.accountsNeeded, capacity: st.capacity },
      workerRestarts: st.workerRestarts,
      workerThreads: st.workerThreads,
    } as HealthReport['feed'],
    ...{ threads, problems: threadIssues },
  };
}
