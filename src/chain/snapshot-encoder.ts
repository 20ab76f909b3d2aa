/**
 * Many chains in one FlatBuffers message (`GET /v1/snapshot`, docs/contract.md §5): a `Snapshot`
 * root finished with file identifier "OSNP" (schemas/chain.fbs explains the two-root
 * convention). Built with one reused Builder, which keeps its grown capacity across builds,
 * so the whole universe (~700 chains, ~33k contracts, ~3.5 MB) costs no reallocation after
 * the first build.
 *
 * @module
 */
import * as flatbuffers from 'flatbuffers';
import type { Chain } from '../skeleton/types.js';
import { Snapshot as FbSnapshot } from './fbs/chain_generated.js';
import { FlatbuffersChainWriter } from './flatbuffers-chain-writer.js';
import type { Market } from './market.js';

/** File identifier of a snapshot buffer (a chain buffer carries "OCHN"). */
export const SNAPSHOT_FILE_IDENTIFIER = 'OSNP';

/** Snapshot encoder; one instance per thread. */
export class SnapshotEncoder {
  private readonly builder: flatbuffers.Builder;
  private readonly writer = new FlatbuffersChainWriter();
  private readonly offsets: flatbuffers.Offset[] = [];

  constructor(initialBytes = 1 << 20) {
    this.builder = new flatbuffers.Builder(initialBytes);
  }

  /**
   * Encodes `chains` (each labelled with its own current generation) and returns a view of
   * the builder's bytes, valid until the next call: copy it (`slice()`) to keep it.
   */
  encode(market: Market, chains: readonly Chain[], servedAt: number): Uint8Array {
    const b = this.builder;
    b.clear();
    this.writer.begin();
    const offsets = this.offsets;
    offsets.length = 0;
    for (const chain of chains) {
      offsets.push(this.writer.writeChain(b, market, chain, market.generation(chain.index), servedAt));
    }
    const chainsVector = FbSnapshot.createChainsVector(b, offsets);
    const tradingDate = b.createString(market.skeleton.tradingDate);
    b.finish(FbSnapshot.createSnapshot(b, tradingDate, servedAt, chainsVector), SNAPSHOT_FILE_IDENTIFIER);
    return b.asUint8Array();
  }
}
