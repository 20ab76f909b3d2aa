/**
 * Paper trading on live quotes (contract §6): orders filled at the touch after feasibility
 * checks, margins from Dhan only at decision points, durable idempotent state. Transport-free:
 * every method takes an authenticated user and a parsed JSON body and returns a status with the
 * JSON text to send (or throws an {@link OptchainError} that the route layer renders).
 *
 * Decision points — and so the only places a margin is asked for — are: an order placed (the
 * margin of the position set the order would leave), `POST /v1/margin`, a strategy deployed or
 * modified. Nothing here runs on a tick or a timer (contract §1, §6).
 *
 * Ordering: a user's order placements run one at a time (a per-user promise chain), so the
 * "resulting position set" an order is checked against cannot be changed underneath it by a
 * concurrent order of the same user, and a concurrent replay of the same `clientOrderId` waits
 * for the first and then returns its stored answer.
 *
 * @module
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ErrorCodes, HttpError, OrderRefusedError } from '../errors.js';
import type { DhanAccount } from '../margin/dhan-margin-api.js';
import { canonicalSet, positionSetHash, type FnoSegment, type PricedLeg } from '../margin/position-set.js';
import type { MarginBackend, MarginResult } from '../margin/types.js';
import { FIELD_COUNT } from '../price-table/layout.js';
import type { PriceTable } from '../price-table/price-table.js';
import type { SkeletonIndex } from '../skeleton/skeleton-index.js';
import type { Contract } from '../skeleton/types.js';
import { bearerKey, findUserByKey, type PaperUser } from './api-keys.js';
import { checkOrder, checkStatic, readQuote, roundPaise, type FeasibilityRules, type FeasibleLeg, type Quote } from './feasibility.js';
import type { PaperDb } from './paper-db.js';
import { canonicalJson, marginBodySchema, orderBodySchema, parseBody, strategyBodySchema, type OrderBody, type StrategyLeg } from './paper-schemas.js';
import { PaperStore, type FillRow } from './paper-store.js';
import { applyFill, positionKey, type Position } from './positions.js';

/** The live market the checks read: today's skeleton lookups and the shared price table. */
export interface PaperMarket {
  readonly skeletonIndex: SkeletonIndex;
  readonly table: PriceTable;
}

/** A status and the exact JSON text to answer with. */
export interface PaperAnswer {
  readonly status: number;
  readonly body: string;
  /** True when the answer is a stored first answer replayed for a repeated clientOrderId. */
  readonly replayed?: boolean;
}

/** What the service needs. */
export interface PaperServiceDeps {
  readonly db: PaperDb;
  readonly margin: MarginBackend;
  /** Null until the skeleton and the table exist (answers 503 NOT_READY). */
  readonly getMarket: () => PaperMarket | null;
  readonly rules: FeasibilityRules;
  /** The account that signs margin calls (contract §6: the first configured one); null when none. */
  readonly marginAccount: () => Promise<DhanAccount | null>;
  /** Wall clock, Unix ms (quote age is measured against the table's server receive times). */
  readonly clock?: () => number;
  readonly logger?: Logger;
}

const r2 = (x: number): number => Math.round(x * 100) / 100 + 0;

function marginJson(m: MarginResult): { totalMargin: number; spanMargin: number; exposureMargin: number; source: 'dhan' | 'cache'; computedAt: number } {
  return { totalMargin: r2(m.totalMargin), spanMargin: r2(m.spanMargin), exposureMargin: r2(m.exposureMargin), source: m.source, computedAt: m.computedAt };
}

/** The paper-trading service. */
export class PaperService {
  readonly store: PaperStore;
  private readonly deps: PaperServiceDeps;
  private readonly clock: () => number;
  private readonly locks = new Map<number, Promise<unknown>>();
  private readonly scratch = new Float64Array(FIELD_COUNT);

  constructor(deps: PaperServiceDeps) {
    this.deps = deps;
    this.store = new PaperStore(deps.db);
    this.clock = deps.clock ?? Date.now;
  }

