/**
 * The shared price table: a SharedArrayBuffer with one fixed slot per skeleton token, written
 * by exactly one feed worker per slot under a seqlock and read consistently by any thread
 * (docs/engineering.md §2.2). This is the only module that calls `Atomics`.
 *
 * Writer protocol: `beginWrite(slot)` (version becomes odd), plain Float64 stores into
 * `f64[slot * SLOT_WORDS + F.X]`, `endWrite(slot)` (version becomes even), then
 * `bumpGeneration(chain)` for every chain the slot belongs to.
 *
 * Reader protocol: {@link PriceTable.readSlot} copies the fields into scratch memory and
 * accepts the copy only when the version was even and unchanged across the copy.
 *
 * Wake protocol: a feed writer calls {@link PriceTable.publishTicks} once per decoded frame
 * that published anything; a consumer (the analytics worker) sleeps in
 * {@link PriceTable.waitForTicks} until the count moves. The waiter announces itself before it
 * sleeps and the writer counts before it looks for waiters; `Atomics` operations are
 * sequentially consistent, so either the writer sees the waiter (and notifies) or the waiter's
 * `Atomics.wait` sees the new count (and does not sleep): no wake-up is lost.
 *
 * @module
 */
import { OptchainError, ErrorCodes } from '../errors.js';
import { F, FIELD_COUNT, SLOT_BYTES, SLOT_WORDS, WAKE, WAKE_WORDS, tableBytes, wakeOffset } from './layout.js';

/** Retries before a reader gives up on a slot whose writer keeps rewriting it or was descheduled mid-write (~20k spins ≈ 0.2–1 ms). */
const READ_RETRY_LIMIT = 20_000;

/** The transferable description of a table: hand it to a worker through `workerData`. */
export interface PriceTableHandle {
  readonly sab: SharedArrayBuffer;
  readonly slots: number;
  readonly chains: number;
}

/** A view over a shared price table. Create once per thread; views are cheap to keep. */
export class PriceTable {
  readonly sab: SharedArrayBuffer;
  readonly slots: number;
  readonly chains: number;
  /** Float64 view of the slots: fields at `slot * SLOT_WORDS + F.X`. Writers store here directly. */
  readonly f64: Float64Array;
  private readonly i32: Int32Array;
  private readonly gen: Int32Array;
  private readonly wake: Int32Array;
  /** Reads that needed at least one retry (contention statistics). */
  retries = 0;
  /** Reads that gave up after the retry limit (should stay 0). */
  failedReads = 0;

  private constructor(handle: PriceTableHandle) {
    const need = tableBytes(handle.slots, handle.chains);
    if (handle.sab.byteLength < need) {
      throw new OptchainError(ErrorCodes.PRICE_TABLE_LAYOUT, `price table buffer holds ${handle.sab.byteLength} bytes, needs ${need}`);
    }
    this.sab = handle.sab;
    this.slots = handle.slots;
    this.chains = handle.chains;
    this.f64 = new Float64Array(handle.sab, 0, handle.slots * SLOT_WORDS);
    this.i32 = new Int32Array(handle.sab, 0, handle.slots * SLOT_WORDS * 2);
    this.gen = new Int32Array(handle.sab, handle.slots * SLOT_BYTES, handle.chains);
    this.wake = new Int32Array(handle.sab, wakeOffset(handle.slots, handle.chains), WAKE_WORDS);
  }

  /** Allocates a new table with every field NaN (never delivered) and every version 0. */
  static allocate(slots: number, chains: number): PriceTable {
    const sab = new SharedArrayBuffer(tableBytes(slots, chains));
    const table = new PriceTable({ sab, slots, chains });
    table.f64.fill(Number.NaN);
    for (let s = 0; s < slots; s++) {
      table.f64[s * SLOT_WORDS] = 0;
    }
    return table;
  }

  /** Attaches to a table allocated by another thread. */
  static attach(handle: PriceTableHandle): PriceTable {
    return new PriceTable(handle);
  }

  /** What to send to a worker. */
  handle(): PriceTableHandle {
    return { sab: this.sab, slots: this.slots, chains: this.chains };
  }

