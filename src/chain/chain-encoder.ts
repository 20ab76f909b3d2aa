/**
 * The `ChainEncoder` contract shared by the JSON and FlatBuffers encoders (engineering.md
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

/** Content type of each format (contract §5). */
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
   */
  encode(market: Market, chain: Chain, generation: number, servedAt: number): EncodedChain;
  /**
   * Rewrites servedAt inside an encoded body without re-encoding (a cached body served again).
   * Returns false when it cannot (then the caller re-encodes).
   */
  patchServedAt(encoded: EncodedChain, servedAt: number): boolean;
}