  /** The user behind `Authorization: Bearer <key>`; 401 UNAUTHORIZED otherwise. */
  authenticate(authorization: string | undefined): PaperUser {
    const key = bearerKey(authorization);
    const user = key === undefined ? undefined : findUserByKey(this.deps.db, key);
    if (user === undefined) {
      throw new HttpError(401, ErrorCodes.UNAUTHORIZED, key === undefined ? 'missing "Authorization: Bearer <api key>"' : 'unknown API key');
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

  private market(): PaperMarket {
    const m = this.deps.getMarket();
    if (m === null) throw new HttpError(503, ErrorCodes.NOT_READY, 'the skeleton or the price table is not ready yet');
    return m;
  }

  private quote(m: PaperMarket, slot: number): Quote {
    return readQuote(m.table, slot, this.scratch);
  }

  /** The price Dhan gets for a held leg: the touch it would trade at, else LTP, else a fallback. */
  private marginPrice(m: PaperMarket, contract: Contract, quantity: number, fallback: number): number {
    const q = this.quote(m, contract.slot);
    const touch = quantity > 0 ? q.ask : q.bid;
    if (touch > 0) return roundPaise(touch);
    if (q.ltp > 0) return roundPaise(q.ltp);
    return fallback;
  }

  private async computeMargin(userId: number, legs: PricedLeg[]): Promise<{ margin: MarginResult; setHash: string }> {
    const set = canonicalSet(legs);
    const setHash = positionSetHash(set);
    if (set.length === 0) {
      // A flat set needs no margin: no call, nothing to cache.
      return { margin: { totalMargin: 0, spanMargin: 0, exposureMargin: 0, source: 'cache', computedAt: this.clock() }, setHash };
    }
    const account = await this.deps.marginAccount();
    const margin = await this.deps.margin.compute({ userId, setHash, legs: set, account });
    return { margin, setHash };
  }

  // ---------------------------------------------------------------- orders

  /** `POST /v1/paper/orders` (contract §6). */
  async placeOrder(user: PaperUser, raw: unknown): Promise<PaperAnswer> {
    const body = parseBody(orderBodySchema, raw);
    const bodyHash = createHash('sha256').update(canonicalJson(body)).digest('hex');
    return this.withUserLock(user.id, () => this.placeLocked(user, body, bodyHash));
  }

  private refusal(user: PaperUser, body: OrderBody, bodyHash: string, err: OrderRefusedError, now: number): PaperAnswer {
    const text = JSON.stringify(err.toJSON());
    this.store.putRefusal(user.id, body.clientOrderId, bodyHash, err.status, text, now);
    this.deps.logger?.info({ userId: user.id, clientOrderId: body.clientOrderId, code: err.code }, 'paper order refused');
    return { status: err.status, body: text };
  }

  private async placeLocked(user: PaperUser, body: OrderBody, bodyHash: string): Promise<PaperAnswer> {
    const prior = this.store.getRequest(user.id, body.clientOrderId);
    if (prior !== undefined) {
      if (prior.bodyHash === bodyHash) return { status: prior.httpStatus, body: prior.answer, replayed: true };
      throw new HttpError(409, ErrorCodes.DUPLICATE_CLIENT_ORDER_ID, `clientOrderId ${JSON.stringify(body.clientOrderId)} was already used with a different body`, { clientOrderId: body.clientOrderId });
    }
    if (body.strategyId !== undefined && this.store.strategy(user.id, body.strategyId) === undefined) {
      throw new HttpError(404, ErrorCodes.NOT_FOUND, `no strategy ${JSON.stringify(body.strategyId)}`, { strategyId: body.strategyId });
    }
    const m = this.market();
    const now = this.clock();
    let legs: FeasibleLeg[];
    try {
      legs = checkOrder(body.legs, (seg, id) => m.skeletonIndex.contract(seg, id), (slot) => this.quote(m, slot), now, this.deps.rules);
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
      const c = m.skeletonIndex.contract(p.exchangeSegment, p.securityId);
      const price = fillPrice.get(k) ?? (c === undefined ? p.avgPrice : this.marginPrice(m, c, p.quantity, p.avgPrice));
      priced.push({ exchangeSegment: p.exchangeSegment, securityId: p.securityId, quantity: p.quantity, price });
    }

    const { margin, setHash } = await this.computeMargin(user.id, priced);
    const funds = this.store.funds(user.id);
    const available = funds + realizedAfter;
    if (margin.totalMargin > available) {
      return this.refusal(user, body, bodyHash, new OrderRefusedError(ErrorCodes.INSUFFICIENT_MARGIN, `margin ${r2(margin.totalMargin)} of the resulting positions exceeds funds plus realized P&L ${r2(available)}`, {
        requiredMargin: r2(margin.totalMargin), funds: r2(funds), realizedPnl: r2(realizedAfter), available: r2(available), margin: marginJson(margin),
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
    this.store.commitOrder({
      userId: user.id, orderId, clientOrderId: body.clientOrderId, strategyId: body.strategyId ?? null, bodyHash, marginJson: JSON.stringify(answer.margin), answer: text, createdAt, fills, positions: [...touched.values()],
    });
    // The user's set changed: every other cached set of theirs is now a what-if (contract §6 invalidation).
    await this.deps.margin.invalidate(user.id, setHash).catch(() => undefined);
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
   * bid, a short at the ask — and only with a fresh quote; never at a stale LTP (peers.md §5
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
      const c = m?.skeletonIndex.contract(p.exchangeSegment, p.securityId);
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
      const u = p.quantity === 0 ? 0 : markPrice === null ? null : r2((markPrice - p.avgPrice) * p.quantity);
      if (u === null) unmarked++;
      else unrealized += u;
      return {
        exchangeSegment: p.exchangeSegment, securityId: p.securityId, tradingSymbol: c?.tradingSymbol ?? null, lotSize: p.lotSize,
        quantity: p.quantity, lots: p.quantity / p.lotSize, avgPrice: r2(p.avgPrice), realizedPnl: r2(p.realizedPnl),
        markPrice, markedAt, unrealizedPnl: u,
      };
    });
    const funds = this.store.funds(user.id);
    return { status: 200, body: JSON.stringify({ positions: out, funds, realizedPnl: r2(realized), unrealizedPnl: r2(unrealized), unmarked }) };
  }

  // ---------------------------------------------------------------- margin

  /**
   * `POST /v1/margin` `{legs, includePositions?}`: by default the margin of the user's current
   * positions plus these legs (what the account would need after trading them — the number an
   * order would report; `legs: []` gives the current set's margin); `includePositions: false`
   * prices the legs alone as a basket.
   */
  async margin(user: PaperUser, raw: unknown): Promise<PaperAnswer> {
    const body = parseBody(marginBodySchema, raw);
    const m = this.market();
    const legs: PricedLeg[] = [];
    if (body.includePositions) {
      for (const p of this.store.positions(user.id)) {
        if (p.quantity === 0) continue;
        const c = m.skeletonIndex.contract(p.exchangeSegment, p.securityId);
        legs.push({ exchangeSegment: p.exchangeSegment, securityId: p.securityId, quantity: p.quantity, price: c ? this.marginPrice(m, c, p.quantity, p.avgPrice) : p.avgPrice });
      }
    }
    body.legs.forEach((leg, i) => {
      const contract = m.skeletonIndex.contract(leg.exchangeSegment, leg.securityId);
      checkStatic(i, { ...leg, type: 'MARKET' }, contract, false);
      const quantity = (leg.side === 'BUY' ? 1 : -1) * leg.lots * contract.lotSize;
      legs.push({ exchangeSegment: leg.exchangeSegment, securityId: leg.securityId, quantity, price: leg.limitPrice ?? this.marginPrice(m, contract, quantity, 0) });
    });
    const { margin } = await this.computeMargin(user.id, mergePrices(legs));
    return { status: 200, body: JSON.stringify(marginJson(margin)) };
  }

  // ---------------------------------------------------------------- strategies

  private strategyLegs(m: PaperMarket, legs: readonly StrategyLeg[]): { stored: object[]; priced: PricedLeg[] } {
    const stored: object[] = [];
    const priced: PricedLeg[] = [];
    legs.forEach((leg, i) => {
      const contract = m.skeletonIndex.contract(leg.exchangeSegment, leg.securityId);
      checkStatic(i, { ...leg, type: 'MARKET' }, contract, false);
      const quantity = (leg.side === 'BUY' ? 1 : -1) * leg.lots * contract.lotSize;
      stored.push({ exchangeSegment: leg.exchangeSegment, securityId: leg.securityId, tradingSymbol: contract.tradingSymbol, side: leg.side, lots: leg.lots, lotSize: contract.lotSize });
      priced.push({ exchangeSegment: leg.exchangeSegment, securityId: leg.securityId, quantity, price: this.marginPrice(m, contract, quantity, 0) });
    });
    return { stored, priced: mergePrices(priced) };
  }

  private strategyJson(row: { id: string; name: string; legs: string; margin: string | null; createdAt: number; updatedAt: number }): string {
    return `{"id":${JSON.stringify(row.id)},"name":${JSON.stringify(row.name)},"legs":${row.legs},"margin":${row.margin ?? 'null'},"createdAt":${row.createdAt},"updatedAt":${row.updatedAt}}`;
  }

  /** `POST /v1/paper/strategies`: deploy (a decision point: the legs' basket margin is computed). */
  async createStrategy(user: PaperUser, raw: unknown): Promise<PaperAnswer> {
    const body = parseBody(strategyBodySchema, raw);
    const m = this.market();
    const { stored, priced } = this.strategyLegs(m, body.legs);
    const { margin } = await this.computeMargin(user.id, priced);
    const now = this.clock();
    const row = { id: `stg_${randomUUID()}`, name: body.name, legs: JSON.stringify(stored), margin: JSON.stringify(marginJson(margin)), createdAt: now, updatedAt: now };
    this.store.insertStrategy(user.id, row);
    return { status: 201, body: this.strategyJson(row) };
  }

  /** `PUT /v1/paper/strategies/{id}`: modify (a decision point). 404 for another user's id. */
  async updateStrategy(user: PaperUser, id: string, raw: unknown): Promise<PaperAnswer> {
    const body = parseBody(strategyBodySchema, raw);
    const before = this.store.strategy(user.id, id);
    if (before === undefined) throw notFoundStrategy(id);
    const m = this.market();
    const { stored, priced } = this.strategyLegs(m, body.legs);
    const { margin } = await this.computeMargin(user.id, priced);
    const now = this.clock();
    const legs = JSON.stringify(stored);
    const marginText = JSON.stringify(marginJson(margin));
    if (!this.store.updateStrategy(user.id, id, body.name, legs, marginText, now)) throw notFoundStrategy(id);
    return { status: 200, body: this.strategyJson({ id, name: body.name, legs, margin: marginText, createdAt: before.createdAt, updatedAt: now }) };
  }

  /**
   * `DELETE /v1/paper/strategies/{id}`: remove. The strategy's set becomes empty, whose margin
   * is 0 by definition, so this decision point needs no Dhan call.
   */
  deleteStrategy(user: PaperUser, id: string): PaperAnswer {
    if (!this.store.deleteStrategy(user.id, id, this.clock())) throw notFoundStrategy(id);
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
  return new HttpError(404, ErrorCodes.NOT_FOUND, `no strategy ${JSON.stringify(id)}`, { strategyId: id });
}

/** Nets legs per instrument keeping the first price seen (canonicalSet's merge). */
function mergePrices(legs: PricedLeg[]): PricedLeg[] {
  return canonicalSet(legs, (a, _b, quantity) => ({ ...a, quantity }));
}

function clampInt(v: string | null | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined || v === null || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new HttpError(400, ErrorCodes.BAD_REQUEST, 'limit and offset must be integers');
  return Math.min(max, Math.max(min, n));
}

export type { FnoSegment };
