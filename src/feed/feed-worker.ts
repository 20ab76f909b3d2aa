/**
 * Feed worker thread entry (spawned by FeedSupervisor from `dist/feed/feed-worker.js`). It
 * owns its share of the upstream Dhan sockets, decodes every frame with one FeedDecoder into
 * the shared price table — only this worker writes the slots of its connections, so each slot
 * has exactly one writer (docs/engineering.md §2.1) — and sends the main thread a statistics
 * message about once a second. No tick crosses the thread boundary.
 *
 * It also runs the first-packet check (docs/peers.md §3.4, ShoonyaApi-py #217: a feed can silently
 * drop subscriptions): once `firstPacketMs` has passed since max(session open, subscription),
 * every token of a connection that has not written its slot since that subscription is
 * reported (count, a few examples, a log line), and the report shrinks as late tokens arrive.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ErrorCodes, FeedError } from '../errors.js';
import { PriceTable } from '../price-table/price-table.js';
import { SESSION_OPEN_MIN, MarketClock } from '../time/market-clock.js';
import { istDate, istTime } from '../time/ist.js';
import { FeedDecoder } from './decoder.js';
import { subscribeMessagesFor, type PlannedInstrument } from './connection-plan.js';
import { UpstreamConnection } from './upstream-connection.js';
import type { DecoderSnapshot, FeedWorkerData, MainMessage, MissingTokens, WorkerMessage } from './worker-protocol.js';

/** How many missing tokens a stats message names. */
const MISSING_EXAMPLES = 5;

/** Per-connection first-packet bookkeeping. */
interface FirstPacketCheck {
  readonly conn: UpstreamConnection;
  readonly instruments: readonly PlannedInstrument[];
  /** Slot versions when the current subscription was sent. */
  baseline: Int32Array | null;
  /** Market-clock ms after which silence is reported. */
  deadline: number;
  checked: boolean;
  /** Indexes into `instruments` still without a packet after the deadline. */
  missing: number[];
}

function send(msg: WorkerMessage): void {
  parentPort?.postMessage(msg);
}

