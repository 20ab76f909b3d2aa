/**
 * Shared set-up for the paper tests (not a test file itself): a skeleton built by the real
 * master parser and skeleton builder from a small CSV, a price table with helpers to write
 * quotes the way the feed does, a small Dhan-shaped margin server on a real socket (counting
 * calls), and a running HTTP server (the default backend, or the one asked for) with the paper routes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { loadConfig, type Config } from '../src/config/config.js';
import { HttpServer } from '../src/http/http-server.js';
import { parseMaster } from '../src/master/parse-master.js';
import type { MarginBackend } from '../src/margin/types.js';
import { createUser } from '../src/paper/api-keys.js';
import { openPaperDb, type PaperDb } from '../src/paper/paper-db.js';
import { registerPaperRoutes, type PaperRoutes } from '../src/paper/paper-routes.js';
import { PriceTable } from '../src/price-table/price-table.js';
import { buildSkeleton } from '../src/skeleton/build-skeleton.js';
import { SkeletonIndex } from '../src/skeleton/skeleton-index.js';
import { Market } from '../src/chain/market.js';
import type { Contract, Skeleton } from '../src/skeleton/types.js';
import { chainRows, indexRow, strikes, toCsv } from './helpers/master-rows.js';
import { writeTick } from './helpers/tiny-skeleton.js';

export const TRADING_DATE = '2026-08-17';

/** The test master: NIFTY weekly (lot 65, freeze 1756, band 0.05–500) and a monthly. Also served by the simulator (`masterCsv`) so ids agree. */
export function masterCsv(): string {
  return toCsv([
    indexRow('NSE', 13, 'NIFTY', 'Nifty 50'),
    ...chainRows({ symbol: 'NIFTY', underlyingId: 26000, expiry: '2026-08-18', strikes: strikes(24000, 100, 10), flag: 'W', firstId: 1000 }),
    ...chainRows({ symbol: 'NIFTY', underlyingId: 26000, expiry: '2026-08-25', strikes: strikes(24000, 100, 10), flag: 'M', firstId: 2000 }),
  ]);
}

/** The skeleton of {@link masterCsv} from the real parser and builder; `weekly` = 24000 CE, 24000 PE, 24100 CE, … */
export function makeMarket(): { skeleton: Skeleton; skeletonIndex: SkeletonIndex; table: PriceTable; market: Market; weekly: Contract[] } {
  const skeleton = buildSkeleton(parseMaster(masterCsv()).instruments, TRADING_DATE);
  const skeletonIndex = new SkeletonIndex(skeleton);
  const table = PriceTable.allocate(skeleton.slotCount, skeleton.chains.length);
  const market = new Market(skeleton, table, skeletonIndex);
  const weekly = skeleton.chains[0]!.rows.flatMap((r) => [r.ce, r.pe].filter((c): c is Contract => c !== null));
  return { skeleton, skeletonIndex, table, market, weekly };
}

/** A quote for a slot, as the feed writes it (float32 prices, receive time in ms). */
export interface QuoteSpec {
  bid: number;
  ask: number;
  bidQty?: number;
  askQty?: number;
  ltp?: number;
  at?: number;
}

/** Writes a quote into the table. */
export function quote(m: { skeleton: Skeleton; table: PriceTable }, c: Contract, q: QuoteSpec): void {
  const f = Math.fround;
  writeTick(m.table, m.skeleton, c.slot, {
    ltp: f(q.ltp ?? (q.bid + q.ask) / 2), bid: f(q.bid), ask: f(q.ask), bidQty: q.bidQty ?? 1625, askQty: q.askQty ?? 1365, updatedAt: q.at ?? Date.now(),
  });
}

/** The margin the stub answers for a basket: deterministic in the legs, so tests can predict it. */
export function stubMargin(scripList: { transactionType: string; quantity: number; price: number }[]): { totalMargin: number; spanMargin: number; exposureMargin: number } {
  let span = 0;
  let exposure = 0;
  let premium = 0;
  for (const l of scripList) {
    if (l.transactionType === 'SELL') {
      span += l.quantity * 1500;
      exposure += l.quantity * 500;
    } else premium += l.quantity * l.price;
  }
  const hedge = scripList.some((l) => l.transactionType === 'BUY') && span > 0 ? 0.5 : 1;
  return { totalMargin: Math.round((span * hedge + exposure * hedge + premium) * 100) / 100, spanMargin: span * hedge, exposureMargin: exposure * hedge };
}

/** A small Dhan-shaped margin server on 127.0.0.1 (camelCase answers), counting calls. */
export interface MarginStub {
  readonly apiUrl: string;
  readonly account: { clientId: string; accessToken: string };
  /** Calls to /v2/margincalculator/multi. */
  calls(): number;
  /** Calls to the single-leg endpoint (must stay 0: never a sum of single-leg calls). */
  singleCalls(): number;
  readonly bodies: any[];
  /** Delay before answering, ms. */
  delayMs: number;
  /** Next answers: status and body (consumed in order; then normal answers). */
  queue: { status: number; body: unknown }[];
  close(): Promise<void>;
}

