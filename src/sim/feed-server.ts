/**
 * The simulator's Live Market Feed v2 (docs/dhan-protocol.md §2): WebSocket connections
 * authenticated by query string, JSON subscribe/unsubscribe, binary packets for the
 * instruments each connection subscribed, keep-alive, Dhan's limits, and fault hooks.
 *
 * Strictness (the simulator must not be kinder than Dhan; every choice is in the README):
 * - credentials: bad client id or another client's token → 808, unknown token → 809,
 *   expired token → 807; the socket is accepted, gets the 10-byte code-50 packet, then closes.
 * - ≤ 100 instruments per message (804 + close), ≤ 5000 (instrument, mode) subscriptions per
 *   connection (804 + close for the message that would pass it), ≤ 5 connections per client
 *   id (a 6th sends 805 to the oldest and closes it), malformed JSON / unknown request code /
 *   binary frames → 814 + close, a non-string or non-numeric SecurityId → 813 + close.
 * - ping every 10 s; a client silent (no pong, no message) for over 40 s is terminated.
 *
 * Throughput: one timer round every `roundMs` advances the market model; each update is
 * encoded once into a round buffer (only for the modes somebody subscribed), then every
 * connection gets the packets of its own subscriptions copied into one contiguous chunk of
 * ready-made WebSocket frames and written to its socket in one write. Going around ws's
 * per-message `send` avoids one frame-header allocation and one writev per packet (tens of
 * thousands a second); it is safe because ws writes whole frames synchronously (no
 * permessage-deflate, no Blob payloads here), so our chunk never interleaves inside one of
 * its frames.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { DisconnectReason } from '../dhan/disconnect-reason.js';
import { PacketLength } from '../dhan/packet-layout.js';
import { encodeDisconnect, encodeHeader, encodeKeepAlive, encodeMarketStatus } from './packet-encoder.js';
import { parseFeedRequest } from '../dhan/subscribe-message.js';
import { SEGMENT_CODE, instrumentKey } from '../dhan/segments.js';
import { Kind, UpdateFlag, type MarketModel } from './market-model.js';
import { MAX_BYTES_PER_INSTRUMENT, writeFull, writeOi, writePrevClose, writeQuote, writeTicker } from './sim-packets.js';
import type { AccountRegistry } from './accounts.js';
import { ErrorCodes, OptchainError } from '../errors.js';

/** Subscription mode bits of a connection's per-instrument byte. */
const TICKER = 1;
const QUOTE = 2;
const FULL = 4;
const MODE_BIT: Record<'ticker' | 'quote' | 'full', number> = { ticker: TICKER, quote: QUOTE, full: FULL };

const FNO_SEGMENTS = new Set<number>([SEGMENT_CODE.NSE_FNO, SEGMENT_CODE.BSE_FNO]);

/** Options of the feed. */
export interface FeedServerOptions {
  /** Timer round, ms. Default 50. */
  readonly roundMs?: number;
  /** Server ping interval, ms (docs/dhan-protocol.md §2.10: 10 s). */
  readonly pingIntervalMs?: number;
  /** A client silent for longer than this is dropped (docs/dhan-protocol.md §2.10: 40 s). */
  readonly silentTimeoutMs?: number;
  /** Stack several packets per WebSocket message (docs/dhan-protocol.md §2.8 robustness option). Default false. */
  readonly stacked?: boolean;
  /** Packets per stacked message at most. Default 32. */
  readonly maxStack?: number;
  /**
   * All-zero 8-byte keep-alive headers per second sent to every open connection (docs/dhan-protocol.md §2.5: openalgo
   * PR #912 saw them live, at times thousands a second). Default 0 (off). Own frames, or inside
   * the stack, ahead of the round's packets, when `stacked` is on.
   */
  readonly keepAlivesPerSecond?: number;
  /**
   * Which subscriptions get a Prev Close (code 6) packet: every instrument in every mode (default: Dhan's docs say
   * code 6 is sent "whenever any instrument is subscribed for any data packet", docs/dhan-protocol.md §2.7, and
   * it is the only packet that carries the previous session's OI, so options need it for oiChange), or IDX_I only
   * (what one third party reports Dhan support told them, same section).
   */
  readonly prevCloseFor?: 'index' | 'all';
  /** A connection whose socket buffers more than this many bytes is terminated as a slow consumer. Default 32 MiB. */
  readonly maxBufferedBytes?: number;
  /** Instruments per connection (docs/dhan-protocol.md §2.3). Default 5000. */
  readonly maxInstrumentsPerConnection?: number;
  /** Connections per client id (docs/dhan-protocol.md §2.3). Default 5. */
  readonly maxConnectionsPerClient?: number;
}