function run(data: FeedWorkerData): void {
  const epoch = data.epoch;
  const log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void => {
    send({ type: 'log', epoch, level, msg, ...(fields === undefined ? {} : { fields }) });
  };
  const table = PriceTable.attach(data.table);
  const clock = new MarketClock(data.clockOffsetMs);
  const t = data.timings;

  const mine = data.connections.flatMap((c) => c.instruments);
  // The connection whose frame is being decoded: the decoder's disconnect callback runs
  // synchronously inside decodeFrame, so this tells which socket a code-50 packet came on.
  let current: UpstreamConnection | null = null;
  const decoder = FeedDecoder.forTokens(table, mine, data.chainsOfSlot, {
    onDisconnect: (reason) => current?.disconnectPacket(reason),
  });
  const counters = decoder.counters;

  const decode = (conn: UpstreamConnection, frame: Buffer, receivedAtMs: number): number => {
    const before = counters.packets;
    current = conn;
    decoder.decodeFrame(frame, receivedAtMs);
    current = null;
    return counters.packets - before;
  };

  const sockets = new Map<string, number>();
  const plannedPerAccount = new Map<string, number>();
  for (const c of data.connections) plannedPerAccount.set(c.account, (plannedPerAccount.get(c.account) ?? 0) + 1);

  // 805 runs per account: a run ends when no 805 came for 16 × the base 805 delay (the
  // longest wait is 8×, so a quiet stretch twice that means the intruder is gone).
  const tooMany = new Map<string, { streak: number; at: number }>();
  const tooManyStreak = (account: string): number => {
    const now = Date.now();
    const prev = tooMany.get(account);
    const streak = prev !== undefined && now - prev.at < 16 * t.tooManyBackoffMs ? prev.streak + 1 : 0;
    tooMany.set(account, { streak, at: now });
    return streak;
  };

  const checks: FirstPacketCheck[] = [];
  const onSubscribed = (conn: UpstreamConnection): void => {
    const check = checks.find((k) => k.conn === conn);
    if (check === undefined) return;
    const base = new Int32Array(check.instruments.length);
    for (let i = 0; i < base.length; i++) base[i] = table.version(check.instruments[i]!.slot);
    check.baseline = base;
    const now = clock.now();
    const open = istTime(istDate(now), Math.floor(SESSION_OPEN_MIN / 60), SESSION_OPEN_MIN % 60);
    check.deadline = Math.max(now, open) + t.firstPacketMs;
    check.checked = false;
    check.missing = [];
  };

  const connections = data.connections.map((spec) => {
    const conn = new UpstreamConnection({
      id: spec.id,
      account: spec.account,
      index: spec.index,
      tokens: spec.instruments.length,
      subscribeMessages: subscribeMessagesFor(spec.instruments),
      accounts: data.accounts,
      feedUrl: data.feedUrl,
      clock,
      timings: t,
      decode,
      onSubscribed,
      tooManyStreak,
      acquireSocket: (account) => {
        const n = sockets.get(account) ?? 0;
        if (n >= Math.min(data.socketsPerAccount, plannedPerAccount.get(account) ?? 0)) return false;
        sockets.set(account, n + 1);
        return true;
      },
      releaseSocket: (account) => sockets.set(account, Math.max(0, (sockets.get(account) ?? 1) - 1)),
      log,
    });
    checks.push({ conn, instruments: spec.instruments, baseline: null, deadline: Number.POSITIVE_INFINITY, checked: false, missing: [] });
    return conn;
  });

  const runChecks = (): void => {
    const now = clock.now();
    for (const k of checks) {
      if (k.baseline === null || k.conn.subscribedAtMs === 0) continue;
      const base = k.baseline;
      if (!k.checked) {
        if (now < k.deadline || !clock.isSessionOpen(now)) continue;
        k.checked = true;
        for (let i = 0; i < k.instruments.length; i++) if (table.version(k.instruments[i]!.slot) === base[i]) k.missing.push(i);
        if (k.missing.length > 0) {
          const examples = k.missing.slice(0, MISSING_EXAMPLES).map((i) => `${k.instruments[i]!.segment}:${k.instruments[i]!.securityId}`);
          log('warn', `feed connection ${k.conn.account}#${k.conn.index}: ${k.missing.length} of ${k.instruments.length} subscribed tokens delivered no packet within ${Math.round(t.firstPacketMs / 1000)} s (e.g. ${examples.join(', ')})`, {
            missing: k.missing.length,
            examples,
          });
        }
      } else if (k.missing.length > 0) {
        k.missing = k.missing.filter((i) => table.version(k.instruments[i]!.slot) === base[i]);
      }
    }
  };

  const missingTokens = (): MissingTokens => {
    let count = 0;
    let checkedConnections = 0;
    const examples: string[] = [];
    for (const k of checks) {
      if (!k.checked || k.conn.subscribedAtMs === 0) continue;
      checkedConnections++;
      count += k.missing.length;
      for (const i of k.missing) {
        if (examples.length >= MISSING_EXAMPLES) break;
        examples.push(`${k.instruments[i]!.segment}:${k.instruments[i]!.securityId}`);
      }
    }
    return { checkedConnections, count, examples };
  };

  const decoderSnapshot = (): DecoderSnapshot => {
    const byCode: Record<string, number> = {};
    for (let code = 0; code < 256; code++) {
      const n = counters.byCode[code]!;
      if (n > 0) byCode[String(code)] = n;
    }
    return {
      frames: counters.frames,
      bytes: counters.bytes,
      packets: counters.packets,
      applied: counters.applied,
      byCode,
      marketStatus: counters.marketStatus,
      disconnects: counters.disconnects,
      keepAlives: counters.keepAlives,
      errors: {
        shortFrame: counters.shortFrame,
        badLength: counters.badLength,
        layoutMismatch: counters.layoutMismatch,
        unknownCode: counters.unknownCode,
        unknownToken: counters.unknownToken,
        badInput: counters.badInput,
        internalErrors: counters.internalErrors,
        callbackErrors: counters.callbackErrors,
      },
    };
  };

  const postStats = (): void => {
    send({
      type: 'stats',
      epoch,
      workerIndex: data.workerIndex,
      at: Date.now(),
      connections: connections.map((c) => c.stats()),
      decoder: decoderSnapshot(),
      missing: missingTokens(),
    });
  };

  const tickMs = Math.max(50, Math.min(1000, Math.floor(t.watchdogMs / 4)));
  const ticker = setInterval(() => {
    const now = Date.now();
    for (const c of connections) c.tick(now);
    runChecks();
  }, tickMs);
  const statsTimer = setInterval(postStats, t.statsMs);

  let stopping = false;
  parentPort?.on('message', (msg: MainMessage) => {
    if (msg.type === 'stats-now') {
      postStats();
      return;
    }
    if (msg.type === 'test-crash') {
      if (!data.testHooks) return;
      if (msg.how === 'exit') process.exit(3);
      throw new FeedError(ErrorCodes.FEED_TEST_CRASH, `feed worker ${data.workerIndex}: crash requested by a test hook`);
    }
    if (msg.type !== 'stop' || stopping) return;
    stopping = true;
    clearInterval(ticker);
    clearInterval(statsTimer);
    void Promise.allSettled(connections.map((c) => c.stop())).then(() => {
      postStats();
      send({ type: 'stopped', epoch });
      parentPort?.close();
    });
  });

  for (const c of connections) c.start();
  postStats();
}

if (parentPort !== null) run(workerData as FeedWorkerData);
