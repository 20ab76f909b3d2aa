/**
 * Reads a uWS request body with a size limit. uWS hands each chunk as an ArrayBuffer that it
 * neuters when the callback returns, so every chunk is copied (docs/engineering.md §1.3 rule 5:
 * `Buffer.from(arrayBuffer)` alone would be a view that ends up empty).
 *
 * @module
 */
import type { UwsResponse } from './uws.js';

/**
 * Calls `onBody` with the whole body, or `onTooLarge` as soon as more than `limit` bytes
 * arrived (later chunks are ignored). The caller must have registered `onAborted`.
 */
export function readBody(res: UwsResponse, limit: number, onBody: (body: Buffer) => void, onTooLarge: () => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  res.onData((chunk: ArrayBuffer, isLast: boolean) => {
    if (finished) return;
    size += chunk.byteLength;
    if (size > limit) {
      finished = true;
      onTooLarge();
      return;
    }
    if (chunk.byteLength > 0) chunks.push(Buffer.from(chunk.slice(0)));
    if (isLast) {
      finished = true;
      onBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    }
  });
}