/** Counters reported by {@link FeedServer.stats}. */
export interface FeedStats {
  connectionsOpen: number;
  connectionsByClient: Record<string, number>;
  connectionsAccepted: number;
  authFailures: number;
  subscriptions: number;
  /** Subscribe messages accepted since start (a resubscription shows as growth here). */
  subscribeMessages: number;
  /** Instruments named by accepted subscribe messages since start, repeats included. */
  subscribeRequests: number;
  activeInstruments: number;
  rounds: number;
  updates: number;
  packets: { ticker: number; quote: number; oi: number; prevClose: number; marketStatus: number; full: number; disconnect: number };
  frames: number;
  bytes: number;
  /** All-zero keep-alive headers sent (docs/dhan-protocol.md §2.5), all connections. */
  keepAlives: number;
  /** Disconnect packets sent, by reason code. */
  disconnects: Record<string, number>;
  silentDrops: number;
  slowConsumerDrops: number;
  faultDrops: number;
  clientDisconnects: number;
  stalled: number;
}

/** Upper bound of {@link FeedServerOptions.keepAlivesPerSecond}: far above the "thousands a second" seen live. */
export const MAX_KEEP_ALIVES_PER_SECOND = 100_000;

function checkKeepAliveRate(perSecond: number): number {
  if (typeof perSecond !== 'number' || !Number.isFinite(perSecond) || perSecond < 0 || perSecond > MAX_KEEP_ALIVES_PER_SECOND) {
    throw new OptchainError(ErrorCodes.SIM_OPTION_INVALID, `keep-alives per second must be a number from 0 to ${MAX_KEEP_ALIVES_PER_SECOND}, got ${String(perSecond)}`, { perSecond });
  }
  return perSecond;
}

/** Which connections a fault applies to. */
export interface ConnectionSelector {
  /** Only this client id's connections. */
  readonly clientId?: string;
  /** At most this many, oldest first. Default all. */
  readonly count?: number;
}

/** Kinds of malformed frame the fault injector can send. */
export type MalformedKind = 'truncated' | 'bad-length' | 'unknown-code' | 'garbage' | 'text';

interface Conn {
  readonly id: number;
  readonly ws: WebSocket;
  readonly socket: Socket;
  readonly clientId: string;
  readonly openedAt: number;
  readonly modes: Uint8Array;
  /** (instrument, mode) pairs of instruments the master does not have: key → mode bits. */
  readonly unknown: Map<number, number>;
  pairs: number;
  lastHeard: number;
  stalled: boolean;
  retired: boolean;
}

/** The live feed part of the simulator. */
export class FeedServer {
  private readonly wss: WebSocketServer;
  private readonly conns: Conn[] = [];
  private nextId = 1;
  private readonly tickerSubs: Uint16Array;
  private readonly quoteSubs: Uint16Array;
  private readonly fullSubs: Uint16Array;
  private roundTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private readonly opts: { -readonly [K in keyof FeedServerOptions]-?: FeedServerOptions[K] };

  // Round buffer: each update's packets, encoded once.
  private roundBuf: Buffer = Buffer.allocUnsafe(1 << 20);
  private roundLen = 0;
  private evInst = new Int32Array(4096);
  private evPacket = new Int32Array(4096 * 4);
  private evCount = 0;
  // Per-connection output chunk, reused; copied into an exact-size buffer per write.
  private out: Buffer = Buffer.allocUnsafe(1 << 20);
  private outLen = 0;
  private stackStart = -1;
  private stackCount = 0;
  // Keep-alive headers owed to each connection (fractional), and when the last round ran.
  private keepAliveDebt = 0;
  private lastRoundAt = -1;

