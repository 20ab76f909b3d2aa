/**
 * The shared analytics table (layout: analytics-layout.ts): one block per chain with the
 * chain's forward, ATM and OI figures and every leg's IV and Greeks, a seqlock per block and a
 * generation counter per chain. The analytics worker is its single writer; encoders on any
 * thread read a chain with {@link AnalyticsTable.readChain}. Every `Atomics` call goes through
 * {@link Seqlock} in price-table.ts (the one module that calls `Atomics`).
 *
 * @module
 */
import { ErrorCodes, OptchainError } from '../errors.js';
import { AC, AL, CHAIN_FIELDS, CHAIN_HEAD_WORDS, LEG_WORDS, blockWords } from './analytics-layout.js';
import { Seqlock } from './price-table.js';

/** The transferable description of an analytics table (for `workerData`). */
export interface AnalyticsTableHandle {
  readonly sab: SharedArrayBuffer;
  /** Strike rows per chain, in chain index order (the skeleton's). */
  readonly rows: Int32Array;
}

/** A view over a shared analytics table; one per thread. */
export class AnalyticsTable {
  readonly sab: SharedArrayBuffer;
  readonly chains: number;
  /** Float64 view over every block (writers and the torn-read test use it directly). */
  readonly f64: Float64Array;
  /** Rows per chain. */
  readonly rows: Int32Array;
  /** Largest row count of any chain (sizes a reader's copy: {@link copyWords}). */
  readonly maxRows: number;
  /** Reads that gave up after the retry limit (should stay 0). */
  failedReads = 0;
  private readonly i32: Int32Array;
  private readonly gen: Int32Array;
  /** Start word of each chain's block. */
  private readonly start: Float64Array;

  private constructor(handle: AnalyticsTableHandle) {
    const chains = handle.rows.length;
    const start = new Float64Array(chains);
    let words = 0;
    let maxRows = 0;
    for (let c = 0; c < chains; c++) {
      const r = handle.rows[c]!;
      if (!(r >= 0)) throw new OptchainError(ErrorCodes.PRICE_TABLE_LAYOUT, `analytics table: chain ${c} has ${r} rows`);
      start[c] = words;
      words += blockWords(r);
      if (r > maxRows) maxRows = r;
    }
    const need = analyticsTableBytes(handle.rows);
    if (handle.sab.byteLength < need) {
      throw new OptchainError(ErrorCodes.PRICE_TABLE_LAYOUT, `analytics table buffer holds ${handle.sab.byteLength} bytes, needs ${need}`);
    }
    this.sab = handle.sab;
    this.chains = chains;
    this.rows = handle.rows;
    this.maxRows = maxRows;
    this.start = start;
    this.f64 = new Float64Array(handle.sab, 0, words);
    this.i32 = new Int32Array(handle.sab, 0, words * 2);
    this.gen = new Int32Array(handle.sab, words * 8, chains);
  }

  /**
   * A new table for chains of `rows` strike rows each: every value NaN (unknown), every leg
   * code 0 (pending), forward source 0 (none), versions and generations 0.
   */
  static allocate(rows: ArrayLike<number>): AnalyticsTable {
    const copy = Int32Array.from(rows);
    const table = new AnalyticsTable({ sab: new SharedArrayBuffer(analyticsTableBytes(copy)), rows: copy });
    table.f64.fill(Number.NaN);
    for (let c = 0; c < table.chains; c++) {
      const b = table.blockStart(c);
      table.f64[b] = 0;
      table.f64[b + AC.FORWARD_SOURCE] = 0;
      const legs = 2 * copy[c]!;
      for (let i = 0; i < legs; i++) table.f64[b + CHAIN_HEAD_WORDS + i * LEG_WORDS + AL.CODE] = 0;
    }
    return table;
  }

  /** Attaches to a table allocated by another thread. */
  static attach(handle: AnalyticsTableHandle): AnalyticsTable {
    return new AnalyticsTable(handle);
  }

  /** What to send to a worker. */
  handle(): AnalyticsTableHandle {
    return { sab: this.sab, rows: this.rows };
  }

  /** Float64 index of chain `c`'s block (its version word). */
  blockStart(c: number): number {
    return this.start[c]!;
  }

  /** Words of a reader's copy of chain `c` (its block without the version word). */
  copyWords(c: number): number {
    return blockWords(this.rows[c]!) - 1;
  }

  /**
   * Writer: publishes chain `c` from `src` (a copy-shaped array: chain fields, then legs) under
   * the chain's seqlock, then bumps the chain's generation. Single writer.
   */
  writeChain(c: number, src: Float64Array): void {
    const b = this.start[c]!;
    const n = blockWords(this.rows[c]!) - 1;
    const f64 = this.f64;
    Seqlock.begin(this.i32, b);
    for (let i = 0; i < n; i++) f64[b + 1 + i] = src[i]!;
    Seqlock.end(this.i32, b);
    Seqlock.bump(this.gen, c);
  }

  /**
   * Copies chain `c` consistently into `out[0 .. copyWords(c))`: chain field `AC.X` at
   * `AC.X - 1`, leg i at {@link legOffset}(i). Returns the block's even version, or -1 when a
   * writer kept it busy past the retry limit (counted in {@link failedReads}).
   */
  readChain(c: number, out: Float64Array): number {
    const b = this.start[c]!;
    const v = Seqlock.read(this.i32, this.f64, b, b + 1, blockWords(this.rows[c]!) - 1, out, 0);
    if (v < 0) this.failedReads++;
    return v;
  }

  /** The seqlock version of chain `c`'s block (even = stable; writes × 2). */
  version(c: number): number {
    return Seqlock.version(this.i32, this.start[c]!);
  }

  /** Chain `c`'s analytics generation: how many times its block was published. */
  generation(c: number): number {
    return Seqlock.load(this.gen, c);
  }

  /**
   * After the writer thread died, before its replacement starts: makes every block left odd
   * (mid-write) even again. Returns how many were (their content may mix two computations
   * until the chain is next written, which the new worker does first: it recomputes all).
   */
  repairAbandonedWrites(): number {
    let repaired = 0;
    for (let c = 0; c < this.chains; c++) if (Seqlock.repair(this.i32, this.start[c]!)) repaired++;
    return repaired;
  }
}

/** Bytes of a table for chains of `rows` rows each (blocks, then Int32 generations rounded to 8). */
export function analyticsTableBytes(rows: ArrayLike<number>): number {
  let words = 0;
  for (let c = 0; c < rows.length; c++) words += blockWords(rows[c]!);
  return words * 8 + Math.ceil((rows.length * 4) / 8) * 8;
}

export { AC, AL, CHAIN_FIELDS, LEG_WORDS };
