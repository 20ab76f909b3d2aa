/**
 * One upstream Dhan live-feed WebSocket and everything that keeps it alive, on its own
 * (docs/peers.md §5 item 2: silent stalls, forgotten subscriptions and token rollover are the
 * normal failures, so each connection heals itself without touching the others):
 *
 * - before every (re)connect the accounts are re-read, so a rolled-over token is picked up
 *   (docs/contract.md §4; docs/peers.md §3.3, openalgo #1419);
 * - after every open, exactly this connection's shard is subscribed, once per socket (Dhan
 *   forgets subscriptions with the socket, DhanHQ-py #56; subscribing twice double-counts
 *   against the 5000 cap, pykiteconnect PR #67);
 * - a replacement socket is created only after the previous one has closed, so the connection
 *   never holds two sockets and the account never exceeds its 5 (docs/dhan-protocol.md §2.3);
 * - reconnects wait a jittered exponential backoff capped at `backoffMaxMs`, reset only after
 *   the connection stayed up for `stableMs` (a server that accepts and then drops at once
 *   must not be hammered at the base delay);
 * - code-50 disconnects are acted on (docs/dhan-protocol.md §2.11): 805 (connection limit) waits a much longer,
 *   escalating delay so two holders of one account do not kick each other round and round;
 *   806-810 (credentials) park the connection in `auth-error` until the accounts file (or a
 *   token file it names) changes, or `authRetryMs` passes;
 * - a watchdog pings every `pingMs` and, when neither a packet nor a pong arrived for
 *   `watchdogMs` during market hours, drops and reopens the socket; outside market hours
 *   (no data is expected) it only acts on a much longer transport silence (docs/peers.md §3.3:
 *   a data watchdog that fired at night was a bug in openalgo).
 *
 * Frames are handed to a caller-provided `decode` (the worker's FeedDecoder); this class never
 * looks inside a tick.
 *
 * @module
 */
import WebSocket from 'ws';
import { disconnectReasonText, isCredentialFailure } from '../dhan/disconnect-reason.js';
import { buildDisconnectMessage } from '../dhan/subscribe-message.js';
import type { MarketClock } from '../time/market-clock.js';
import { accountsFiles, feedUrlFor, filesStamp, loadAccounts, redactFeedUrl, type AccountsSource, type FeedAccount } from '../dhan/accounts.js';
import { Backoff } from './backoff.js';
import { realScheduler, type Scheduler, type TimerHandle } from './scheduler.js';

/** Lifecycle of a connection, as shown in `/health`. */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'backoff' | 'auth-error' | 'stopped';

/** Timings (ms). */
export interface ConnectionTimings {
  /** Silence (no packet, no pong) that triggers a reconnect during market hours. */
  readonly watchdogMs: number;
  /** Same, outside market hours (transport-level only: no data is expected then). */
  readonly outsideHoursWatchdogMs: number;
  /** Client ping interval (Dhan pings every 10 s and answers client pings, docs/dhan-protocol.md §2.10). */
  readonly pingMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** First delay after an 805; doubles on each consecutive 805 up to 8×. */
  readonly tooManyBackoffMs: number;
  /** Retry after an auth failure even when the accounts file did not change. */
  readonly authRetryMs: number;
  /** How often the accounts file's mtime is checked while in `auth-error`. */
  readonly accountsPollMs: number;
  /** WebSocket handshake timeout. */
  readonly connectTimeoutMs: number;
  /** Up this long ⇒ the backoff resets. */
  readonly stableMs: number;
  /** How long a clean close waits for the server before terminating. */
  readonly closeTimeoutMs: number;
}

/** Status of one connection. */
export interface ConnectionStats {
  readonly id: number;
  readonly account: string;
  readonly index: number;
  readonly state: ConnectionState;
  readonly tokens: number;
  /** Server receive time of the last binary frame, Unix ms; null before the first. */
  readonly lastPacketAt: number | null;
  readonly packets: number;
  readonly frames: number;
  readonly bytes: number;
  /** Sockets opened after the first one. */
  readonly reconnects: number;
  /** Reconnects forced by the watchdog. */
  readonly watchdogReconnects: number;
  readonly subscribeMessages: number;
  /** Last problem (redacted), null when none yet. */
  readonly lastError: string | null;
  /** Last code-50 reason on this connection, null when none yet. */
  readonly lastDisconnectReason: number | null;
  /** Set while the credentials are refused (806-810, HTTP 401/403). */
  readonly authError: string | null;
  /** Unix ms of the current socket's open (null when not open). */
  readonly openedAt: number | null;
  /** Unix ms when the current subscription was sent (null when not subscribed). */
  readonly subscribedAt: number | null;
}

