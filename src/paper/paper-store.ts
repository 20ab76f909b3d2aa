/**
 * Every read and write of paper state, as prepared statements over the paper database. Every
 * query is scoped by `user_id`: a user can never reach another user's rows through this module
 * (docs/contract.md §6). An order, its fills, the position changes and the idempotency record commit in
 * one transaction ({@link PaperStore.commitOrder}).
 *
 * @module
 */
import type { Statement, Transaction } from 'better-sqlite3';
import type { FnoSegment } from '../margin/position-set.js';
import type { PaperDb } from './paper-db.js';
import type { Position } from './positions.js';

/** A stored idempotency record. */
export interface StoredRequest {
  readonly bodyHash: string;
  readonly httpStatus: number;
  /** The exact JSON text answered the first time. */
  readonly answer: string;
}

/** A fill row. */
export interface FillRow {
  readonly leg: number;
  readonly exchangeSegment: FnoSegment;
  readonly securityId: number;
  readonly side: 'BUY' | 'SELL';
  readonly lots: number;
  readonly quantity: number;
  readonly price: number;
  readonly quoteAt: number;
}

/** What {@link PaperStore.commitOrder} writes. */
export interface OrderCommit {
  readonly userId: number;
  readonly orderId: string;
  readonly clientOrderId: string;
  readonly strategyId: string | null;
  readonly bodyHash: string;
  readonly marginJson: string;
  readonly answer: string;
  readonly createdAt: number;
  readonly fills: readonly FillRow[];
  readonly positions: readonly Position[];
}

/** A strategy row. */
export interface StrategyRow {
  readonly id: string;
  readonly name: string;
  readonly legs: string;
  readonly margin: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Paper state access for one database. */
export class PaperStore {
  readonly db: PaperDb;
  private readonly s: Record<string, Statement>;
  private readonly commitTx: Transaction<(c: OrderCommit) => void>;