  /** Writer: marks the slot as being written (version odd). Single writer per slot. */
  beginWrite(slot: number): void {
    Atomics.add(this.i32, slot * (SLOT_WORDS * 2), 1);
  }

  /** Writer: publishes the slot (version even). */
  endWrite(slot: number): void {
    Atomics.add(this.i32, slot * (SLOT_WORDS * 2), 1);
  }

  /**
   * Recovery after a writer thread died (feed worker crash or `terminate()`): a writer stopped
   * between beginWrite and endWrite leaves the version odd, and every later reader would spin
   * to the retry limit on it while the next writer's beginWrite made it even mid-write —
   * inverting the protocol for good. Call only when the slot has no live writer (the dead
   * worker's slots, before its replacement starts). Returns true when the slot was repaired
   * (its fields may mix two ticks until the next tick overwrites them).
   */
  repairAbandonedWrite(slot: number): boolean {
    const vi = slot * (SLOT_WORDS * 2);
    if ((Atomics.load(this.i32, vi) & 1) === 0) return false;
    Atomics.add(this.i32, vi, 1);
    return true;
  }

  /** Writer: a slot of this chain changed. */
  bumpGeneration(chain: number): void {
    Atomics.add(this.gen, chain, 1);
  }

  /** Current generation of a chain (monotonic until Int32 wrap, which takes 2^31 ticks). */
  generation(chain: number): number {
    return Atomics.load(this.gen, chain);
  }

  /**
   * Writer: a decoded frame published at least one slot (call after its last `bumpGeneration`).
   * One atomic add and one atomic load per frame; the notify (a futex syscall) only while a
   * consumer sleeps in {@link waitForTicks}.
   */
  publishTicks(): void {
    Atomics.add(this.wake, WAKE.TICKS, 1);
    if (Atomics.load(this.wake, WAKE.WAITERS) !== 0) Atomics.notify(this.wake, WAKE.TICKS);
  }

  /** Frames published so far (wraps at 2^32: compare for equality only). */
  ticksPublished(): number {
    return Atomics.load(this.wake, WAKE.TICKS);
  }

  /**
   * Blocks the calling thread until the published-frame count differs from `seen` (a value of
   * {@link ticksPublished}), {@link wakeTickWaiters} is called, or `timeoutMs` passes; returns
   * the count then. Returns at once when the count already moved. Blocks the thread's event
   * loop: call it only on a worker thread, in bounded slices, so its messages still run.
   */
  waitForTicks(seen: number, timeoutMs: number): number {
    Atomics.add(this.wake, WAKE.WAITERS, 1);
    try {
      Atomics.wait(this.wake, WAKE.TICKS, seen, timeoutMs > 0 ? timeoutMs : 0);
    } finally {
      Atomics.sub(this.wake, WAKE.WAITERS, 1);
    }
    return Atomics.load(this.wake, WAKE.TICKS);
  }

  /**
   * Wakes every thread asleep in {@link waitForTicks} without publishing anything (its count is
   * unchanged): a supervisor calls it after posting `stop`, so the worker returns to its event
   * loop and reads the message now rather than at the end of its slice.
   */
  wakeTickWaiters(): void {
    Atomics.notify(this.wake, WAKE.TICKS);
  }

  /** Current seqlock version of a slot (even = stable). Number of writes × 2. */
  version(slot: number): number {
    return Atomics.load(this.i32, slot * (SLOT_WORDS * 2));
  }

  /**
   * Copies the slot's first `count` fields (all FIELD_COUNT by default) into
   * `out[offset .. offset + count)` in word order (ltp first, see FIELD_NAMES). Returns true
   * for a consistent copy; false only when a writer kept the slot busy past the retry limit
   * (the copy is then the last attempt's).
   */
  readSlot(slot: number, out: Float64Array, offset = 0, count = FIELD_COUNT): boolean {
    const f64 = this.f64;
    const vi = slot * (SLOT_WORDS * 2);
    const base = slot * SLOT_WORDS + 1;
    for (let tries = 0; tries < READ_RETRY_LIMIT; tries++) {
      const v1 = Atomics.load(this.i32, vi);
      if ((v1 & 1) === 0) {
        for (let i = 0; i < count; i++) out[offset + i] = f64[base + i]!;
        if (Atomics.load(this.i32, vi) === v1) {
          if (tries > 0) this.retries++;
          return true;
        }
      }
    }
    this.failedReads++;
    return false;
  }

