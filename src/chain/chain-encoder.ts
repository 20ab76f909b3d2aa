/**
 * The `ChainEncoder` contract shared by the JSON and FlatBuffers encoders (docs/engineering.md
 * §5.4: one interface, one shared test suite, test/chain-encoder.case.ts).
 *
 * An encoder walks a chain's skeleton rows in order and copies each slot consistently with
 * {@link PriceTable.readSlot} into one reused scratch array, so a leg is never torn; legs of
 * one chain may come from different instants (each slot is its own seqlock).
 *
 * @module
 */
import type { Chain } from '../skeleton/types.js';
import type { Market } from './market.js';

/** Wire formats of a chain. */
export type ChainFormat = 'json' | 'flatbuffers';

/** Content type of each format (docs/contract.md §5). */
export const CONTENT_TYPES: Readonly<Record<ChainFormat, string>> = Object.freeze({
  json: 'application/json; charset=utf-8',
  flatbuffers: 'application/x-flatbuffers',
});

/** One encoded chain body, owned by the caller (safe to cache). */
export interface EncodedChain {
  readonly format: ChainFormat;
  /** The complete response body. Its servedAt may be rewritten in place by {@link ChainEncoder.patchServedAt}. */
  readonly bytes: Uint8Array;
  /** The chain generation the body was labelled with. */
  readonly generation: number;
  /** The servedAt currently written in `bytes`. */
  servedAt: number;
  /** Byte offset of the servedAt value inside `bytes` (format-specific encoding). */
  readonly servedAtOffset: number;
}

/** Serializes one chain of a market. */
export interface ChainEncoder {
  readonly format: ChainFormat;
  readonly contentType: string;
  /**
   * Builds the body of `chain` labelled with `generation` and `servedAt` (Unix ms). The
   * caller reads the generation before calling, so a tick during the build can only make the
   * data newer than the label, never older.
   *
   * `reuse`: the bytes of an earlier result the caller no longer needs; the body is written
   * into its memory when it fits. Measured: with a large live heap (the skeleton), a fresh
   * 100 KB body per build costs more than the build itself, in page faults on newly
   * allocated memory (bench/chain-build.bench.mjs, "fresh" vs "reused" rows).
   */
  encode(market: Market, chain: Chain, generation: number, servedAt: number, reuse?: Uint8Array): EncodedChain;
  /**
   * Rewrites servedAt inside an encoded body without re-encoding (a cached body served again).
   * Returns false when it cannot (then the caller re-encodes).
   */
  patchServedAt(encoded: EncodedChain, servedAt: number): boolean;
}

/**
 * Copies `src` into `reuse`'s memory when it fits, else into a new buffer with ~12% headroom
 * (bodies grow and shrink by a few digits as prices move, so the next build fits).
 */
export function copyInto(src: Uint8Array, reuse: Uint8Array | undefined): Uint8Array {
  const n = src.byteLength;
  if (reuse !== undefined && reuse.buffer.byteLength - reuse.byteOffset >= n) {
    const dst = new Uint8Array(reuse.buffer, reuse.byteOffset, n);
    dst.set(src);
    return dst;
  }
  const dst = new Uint8Array(new ArrayBuffer(n + (n >> 3) + 64), 0, n);
  dst.set(src);
  return dst;
}