  private readonly counters: FeedStats = {
    connectionsOpen: 0,
    connectionsByClient: {},
    connectionsAccepted: 0,
    authFailures: 0,
    subscriptions: 0,
    subscribeMessages: 0,
    subscribeRequests: 0,
    activeInstruments: 0,
    rounds: 0,
    updates: 0,
    packets: { ticker: 0, quote: 0, oi: 0, prevClose: 0, marketStatus: 0, full: 0, disconnect: 0 },
    frames: 0,
    bytes: 0,
    keepAlives: 0,
    disconnects: {},
    silentDrops: 0,
    slowConsumerDrops: 0,
    faultDrops: 0,
    clientDisconnects: 0,
    stalled: 0,
  };

  constructor(
    private readonly model: MarketModel,
    private readonly accounts: AccountRegistry,
    opts: FeedServerOptions = {},
  ) {
    this.opts = {
      roundMs: opts.roundMs ?? 50,
      pingIntervalMs: opts.pingIntervalMs ?? 10_000,
      silentTimeoutMs: opts.silentTimeoutMs ?? 40_000,
      stacked: opts.stacked ?? false,
      keepAlivesPerSecond: checkKeepAliveRate(opts.keepAlivesPerSecond ?? 0),
      maxStack: Math.max(1, opts.maxStack ?? 32),
      prevCloseFor: opts.prevCloseFor ?? 'all',
      maxBufferedBytes: opts.maxBufferedBytes ?? 32 * 1024 * 1024,
      maxInstrumentsPerConnection: opts.maxInstrumentsPerConnection ?? 5000,
      maxConnectionsPerClient: opts.maxConnectionsPerClient ?? 5,
    };
    const n = model.size;
    this.tickerSubs = new Uint16Array(n);
    this.quoteSubs = new Uint16Array(n);
    this.fullSubs = new Uint16Array(n);
    // Client messages are small JSON (100 instruments ≈ 6 KB); 1 MiB is generous and bounds abuse.
    this.wss = new WebSocketServer({ noServer: true, autoPong: false, perMessageDeflate: false, maxPayload: 1 << 20, clientTracking: false });
  }

  /** Starts the round and ping timers. */
  start(): void {
    if (this.roundTimer) return;
    this.roundTimer = setInterval(() => this.round(Date.now()), this.opts.roundMs);
    this.pingTimer = setInterval(() => this.keepAlive(Date.now()), this.opts.pingIntervalMs);
    this.roundTimer.unref?.();
    this.pingTimer.unref?.();
  }

  /** Whether stacked frames are on. */
  get stacked(): boolean {
    return this.opts.stacked;
  }

  set stacked(on: boolean) {
    this.opts.stacked = on;
  }

  /** All-zero keep-alive headers per second per connection (0 = off). */
  get keepAlivesPerSecond(): number {
    return this.opts.keepAlivesPerSecond;
  }

  /** Throws SIM_OPTION_INVALID for a negative, non-finite or absurd rate. */
  set keepAlivesPerSecond(perSecond: number) {
    this.opts.keepAlivesPerSecond = checkKeepAliveRate(perSecond);
    if (perSecond === 0) this.keepAliveDebt = 0;
  }

