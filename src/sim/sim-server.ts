/**
 * The Dhan simulator on one port (issue #4, docs/contract.md §2): the synthetic detailed master over
 * HTTP, the Live Market Feed v2 WebSocket at `/` (query-string auth), the margin calculator
 * under `/v2`, and a small control API under `/sim` for fault injection from another process.
 *
 * Routes:
 * - `GET|HEAD /api-data/api-scrip-master-detailed.csv` — the master, generated once at start
 *   (Dhan's own path, docs/dhan-protocol.md §1.1), with content-length.
 * - `POST /v2/margincalculator`, `POST /v2/margincalculator/multi` — docs/dhan-protocol.md §3.2–§3.3.
 * - any other `/v2/...` — Spring-style 404 as Dhan answers unknown paths (docs/dhan-protocol.md §3.1).
 * - WebSocket upgrade on `/` — the feed (docs/dhan-protocol.md §2.1).
 * - `GET /sim/info`, `GET /sim/stats`, `GET /sim/accounts`, `POST /sim/faults/<name>` — the
 *   control API, see the README. Every control call needs `Authorization: Bearer <secret>`
 *   with the run's control secret (random per run unless given; `optchain sim` prints it):
 *   one unauthenticated local POST could otherwise expire the tokens the server holds and
 *   park its feed in auth-error (issue 15 §5). A missing or wrong secret gets 401 in the
 *   contract's error shape (docs/contract.md §5).
 *
 * @module
 */
import type { UniverseSize } from '../synthetic-master/synthetic-size.js';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { previousTradingDay } from '../time/trading-calendar.js';
import { generateMaster } from '../synthetic-master/synthetic-master.js';
import { AccountRegistry, defaultSimAccounts, type SimAccount } from './accounts.js';
import { FeedServer, type ConnectionSelector, type FeedStats, type MalformedKind } from './feed-server.js';
import { MarginApi, type EndpointStats } from './margin-api.js';
import { MarketModel } from './market-model.js';
import { SessionClock } from './session-clock.js';
import { parseMaster } from '../master/parse-master.js';
import { DisconnectReason } from '../dhan/disconnect-reason.js';

/** Dhan's path of the detailed master (docs/dhan-protocol.md §1.1), served by the simulator. */
export const MASTER_PATH = '/api-data/api-scrip-master-detailed.csv';

/** Options of {@link startSimulator}. */
export interface SimulatorOptions {
  /** Listen address; default 127.0.0.1. */
  readonly host?: string;
  /** Port; 0 (default) picks a free one. */
  readonly port?: number;
  /** YYYY-MM-DD: the master's date and the session's date. */
  readonly tradingDate: string;
  /** Seeds the master and the market. Default 42. */
  readonly seed?: number;
  /** Synthetic master size; default `OPTCHAIN_SIM_UNIVERSE`, else `real`. */
  readonly universe?: UniverseSize;
  /** Update-rate multiplier (load tests). Default 1. */
  readonly rate?: number;
  /** Accounts; default two client ids (the universe needs 2 × 25k instruments). */
  readonly accounts?: readonly SimAccount[];
  /** Several packets per WebSocket message (docs/dhan-protocol.md §2.8 robustness option). Default false. */
  readonly stacked?: boolean;
  /** All-zero keep-alive headers per second per feed connection (docs/dhan-protocol.md §2.5 realism switch). Default 0. */
  readonly keepAlivesPerSecond?: number;
  /** Minutes after 09:15 IST that the session clock reads at start. Default 5. */
  readonly startMinutes?: number;
  /** Rates × factor at start, decaying to normal over durationMs (the 09:15 burst). */
  readonly openingBurst?: { readonly factor: number; readonly durationMs: number };
  /** Feed timer round, ms. Default 50. */
  readonly roundMs?: number;
  /** Server ping interval, ms. Default 10 000 (docs/dhan-protocol.md §2.10). */
  readonly pingIntervalMs?: number;
  /** Silent clients dropped after this many ms. Default 40 000 (docs/dhan-protocol.md §2.10). */
  readonly silentTimeoutMs?: number;
  /** Prev Close packets for every subscription (default, Dhan's docs; docs/dhan-protocol.md §2.7) or for IDX_I only. */
  readonly prevCloseFor?: 'index' | 'all';
  /** Margin answer latency range, ms. Default [30, 80]. */
  readonly restLatencyMs?: readonly [number, number];
  /** Margin requests per second per client id. Default 20. */
  readonly restRateLimitPerSecond?: number;
  /** A master to serve instead of generating one (tests that need a small universe). */
  readonly masterCsv?: string;
  /** Secret of the control API (hex); default a fresh random 128-bit one per run. */
  readonly controlSecret?: string;
  /**
   * Session clock offset to resume (wall clock + this = session time). A restarted embedded
   * simulator passes its predecessor's, so the server's market clock stays right.
   */
  readonly clockOffsetMs?: number;
}

