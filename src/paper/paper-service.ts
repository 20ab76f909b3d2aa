/**
 * Paper trading on live quotes (docs/contract.md §6): orders filled at the touch after feasibility
 * checks, margins from Dhan only at decision points, durable idempotent state. Transport-free:
 * every method takes an authenticated user and a parsed JSON body and returns a status with the
 * JSON text to send (or throws an {@link OptchainError} that the route layer renders).
 *
 * Decision points — and so the only places a margin is asked for — are: an order placed (the
 * margin of the position set the order would leave), `POST /v1/margin`, a strategy deployed or
 * modified. Nothing here runs on a tick or a timer (docs/contract.md §1, §6).
 *
 * Ordering: a user's order placements run one at a time (a per-user promise chain), so the
 * "resulting position set" an order is checked against cannot be changed underneath it by a
 * concurrent order of the same user, and a concurrent replay of the same `clientOrderId` waits
 * for the first and then returns its stored answer.
 *
 * Under load (issue 15 item 3), what happens when:
 * - more than `queuePerUser` of a user's orders are waiting → the next is answered 429
 *   `QUEUE_FULL` at once (the margin queue bounds /v1/margin and strategies the same way);
 * - an order is not decided by its deadline (`orderDeadlineMs` after it arrived: waiting for
 *   the user's earlier orders, for Dhan's rate budget, or for Dhan) → 503 `DEADLINE_EXCEEDED`;
 * - its client disconnects before the decision → cancelled (`CLIENT_CLOSED`, logged and
 *   counted; nobody is left to answer).
 * In all three the order is never filled and nothing is stored, so the same `clientOrderId`
 * may be sent again. The deadline and the disconnect are checked before the feasibility checks,
 * while the margin is awaited (a margin call still waiting for a token is withdrawn) and once
 * more just before the decision. The decision is the moment the fill (or a stored refusal) is
 * handed to the writer: from then on the order stands — it is on disk before its 2xx, and a
 * client that left by then finds it by replaying its `clientOrderId`.
 *
 * Writes go to the writer thread ({@link PaperWriter}); the HTTP thread only reads.
 *
 * @module
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Market } from '../chain/market.js';
import { ErrorCodes, HttpError, OrderRefusedError, type OptchainError } from '../errors.js';
import type { DhanAccount } from '../margin/dhan-margin-api.js';
import { canonicalSet, positionSetHash, type FnoSegment, type PricedLeg } from '../margin/position-set.js';
import type { MarginBackend, MarginResult } from '../margin/types.js';
import { FIELD_COUNT } from '../price-table/layout.js';
import type { Contract } from '../skeleton/types.js';
import { bearerKey, findUserByKey, type PaperUser } from './api-keys.js';
import { checkOrder, checkStatic, readQuote, type FeasibilityRules, type FeasibleLeg, type Quote } from './feasibility.js';
import type { PaperDb } from './paper-db.js';
import { canonicalJson, marginBodySchema, orderBodySchema, parseBody, strategyBodySchema, type OrderBody, type StrategyLeg } from './paper-schemas.js';
import { PaperStore, type FillRow } from './paper-store.js';
import type { PaperWriter } from './paper-writes.js';
import { applyFill, positionKey, type Position } from './positions.js';
import { roundPaise } from '../util/round-paise.js';

/** A status and the exact JSON text to answer with. */
export interface PaperAnswer {
  readonly status: number;
  readonly body: string;
  /** True when the answer is a stored first answer replayed for a repeated clientOrderId. */
  readonly replayed?: boolean;
}

/** Bounds on a user's requests (config `paperQueuePerUser`, `paperOrderDeadlineMs`). */
export interface PaperLimits {
  /** Orders of one user that may wait behind their earlier ones. */
  readonly queuePerUser: number;
  /** An order not decided this long after it arrived is refused unfilled. */
  readonly orderDeadlineMs: number;
}