  /** Handles an HTTP upgrade aimed at the feed path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onOpen(ws, req));
  }

  // --- connection life cycle -------------------------------------------------------------------

  private onOpen(ws: WebSocket, req: IncomingMessage): void {
    const url = new URL(req.url ?? '/', 'ws://sim');
    const q = url.searchParams;
    const clientId = q.get('clientId');
    const token = q.get('token');
    let verdict: number | 'ok';
    if (q.get('version') !== '2' || q.get('authType') !== '2') verdict = DisconnectReason.INVALID_REQUEST;
    else if (!clientId || !token) verdict = DisconnectReason.AUTHENTICATION_FAILED;
    else verdict = this.accounts.verify(clientId, token);
    if (verdict !== 'ok') {
      this.counters.authFailures++;
      this.disconnectRaw(ws, verdict);
      return;
    }
    const now = Date.now();
    const conn: Conn = {
      id: this.nextId++,
      ws,
      socket: (ws as unknown as { _socket: Socket })._socket,
      clientId: clientId!,
      openedAt: now,
      modes: new Uint8Array(this.model.size),
      unknown: new Map(),
      pairs: 0,
      lastHeard: now,
      stalled: false,
      retired: false,
    };
    // docs/dhan-protocol.md §2.3: a 6th connection makes the oldest receive 805 and close.
    const mine = this.conns.filter((c) => c.clientId === conn.clientId && !c.retired);
    if (mine.length >= this.opts.maxConnectionsPerClient) this.disconnect(mine[0]!, DisconnectReason.TOO_MANY_CONNECTIONS);
    this.conns.push(conn);
    this.counters.connectionsAccepted++;
    ws.on('message', (data, isBinary) => this.onMessage(conn, data as Buffer, isBinary));
    ws.on('pong', () => {
      conn.lastHeard = Date.now();
    });
    ws.on('ping', (data) => {
      conn.lastHeard = Date.now();
      if (!conn.stalled && !conn.retired) ws.pong(data);
    });
    ws.on('close', () => this.retire(conn));
    ws.on('error', () => this.retire(conn));
    // Market status (code 7, header only) at connect (docs/dhan-protocol.md §2.6).
    const b = Buffer.allocUnsafe(PacketLength.MARKET_STATUS + 2);
    b[0] = 0x82;
    b[1] = PacketLength.MARKET_STATUS;
    encodeMarketStatus(b, 2);
    this.counters.packets.marketStatus++;
    this.write(conn, b);
  }

  /** Sends the code-50 packet with `reason` on a socket that never became a connection, then closes it. */
  private disconnectRaw(ws: WebSocket, reason: number): void {
    const b = Buffer.allocUnsafe(PacketLength.DISCONNECT);
    encodeDisconnect(b, 0, reason);
    this.counters.packets.disconnect++;
    this.counters.disconnects[reason] = (this.counters.disconnects[reason] ?? 0) + 1;
    ws.on('error', () => undefined);
    ws.send(b, { binary: true });
    ws.close(1000);
  }

  /** Code-50 packet with `reason`, then a close; the connection's subscriptions end at once. */
  private disconnect(conn: Conn, reason: number): void {
    if (conn.retired) return;
    this.retire(conn);
    this.disconnectRaw(conn.ws, reason);
  }

  /** Forgets a connection: releases its subscriptions. Idempotent. */
  private retire(conn: Conn): void {
    if (conn.retired) return;
    conn.retired = true;
    const k = this.conns.indexOf(conn);
    if (k >= 0) this.conns.splice(k, 1);
    const modes = conn.modes;
    if (conn.pairs > conn.unknown.size) {
      for (let i = 0; i < modes.length; i++) {
        const m = modes[i]!;
        if (m === 0) continue;
        if (m & TICKER) this.dropPair(i, TICKER);
        if (m & QUOTE) this.dropPair(i, QUOTE);
        if (m & FULL) this.dropPair(i, FULL);
        modes[i] = 0;
      }
    }
    this.counters.subscriptions -= conn.pairs;
    conn.pairs = 0;
    conn.unknown.clear();
  }

  private addPair(i: number, bit: number): void {
    if (bit === TICKER) this.tickerSubs[i]!++;
    else if (bit === QUOTE) this.quoteSubs[i]!++;
    else this.fullSubs[i]!++;
    this.model.retain(i);
  }

  private dropPair(i: number, bit: number): void {
    if (bit === TICKER) this.tickerSubs[i]!--;
    else if (bit === QUOTE) this.quoteSubs[i]!--;
    else this.fullSubs[i]!--;
    this.model.release(i);
  }

  // --- client messages ---------------------------------------------------------------------------

  private onMessage(conn: Conn, data: Buffer, isBinary: boolean): void {
    conn.lastHeard = Date.now();
    if (conn.retired) return;
    if (isBinary) {
      // v2 clients send JSON only (docs/dhan-protocol.md §2.2); the v1 binary header the SDK appends is not accepted here.
      this.disconnect(conn, DisconnectReason.INVALID_REQUEST);
      return;
    }
    const req = parseFeedRequest(data.toString('utf8'));
    if (!req.ok) {
      this.disconnect(conn, req.reasonCode);
      return;
    }
    if (req.kind === 'disconnect') {
      this.counters.clientDisconnects++;
      this.retire(conn);
      conn.ws.close(1000);
      return;
    }
    const bit = MODE_BIT[req.mode];
    if (req.subscribe) this.subscribe(conn, req.instruments, bit);
    else this.unsubscribe(conn, req.instruments, bit);
  }