/** What the connection needs from its worker. */
export interface ConnectionDeps {
  readonly id: number;
  readonly account: string;
  readonly index: number;
  readonly tokens: number;
  /** Subscribe messages of its shard (JSON text), sent once per opened socket. */
  readonly subscribeMessages: readonly string[];
  readonly accounts: AccountsSource;
  readonly feedUrl: string;
  readonly clock: MarketClock;
  readonly timings: ConnectionTimings;
  /** Decodes one binary frame; returns the number of packets it held. */
  readonly decode: (conn: UpstreamConnection, frame: Buffer, receivedAtMs: number) => number;
  /** Called once per socket, right after its subscription was sent. */
  readonly onSubscribed?: (conn: UpstreamConnection) => void;
  /** Returns false when another socket of this account would exceed the account's cap. */
  readonly acquireSocket: (account: string) => boolean;
  readonly releaseSocket: (account: string) => void;
  readonly log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  /**
   * Records an 805 on `account` and returns how many came before it in the account's current
   * run (shared by the account's connections in this worker).
   */
  readonly tooManyStreak?: (account: string) => number;
  /** Random source for jitter (tests). */
  readonly random?: () => number;
  /** Clock and timers (tests inject a manual one); default the process's. */
  readonly scheduler?: Scheduler;
}

/** Reason a socket ended, decided while it lived. */
type EndReason = { kind: 'normal' } | { kind: 'too-many' } | { kind: 'auth'; text: string } | { kind: 'watchdog' };

/** HTTP statuses a WebSocket handshake can be refused with. */
function handshakeStatus(err: Error): number | null {
  const m = /Unexpected server response: (\d{3})/.exec(err.message);
  return m === null ? null : Number(m[1]);
}

/** One self-healing upstream connection. */
export class UpstreamConnection {
  readonly id: number;
  readonly account: string;
  readonly index: number;
  readonly tokens: number;

  private readonly deps: ConnectionDeps;
  private readonly backoff: Backoff;
  private ws: WebSocket | null = null;
  private holdsSocket = false;
  private state: ConnectionState = 'idle';
  private stopping = false;
  private started = false;
  private readonly sched: Scheduler;
  private timer: TimerHandle | null = null;
  private pingTimer: TimerHandle | null = null;
  private authPoll: TimerHandle | null = null;
  private endReason: EndReason = { kind: 'normal' };
  private tooManyStreak = 0;
  private stampAtConnect = '';
  /** Token the current socket was opened with (a non-file source changes when this does). */
  private tokenAtConnect = '';
  private everOpened = false;
  /** Transport error of the current socket, if any (kept for the close that follows). */
  private socketError: string | null = null;

  /** Server receive time of the last binary frame (wall clock). */
  private lastPacketAt = 0;
  private lastPongAt = 0;
  private openedAt = 0;
  private subscribedAt = 0;
  private packets = 0;
  private frames = 0;
  private bytes = 0;
  private reconnects = 0;
  private watchdogReconnects = 0;
  private lastError: string | null = null;
  private lastDisconnectReason: number | null = null;
  private authError: string | null = null;

  constructor(deps: ConnectionDeps) {
    this.deps = deps;
    this.sched = deps.scheduler ?? realScheduler;
    this.id = deps.id;
    this.account = deps.account;
    this.index = deps.index;
    this.tokens = deps.tokens;
    this.backoff = new Backoff({ baseMs: deps.timings.backoffBaseMs, maxMs: deps.timings.backoffMaxMs, random: deps.random });
  }

  /** Opens the first socket. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.connect();
  }

  /** Current status. */
  stats(): ConnectionStats {
    return {
      id: this.id,
      account: this.account,
      index: this.index,
      state: this.state,
      tokens: this.tokens,
      lastPacketAt: this.lastPacketAt === 0 ? null : this.lastPacketAt,
      packets: this.packets,
      frames: this.frames,
      bytes: this.bytes,
      reconnects: this.reconnects,
      watchdogReconnects: this.watchdogReconnects,
      subscribeMessages: this.deps.subscribeMessages.length,
      lastError: this.lastError,
      lastDisconnectReason: this.lastDisconnectReason,
      authError: this.authError,
      openedAt: this.state === 'open' ? this.openedAt : null,
      subscribedAt: this.state === 'open' ? this.subscribedAt : null,
    };
  }

  /** The state alone. */
  get currentState(): ConnectionState {
    return this.state;
  }

  /** Unix ms when the current socket's subscription was sent, 0 when not subscribed. */
  get subscribedAtMs(): number {
    return this.state === 'open' ? this.subscribedAt : 0;
  }