/** Counters, for /metrics. */
export interface PaperServiceStats {
  readonly filled: number;
  readonly refused: number;
  readonly queueFull: number;
  readonly deadlineExceeded: number;
  readonly cancelled: number;
  /** Failed margin-cache invalidations after a fill (the stale sets then expire by TTL). */
  readonly invalidationFailures: number;
}

/** Per request: the client's disconnect signal. */
export interface RequestContext {
  readonly signal?: AbortSignal | undefined;
}

interface Deadline {
  readonly at: number;
  readonly signal: AbortSignal | undefined;
}

/** What the service needs. */
export interface PaperServiceDeps {
  /** The read connection (the HTTP thread never writes). */
  readonly db: PaperDb;
  /** Every write: the writer thread in production. */
  readonly writer: PaperWriter;
  readonly margin: MarginBackend;
  /** Null until the skeleton and the table exist (answers 503 NOT_READY). */
  readonly getMarket: () => Market | null;
  readonly limits: PaperLimits;
  readonly rules: FeasibilityRules;
  /** The account that signs margin calls (docs/contract.md §6: the first configured one); null when none. */
  readonly marginAccount: () => Promise<DhanAccount | null>;
  /** Wall clock, Unix ms (quote age is measured against the table's server receive times). */
  readonly clock?: () => number;
  readonly logger?: Logger;
}

function marginJson(m: MarginResult): { totalMargin: number; spanMargin: number; exposureMargin: number; source: 'dhan' | 'cache'; computedAt: number } {
  return { totalMargin: roundPaise(m.totalMargin), spanMargin: roundPaise(m.spanMargin), exposureMargin: roundPaise(m.exposureMargin), source: m.source, computedAt: m.computedAt };
}

/** The paper-trading service. */
export class PaperService {
  readonly store: PaperStore;
  private readonly deps: PaperServiceDeps;
  private readonly clock: () => number;
  private readonly locks = new Map<number, Promise<unknown>>();
  /** Orders per user admitted and not yet answered (the bounded per-user order queue). */
  private readonly admitted = new Map<number, number>();
  private readonly scratch = new Float64Array(FIELD_COUNT);
  private readonly counters = { filled: 0, refused: 0, queueFull: 0, deadlineExceeded: 0, cancelled: 0, invalidationFailures: 0 };

  constructor(deps: PaperServiceDeps) {
    this.deps = deps;
    this.store = new PaperStore(deps.db);
    this.clock = deps.clock ?? Date.now;
  }

  stats(): PaperServiceStats {
    return { ...this.counters };
  }

  /** The user behind `Authorization: Bearer <key>`; 401 UNAUTHORIZED otherwise. */
  authenticate(authorization: string | undefined): PaperUser {
    const key = bearerKey(authorization);
    const user = key === undefined ? undefined : findUserByKey(this.deps.db, key);
    if (user === undefined) {
      throw new HttpError(ErrorCodes.UNAUTHORIZED, key === undefined ? 'missing "Authorization: Bearer <api key>"' : 'unknown API key');
    }
    return user;
  }