  private subscribe(conn: Conn, list: readonly { segment: string; securityId: number }[], bit: number): void {
    const model = this.model;
    // Count the new pairs first: the message that would pass the limit is refused as a whole.
    let fresh = 0;
    const idx = new Int32Array(list.length);
    const seen = new Set<number>();
    for (let k = 0; k < list.length; k++) {
      const seg = SEGMENT_CODE[list[k]!.segment as keyof typeof SEGMENT_CODE];
      const key = instrumentKey(seg, list[k]!.securityId);
      const i = model.indexOf(seg, list[k]!.securityId);
      idx[k] = i;
      if (seen.has(key)) continue;
      seen.add(key);
      const had = i >= 0 ? conn.modes[i]! & bit : (conn.unknown.get(key) ?? 0) & bit;
      if (!had) fresh++;
    }
    if (conn.pairs + fresh > this.opts.maxInstrumentsPerConnection) {
      this.disconnect(conn, DisconnectReason.INSTRUMENT_LIMIT_EXCEEDED);
      return;
    }
    this.counters.subscribeMessages++;
    this.counters.subscribeRequests += list.length;
    const now = Date.now();
    this.outLen = 0;
    this.stackStart = -1;
    this.stackCount = 0;
    for (let k = 0; k < list.length; k++) {
      const i = idx[k]!;
      if (i < 0) {
        const key = instrumentKey(SEGMENT_CODE[list[k]!.segment as keyof typeof SEGMENT_CODE], list[k]!.securityId);
        const m = conn.unknown.get(key) ?? 0;
        if (!(m & bit)) {
          conn.unknown.set(key, m | bit);
          conn.pairs++;
          this.counters.subscriptions++;
        }
        continue;
      }
      if (!(conn.modes[i]! & bit)) {
        conn.modes[i] = conn.modes[i]! | bit;
        conn.pairs++;
        this.counters.subscriptions++;
        this.addPair(i, bit);
      } else {
        model.ensure(i, now);
      }
      this.snapshot(i, bit);
    }
    this.flushStack();
    if (this.outLen > 0 && !conn.stalled) this.writeOut(conn);
  }

  private unsubscribe(conn: Conn, list: readonly { segment: string; securityId: number }[], bit: number): void {
    for (const inst of list) {
      const seg = SEGMENT_CODE[inst.segment as keyof typeof SEGMENT_CODE];
      const i = this.model.indexOf(seg, inst.securityId);
      if (i < 0) {
        const key = instrumentKey(seg, inst.securityId);
        const m = conn.unknown.get(key) ?? 0;
        if (m & bit) {
          if (m === bit) conn.unknown.delete(key);
          else conn.unknown.set(key, m & ~bit);
          conn.pairs--;
          this.counters.subscriptions--;
        }
        continue;
      }
      if (conn.modes[i]! & bit) {
        conn.modes[i] = conn.modes[i]! & ~bit;
        conn.pairs--;
        this.counters.subscriptions--;
        this.dropPair(i, bit);
      }
    }
  }

  /**
   * The current state of `i` in mode `bit`, appended to the output chunk (docs/dhan-protocol.md §2.7). An index
   * (IDX_I) gets the packet of its mode like any instrument (docs/dhan-protocol.md §2.6: Ticker/Quote packets on
   * IDX_I, never the code-1 index packet), plus its Prev Close.
   */
  private snapshot(i: number, bit: number): void {
    const m = this.model;
    this.ensureOut(MAX_BYTES_PER_INSTRUMENT + 64);
    const isIndex = m.kind[i] === Kind.INDEX;
    if (bit === TICKER) {
      this.appendEncoded(PacketLength.TICKER, (b, o) => writeTicker(b, o, m, i));
      this.counters.packets.ticker++;
    } else if (bit === QUOTE) {
      this.appendEncoded(PacketLength.QUOTE, (b, o) => writeQuote(b, o, m, i));
      this.counters.packets.quote++;
      if (FNO_SEGMENTS.has(m.segCode[i]!)) {
        this.appendEncoded(PacketLength.OI, (b, o) => writeOi(b, o, m, i));
        this.counters.packets.oi++;
      }
    } else {
      this.appendEncoded(PacketLength.FULL, (b, o) => writeFull(b, o, m, i));
      this.counters.packets.full++;
    }
    if (isIndex || this.opts.prevCloseFor === 'all') {
      this.appendEncoded(PacketLength.PREV_CLOSE, (b, o) => writePrevClose(b, o, m, i));
      this.counters.packets.prevClose++;
    }
  }

