/**
 * A price-table writer that exists only for the seqlock stress test
 * (`test/price-table-seqlock.test.ts`): run as a worker thread, it rewrites
 * every field of a range of slots, as fast as it can, with the pattern `x, x+0.25, x+0.5, …`
 * (field i = x + 0.25·i, one x per write), which lets a reader on another thread tell a
 * consistent copy from a torn one by looking at the copy alone (docs/engineering.md §2.6).
 *
 * It writes through {@link PriceTable.beginWrite}/{@link PriceTable.endWrite} like the feed
 * does. Start it with {@link buildTestEntry}`('torn-read-writer')` (a worker must be
 * JavaScript; the build makes it import the compiled `dist/` price table) and pass
 * {@link TornReadWriterData} as `workerData`. It posts `{ type: 'ready' }` before its first
 * write and `{ type: 'done', writes, rounds }` when its time is up, then exits.
 *
 * @module
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { AnalyticsTable, type AnalyticsTableHandle } from '../../src/price-table/analytics-table.js';
import { PriceTable, type PriceTableHandle } from '../../src/price-table/price-table.js';
import { FIELD_COUNT, SLOT_WORDS } from '../../src/price-table/layout.js';

/** `workerData` of the writer. */
export interface TornReadWriterData {
  readonly role: 'torn-read-writer';
  readonly handle: PriceTableHandle;
  readonly firstSlot: number;
  readonly slotCount: number;
  /** How long to keep writing, measured from the worker's start. */
  readonly durationMs: number;
}

/** `workerData` of the analytics-table writer: every chain block rewritten with the pattern. */
export interface AnalyticsTornReadWriterData {
  readonly role: 'analytics-torn-read-writer';
  readonly handle: AnalyticsTableHandle;
  readonly durationMs: number;
}

/** Messages the writer posts. */
export type TornReadWriterMessage = { readonly type: 'ready' } | { readonly type: 'done'; readonly writes: number; readonly rounds: number };

/**
 * One round: every slot in `[firstSlot, firstSlot + slotCount)` gets fields `x + 0.25·i`
 * (i = 0 … FIELD_COUNT−1), each slot under its own seqlock write.
 */
export function writePatternRound(table: PriceTable, firstSlot: number, slotCount: number, x: number): void {
  const f = table.f64;
  const end = firstSlot + slotCount;
  for (let s = firstSlot; s < end; s++) {
    const w = s * SLOT_WORDS + 1;
    table.beginWrite(s);
    for (let i = 0; i < FIELD_COUNT; i++) f[w + i] = x + 0.25 * i;
    table.endWrite(s);
  }
}

/**
 * One round over the analytics table: every chain published through
 * {@link AnalyticsTable.writeChain} with words `x + 0.25·i` (i = 0 … copyWords−1).
 */
export function writeAnalyticsPatternRound(table: AnalyticsTable, scratch: Float64Array, x: number): void {
  for (let c = 0; c < table.chains; c++) {
    const n = table.copyWords(c);
    for (let i = 0; i < n; i++) scratch[i] = x + 0.25 * i;
    table.writeChain(c, scratch);
  }
}

/** True when `out[0 … n)` is one write of the pattern, or the table's initial state of a never-written block. */
export function isConsistentBlock(out: Float64Array, n: number): boolean {
  const x = out[0]!;
  if (Number.isNaN(x)) return true; // never written: the initial values are not a pattern (codes 0, NaN)
  for (let i = 1; i < n; i++) if (out[i] !== x + 0.25 * i) return false;
  return true;
}

/**
 * True when a FIELD_COUNT-long copy (`out[offset …]`) comes from one write of the pattern, or is
 * the never-written state (all NaN).
 */
export function isConsistentPattern(out: Float64Array, offset = 0): boolean {
  const x = out[offset]!;
  if (Number.isNaN(x)) {
    for (let i = 1; i < FIELD_COUNT; i++) if (!Number.isNaN(out[offset + i]!)) return false;
    return true;
  }
  for (let i = 1; i < FIELD_COUNT; i++) if (out[offset + i] !== x + 0.25 * i) return false;
  return true;
}

function run(data: TornReadWriterData): void {
  const table = PriceTable.attach(data.handle);
  const deadline = Date.now() + data.durationMs;
  parentPort!.postMessage({ type: 'ready' } satisfies TornReadWriterMessage);
  let rounds = 0;
  // Checking the clock every 64 rounds keeps Date.now out of the measured work.
  while (true) {
    writePatternRound(table, data.firstSlot, data.slotCount, rounds);
    rounds++;
    if ((rounds & 63) === 0 && Date.now() >= deadline) break;
  }
  parentPort!.postMessage({ type: 'done', writes: rounds * data.slotCount, rounds } satisfies TornReadWriterMessage);
}

function runAnalytics(data: AnalyticsTornReadWriterData): void {
  const table = AnalyticsTable.attach(data.handle);
  const scratch = new Float64Array(table.copyWords(0) + 2 * table.maxRows * 8);
  const deadline = Date.now() + data.durationMs;
  parentPort!.postMessage({ type: 'ready' } satisfies TornReadWriterMessage);
  let rounds = 0;
  while (true) {
    writeAnalyticsPatternRound(table, scratch, rounds);
    rounds++;
    if ((rounds & 15) === 0 && Date.now() >= deadline) break;
  }
  parentPort!.postMessage({ type: 'done', writes: rounds * table.chains, rounds } satisfies TornReadWriterMessage);
}

const role = (workerData as { role?: string } | null)?.role;
if (!isMainThread && parentPort !== null && role === 'torn-read-writer') {
  run(workerData as TornReadWriterData);
} else if (!isMainThread && parentPort !== null && role === 'analytics-torn-read-writer') {
  runAnalytics(workerData as AnalyticsTornReadWriterData);
}
