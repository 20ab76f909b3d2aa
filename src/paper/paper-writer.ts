/**
 * The HTTP thread's handle on the paper writer thread ({@link ./paper-writer-worker.ts}): posts
 * a write and resolves when it is committed and fsynced, so the HTTP thread never waits on
 * the disk (issue 15 item 2) while an acknowledged order is still on disk before its 2xx.
 *
 * A writer that dies (an exception, or terminated) fails every write it had not answered with
 * 503 `PAPER_STORE_UNAVAILABLE` — such a write may or may not have committed, and a replay of
 * the same `clientOrderId` tells which — and the next write starts a new writer.
 *
 * @module
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { ErrorCodes, HttpError, OptchainError } from '../errors.js';
import { distUrl } from '../util/dist-path.js';
import type { PaperWriterData, WriterReply, WriterRequest } from './paper-writer-worker.js';
import type { PaperWrite, PaperWriter, PaperWriteResult } from './paper-writes.js';

/** Counters, for /metrics. */
export interface PaperWriterStats {
  /** Writes committed. */
  readonly writes: number;
  /** Transactions (fsyncs) that carried them. */
  readonly commits: number;
  readonly failures: number;
  /** Writer threads started (1 + restarts). */
  readonly starts: number;
  /** Writes handed to the thread and not yet answered (decided orders not yet on disk). */
  readonly pending: number;
}

interface Waiter {
  resolve(v: PaperWriteResult): void;
  reject(e: Error): void;
}

/** The writer thread of one data dir. */
export class PaperWriterThread implements PaperWriter {
  private readonly data: PaperWriterData;
  private readonly logger: Logger | undefined;
  private worker: Worker | null = null;
  private exited: Promise<void> | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private closed = false;
  private readonly counters = { writes: 0, commits: 0, failures: 0, starts: 0 };
  /** Batch sizes seen since the last commit was counted (replies of one batch arrive together). */
  private batchLeft = 0;

  constructor(opts: { dataDir: string; refusalsKept: number; logger?: Logger }) {
    this.data = { dataDir: opts.dataDir, refusalsKept: opts.refusalsKept };
    this.logger = opts.logger;
  }

  stats(): PaperWriterStats {
    return { ...this.counters, pending: this.waiting.size };
  }

  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const w = new Worker(distUrl('./paper-writer-worker.js', import.meta.url), { workerData: this.data });
    this.counters.starts++;
    w.on('message', (r: WriterReply) => this.onReply(r));
    w.on('error', (err) => this.logger?.error({ err }, 'paper writer thread failed'));
    this.exited = new Promise((resolve) => {
      w.once('exit', (code) => {
        if (this.worker === w) this.worker = null;
        if (this.waiting.size > 0) {
          this.logger?.error({ code, unanswered: this.waiting.size }, 'paper writer thread exited with writes unanswered');
          const err = new HttpError(ErrorCodes.PAPER_STORE_UNAVAILABLE, 'the paper database writer stopped before answering; retry with the same clientOrderId to learn whether it was applied');
          for (const waiter of this.waiting.values()) waiter.reject(err);
          this.waiting.clear();
        }
        resolve();
      });
    });
    // Idle, the writer must not keep the process alive; with writes waiting it is ref'd (see write()).
    w.unref();
    this.worker = w;
    return w;
  }

  private onReply(r: WriterReply): void {
    if (this.batchLeft === 0) {
      this.batchLeft = r.batch;
      this.counters.commits++;
    }
    this.batchLeft--;
    const waiter = this.waiting.get(r.id);
    if (waiter === undefined) return;
    this.waiting.delete(r.id);
    if (this.waiting.size === 0) this.worker?.unref();
    if (r.ok) {
      this.counters.writes++;
      waiter.resolve(r.value);
    } else {
      this.counters.failures++;
      waiter.reject(new OptchainError(ErrorCodes.INTERNAL, `paper database write failed: ${r.message}`, r.sqliteCode ? { sqliteCode: r.sqliteCode } : undefined));
    }
  }

  write(write: PaperWrite): Promise<PaperWriteResult> {
    if (this.closed) return Promise.reject(new HttpError(ErrorCodes.PAPER_STORE_UNAVAILABLE, 'the paper database is closed'));
    const w = this.start();
    const id = this.nextId++;
    w.ref();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ id, write } satisfies WriterRequest);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const w = this.worker;
    if (w === null) return;
    w.ref();
    w.postMessage({ id: this.nextId++, close: true } satisfies WriterRequest);
    await this.exited;
  }

  /** Test hook: kills the writer thread as a crash would. */
  async terminateForTest(): Promise<void> {
    await this.worker?.terminate();
    await this.exited;
  }
}