  // --- the round ---------------------------------------------------------------------------------

  private readonly onUpdate = (i: number, flags: number): void => {
    const m = this.model;
    const t = this.tickerSubs[i]!;
    const q = this.quoteSubs[i]!;
    const f = this.fullSubs[i]!;
    if (this.roundLen + MAX_BYTES_PER_INSTRUMENT > this.roundBuf.length) {
      const bigger = Buffer.allocUnsafe(this.roundBuf.length * 2);
      this.roundBuf.copy(bigger, 0, 0, this.roundLen);
      this.roundBuf = bigger;
    }
    if (this.evCount === this.evInst.length) {
      const a = new Int32Array(this.evInst.length * 2);
      a.set(this.evInst);
      this.evInst = a;
      const b = new Int32Array(this.evPacket.length * 2);
      b.set(this.evPacket);
      this.evPacket = b;
    }
    const e = this.evCount++;
    const pk = e * 4;
    const buf = this.roundBuf;
    this.evInst[e] = i;
    // evPacket: [ticker, quote, oi, full] offsets into the round buffer, -1 when absent.
    // An index update is a TRADE (its value moved), so IDX_I gets Ticker/Quote/Full packets by
    // mode like any instrument (docs/dhan-protocol.md §2.6); it has no OI (not an F&O segment).
    this.evPacket[pk] = -1;
    this.evPacket[pk + 1] = -1;
    this.evPacket[pk + 2] = -1;
    this.evPacket[pk + 3] = -1;
    if (t > 0 && (flags & UpdateFlag.TRADE) !== 0) {
      this.evPacket[pk] = this.roundLen;
      this.roundLen = writeTicker(buf, this.roundLen, m, i);
    }
    if (q > 0) {
      this.evPacket[pk + 1] = this.roundLen;
      this.roundLen = writeQuote(buf, this.roundLen, m, i);
      if ((flags & UpdateFlag.OI) !== 0 && FNO_SEGMENTS.has(m.segCode[i]!)) {
        this.evPacket[pk + 2] = this.roundLen;
        this.roundLen = writeOi(buf, this.roundLen, m, i);
      }
    }
    if (f > 0) {
      this.evPacket[pk + 3] = this.roundLen;
      this.roundLen = writeFull(buf, this.roundLen, m, i);
    }
  };

  /** One round: advance the market, then give each connection its packets. Public for tests and benches. */
  round(wallMs: number): void {
    this.counters.rounds++;
    this.roundLen = 0;
    this.evCount = 0;
    this.counters.updates += this.model.advance(wallMs, this.onUpdate);
    const keepAlives = this.keepAlivesDue(wallMs);
    if (this.evCount === 0 && keepAlives === 0) return;
    const conns = this.conns;
    for (let c = 0; c < conns.length; c++) {
      const conn = conns[c]!;
      if (conn.stalled || conn.retired || (conn.pairs === 0 && keepAlives === 0)) continue;
      this.outLen = 0;
      this.stackStart = -1;
      this.stackCount = 0;
      for (let k = 0; k < keepAlives; k++) this.appendEncoded(PacketLength.HEADER, encodeKeepAlive);
      this.counters.keepAlives += keepAlives;
      const modes = conn.modes;
      const ev = this.evPacket;
      const pk = this.counters.packets;
      for (let e = 0; e < this.evCount; e++) {
        const i = this.evInst[e]!;
        const m = modes[i]!;
        if (m === 0) continue;
        const p = e * 4;
        if ((m & TICKER) !== 0 && ev[p]! >= 0) {
          this.appendCopy(ev[p]!, PacketLength.TICKER);
          pk.ticker++;
        }
        if ((m & QUOTE) !== 0) {
          this.appendCopy(ev[p + 1]!, PacketLength.QUOTE);
          pk.quote++;
          if (ev[p + 2]! >= 0) {
            this.appendCopy(ev[p + 2]!, PacketLength.OI);
            pk.oi++;
          }
        }
        if ((m & FULL) !== 0) {
          this.appendCopy(ev[p + 3]!, PacketLength.FULL);
          pk.full++;
        }
      }
      this.flushStack();
      if (this.outLen > 0) this.writeOut(conn);
    }
  }

