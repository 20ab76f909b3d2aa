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

if (!isMainThread && parentPort !== null && (workerData as Partial<TornReadWriterData> | null)?.role === 'torn-read-writer') {
  run(workerData as TornReadWriterData);
}