  /** Runs `fn` after every earlier locked call of the same user has finished. */
  private async withUserLock<T>(userId: number, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(userId) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(() => undefined, () => undefined);
    this.locks.set(userId, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(userId) === tail) this.locks.delete(userId);
    }
  }

  private market(): Market {
    const m = this.deps.getMarket();
    if (m === null) throw new HttpError(ErrorCodes.NOT_READY, 'the skeleton or the price table is not ready yet');
    return m;
  }

  private quote(m: Market, slot: number): Quote {
    return readQuote(m.table, slot, this.scratch);
  }

  /** The price Dhan gets for a held leg: the touch it would trade at, else LTP, else a fallback. */
  private marginPrice(m: Market, contract: Contract, quantity: number, fallback: number): number {
    const q = this.quote(m, contract.slot);
    const touch = quantity > 0 ? q.ask : q.bid;
    if (touch > 0) return roundPaise(touch);
    if (q.ltp > 0) return roundPaise(q.ltp);
    return fallback;
  }

  private deadline(ctx: RequestContext): Deadline {
    return { at: this.clock() + this.deps.limits.orderDeadlineMs, signal: ctx.signal };
  }

  /** Throws when the client has gone or the deadline has passed: the request must not be decided. */
  private stillWanted(d: Deadline): void {
    if (d.signal?.aborted) throw new HttpError(ErrorCodes.CLIENT_CLOSED, 'the client went away before the decision');
    if (this.clock() >= d.at) {
      throw new HttpError(ErrorCodes.DEADLINE_EXCEEDED, `not decided within ${this.deps.limits.orderDeadlineMs} ms; nothing was filled or stored, the same clientOrderId may be sent again`, { deadlineMs: this.deps.limits.orderDeadlineMs });
    }
  }

  private async computeMargin(userId: number, legs: PricedLeg[], d: Deadline): Promise<{ margin: MarginResult; setHash: string }> {
    const set = canonicalSet(legs);
    const setHash = positionSetHash(set);
    if (set.length === 0) {
      // A flat set needs no margin: no call, nothing to cache.
      return { margin: { totalMargin: 0, spanMargin: 0, exposureMargin: 0, source: 'cache', computedAt: this.clock() }, setHash };
    }
    const account = await this.deps.marginAccount();
    const margin = await this.deps.margin.compute({ userId, setHash, legs: set, account, deadlineAt: d.at }, d.signal);
    return { margin, setHash };
  }

  // ---------------------------------------------------------------- orders

  /** `POST /v1/paper/orders` (docs/contract.md §6). */
  async placeOrder(user: PaperUser, raw: unknown, ctx: RequestContext = {}): Promise<PaperAnswer> {
    const body = parseBody(orderBodySchema, raw);
    const bodyHash = createHash('sha256').update(canonicalJson(body)).digest('hex');
    const d = this.deadline(ctx);
    const admitted = this.admitted.get(user.id) ?? 0;
    if (admitted >= this.deps.limits.queuePerUser) {
      this.counters.queueFull++;
      throw new HttpError(ErrorCodes.QUEUE_FULL, `${admitted} orders of this user are already waiting; retry after one is answered`, { maxQueued: this.deps.limits.queuePerUser });
    }
    this.admitted.set(user.id, admitted + 1);
    try {
      return await this.withUserLock(user.id, () => this.placeLocked(user, body, bodyHash, d));
    } catch (err) {
      this.countUndecided(user, body.clientOrderId, err);
      throw err;
    } finally {
      const left = (this.admitted.get(user.id) ?? 1) - 1;
      if (left === 0) this.admitted.delete(user.id);
      else this.admitted.set(user.id, left);
    }
  }

  private countUndecided(user: PaperUser, clientOrderId: string | undefined, err: unknown): void {
    const code = (err as OptchainError).code;
    if (code === ErrorCodes.DEADLINE_EXCEEDED) this.counters.deadlineExceeded++;
    else if (code === ErrorCodes.CLIENT_CLOSED) this.counters.cancelled++;
    else if (code === ErrorCodes.QUEUE_FULL) this.counters.queueFull++;
    else return;
    this.deps.logger?.info({ userId: user.id, clientOrderId, code }, 'paper request dropped undecided');
  }

  private async refusal(user: PaperUser, body: OrderBody, bodyHash: string, err: OrderRefusedError, now: number): Promise<PaperAnswer> {
    const text = JSON.stringify(err.toJSON());
    await this.deps.writer.write({ op: 'putRefusal', userId: user.id, clientOrderId: body.clientOrderId, bodyHash, httpStatus: err.status, answer: text, now });
    this.counters.refused++;
    this.deps.logger?.info({ userId: user.id, clientOrderId: body.clientOrderId, code: err.code }, 'paper order refused');
    return { status: err.status, body: text };
  }

  private async placeLocked(user: PaperUser, body: OrderBody, bodyHash: string, d: Deadline): Promise<PaperAnswer> {
    const prior = this.store.getRequest(user.id, body.clientOrderId);
    if (prior !== undefined) {
      if (prior.bodyHash === bodyHash) return { status: prior.httpStatus, body: prior.answer, replayed: true };
      throw new HttpError(ErrorCodes.DUPLICATE_CLIENT_ORDER_ID, `clientOrderId ${JSON.stringify(body.clientOrderId)} was already used with a different body`, { clientOrderId: body.clientOrderId });
    }
    this.stillWanted(d);
    if (body.strategyId !== undefined && this.store.strategy(user.id, body.strategyId) === undefined) {
      throw new HttpError(ErrorCodes.NOT_FOUND, `no strategy ${JSON.stringify(body.strategyId)}`, { strategyId: body.strategyId });
    }
    const m = this.market();
    const now = this.clock();
    let legs: FeasibleLeg[];
    try {
      legs = checkOrder(body.legs, (seg, id) => m.index.contract(seg, id), (slot) => this.quote(m, slot), now, this.deps.rules);
    } catch (err) {
      if (err instanceof OrderRefusedError) return this.refusal(user, body, bodyHash, err, now);
      throw err;
    }

    // The position set this order would leave.
    const held = new Map<string, Position>();
    for (const p of this.store.positions(user.id)) held.set(positionKey(p.exchangeSegment, p.securityId), p);
    const touched = new Map<string, Position>();
    const fillPrice = new Map<string, number>();
    for (const l of legs) {
      const key = positionKey(l.request.exchangeSegment, l.request.securityId);
      const signed = l.request.side === 'BUY' ? l.quantity : -l.quantity;
      const after = applyFill(touched.get(key) ?? held.get(key), { exchangeSegment: l.request.exchangeSegment, securityId: l.request.securityId, lotSize: l.contract.lotSize, quantity: signed, price: l.price });
      touched.set(key, after);
      fillPrice.set(key, l.price);
    }
    const next = new Map(held);
    for (const [k, p] of touched) next.set(k, p);
    let realizedAfter = 0;
    const priced: PricedLeg[] = [];
    for (const [k, p] of next) {
      realizedAfter += p.realizedPnl;
      if (p.quantity === 0) continue;
      const c = m.index.contract(p.exchangeSegment, p.securityId);
      const price = fillPrice.get(k) ?? (c === undefined ? p.avgPrice : this.marginPrice(m, c, p.quantity, p.avgPrice));
      priced.push({ exchangeSegment: p.exchangeSegment, securityId: p.securityId, quantity: p.quantity, price });
    }

    const { margin, setHash } = await this.computeMargin(user.id, priced, d);
    this.stillWanted(d);
    const funds = this.store.funds(user.id);
    const available = funds + realizedAfter;
    if (margin.totalMargin > available) {
      return this.refusal(user, body, bodyHash, new OrderRefusedError(ErrorCodes.INSUFFICIENT_MARGIN, `margin ${roundPaise(margin.totalMargin)} of the resulting positions exceeds funds plus realized P&L ${roundPaise(available)}`, {
        requiredMargin: roundPaise(margin.totalMargin), funds: roundPaise(funds), realizedPnl: roundPaise(realizedAfter), available: roundPaise(available), margin: marginJson(margin),
      }), now);
    }

    const orderId = randomUUID();
    const createdAt = this.clock();
    const fills: FillRow[] = legs.map((l) => ({
      leg: l.leg, exchangeSegment: l.request.exchangeSegment, securityId: l.request.securityId, side: l.request.side, lots: l.request.lots, quantity: l.quantity, price: l.price, quoteAt: l.quote.updatedAt,
    }));
    const answer = {
      id: orderId,
      clientOrderId: body.clientOrderId,
      strategyId: body.strategyId ?? null,
      status: 'FILLED',
      legs: legs.map((l) => ({
        exchangeSegment: l.request.exchangeSegment, securityId: l.request.securityId, tradingSymbol: l.contract.tradingSymbol, side: l.request.side,
        lots: l.request.lots, lotSize: l.contract.lotSize, type: l.request.type, limitPrice: l.request.limitPrice ?? null,
      })),
      fills: fills.map((f) => ({ leg: f.leg, exchangeSegment: f.exchangeSegment, securityId: f.securityId, side: f.side, lots: f.lots, quantity: f.quantity, price: f.price, quoteAt: f.quoteAt })),
      margin: marginJson(margin),
      createdAt,
    };
    const text = JSON.stringify(answer);
    await this.deps.writer.write({
      op: 'commitOrder',
      commit: { userId: user.id, orderId, clientOrderId: body.clientOrderId, strategyId: body.strategyId ?? null, bodyHash, marginJson: JSON.stringify(answer.margin), answer: text, createdAt, fills, positions: [...touched.values()] },
    });
    this.counters.filled++;
    // The user's set changed: every other cached set of theirs is now a what-if (docs/contract.md §6 invalidation).
    // The fill stands either way; a failed invalidation only leaves stale what-ifs until their TTL.
    await this.deps.margin.invalidate(user.id, setHash).catch((err: unknown) => {
      this.counters.invalidationFailures++;
      this.deps.logger?.warn({ err, userId: user.id }, 'margin cache invalidation failed after a fill; the user\'s other cached sets expire by TTL');
    });
    this.deps.logger?.info({ userId: user.id, orderId, clientOrderId: body.clientOrderId, legs: legs.length }, 'paper order filled');
    return { status: 201, body: text };
  }

  /** `GET /v1/paper/orders`: the user's filled orders, oldest first. */
  listOrders(user: PaperUser, query?: { limit?: string | null; offset?: string | null }): PaperAnswer {
    const limit = clampInt(query?.limit, 1000, 1, 10_000);
    const offset = clampInt(query?.offset, 0, 0, Number.MAX_SAFE_INTEGER);
    return { status: 200, body: `{"orders":[${this.store.orderAnswers(user.id, limit, offset).join(',')}]}` };
  }

  /**
   * `GET /v1/paper/positions`: marked to market at the touch one would close at — a long at the
   * bid, a short at the ask — and only with a fresh quote; never at a stale LTP (docs/peers.md §5
   * item 4). A position without a fresh two-sided quote shows `markPrice: null`.
   */
  positions(user: PaperUser): PaperAnswer {
    const m = this.deps.getMarket();
    const now = this.clock();
    let unrealized = 0;
    let unmarked = 0;
    let realized = 0;
    const out = this.store.positions(user.id).map((p) => {
      realized += p.realizedPnl;
      const c = m?.index.contract(p.exchangeSegment, p.securityId);
      let markPrice: number | null = null;
      let markedAt: number | null = null;
      if (m && c && p.quantity !== 0) {
        const q = this.quote(m, c.slot);
        const px = p.quantity > 0 ? q.bid : q.ask;
        if (px > 0 && Number.isFinite(q.updatedAt) && now - q.updatedAt <= this.deps.rules.quoteMaxAgeMs) {
          markPrice = roundPaise(px);
          markedAt = q.updatedAt;
        }
      }
      const u = p.quantity === 0 ? 0 : markPrice === null ? null : roundPaise((markPrice - p.avgPrice) * p.quantity);
      if (u === null) unmarked++;
      else unrealized += u;
      return {
        exchangeSegment: p.exchangeSegment, securityId: p.securityId, tradingSymbol: c?.tradingSymbol ?? null, lotSize: p.lotSize,
        quantity: p.quantity, lots: p.quantity / p.lotSize, avgPrice: roundPaise(p.avgPrice), realizedPnl: roundPaise(p.realizedPnl),
        markPrice, markedAt, unrealizedPnl: u,
      };
    });
    const funds = this.store.funds(user.id);
    return { status: 200, body: JSON.stringify({ positions: out, funds, realizedPnl: roundPaise(realized), unrealizedPnl: roundPaise(unrealized), unmarked }) };
  }

  // ---------------------------------------------------------------- margin

  /**
   * `POST /v1/margin` `{legs, includePositions?}`: by default the margin of the user's current
   * positions plus these legs (what the account would need after trading them — the number an
   * order would report; `legs: []` gives the current set's margin); `includePositions: false`
   * prices the legs alone as a basket.
   */
  async margin(user: PaperUser, raw: unknown, ctx: RequestContext = {}): Promise<PaperAnswer> {
    const body = parseBody(marginBodySchema, raw);
    const d = this.deadline(ctx);
    const m = this.market();
    const legs: PricedLeg[] = [];
    if (body.includePositions) {
      for (const p of this.store.positions(user.id)) {
        if (p.quantity === 0) continue;
        const c = m.index.contract(p.exchangeSegment, p.securityId);
        legs.push({ exchangeSegment: p.exchangeSegment, securityId: p.securityId, quantity: p.quantity, price: c ? this.marginPrice(m, c, p.quantity, p.avgPrice) : p.avgPrice });
      }
    }
    body.legs.forEach((leg, i) => {
      const contract = m.index.contract(leg.exchangeSegment, leg.securityId);
      checkStatic(i, { ...leg, type: 'MARKET' }, contract, false, this.deps.rules.maxLots);
      const quantity = (leg.side === 'BUY' ? 1 : -1) * leg.lots * contract.lotSize;
      legs.push({ exchangeSegment: leg.exchangeSegment, securityId: leg.securityId, quantity, price: leg.limitPrice ?? this.marginPrice(m, contract, quantity, 0) });
    });
    const { margin } = await this.computeMargin(user.id, mergePrices(legs), d).catch((err: unknown) => {
      this.countUndecided(user, undefined, err);
      throw err;
    });
    return { status: 200, body: JSON.stringify(marginJson(margin)) };
  }

  // ---------------------------------------------------------------- strategies

  private strategyLegs(m: Market, legs: readonly StrategyLeg[]): { stored: object[]; priced: PricedLeg[] } {
    const stored: object[] = [];
    const priced: PricedLeg[] = [];
    legs.forEach((leg, i) => {
      const contract = m.index.contract(leg.exchangeSegment, leg.securityId);
      checkStatic(i, { ...leg, type: 'MARKET' }, contract, false, this.deps.rules.maxLots);
      const quantity = (leg.side === 'BUY' ? 1 : -1) * leg.lots * contract.lotSize;
      stored.push({ exchangeSegment: leg.exchangeSegment, securityId: leg.securityId, tradingSymbol: contract.tradingSymbol, side: leg.side, lots: leg.lots, lotSize: contract.lotSize });
      priced.push({ exchangeSegment: leg.exchangeSegment, securityId: leg.securityId, quantity, price: this.marginPrice(m, contract, quantity, 0) });
    });
    return { stored, priced: mergePrices(priced) };
  }

  private strategyJson(row: { id: string; name: string; legs: string; margin: string | null; createdAt: number; updatedAt: number }): string {
    return `{"id":${JSON.stringify(row.id)},"name":${JSON.stringify(row.name)},"legs":${row.legs},"margin":${row.margin ?? 'null'},"createdAt":${row.createdAt},"updatedAt":${row.updatedAt}}`;
  }

  /** A strategy's margin, then the last check that the client still waits before it is written. */
  private async decidedMargin(user: PaperUser, priced: PricedLeg[], d: Deadline): Promise<{ margin: MarginResult }> {
    try {
      const r = await this.computeMargin(user.id, priced, d);
      this.stillWanted(d);
      return r;
    } catch (err) {
      this.countUndecided(user, undefined, err);
      throw err;
    }
  }

  /** `POST /v1/paper/strategies`: deploy (a decision point: the legs' basket margin is computed). */
  async createStrategy(user: PaperUser, raw: unknown, ctx: RequestContext = {}): Promise<PaperAnswer> {
    const body = parseBody(strategyBodySchema, raw);
    const d = this.deadline(ctx);
    const m = this.market();
    const { stored, priced } = this.strategyLegs(m, body.legs);
    const { margin } = await this.decidedMargin(user, priced, d);
    const now = this.clock();
    const row = { id: `stg_${randomUUID()}`, name: body.name, legs: JSON.stringify(stored), margin: JSON.stringify(marginJson(margin)), createdAt: now, updatedAt: now };
    await this.deps.writer.write({ op: 'insertStrategy', userId: user.id, row });
    return { status: 201, body: this.strategyJson(row) };
  }

  /** `PUT /v1/paper/strategies/{id}`: modify (a decision point). 404 for another user's id. */
  async updateStrategy(user: PaperUser, id: string, raw: unknown, ctx: RequestContext = {}): Promise<PaperAnswer> {
    const body = parseBody(strategyBodySchema, raw);
    const d = this.deadline(ctx);
    const before = this.store.strategy(user.id, id);
    if (before === undefined) throw notFoundStrategy(id);
    const m = this.market();
    const { stored, priced } = this.strategyLegs(m, body.legs);
    const { margin } = await this.decidedMargin(user, priced, d);
    const now = this.clock();
    const legs = JSON.stringify(stored);
    const marginText = JSON.stringify(marginJson(margin));
    if (!(await this.deps.writer.write({ op: 'updateStrategy', userId: user.id, id, name: body.name, legs, margin: marginText, now }))) throw notFoundStrategy(id);
    return { status: 200, body: this.strategyJson({ id, name: body.name, legs, margin: marginText, createdAt: before.createdAt, updatedAt: now }) };
  }

  /**
   * `DELETE /v1/paper/strategies/{id}`: remove. The strategy's set becomes empty, whose margin
   * is 0 by definition, so this decision point needs no Dhan call.
   */
  async deleteStrategy(user: PaperUser, id: string): Promise<PaperAnswer> {
    if (!(await this.deps.writer.write({ op: 'deleteStrategy', userId: user.id, id, now: this.clock() }))) throw notFoundStrategy(id);
    return { status: 200, body: JSON.stringify({ id, status: 'REMOVED' }) };
  }

  /** `GET /v1/paper/strategies`. */
  listStrategies(user: PaperUser): PaperAnswer {
    return { status: 200, body: `{"strategies":[${this.store.strategies(user.id).map((r) => this.strategyJson(r)).join(',')}]}` };
  }

  /** `GET /v1/paper/strategies/{id}`. */
  getStrategy(user: PaperUser, id: string): PaperAnswer {
    const row = this.store.strategy(user.id, id);
    if (row === undefined) throw notFoundStrategy(id);
    return { status: 200, body: this.strategyJson(row) };
  }
}

function notFoundStrategy(id: string): HttpError {
  // The same answer whether the id does not exist or belongs to someone else: no existence oracle.
  return new HttpError(ErrorCodes.NOT_FOUND, `no strategy ${JSON.stringify(id)}`, { strategyId: id });
}

/** Nets legs per instrument keeping the first price seen (canonicalSet's merge). */
function mergePrices(legs: PricedLeg[]): PricedLeg[] {
  return canonicalSet(legs, (a, _b, quantity) => ({ ...a, quantity }));
}

function clampInt(v: string | null | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined || v === null || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new HttpError(ErrorCodes.BAD_REQUEST, 'limit and offset must be integers');
  return Math.min(max, Math.max(min, n));
}

export type { FnoSegment };