/** Fault controls (also reachable over `POST /sim/faults/...`). */
export interface SimFaults {
  /** Drops feed connections (`terminate` = TCP reset, default; `close` = close frame). Returns how many. */
  dropConnections(sel?: ConnectionSelector & { how?: 'terminate' | 'close' }): number;
  /** Keeps connections open but sends nothing and answers no pings. Returns how many. */
  stallConnections(sel?: ConnectionSelector): number;
  /** Ends all stalls. */
  unstall(): number;
  /** Sends a malformed frame to the selected connections. */
  sendMalformed(sel?: ConnectionSelector & { kind?: MalformedKind }): number;
  /**
   * Expires a client's token and installs a new one (given or generated). By default the
   * client's open feed connections receive the 807 packet and close.
   */
  expireToken(clientId: string, opts?: { newToken?: string; disconnect?: boolean }): SimAccount;
  /** Adds latency to every margin answer, ms (0 restores). */
  setRestLatency(extraMs: number): void;
  /** Rates × factor, decaying back over durationMs. */
  burst(factor: number, durationMs: number): void;
  /** Sets the update-rate multiplier. */
  setRate(rate: number): void;
  /** Turns stacked frames on or off. */
  setStacked(on: boolean): void;
  /** All-zero keep-alive headers per second per connection (0 = off); SIM_OPTION_INVALID outside 0..100000. */
  setKeepAlives(perSecond: number): void;
}

/** Counters of the whole simulator. */
export interface SimStats {
  feed: FeedStats;
  rest: Record<string, EndpointStats>;
  master: { requests: number; bytes: number };
  model: { instruments: number; active: number; rate: number };
  session: { now: number; loops: number };
}

