/**
 * Chain → FlatBuffers (schemas/chain.fbs, root `Chain`, file identifier "OCHN"), served for
 * `Accept: application/x-flatbuffers` or `?format=fb` (docs/contract.md §5). One reused Builder per
 * encoder (docs/engineering.md §3.3); the finished bytes are copied out (into a reused buffer when
 * the caller offers one) so they can be cached.
 *
 * @module
 */
import * as flatbuffers from 'flatbuffers';
import type { Chain } from '../skeleton/types.js';
import { CONTENT_TYPES, copyInto, type ChainEncoder, type EncodedChain } from './chain-encoder.js';
import { Chain as FbChain } from './fbs/chain_generated.js';
import { FlatbuffersChainWriter, type FlatbuffersChainWriterOptions } from './flatbuffers-chain-writer.js';
import type { Market } from './market.js';

/** FlatBuffers chain encoder; one instance per thread. */
export class FlatbuffersChainEncoder implements ChainEncoder {
  readonly format = 'flatbuffers' as const;
  readonly contentType = CONTENT_TYPES.flatbuffers;
  private readonly builder: flatbuffers.Builder;
  private readonly writer: FlatbuffersChainWriter;

  constructor(options: FlatbuffersChainWriterOptions & { initialBytes?: number } = {}) {
    // A power of two keeps every 8-byte-aligned builder offset 8-aligned in memory (the bulk row path).
    this.builder = new flatbuffers.Builder(options.initialBytes ?? 64 * 1024);
    this.writer = new FlatbuffersChainWriter(options);
  }

  encode(market: Market, chain: Chain, generation: number, servedAt: number, reuse?: Uint8Array): EncodedChain {
    const b = this.builder;
    b.clear();
    this.writer.begin();
    FbChain.finishChainBuffer(b, this.writer.writeChain(b, market, chain, generation, servedAt));
    // Offset 0: the generated mutator locates served_at itself (see patchServedAt).
    return { format: 'flatbuffers', bytes: copyInto(b.asUint8Array(), reuse), generation, servedAt, servedAtOffset: 0 };
  }

  patchServedAt(encoded: EncodedChain, servedAt: number): boolean {
    // Absent only if servedAt was 0 (a default value is not stored); then re-encode.
    if (!FbChain.getRootAsChain(new flatbuffers.ByteBuffer(encoded.bytes)).mutate_served_at(servedAt)) return false;
    encoded.servedAt = servedAt;
    return true;
  }
}