  /**
   * A code-50 packet arrived on this connection (called by the worker from the decoder's
   * callback, synchronously inside `decode`). Dhan closes the socket after it; we close too.
   */
  disconnectPacket(reason: number): void {
    this.lastDisconnectReason = reason;
    const text = `${reason} ${disconnectReasonText(reason)}`;
    this.lastError = `disconnect ${text}`;
    if (reason === 805) this.endReason = { kind: 'too-many' };
    else if (isCredentialFailure(reason)) this.endReason = { kind: 'auth', text };
    this.deps.log(reason === 805 || isCredentialFailure(reason) ? 'error' : 'warn', `feed connection ${this.label()}: Dhan disconnect ${text}`, { reason });
    this.ws?.close(1000);
  }

  /**
   * Periodic check (the worker calls it about once a second): client pings are on their own
   * timer; this enforces the silence limit and resets the backoff once the socket proved stable.
   */
  tick(nowMs = this.sched.now()): void {
    if (this.state !== 'open' || this.ws === null) return;
    const t = this.deps.timings;
    if (nowMs - this.openedAt >= t.stableMs && this.lastPacketAt >= this.openedAt) {
      this.backoff.reset();
      this.tooManyStreak = 0;
    }
    const lastSign = Math.max(this.lastPacketAt, this.lastPongAt, this.openedAt);
    const limit = this.deps.clock.isSessionOpen(nowMs + this.deps.clock.offsetMs) ? t.watchdogMs : t.outsideHoursWatchdogMs;
    if (nowMs - lastSign > limit) {
      this.watchdogReconnects++;
      this.lastError = `watchdog: no packet and no pong for ${Math.round((nowMs - lastSign) / 1000)} s`;
      this.deps.log('warn', `feed connection ${this.label()}: ${this.lastError}; reconnecting`);
      this.endReason = { kind: 'watchdog' };
      // terminate, not close: a silent peer would not answer a close handshake either.
      this.ws.terminate();
    }
  }

