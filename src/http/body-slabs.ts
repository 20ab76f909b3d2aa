/**
 * Reusable memory for the copies the node:http backend makes of answer bodies (node-transport.ts
 * copies every body it queues, because the chain cache rewrites a cached body in place). A fresh
 * `Buffer` per answer cost more than the rest of the answer: a 100 KB chain body copied into new
 * memory took ~70 CPU-µs per request (zeroed allocation, external-memory GC), measured with
 * bench/bench-target.mjs under wrk (bench/RESULTS.md "HTTP backends"). A slab is taken for one
 * answer and given back once node:http has handed the answer to the kernel (`'finish'`); an
 * answer whose connection dies first simply leaves its slab to the garbage collector.
 *
 * @module
 */

/** Smallest pooled slab: below it `Buffer.from` takes node's own 8 KiB pool, which is cheap. */
const MIN_SLAB = 8 * 1024;
/** Largest pooled slab; bigger bodies are copied into fresh memory (they are rare: snapshots). */
const MAX_SLAB = 512 * 1024;
/** Free slabs kept per size: enough for every connection of a busy server to have one in flight. */
const KEEP_PER_SIZE = 64;

/** Pools of slabs by power-of-two size. One per backend instance. */
export class BodySlabs {
  private readonly free = new Map<number, Buffer[]>();

  /**
   * A copy of `body` in memory that stays unchanged until {@link release}: a view of a slab
   * (`slab` to give back, null when the copy is not pooled).
   */
  copy(body: Uint8Array): { bytes: Buffer; slab: Buffer | null } {
    const n = body.byteLength;
    if (n < MIN_SLAB || n > MAX_SLAB) return { bytes: Buffer.from(body), slab: null };
    const size = 2 ** Math.ceil(Math.log2(n));
    const slab = this.free.get(size)?.pop() ?? Buffer.allocUnsafeSlow(size);
    slab.set(body);
    return { bytes: slab.subarray(0, n), slab };
  }

  /** Gives a slab back once nothing reads it any more. */
  release(slab: Buffer): void {
    let list = this.free.get(slab.byteLength);
    if (list === undefined) {
      list = [];
      this.free.set(slab.byteLength, list);
    }
    if (list.length < KEEP_PER_SIZE) list.push(slab);
  }
}