  /** Whole keep-alive headers each connection gets this round; at most one second's worth after a pause. */
  private keepAlivesDue(wallMs: number): number {
    const rate = this.opts.keepAlivesPerSecond;
    const last = this.lastRoundAt;
    this.lastRoundAt = wallMs;
    if (rate === 0 || last < 0) return 0;
    this.keepAliveDebt = Math.min(rate, this.keepAliveDebt + (rate * Math.max(0, wallMs - last)) / 1000);
    const n = Math.floor(this.keepAliveDebt);
    this.keepAliveDebt -= n;
    return n;
  }

  // --- framing -------------------------------------------------------------------------------------

  private ensureOut(extra: number): void {
    if (this.outLen + extra <= this.out.length) return;
    let size = this.out.length * 2;
    while (size < this.outLen + extra) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.out.copy(bigger, 0, 0, this.outLen);
    this.out = bigger;
  }

  /** Appends a packet of `len` bytes from the round buffer at `src` as a frame (or into the current stack). */
  private appendCopy(src: number, len: number): void {
    const at = this.beginPacket(len);
    this.roundBuf.copy(this.out, at, src, src + len);
    this.endPacket(len);
  }

  /** Appends a packet written by `write` (snapshots; not on the per-tick path). */
  private appendEncoded(len: number, write: (buf: Buffer, off: number) => number): void {
    const at = this.beginPacket(len);
    write(this.out, at);
    this.endPacket(len);
  }

  /** Reserves room for a packet and returns where its bytes go. */
  private beginPacket(len: number): number {
    this.ensureOut(len + 8);
    if (this.opts.stacked) {
      if (this.stackStart < 0) {
        // Room for the longest header we use (4 bytes, payload < 65536); shrunk at flush.
        this.stackStart = this.outLen;
        this.outLen += 4;
      }
      return this.outLen;
    }
    const o = this.outLen;
    const out = this.out;
    out[o] = 0x82; // FIN + binary
    if (len < 126) {
      out[o + 1] = len;
      this.outLen = o + 2;
    } else {
      out[o + 1] = 126;
      out[o + 2] = len >> 8;
      out[o + 3] = len & 0xff;
      this.outLen = o + 4;
    }
    this.counters.frames++;
    return this.outLen;
  }

  private endPacket(len: number): void {
    this.outLen += len;
    if (this.opts.stacked && ++this.stackCount >= this.opts.maxStack) this.flushStack();
    else if (this.opts.stacked && this.outLen - this.stackStart - 4 > 60_000) this.flushStack();
  }

  /** Closes the current stacked frame: writes its header, minimal length encoding (RFC 6455 §5.2). */
  private flushStack(): void {
    if (this.stackStart < 0) return;
    const s = this.stackStart;
    const payload = this.outLen - s - 4;
    const out = this.out;
    if (payload < 126) {
      out.copyWithin(s + 2, s + 4, this.outLen);
      out[s] = 0x82;
      out[s + 1] = payload;
      this.outLen -= 2;
    } else {
      out[s] = 0x82;
      out[s + 1] = 126;
      out[s + 2] = payload >> 8;
      out[s + 3] = payload & 0xff;
    }
    this.counters.frames++;
    this.stackStart = -1;
    this.stackCount = 0;
  }

  private writeOut(conn: Conn): void {
    const chunk = Buffer.allocUnsafe(this.outLen);
    this.out.copy(chunk, 0, 0, this.outLen);
    this.outLen = 0;
    this.write(conn, chunk);
  }

  /** Writes ready-made frames to the connection's socket (see the module note on why not ws.send). */
  private write(conn: Conn, chunk: Buffer): void {
    const s = conn.socket;
    // Once either side started the close handshake no data frame may follow the close frame.
    if (conn.retired || conn.ws.readyState !== 1 || !s || s.destroyed || !s.writable) return;
    if (s.writableLength > this.opts.maxBufferedBytes) {
      this.counters.slowConsumerDrops++;
      this.retire(conn);
      conn.ws.terminate();
      return;
    }
    this.counters.bytes += chunk.length;
    s.write(chunk);
  }

