/**
 * Compression of cached response bodies (JSON chains, snapshots): gzip and brotli with the
 * settings measured in bench/http-conditional.bench.mjs. Callers compress a body once per
 * cache key (chain, format, generation, coding; or snapshot key) and keep the result; nothing
 * here is ever called per request.
 *
 * - gzip at zlib's default level 6: the lowest level whose NIFTY chain body is ≤ 20 % of the
 *   plain one (level 4 measured 20.4 %, 6 measured 18.7 % on a 250-row chain);
 * - brotli at quality 4 with a size hint: smaller than gzip 6 (14 %) and faster to produce
 *   (1.6 ms vs 2.3 ms for 100 KB here); quality 11 would be 10 % but ~190 ms.
 *
 * Chain bodies (≤ ~100 KB) are compressed synchronously (~1–2 ms, once per generation);
 * snapshot bodies (up to ~3.5 MB, tens of ms) on libuv's thread pool, so the event loop
 * keeps serving chains meanwhile.
 *
 * @module
 */
import { brotliCompress, brotliCompressSync, constants, gzip, gzipSync, type BrotliOptions, type ZlibOptions } from 'node:zlib';

/** A content coding optchain produces. */
export type ContentEncoding = 'gzip' | 'br';

/** Every coding, in preference order. */
export const CONTENT_ENCODINGS: readonly ContentEncoding[] = ['br', 'gzip'];

/** zlib level for gzip bodies. */
export const GZIP_LEVEL = 6;
/** Brotli quality for br bodies. */
export const BROTLI_QUALITY = 4;

const GZIP: ZlibOptions = { level: GZIP_LEVEL };

function brotliOptions(size: number, textMode: boolean): BrotliOptions {
  return {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: size,
      [constants.BROTLI_PARAM_MODE]: textMode ? constants.BROTLI_MODE_TEXT : constants.BROTLI_MODE_GENERIC,
    },
  };
}

/** `bytes` in `encoding`, on this thread (chain-sized bodies). */
export function compressSync(bytes: Uint8Array, encoding: ContentEncoding, textMode = true): Uint8Array {
  return encoding === 'gzip' ? gzipSync(bytes, GZIP) : brotliCompressSync(bytes, brotliOptions(bytes.byteLength, textMode));
}

/** `bytes` in `encoding`, on libuv's thread pool (snapshot-sized bodies). `bytes` must not change until it settles. */
export function compressAsync(bytes: Uint8Array, encoding: ContentEncoding, textMode = false): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, out: Buffer) => (err ? reject(err) : resolve(out));
    if (encoding === 'gzip') gzip(bytes, GZIP, done);
    else brotliCompress(bytes, brotliOptions(bytes.byteLength, textMode), done);
  });
}