  /** Closes the socket cleanly (Dhan disconnect request, close frame) and stops healing. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.clearTimers();
    const ws = this.ws;
    if (ws === null || ws.readyState === WebSocket.CLOSED) {
      this.state = 'stopped';
      return;
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.sched.clearTimeout(kill);
        resolve();
      };
      const kill = this.sched.setTimeout(() => {
        ws.terminate();
      }, this.deps.timings.closeTimeoutMs);
      ws.once('close', done);
      if (ws.readyState === WebSocket.OPEN) {
        try {
          ws.send(buildDisconnectMessage());
        } catch {
          // closing anyway
        }
        ws.close(1000, 'client stop');
      } else {
        ws.terminate();
      }
    });
    this.state = 'stopped';
  }

  private label(): string {
    return `${this.account}#${this.index}`;
  }

  private clearTimers(): void {
    if (this.timer !== null) this.sched.clearTimeout(this.timer);
    if (this.pingTimer !== null) this.sched.clearInterval(this.pingTimer);
    if (this.authPoll !== null) this.sched.clearInterval(this.authPoll);
    this.timer = this.pingTimer = this.authPoll = null;
  }

  private async connect(): Promise<void> {
    if (this.stopping) return;
    this.clearTimers();
    this.state = 'connecting';
    this.endReason = { kind: 'normal' };
    const source = this.deps.accounts;
    let account: FeedAccount | undefined;
    try {
      // Stamp before reading: a change that lands after the read still looks like a change.
      this.stampAtConnect = source.kind === 'file' ? await filesStamp(await accountsFiles(source.path)) : '';
      const accounts = await loadAccounts(source);
      account = accounts.find((a) => a.clientId === this.account);
    } catch (err) {
      // A half-written file during a token rollover is transient: retry on the normal backoff.
      this.lastError = `accounts: ${(err as Error).message}`;
      this.deps.log('error', `feed connection ${this.label()}: ${this.lastError}`);
      this.scheduleReconnect(this.backoff.next());
      return;
    }
    if (this.stopping) return;
    if (account === undefined) {
      this.enterAuthError(`client id ${this.account} is no longer in the accounts file`);
      return;
    }
    this.tokenAtConnect = account.accessToken;
    if (!this.deps.acquireSocket(this.account)) {
      this.lastError = `account ${this.account} already has its 5 sockets open; waiting`;
      this.scheduleReconnect(this.backoff.next());
      return;
    }
    this.holdsSocket = true;
    const url = feedUrlFor(this.deps.feedUrl, account);
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, {
        perMessageDeflate: false,
        handshakeTimeout: this.deps.timings.connectTimeoutMs,
        skipUTF8Validation: true,
        maxPayload: 16 * 1024 * 1024,
      });
    } catch (err) {
      this.releaseSocket();
      this.lastError = redactFeedUrl((err as Error).message);
      this.scheduleReconnect(this.backoff.next());
      return;
    }
    ws.binaryType = 'nodebuffer';
    this.ws = ws;
    this.socketError = null;
    ws.on('open', () => this.onOpen(ws));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      const now = this.sched.now();
      this.lastPacketAt = now;
      this.frames++;
      this.bytes += data.length;
      this.packets += this.deps.decode(this, data, now);
    });
    ws.on('pong', () => {
      this.lastPongAt = this.sched.now();
    });
    ws.on('error', (err: Error) => this.onSocketError(err));
    ws.on('close', (code: number) => this.onClose(ws, code));
  }

  private onOpen(ws: WebSocket): void {
    if (this.ws !== ws) return;
    if (this.stopping) {
      ws.close(1000, 'client stop');
      return;
    }
    this.state = 'open';
    this.authError = null;
    this.openedAt = this.sched.now();
    this.lastPongAt = 0;
    if (this.everOpened) this.reconnects++;
    this.everOpened = true;
    // The whole shard, once per socket: this socket instance is the only one that sends it.
    for (const msg of this.deps.subscribeMessages) ws.send(msg);
    this.subscribedAt = this.sched.now();
    this.deps.log('info', `feed connection ${this.label()} open, subscribed ${this.tokens} tokens in ${this.deps.subscribeMessages.length} messages`);
    this.deps.onSubscribed?.(this);
    this.pingTimer = this.sched.setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) ws.ping();
    }, this.deps.timings.pingMs);
  }

  private onSocketError(err: Error): void {
    const status = handshakeStatus(err);
    if (status === 401 || status === 403) this.endReason = { kind: 'auth', text: `handshake refused with HTTP ${status}` };
    else if (status === 429) this.endReason = { kind: 'too-many' };
    this.socketError = redactFeedUrl(err.message);
    this.lastError = this.socketError;
  }

  private releaseSocket(): void {
    if (this.holdsSocket) {
      this.holdsSocket = false;
      this.deps.releaseSocket(this.account);
    }
  }

  private onClose(ws: WebSocket, code: number): void {
    if (this.ws !== ws) return;
    this.ws = null;
    this.releaseSocket();
    if (this.pingTimer !== null) this.sched.clearInterval(this.pingTimer);
    this.pingTimer = null;
    if (this.stopping) {
      this.state = 'stopped';
      return;
    }
    const reason = this.endReason;
    if (reason.kind === 'normal') this.lastError = this.socketError ?? `closed by server (code ${code})`;
    switch (reason.kind) {
      case 'auth':
        this.enterAuthError(reason.text);
        return;
      case 'too-many': {
        // Another holder of this client id (or a socket Dhan still counts) took a slot. Our
        // reconnect will kick the account's oldest socket in turn (docs/dhan-protocol.md §2.3), so the wait grows
        // with the ACCOUNT's run of 805s, not this connection's: a foreign holder then costs
        // a slowing trickle of reconnects (1×, 2×, 4×, 8×), never a storm.
        const streak = Math.max(this.tooManyStreak++, this.deps.tooManyStreak?.(this.account) ?? 0);
        const factor = 2 ** Math.min(streak, 3);
        const d = this.deps.timings.tooManyBackoffMs * factor;
        const random = this.deps.random ?? Math.random;
        this.scheduleReconnect(Math.round(d * (0.75 + random() * 0.5)));
        return;
      }
      case 'watchdog':
        // The socket was dead, not refused: come back quickly (first backoff step).
        this.scheduleReconnect(this.backoff.next());
        return;
      default:
        this.scheduleReconnect(this.backoff.next());
    }
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.stopping) return;
    this.state = 'backoff';
    this.timer = this.sched.setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, delayMs);
  }

  /** True when the simulator now holds another token for this client id (unreachable = no). */
  private async simTokenChanged(source: AccountsSource): Promise<boolean> {
    try {
      const now = (await loadAccounts(source)).find((a) => a.clientId === this.account);
      return now !== undefined && now.accessToken !== this.tokenAtConnect;
    } catch {
      return false;
    }
  }

  private enterAuthError(text: string): void {
    this.state = 'auth-error';
    this.authError = text;
    this.lastError = `auth: ${text}`;
    this.deps.log('error', `feed connection ${this.label()}: credentials refused (${text}); waiting for a new token in the accounts file`);
    const started = this.sched.now();
    const source = this.deps.accounts;
    const t = this.deps.timings;
    let busy = false;
    this.authPoll = this.sched.setInterval(() => {
      if (busy || this.stopping) return;
      busy = true;
      void (async () => {
        try {
          let changed = false;
          if (source.kind === 'file') changed = (await filesStamp(await accountsFiles(source.path))) !== this.stampAtConnect;
          else if (source.kind === 'sim') changed = await this.simTokenChanged(source);
          if (this.stopping || this.state !== 'auth-error') return;
          if (changed || this.sched.now() - started >= t.authRetryMs) {
            this.deps.log('info', `feed connection ${this.label()}: ${changed ? 'accounts file changed' : 'auth retry interval passed'}; reconnecting`);
            void this.connect();
          }
        } finally {
          busy = false;
        }
      })();
    }, t.accountsPollMs);
  }
}