/** A running simulator. */
export interface SimHandle {
  /** `control` is the control API's base (`…/sim`). */
  readonly urls: { readonly master: string; readonly feed: string; readonly api: string; readonly control: string };
  /** The control API's secret (send `Authorization: Bearer <secret>`). Never log it. */
  readonly controlSecret: string;
  /** Current credentials (a token changes after {@link SimFaults.expireToken}). */
  readonly accounts: SimAccount[];
  readonly tradingDate: string;
  /** Session clock = wall clock + this (src/time/market-clock.ts MarketClock offsetMs). */
  readonly clockOffsetMs: number;
  /** The session clock loops after this many ms (6 h 15 min). */
  readonly sessionLengthMs: number;
  readonly port: number;
  readonly faults: SimFaults;
  stats(): SimStats;
  close(): Promise<void>;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts the simulator and resolves once it listens. */
export async function startSimulator(opts: SimulatorOptions): Promise<SimHandle> {
  const seed = opts.seed ?? 42;
  const host = opts.host ?? '127.0.0.1';
  const tradingDate = opts.tradingDate;
  const g = generateMaster(tradingDate, { seed, ...(opts.universe ? { universe: opts.universe } : {}) });
  const underlyings = g.underlyings;
  const masterBytes = opts.masterCsv === undefined ? g.buffer : Buffer.from(opts.masterCsv, 'latin1');
  // The same parser the server uses: the simulator streams any instrument it serves.
  const instruments = parseMaster(masterBytes).instruments;
  const clock = new SessionClock(tradingDate, { startMinutes: opts.startMinutes, offsetMs: opts.clockOffsetMs });
  const controlSecret = opts.controlSecret ?? randomBytes(16).toString('hex');
  const secretBytes = Buffer.from(`Bearer ${controlSecret}`);
  const model = new MarketModel({
    instruments,
    underlyings,
    clock,
    previousTradingDate: previousTradingDay(tradingDate),
    seed,
    rate: opts.rate ?? 1,
  });
  if (opts.openingBurst) model.burst(opts.openingBurst.factor, opts.openingBurst.durationMs);
  const accounts = new AccountRegistry(opts.accounts ?? defaultSimAccounts(seed), seed);
  const feed = new FeedServer(model, accounts, {
    roundMs: opts.roundMs,
    pingIntervalMs: opts.pingIntervalMs,
    silentTimeoutMs: opts.silentTimeoutMs,
    stacked: opts.stacked,
    keepAlivesPerSecond: opts.keepAlivesPerSecond,
    prevCloseFor: opts.prevCloseFor,
  });
  const margin = new MarginApi(model, accounts, clock, { latencyMs: opts.restLatencyMs, rateLimitPerSecond: opts.restRateLimitPerSecond });
  const masterStats = { requests: 0, bytes: 0 };

  const faults: SimFaults = {
    dropConnections: (sel) => feed.drop(sel),
    stallConnections: (sel) => feed.stall(sel),
    unstall: () => feed.unstall(),
    sendMalformed: (sel) => feed.malformed(sel),
    expireToken: (clientId, o = {}) => {
      const acc = accounts.expire(clientId, o.newToken);
      if (o.disconnect !== false) feed.disconnectWith(DisconnectReason.ACCESS_TOKEN_EXPIRED, { clientId });
      return acc;
    },
    setRestLatency: (ms) => {
      margin.extraLatencyMs = Math.max(0, ms);
    },
    burst: (factor, durationMs) => model.burst(factor, durationMs),
    setRate: (rate) => {
      if (rate > 0 && Number.isFinite(rate)) model.rate = rate;
    },
    setStacked: (on) => {
      feed.stacked = on;
    },
    setKeepAlives: (perSecond) => {
      feed.keepAlivesPerSecond = perSecond;
    },
  };

  const stats = (): SimStats => {
    const now = Date.now();
    return {
      feed: feed.stats(),
      rest: margin.stats(),
      master: { ...masterStats },
      model: { instruments: model.size, active: model.activeSize, rate: model.rate },
      session: { now: clock.now(now), loops: clock.loops(now) },
    };
  };

  let urls = { master: '', feed: '', api: '', control: '' };
  const info = () => ({ urls, accounts: accounts.list(), tradingDate, clockOffsetMs: clock.offsetMs, sessionLengthMs: clock.sessionLengthMs });

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === MASTER_PATH) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'Method Not Allowed', path });
      masterStats.requests++;
      res.writeHead(200, { 'content-type': 'text/csv', 'content-length': masterBytes.length });
      if (req.method === 'HEAD') return res.end();
      masterStats.bytes += masterBytes.length;
      res.end(masterBytes);
      return;
    }
    if (margin.owns(path)) return margin.handle(req, res, path);
    if (path.startsWith('/sim/')) return control(req, res, path);
    req.resume();
    // Dhan answers unknown paths with a Spring-style body (docs/dhan-protocol.md §3.1).
    sendJson(res, 404, { timestamp: new Date().toISOString(), status: 404, error: 'Not Found', path });
  });

  /** Constant-time check of the Authorization header against the run's secret. */
  function authorized(req: IncomingMessage): boolean {
    const got = Buffer.from(req.headers.authorization ?? '');
    return got.length === secretBytes.length && timingSafeEqual(got, secretBytes);
  }

  function control(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (!authorized(req)) {
      req.resume();
      res.setHeader('www-authenticate', 'Bearer realm="optchain-sim"');
      return sendError(res, 401, 'UNAUTHORIZED', 'the simulator control API needs Authorization: Bearer <control secret> (printed by optchain sim as control-secret)');
    }
    if (req.method === 'GET' && path === '/sim/stats') return sendJson(res, 200, stats());
    if (req.method === 'GET' && path === '/sim/info') return sendJson(res, 200, info());
    // The accounts file's shape (docs/contract.md §4): the server in sim mode re-reads it on every
    // reconnect, as it re-reads the accounts file in live mode.
    if (req.method === 'GET' && path === '/sim/accounts') return sendJson(res, 200, accounts.list());
    if (req.method !== 'POST' || !path.startsWith('/sim/faults/')) {
      req.resume();
      return sendError(res, 404, 'NOT_FOUND', `unknown control route ${path}`);
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let b: Record<string, unknown> = {};
      try {
        const text = Buffer.concat(chunks).toString('utf8').trim();
        if (text) b = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return sendError(res, 400, 'BAD_REQUEST', 'body must be JSON');
      }
      const sel: ConnectionSelector = {
        clientId: typeof b.clientId === 'string' ? b.clientId : undefined,
        count: typeof b.count === 'number' ? b.count : undefined,
      };
      try {
        switch (path.slice('/sim/faults/'.length)) {
          case 'drop':
            return sendJson(res, 200, { affected: faults.dropConnections({ ...sel, how: b.how === 'close' ? 'close' : 'terminate' }) });
          case 'stall':
            return sendJson(res, 200, { affected: faults.stallConnections(sel) });
          case 'unstall':
            return sendJson(res, 200, { affected: faults.unstall() });
          case 'malformed':
            return sendJson(res, 200, { affected: faults.sendMalformed({ ...sel, kind: typeof b.kind === 'string' ? (b.kind as MalformedKind) : undefined }) });
          case 'expire-token':
            if (typeof b.clientId !== 'string') return sendError(res, 400, 'BAD_REQUEST', 'clientId is required');
            return sendJson(res, 200, faults.expireToken(b.clientId, { newToken: typeof b.newToken === 'string' ? b.newToken : undefined, disconnect: b.disconnect !== false }));
          case 'rest-latency':
            faults.setRestLatency(Number(b.extraMs ?? 0));
            return sendJson(res, 200, { extraMs: margin.extraLatencyMs });
          case 'burst':
            faults.burst(Number(b.factor ?? 5), Number(b.durationMs ?? 60_000));
            return sendJson(res, 200, { ok: true });
          case 'rate':
            faults.setRate(Number(b.rate));
            return sendJson(res, 200, { rate: model.rate });
          case 'stacked':
            faults.setStacked(b.on === true);
            return sendJson(res, 200, { stacked: feed.stacked });
          case 'keep-alives':
            faults.setKeepAlives(typeof b.perSecond === 'number' ? b.perSecond : Number.NaN);
            return sendJson(res, 200, { perSecond: feed.keepAlivesPerSecond });
          default:
            return sendError(res, 404, 'NOT_FOUND', `unknown fault ${path}`);
        }
      } catch (err) {
        return sendError(res, 400, 'BAD_REQUEST', err instanceof Error ? err.message : String(err));
      }
    });
  }

  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== '/' && path !== '') {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    feed.handleUpgrade(req, socket, head);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const base = `${urlHost(host)}:${port}`;
  urls = { master: `http://${base}${MASTER_PATH}`, feed: `ws://${base}`, api: `http://${base}/v2`, control: `http://${base}/sim` };
  feed.start();

  let closed: Promise<void> | null = null;
  return {
    urls,
    get accounts() {
      return accounts.list();
    },
    controlSecret,
    tradingDate,
    clockOffsetMs: clock.offsetMs,
    sessionLengthMs: clock.sessionLengthMs,
    port,
    faults,
    stats,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        feed.close();
        margin.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** An error in the contract's shape (docs/contract.md §5). */
function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
