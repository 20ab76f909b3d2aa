/**
 * Connection planning: which upstream connection (account, connection index) subscribes which
 * skeleton token, in which mode, and which feed worker owns that connection. Pure: the same
 * tokens and accounts always give the same plan.
 *
 * Rules (docs/dhan-protocol.md §2.3, docs/market-structure.md §4.1, docs/contract.md §1):
 * - every token (options and spots) is subscribed exactly once across all accounts — one
 *   connection per token means one worker per slot, which is what the seqlock's single-writer
 *   rule needs (docs/engineering.md §2.1);
 * - at most 5 connections per client id and 5000 instruments per connection; subscribe
 *   messages carry at most 100 instruments;
 * - when the accounts cannot hold the whole skeleton, the tokens that fit are taken in slot
 *   order (the skeleton puts the indices first) and the rest is reported as `unsubscribed`;
 *   the skeleton itself is never trimmed (issue "never trim the skeleton, never hide it");
 * - only as many connections as the tokens need are opened, so no connection of the 5 is
 *   wasted on nothing (docs/peers.md §3.4: openalgo #944, idle sockets exhausted Dhan's cap).
 *
 * Modes: option contracts use Full (21) — bid/ask, quantities and OI live there
 * (docs/dhan-protocol.md §2.7, docs/peers.md §5 item 5). Index spots (IDX_I) use Ticker (15): an index
 * has no depth, volume or OI, and its code-1/2 packets plus the code-6 prev close are all it
 * has. Equity spots use Quote (17): the chain needs the spot's LTP, OHLC and the previous close
 * (which Quote's close field carries during the session, docs/dhan-protocol.md §2.7), not the underlying's 5-level
 * depth, and a Quote packet is 50 bytes against Full's 162 — a third of the bandwidth for
 * ~200 busy cash tokens. The instrument cap counts instruments, not bytes, so the mode choice
 * does not change capacity.
 *
 * @module
 */
import { MAX_INSTRUMENTS_PER_CONNECTION, MAX_INSTRUMENTS_PER_MESSAGE } from '../dhan/feed-requests.js';
import { buildSubscribeMessage, requestCodeFor, type FeedMode } from '../dhan/subscribe-message.js';
import type { Segment } from '../dhan/segments.js';
import type { SlotToken } from '../skeleton/types.js';

/** Dhan's per-client-id cap on live-feed sockets (docs/dhan-protocol.md §2.3). */
export const MAX_CONNECTIONS_PER_ACCOUNT = 5;

/**
 * Accounts needed to subscribe `tokens` instruments: each holds 5 connections × 5000
 * (docs/dhan-protocol.md §2.3), i.e. 25,000. The real universe of 2026-03-23 is ~111.6k option
 * tokens + 413 spots, so 5 accounts (issue 16 §2).
 */
export function accountsNeeded(tokens: number, limits: PlanLimits = {}): number {
  const perAccount = (limits.connectionsPerAccount ?? MAX_CONNECTIONS_PER_ACCOUNT) * (limits.instrumentsPerConnection ?? MAX_INSTRUMENTS_PER_CONNECTION);
  return Math.ceil(tokens / perAccount);
}

/** One instrument on a planned connection. */
export interface PlannedInstrument {
  readonly slot: number;
  readonly segment: Segment;
  readonly securityId: number;
  readonly mode: FeedMode;
}

/** One upstream WebSocket. */
export interface PlannedConnection {
  /** Position in {@link ConnectionPlan.connections} (stable id across the day). */
  readonly id: number;
  /** Client id of the account it logs in with (never the token). */
  readonly account: string;
  /** Index of that account in the deduplicated account list. */
  readonly accountIndex: number;
  /** 0..4: which of the account's connections this is. */
  readonly index: number;
  /** Feed worker that owns the socket. */
  readonly worker: number;
  /** Its shard, in slot order. */
  readonly instruments: readonly PlannedInstrument[];
}

/** The whole plan. */
export interface ConnectionPlan {
  readonly connections: readonly PlannedConnection[];
  /** Number of feed workers that own at least one connection (≥ 1 when there are connections). */
  readonly workers: number;
  /** Tokens subscribed (each exactly once). */
  readonly subscribed: number;
  /** Skeleton tokens that did not fit the accounts' capacity (or had no account at all). */
  readonly unsubscribed: number;
  /** Slots of those tokens, ascending. */
  readonly unsubscribedSlots: readonly number[];
  /** Instruments the configured accounts can hold. */
  readonly capacity: number;
  /** Distinct client ids used for planning (duplicates in the accounts list share one cap). */
  readonly accounts: readonly string[];
}