  /** Reads one field consistently (a single aligned Float64 needs no seqlock on x86-64, but we keep the protocol). */
  readField(slot: number, field: number): number {
    const vi = slot * (SLOT_WORDS * 2);
    const idx = slot * SLOT_WORDS + field;
    for (let tries = 0; tries < READ_RETRY_LIMIT; tries++) {
      const v1 = Atomics.load(this.i32, vi);
      const value = this.f64[idx]!;
      if ((v1 & 1) === 0 && Atomics.load(this.i32, vi) === v1) return value;
    }
    this.failedReads++;
    return this.f64[idx]!;
  }

  /**
   * Blocks the calling thread until the slot's version is even and differs from `seen`, or
   * `timeoutMs` passes; returns the version last read. Sleeps in `Atomics.wait` slices of
   * `sliceMs` instead of spinning: writers never `notify` (a notify per packet would tax the
   * feed's hot path), so this is a sleeping poll whose resolution is the slice plus the
   * kernel's wake-up. For latency probes and tools on their own worker thread: it blocks, so
   * never call it on a thread that serves requests (bench/feed-e2e.bench.mjs).
   */
  waitForVersionChange(slot: number, seen: number, timeoutMs: number, sliceMs = 0.05): number {
    const vi = slot * (SLOT_WORDS * 2);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const v = Atomics.load(this.i32, vi);
      if (v !== seen && (v & 1) === 0) return v;
      const left = deadline - performance.now();
      if (left <= 0) return v;
      Atomics.wait(this.i32, vi, v, Math.min(sliceMs, left));
    }
  }
}

/**
 * The seqlock and generation-counter primitives of the analytics table
 * (src/price-table/analytics-table.ts), kept here so this stays the one module that calls
 * `Atomics`. Same protocol as a price slot: the version is the low Int32 of a Float64 word,
 * odd while its single writer stores, even once published; a reader copies and accepts the
 * copy only when the version was even and unchanged across it. Word indices are Float64
 * indices of the version word.
 */
export const Seqlock = Object.freeze({
  /** Writer: version odd. */
  begin(i32: Int32Array, word: number): void {
    Atomics.add(i32, word * 2, 1);
  },
  /** Writer: version even (published). */
  end(i32: Int32Array, word: number): void {
    Atomics.add(i32, word * 2, 1);
  },
  /** The version now (even = stable). */
  version(i32: Int32Array, word: number): number {
    return Atomics.load(i32, word * 2);
  },
  /** After the writer thread died: an odd version made even (see {@link PriceTable.repairAbandonedWrite}); true when repaired. */
  repair(i32: Int32Array, word: number): boolean {
    if ((Atomics.load(i32, word * 2) & 1) === 0) return false;
    Atomics.add(i32, word * 2, 1);
    return true;
  },
  /**
   * Copies `f64[from .. from + count)` into `out[offset ..]` consistently under the version at
   * `word`; returns the even version the copy belongs to, or -1 when a writer kept it busy
   * past the retry limit (the copy is then the last attempt's).
   */
  read(i32: Int32Array, f64: Float64Array, word: number, from: number, count: number, out: Float64Array, offset: number): number {
    const vi = word * 2;
    for (let tries = 0; tries < READ_RETRY_LIMIT; tries++) {
      const v1 = Atomics.load(i32, vi);
      if ((v1 & 1) === 0) {
        for (let i = 0; i < count; i++) out[offset + i] = f64[from + i]!;
        if (Atomics.load(i32, vi) === v1) return v1;
      }
    }
    return -1;
  },
  /** Adds one to a generation counter. */
  bump(counters: Int32Array, index: number): void {
    Atomics.add(counters, index, 1);
  },
  /** A generation counter's value. */
  load(counters: Int32Array, index: number): number {
    return Atomics.load(counters, index);
  },
});

export { F, FIELD_COUNT, SLOT_WORDS };
