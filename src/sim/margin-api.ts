/**
 * The simulator's margin calculator REST endpoints (docs/dhan-protocol.md §3.1–§3.3):
 * `POST /v2/margincalculator` and `POST /v2/margincalculator/multi`, with Dhan's header auth,
 * error bodies, a per-client rate limit and realistic latency.
 *
 * Decisions where Dhan is silent (written down in the simulator README):
 * - Order of checks: auth (401 DH-901) → rate limit (429 DH-904) → body (400 DH-905). Every
 *   authenticated request counts toward the limit, refused ones included.
 * - Rate limit: Dhan does not say which bucket the margin calculator is in (docs/dhan-protocol.md §5); the simulator
 *   uses the Non-trading bucket, 20 requests per second per client id, as a sliding 1 s window,
 *   shared by both endpoints.
 * - Single: `dhanClientId` is required (docs) and must be the token's client id; multi: it is
 *   optional (the live call of docs/dhan-protocol.md §3.3 worked without it) but checked when present. The key names
 *   of the classic docs (`scripts`, `includeOrders`) are refused: the live API accepted only
 *   `scripList` / `includeOrder` (docs/dhan-protocol.md §3.3).
 * - F&O quantities must be a multiple of the lot size; F&O legs take `INTRADAY`/`MARGIN`
 *   (`CO`/`BO` too), cash legs `CNC`/`INTRADAY`/`MTF`/`CO`/`BO`. A `securityId` must be a
 *   string of digits naming an instrument of that segment; numbers are refused.
 * - `includePosition`/`includeOrder` must be booleans when present; the simulator's accounts
 *   hold no positions or orders, so they change nothing.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SEGMENT_CODE } from '../dhan/segments.js';
import type { AccountRegistry } from './accounts.js';
import type { MarketModel } from './market-model.js';
import { Kind } from './market-model.js';
import { roundPaise } from '../util/round-paise.js';
import { basketMargin, type MarginLeg } from './margin-model.js';
import type { SessionClock } from './session-clock.js';

/** Options of {@link MarginApi}. */
export interface MarginApiOptions {
  /** Uniform answer latency range, ms. Default [30, 80]. */
  readonly latencyMs?: readonly [number, number];
  /** Requests per second per client id. Default 20. */
  readonly rateLimitPerSecond?: number;
  /** What the accounts' fund limit says, rupees. Default 1,000,000. */
  readonly availableBalance?: number;
  /** Largest body accepted, bytes. Default 64 KiB. */
  readonly maxBodyBytes?: number;
  /** Most legs in a multi request. Default 100. */
  readonly maxLegs?: number;
}

/** Per-endpoint counters. */
export interface EndpointStats {
  calls: number;
  ok: number;
  /** Refusals by HTTP status. */
  errors: Record<string, number>;
}

/** Dhan's trading-API error answer (docs/dhan-protocol.md §3.1): status and `{errorType, errorCode, errorMessage}`. */
class DhanError {
  readonly body: { errorType: string; errorCode: string; errorMessage: string };
  constructor(
    readonly status: number,
    errorType: string,
    errorCode: string,
    errorMessage: string,
  ) {
    this.body = { errorType, errorCode, errorMessage };
  }
}

const AUTH_ERROR = new DhanError(401, 'Invalid_Authentication', 'DH-901', 'Client ID or user generated access token is invalid or expired.');
const RATE_ERROR = new DhanError(429, 'Rate_Limit', 'DH-904', 'Too many requests on server from single user breaching rate limits. Try throttling API calls.');

function inputError(message: string): DhanError {
  return new DhanError(400, 'Input_Exception', 'DH-905', message);
}

const MARGIN_SEGMENTS = new Set(['NSE_EQ', 'NSE_FNO', 'BSE_EQ', 'BSE_FNO', 'MCX_COMM']);
const FNO_PRODUCTS = new Set(['INTRADAY', 'MARGIN', 'CO', 'BO']);
const CASH_PRODUCTS = new Set(['CNC', 'INTRADAY', 'MTF', 'CO', 'BO']);
const SINGLE = '/v2/margincalculator';
const MULTI = '/v2/margincalculator/multi';