  // --- keep-alive ------------------------------------------------------------------------------------

  private keepAlive(now: number): void {
    for (const conn of [...this.conns]) {
      if (conn.stalled || conn.retired) continue;
      if (now - conn.lastHeard > this.opts.silentTimeoutMs) {
        this.counters.silentDrops++;
        this.retire(conn);
        conn.ws.terminate();
        continue;
      }
      try {
        conn.ws.ping();
      } catch {
        // socket already closing; its close event retires it
      }
    }
  }

  // --- faults ----------------------------------------------------------------------------------------

  private select(sel: ConnectionSelector = {}): Conn[] {
    const list = this.conns.filter((c) => !c.retired && (sel.clientId === undefined || c.clientId === sel.clientId));
    return sel.count === undefined ? list : list.slice(0, Math.max(0, sel.count));
  }

  /** Drops connections: `terminate` (TCP reset, no close frame; default) or a clean `close`. Returns how many. */
  drop(sel: ConnectionSelector & { how?: 'terminate' | 'close' } = {}): number {
    const list = this.select(sel);
    for (const c of list) {
      this.counters.faultDrops++;
      this.retire(c);
      if (sel.how === 'close') c.ws.close(1001);
      else c.ws.terminate();
    }
    return list.length;
  }

  /** Stalls connections: open, but nothing sent and no ping answered. Returns how many. */
  stall(sel: ConnectionSelector = {}): number {
    const list = this.select(sel).filter((c) => !c.stalled);
    for (const c of list) c.stalled = true;
    return list.length;
  }

  /** Ends every stall. Returns how many were stalled. */
  unstall(): number {
    let n = 0;
    for (const c of this.conns) {
      if (c.stalled) {
        c.stalled = false;
        c.lastHeard = Date.now();
        n++;
      }
    }
    return n;
  }

  /** Sends one malformed binary (or text) frame to each selected connection. Returns how many. */
  malformed(sel: ConnectionSelector & { kind?: MalformedKind } = {}): number {
    const list = this.select(sel);
    for (const c of list) {
      let b: Buffer;
      switch (sel.kind ?? 'truncated') {
        case 'truncated': {
          // A Full header promising 162 bytes, cut after 40.
          b = Buffer.alloc(40);
          encodeHeader(b, 0, 8, PacketLength.FULL, SEGMENT_CODE.NSE_FNO, 4242);
          break;
        }
        case 'bad-length': {
          // A ticker whose length field says 3 (below the header size).
          b = Buffer.alloc(PacketLength.TICKER);
          encodeHeader(b, 0, 2, 3, SEGMENT_CODE.NSE_FNO, 4242);
          break;
        }
        case 'unknown-code': {
          b = Buffer.alloc(24);
          encodeHeader(b, 0, 99, 24, SEGMENT_CODE.NSE_FNO, 4242);
          break;
        }
        case 'text':
          c.ws.send('{"not":"binary"}');
          continue;
        default:
          b = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00]);
      }
      c.ws.send(b, { binary: true });
    }
    return list.length;
  }

  /** Sends the code-50 packet with `reason` to the selected connections and closes them (e.g. 807 after a token expiry). */
  disconnectWith(reason: number, sel: ConnectionSelector = {}): number {
    const list = this.select(sel);
    for (const c of list) this.disconnect(c, reason);
    return list.length;
  }

  // --- stats and shutdown ------------------------------------------------------------------------------

  /** A snapshot of the counters. */
  stats(): FeedStats {
    const byClient: Record<string, number> = {};
    let stalled = 0;
    for (const c of this.conns) {
      byClient[c.clientId] = (byClient[c.clientId] ?? 0) + 1;
      if (c.stalled) stalled++;
    }
    return {
      ...this.counters,
      packets: { ...this.counters.packets },
      disconnects: { ...this.counters.disconnects },
      connectionsOpen: this.conns.length,
      connectionsByClient: byClient,
      activeInstruments: this.model.activeSize,
      stalled,
    };
  }

  /** Stops the timers and terminates every connection. */
  close(): void {
    if (this.roundTimer) clearInterval(this.roundTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.roundTimer = null;
    this.pingTimer = null;
    for (const c of [...this.conns]) {
      this.retire(c);
      c.ws.terminate();
    }
    this.wss.close();
  }
}