  constructor(db: PaperDb) {
    this.db = db;
    this.s = {
      user: db.prepare('SELECT id, name, funds FROM users WHERE id = ?'),
      getRequest: db.prepare('SELECT body_hash AS bodyHash, http_status AS httpStatus, answer FROM order_requests WHERE user_id = ? AND client_order_id = ?'),
      putRequest: db.prepare('INSERT INTO order_requests (user_id, client_order_id, body_hash, http_status, answer, order_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      positions: db.prepare('SELECT exchange_segment AS exchangeSegment, security_id AS securityId, lot_size AS lotSize, quantity, avg_price AS avgPrice, realized_pnl AS realizedPnl FROM positions WHERE user_id = ? ORDER BY exchange_segment, security_id'),
      realized: db.prepare('SELECT COALESCE(SUM(realized_pnl), 0) AS r FROM positions WHERE user_id = ?'),
      upsertPosition: db.prepare(`INSERT INTO positions (user_id, exchange_segment, security_id, lot_size, quantity, avg_price, realized_pnl, updated_at)
        VALUES (@userId, @exchangeSegment, @securityId, @lotSize, @quantity, @avgPrice, @realizedPnl, @updatedAt)
        ON CONFLICT (user_id, exchange_segment, security_id) DO UPDATE SET lot_size = excluded.lot_size, quantity = excluded.quantity,
        avg_price = excluded.avg_price, realized_pnl = excluded.realized_pnl, updated_at = excluded.updated_at`),
      insertOrder: db.prepare('INSERT INTO orders (id, user_id, client_order_id, strategy_id, status, margin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      insertFill: db.prepare('INSERT INTO fills (order_id, leg, exchange_segment, security_id, side, lots, quantity, price, quote_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      orderAnswers: db.prepare(`SELECT r.answer AS answer FROM orders o JOIN order_requests r ON r.user_id = o.user_id AND r.client_order_id = o.client_order_id
        WHERE o.user_id = ? ORDER BY o.seq LIMIT ? OFFSET ?`),
      strategy: db.prepare('SELECT id, name, legs, margin, created_at AS createdAt, updated_at AS updatedAt FROM strategies WHERE id = ? AND user_id = ? AND deleted_at IS NULL'),
      strategies: db.prepare('SELECT id, name, legs, margin, created_at AS createdAt, updated_at AS updatedAt FROM strategies WHERE user_id = ? AND deleted_at IS NULL ORDER BY created_at, id'),
      insertStrategy: db.prepare('INSERT INTO strategies (id, user_id, name, legs, margin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      updateStrategy: db.prepare('UPDATE strategies SET name = ?, legs = ?, margin = ?, updated_at = ? WHERE id = ? AND user_id = ? AND deleted_at IS NULL'),
      deleteStrategy: db.prepare('UPDATE strategies SET deleted_at = ? WHERE id = ? AND user_id = ? AND deleted_at IS NULL'),
      // The newest `keep` refusals of the user stay; everything older goes (index refusals_by_user).
      pruneRefusals: db.prepare(`DELETE FROM order_requests WHERE user_id = @userId AND order_id IS NULL AND (created_at, client_order_id) <=
        (SELECT created_at, client_order_id FROM order_requests WHERE user_id = @userId AND order_id IS NULL ORDER BY created_at DESC, client_order_id DESC LIMIT 1 OFFSET @keep)`),
    };
    this.commitTx = db.transaction((c: OrderCommit) => {
      this.s.insertOrder!.run(c.orderId, c.userId, c.clientOrderId, c.strategyId, 'FILLED', c.marginJson, c.createdAt);
      for (const f of c.fills) this.s.insertFill!.run(c.orderId, f.leg, f.exchangeSegment, f.securityId, f.side, f.lots, f.quantity, f.price, f.quoteAt);
      for (const p of c.positions) this.s.upsertPosition!.run({ userId: c.userId, ...p, updatedAt: c.createdAt });
      this.s.putRequest!.run(c.userId, c.clientOrderId, c.bodyHash, 201, c.answer, c.orderId, c.createdAt);
    });
  }

  /** The user's funds (paper capital). */
  funds(userId: number): number {
    return (this.s.user!.get(userId) as { funds: number } | undefined)?.funds ?? 0;
  }

  getRequest(userId: number, clientOrderId: string): StoredRequest | undefined {
    return this.s.getRequest!.get(userId, clientOrderId) as StoredRequest | undefined;
  }

  /** Stores a refusal (nothing else changes), durably, so that a replay answers the same. */
  putRefusal(userId: number, clientOrderId: string, bodyHash: string, httpStatus: number, answer: string, now: number): void {
    this.s.putRequest!.run(userId, clientOrderId, bodyHash, httpStatus, answer, null, now);
  }

  /**
   * Keeps only the user's newest `keep` stored refusals (by time, then clientOrderId); returns
   * how many were dropped. A dropped refusal's clientOrderId is free again: sent again, it is
   * judged afresh.
   */
  pruneRefusals(userId: number, keep: number): number {
    return this.s.pruneRefusals!.run({ userId, keep }).changes;
  }

  /** All of the user's position rows (flat ones included). */
  positions(userId: number): Position[] {
    return this.s.positions!.all(userId) as Position[];
  }

  realizedPnl(userId: number): number {
    return (this.s.realized!.get(userId) as { r: number }).r;
  }

  /** Order + fills + positions + idempotency record, one durable transaction. */
  commitOrder(c: OrderCommit): void {
    this.commitTx.immediate(c);
  }

  /** The stored 201 answers of the user's orders, oldest first. */
  orderAnswers(userId: number, limit: number, offset: number): string[] {
    return (this.s.orderAnswers!.all(userId, limit, offset) as { answer: string }[]).map((r) => r.answer);
  }

  strategy(userId: number, id: string): StrategyRow | undefined {
    return this.s.strategy!.get(id, userId) as StrategyRow | undefined;
  }

  strategies(userId: number): StrategyRow[] {
    return this.s.strategies!.all(userId) as StrategyRow[];
  }

  insertStrategy(userId: number, row: StrategyRow): void {
    this.s.insertStrategy!.run(row.id, userId, row.name, row.legs, row.margin, row.createdAt, row.updatedAt);
  }

  /** False when the strategy is not the user's (or gone). */
  updateStrategy(userId: number, id: string, name: string, legs: string, margin: string | null, now: number): boolean {
    return this.s.updateStrategy!.run(name, legs, margin, now, id, userId).changes === 1;
  }

  deleteStrategy(userId: number, id: string, now: number): boolean {
    return this.s.deleteStrategy!.run(now, id, userId).changes === 1;
  }
}