export async function startMarginStub(): Promise<MarginStub> {
  let calls = 0;
  let singles = 0;
  const account = { clientId: '1100000001', accessToken: 'stub-token-1' };
  const stub: Partial<MarginStub> & { bodies: any[]; delayMs: number; queue: { status: number; body: unknown }[] } = { bodies: [], delayMs: 0, queue: [] };
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (req.url === '/v2/margincalculator') {
        singles++;
        return send(400, { errorType: 'Input_Exception', errorCode: 'DH-905', errorMessage: 'not in this stub' });
      }
      if (req.url !== '/v2/margincalculator/multi' || req.method !== 'POST') return send(404, { status: 404, error: 'Not Found', path: req.url });
      calls++;
      if (req.headers['access-token'] !== account.accessToken) {
        return send(401, { errorType: 'Invalid_Authentication', errorCode: 'DH-901', errorMessage: 'Client ID or user generated access token is invalid or expired.' });
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      stub.bodies.push(body);
      const queued = stub.queue.shift();
      setTimeout(() => {
        if (queued) return send(queued.status, queued.body);
        const m = stubMargin(body.scripList);
        send(200, { totalMargin: m.totalMargin, spanMargin: m.spanMargin, exposure: m.exposureMargin, equityMargin: 0, foMargin: m.totalMargin, commodity: 0, currency: 0, hedgeBenefit: 0, userFundLimit: 0, insufficientFund: 0 });
      }, stub.delayMs);
    });
  });
  server.keepAliveTimeout = 500;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(stub, {
    apiUrl: `http://127.0.0.1:${port}/v2`,
    account,
    calls: () => calls,
    singleCalls: () => singles,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  }) as MarginStub;
}

/** A running paper server. */
export interface PaperHarness {
  readonly base: string;
  readonly port: number;
  readonly db: PaperDb;
  readonly dataDir: string;
  readonly config: Config;
  readonly market: ReturnType<typeof makeMarket>;
  readonly routes: PaperRoutes;
  readonly server: HttpServer;
  /** Creates a user, returns its key. */
  user(name: string, funds?: number): string;
  /** JSON request; returns status and parsed body. */
  call(method: string, path: string, key: string | null, body?: unknown): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

type Account = { clientId: string; accessToken: string };

export async function startPaperServer(opts: { apiUrl: string; account: Account | null | (() => Account | null); env?: Record<string, string>; marginBackend?: MarginBackend; clock?: () => number; backend?: 'uws' | 'node' }): Promise<PaperHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'optchain-paper-'));
  const config = loadConfig({ OPTCHAIN_DATA_DIR: dataDir, OPTCHAIN_LOG_LEVEL: 'silent', ...opts.env });
  const db = openPaperDb(dataDir);
  const market = makeMarket();
  const server = new HttpServer({ maxBodyBytes: config.httpMaxBodyBytes, ...(opts.backend ? { backend: opts.backend } : {}) });
  const routes = registerPaperRoutes(server, {
    getMarket: () => market.market,
    config,
    db,
    registry: server.metrics.registry,
    marginApiUrl: opts.apiUrl,
    marginAccount: async () => (typeof opts.account === 'function' ? opts.account() : opts.account),
    ...(opts.marginBackend ? { marginBackend: opts.marginBackend } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const port = await server.listen('127.0.0.1', 0);
  const base = `http://127.0.0.1:${port}`;
  return {
    base, port, db, dataDir, config, market, routes, server,
    user: (name, funds = 1_000_000) => createUser(db, name, funds).key,
    async call(method, path, key, body) {
      const headers: Record<string, string> = {};
      if (key !== null) headers.authorization = `Bearer ${key}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      return { status: res.status, body: text.length > 0 ? JSON.parse(text) : undefined, headers: res.headers };
    },
    async close() {
      await server.close();
      await routes.close();
      db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A one-leg order body. */
export function order(clientOrderId: string, c: Contract, side: 'BUY' | 'SELL', lots = 1, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { clientOrderId, legs: [{ exchangeSegment: c.segment, securityId: c.securityId, side, lots, type: 'MARKET', ...extra }] };
}

/** One margin stub per test file and the harness of the running test, closed after it. */
export interface PaperSuite {
  readonly stub: MarginStub;
  harness: PaperHarness | undefined;
}

/** Registers the hooks of {@link PaperSuite} in the calling test file. */
export function paperSuite(): PaperSuite {
  let stub: MarginStub | undefined;
  const suite: PaperSuite = {
    get stub(): MarginStub {
      if (stub === undefined) throw new Error('the margin stub starts in beforeAll');
      return stub;
    },
    harness: undefined,
  };
  beforeAll(async () => {
    stub = await startMarginStub();
  });
  afterAll(async () => {
    await stub?.close();
  });
  afterEach(async () => {
    if (stub !== undefined) stub.delayMs = 0;
    await suite.harness?.close();
    suite.harness = undefined;
  });
  return suite;
}