/** The margin endpoints. */
export class MarginApi {
  /** Added to every answer's latency (fault injection), ms. */
  extraLatencyMs = 0;
  private readonly latency: readonly [number, number];
  private readonly limit: number;
  private readonly balance: number;
  private readonly maxBody: number;
  private readonly maxLegs: number;
  private readonly windows = new Map<string, number[]>();
  private readonly counters: Record<string, EndpointStats> = {
    [SINGLE]: { calls: 0, ok: 0, errors: {} },
    [MULTI]: { calls: 0, ok: 0, errors: {} },
  };
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly model: MarketModel,
    private readonly accounts: AccountRegistry,
    private readonly clock: SessionClock,
    opts: MarginApiOptions = {},
  ) {
    this.latency = opts.latencyMs ?? [30, 80];
    this.limit = opts.rateLimitPerSecond ?? 20;
    this.balance = opts.availableBalance ?? 1_000_000;
    this.maxBody = opts.maxBodyBytes ?? 65_536;
    this.maxLegs = opts.maxLegs ?? 100;
  }

  /** True for the paths this API owns. */
  owns(path: string): boolean {
    return path === SINGLE || path === MULTI;
  }

  /** Answers a request on one of {@link owns}'s paths. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): void {
    const stats = this.counters[path]!;
    stats.calls++;
    if (req.method !== 'POST') {
      req.resume();
      this.send(res, stats, 405, { timestamp: new Date().toISOString(), status: 405, error: 'Method Not Allowed', path }, false);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > this.maxBody) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      const err = this.authenticate(req);
      if (err instanceof DhanError) return this.fail(res, stats, err);
      if (!this.admit(err.clientId)) return this.fail(res, stats, RATE_ERROR);
      if (tooBig) return this.fail(res, stats, inputError('Request body too large'));
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return this.fail(res, stats, inputError('Missing required fields, bad values for parameters etc.'));
      }
      const answer = path === SINGLE ? this.single(body, err.clientId) : this.multi(body, err.clientId);
      if (answer instanceof DhanError) return this.fail(res, stats, answer);
      this.send(res, stats, 200, answer, true);
    });
    req.on('error', () => res.destroy());
  }

  private authenticate(req: IncomingMessage): { clientId: string } | DhanError {
    const token = header(req, 'access-token');
    if (!token) return AUTH_ERROR;
    const verdict = this.accounts.verify(null, token);
    if (verdict !== 'ok') return AUTH_ERROR;
    const owner = this.accounts.ownerOf(token)!;
    const claimed = header(req, 'client-id');
    if (claimed !== undefined && claimed !== owner) return AUTH_ERROR;
    return { clientId: owner };
  }

  /** Sliding one-second window per client id. */
  private admit(clientId: string): boolean {
    const now = Date.now();
    let w = this.windows.get(clientId);
    if (!w) this.windows.set(clientId, (w = []));
    while (w.length > 0 && now - w[0]! >= 1000) w.shift();
    if (w.length >= this.limit) return false;
    w.push(now);
    return true;
  }

  private leg(raw: unknown, where: string): MarginLeg | DhanError {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return inputError(`${where} must be an object`);
    const o = raw as Record<string, unknown>;
    const seg = o.exchangeSegment;
    if (typeof seg !== 'string' || !MARGIN_SEGMENTS.has(seg)) return inputError(`${where}exchangeSegment is invalid`);
    const side = o.transactionType;
    if (side !== 'BUY' && side !== 'SELL') return inputError(`${where}transactionType must be BUY or SELL`);
    const qty = o.quantity;
    if (typeof qty !== 'number' || !Number.isInteger(qty) || qty <= 0) return inputError(`${where}quantity must be a positive integer`);
    const pt = o.productType;
    if (typeof pt !== 'string') return inputError(`${where}productType is required`);
    const sid = o.securityId;
    if (typeof sid !== 'string' || !/^\d{1,10}$/.test(sid)) return inputError(`${where}securityId must be a string of digits`);
    const price = o.price ?? 0;
    if (typeof price !== 'number' || !Number.isFinite(price) || price < 0) return inputError(`${where}price must be a non-negative number`);
    const trigger = o.triggerPrice ?? 0;
    if (typeof trigger !== 'number' || !Number.isFinite(trigger) || trigger < 0) return inputError(`${where}triggerPrice must be a non-negative number`);
    const index = this.model.indexOf(SEGMENT_CODE[seg as keyof typeof SEGMENT_CODE], Number(sid));
    if (index < 0 || this.model.kind[index] === Kind.INDEX) return inputError(`${where}Invalid SecurityId`);
    const fno = seg === 'NSE_FNO' || seg === 'BSE_FNO';
    if (!(fno ? FNO_PRODUCTS : CASH_PRODUCTS).has(pt)) return inputError(`${where}productType ${pt} is not allowed for ${seg}`);
    if (fno && qty % this.model.lot[index]! !== 0) return inputError(`${where}quantity must be a multiple of the lot size ${this.model.lot[index]}`);
    return { index, side, quantity: qty, productType: pt, price };
  }

  private single(body: unknown, clientId: string): Record<string, unknown> | DhanError {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return inputError('Request body must be a JSON object');
    const o = body as Record<string, unknown>;
    if (typeof o.dhanClientId !== 'string' || o.dhanClientId === '') return inputError('dhanClientId is required');
    if (o.dhanClientId !== clientId) return inputError('dhanClientId does not match the access token');
    const leg = this.leg(o, '');
    if (leg instanceof DhanError) return leg;
    const r = basketMargin(this.model, [leg], this.clock.now());
    const fno = this.model.kind[leg.index] === Kind.OPTION;
    const total = r.total;
    const brokerage = fno ? 20 : leg.productType === 'CNC' ? 0 : Math.min(20, 0.0003 * r.notional);
    return {
      totalMargin: roundPaise(total),
      spanMargin: roundPaise(r.span),
      exposureMargin: roundPaise(r.exposure),
      availableBalance: roundPaise(this.balance),
      variableMargin: roundPaise(r.equity),
      insufficientBalance: roundPaise(Math.max(0, total - this.balance)),
      brokerage: roundPaise(brokerage),
      leverage: `${(total > 0 ? r.notional / total : 1).toFixed(2)}X`,
    };
  }

  private multi(body: unknown, clientId: string): Record<string, unknown> | DhanError {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return inputError('Request body must be a JSON object');
    const o = body as Record<string, unknown>;
    if (o.dhanClientId !== undefined && o.dhanClientId !== clientId) return inputError('dhanClientId does not match the access token');
    for (const k of ['includeOrder', 'includePosition'] as const) {
      if (o[k] !== undefined && typeof o[k] !== 'boolean') return inputError(`${k} must be a boolean`);
    }
    const list = o.scripList;
    if (!Array.isArray(list) || list.length === 0) return inputError('scripList is required and must be a non-empty array');
    if (list.length > this.maxLegs) return inputError(`scripList holds at most ${this.maxLegs} entries`);
    const legs: MarginLeg[] = [];
    for (let k = 0; k < list.length; k++) {
      const leg = this.leg(list[k], `scripList[${k}].`);
      if (leg instanceof DhanError) return leg;
      legs.push(leg);
    }
    const now = this.clock.now();
    const r = basketMargin(this.model, legs, now);
    let separate = 0;
    for (const leg of legs) if (this.model.kind[leg.index] === Kind.OPTION) separate += basketMargin(this.model, [leg], now).fo;
    return {
      totalMargin: roundPaise(r.total),
      spanMargin: roundPaise(r.span),
      exposure: roundPaise(r.exposure),
      equityMargin: roundPaise(r.equity),
      foMargin: roundPaise(r.fo),
      commodity: 0,
      currency: 0,
      hedgeBenefit: roundPaise(Math.max(0, separate - r.fo)),
      userFundLimit: roundPaise(this.balance),
      insufficientFund: roundPaise(Math.max(0, r.total - this.balance)),
    };
  }

  private fail(res: ServerResponse, stats: EndpointStats, err: DhanError): void {
    this.send(res, stats, err.status, err.body, false);
  }

  private send(res: ServerResponse, stats: EndpointStats, status: number, body: unknown, ok: boolean): void {
    if (ok) stats.ok++;
    else stats.errors[status] = (stats.errors[status] ?? 0) + 1;
    const [lo, hi] = this.latency;
    const delay = Math.max(0, lo + Math.random() * Math.max(0, hi - lo) + this.extraLatencyMs);
    const text = JSON.stringify(body);
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    }, delay);
    this.timers.add(t);
  }

  /** Per-endpoint counters (copies). */
  stats(): Record<string, EndpointStats> {
    const out: Record<string, EndpointStats> = {};
    for (const [k, v] of Object.entries(this.counters)) out[k] = { calls: v.calls, ok: v.ok, errors: { ...v.errors } };
    return out;
  }

  /** Drops pending answers (shutdown). */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