/** Limits; the defaults are Dhan's (tests shrink them). */
export interface PlanLimits {
  readonly connectionsPerAccount?: number;
  readonly instrumentsPerConnection?: number;
}

/** The subscription mode for a token (see the module note for why). */
export function modeFor(token: Pick<SlotToken, 'kind' | 'segment'>): FeedMode {
  if (token.kind === 'option') return 'full';
  return token.segment === 'IDX_I' ? 'ticker' : 'quote';
}

/**
 * Plans the connections for `tokens` (the skeleton's, index = slot) over `accounts` (client
 * ids; duplicates are merged because Dhan counts sockets per client id) and `workers` feed
 * workers.
 */
export function planConnections(
  tokens: readonly Pick<SlotToken, 'slot' | 'segment' | 'securityId' | 'kind'>[],
  accounts: readonly string[],
  workers = 1,
  limits: PlanLimits = {},
): ConnectionPlan {
  const perAccount = limits.connectionsPerAccount ?? MAX_CONNECTIONS_PER_ACCOUNT;
  const perConnection = limits.instrumentsPerConnection ?? MAX_INSTRUMENTS_PER_CONNECTION;
  const clientIds = [...new Set(accounts)];
  const capacity = clientIds.length * perAccount * perConnection;

  // Slot order, and one entry per (segment, id): a token listed twice would become two
  // subscriptions and two writers of one slot.
  const ordered = [...tokens].sort((a, b) => a.slot - b.slot);
  const seen = new Set<string>();
  const wanted: PlannedInstrument[] = [];
  for (const t of ordered) {
    const key = `${t.segment}:${t.securityId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    wanted.push({ slot: t.slot, segment: t.segment, securityId: t.securityId, mode: modeFor(t) });
  }

  const take = Math.min(wanted.length, capacity);
  const fitted = wanted.slice(0, take);
  const unsubscribedSlots = wanted.slice(take).map((t) => t.slot);
  const count = take === 0 ? 0 : Math.ceil(take / perConnection);
  const workerCount = count === 0 ? 0 : Math.max(1, Math.min(Math.floor(workers), count));

  // Contiguous chunks of slot order, sizes differing by at most one, so connection 0 carries
  // the indices and every connection keeps the same headroom below the cap.
  const connections: PlannedConnection[] = [];
  const base = count === 0 ? 0 : Math.floor(take / count);
  const extra = count === 0 ? 0 : take % count;
  let at = 0;
  for (let j = 0; j < count; j++) {
    const size = base + (j < extra ? 1 : 0);
    // Round-robin over accounts keeps every account ≤ ceil(count / accounts) ≤ perAccount and
    // spreads the load (and the damage of one account's expired token) evenly.
    const accountIndex = j % clientIds.length;
    connections.push({
      id: j,
      account: clientIds[accountIndex]!,
      accountIndex,
      index: Math.floor(j / clientIds.length),
      worker: j % workerCount,
      instruments: fitted.slice(at, at + size),
    });
    at += size;
  }
  return {
    connections,
    workers: workerCount,
    subscribed: take,
    unsubscribed: unsubscribedSlots.length,
    unsubscribedSlots,
    capacity,
    accounts: clientIds,
  };
}

/**
 * The subscribe messages of one connection's shard: grouped by mode (a message has one request
 * code), each ≤ 100 instruments, in slot order within a mode. Sent once per opened socket.
 */
export function subscribeMessagesFor(instruments: readonly PlannedInstrument[]): string[] {
  const out: string[] = [];
  for (const mode of ['ticker', 'quote', 'full'] as const) {
    const list = instruments.filter((i) => i.mode === mode);
    for (let k = 0; k < list.length; k += MAX_INSTRUMENTS_PER_MESSAGE) {
      out.push(buildSubscribeMessage(requestCodeFor(mode, true), list.slice(k, k + MAX_INSTRUMENTS_PER_MESSAGE)));
    }
  }
  return out;
}
