/**
 * Snapshot bodies without starving the server (issue 15 item 1): the assembled message
 * equals the Builder-made one, bodies are cached per (symbol set, generation vector) and
 * rebuilt only when a chain moved, concurrent requests share one build, the number waiting
 * is bounded, and HEAD (peek) builds nothing. Bounded in count; no timing asserts.
 */
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ChainCache } from '../src/chain/chain-cache.js';
import { FlatbuffersChainEncoder } from '../src/chain/flatbuffers-chain-encoder.js';
import { JsonChainEncoder } from '../src/chain/json-chain-encoder.js';
import { Market } from '../src/chain/market.js';
import { assembleSnapshot, SnapshotWriter } from '../src/chain/snapshot-assembler.js';
import { SnapshotCache } from '../src/chain/snapshot-cache.js';
import { SnapshotEncoder } from '../src/chain/snapshot-encoder.js';
import { decodeSnapshot } from '../src/client/decode.js';
import { ErrorCodes, HttpError } from '../src/errors.js';
import { fillRandom } from './chain-encoder.case.js';
import { fullQuote, tableFor, tinySkeleton, writeTick } from './helpers/tiny-skeleton.js';

const T0 = 1786000000000;

function setup(options: ConstructorParameters<typeof SnapshotCache>[1] = {}) {
  const s = tinySkeleton();
  const market = new Market(s, tableFor(s));
  fillRandom(market, 7);
  let clock = T0;
  const now = () => clock;
  const chainCache = new ChainCache(market, { json: new JsonChainEncoder(), flatbuffers: new FlatbuffersChainEncoder() }, { now });
  const counts = { builds: 0, chainsBuilt: 0, hits: 0, shared: 0, refused: 0, compressed: 0 };
  const cache = new SnapshotCache(chainCache, {
    now,
    observer: {
      build: (_s, n) => {
        counts.builds++;
        counts.chainsBuilt += n;
      },
      hit: () => counts.hits++,
      shared: () => counts.shared++,
      refused: () => counts.refused++,
      compressed: () => counts.compressed++,
    },
    rebuildFactor: 0,
    ...options,
  });
  return { s, market, cache, counts, tick: (ms = 1) => (clock += ms), now };
}

/** The reference: SnapshotEncoder (Builder-made) at the same generations and servedAt. */
function reference(market: Market, servedAt: number, chains = market.skeleton.chains) {
  return decodeSnapshot(new SnapshotEncoder(1024).encode(market, chains, servedAt).slice());
}

describe('assembleSnapshot', () => {
  it('copies finished chain buffers into a message the generated reader decodes like the Builder-made one', () => {
    const s = tinySkeleton();
    const market = new Market(s, tableFor(s));
    fillRandom(market, 3);
    const fb = new FlatbuffersChainEncoder();
    for (const subset of [s.chains, [s.chains[2]!], [] as typeof s.chains]) {
      const bytes = assembleSnapshot(s.tradingDate, T0 + 5, subset.map((c) => fb.encode(market, c, market.table.generation(c.index), T0 + 5).bytes.slice()));
      expect(decodeSnapshot(bytes)).toEqual(reference(market, T0 + 5, subset));
    }
  });

  it('writes into reused memory full of an older message, and grows when a chain does not fit', () => {
    const s = tinySkeleton();
    const market = new Market(s, tableFor(s));
    fillRandom(market, 4);
    const fb = new FlatbuffersChainEncoder();
    const bodies = s.chains.map((c) => fb.encode(market, c, market.table.generation(c.index), T0 + 9).bytes.slice());
    const exact = assembleSnapshot(s.tradingDate, T0 + 9, bodies);
    // dirty memory: 0xA5 everywhere, as a pooled buffer holding another message would be
    const dirty = new Uint8Array(exact.byteLength + 64).fill(0xa5);
    const w = new SnapshotWriter(s.tradingDate, bodies.length, dirty);
    for (const b of bodies) w.append(b);
    const reused = w.finish(T0 + 9);
    expect(w.grown).toBe(0);
    expect(reused.buffer).toBe(dirty.buffer);
    expect(reused).toEqual(exact);
    expect(decodeSnapshot(reused)).toEqual(reference(market, T0 + 9));
    const small = new SnapshotWriter(s.tradingDate, bodies.length, new Uint8Array(200).fill(0xa5));
    for (const b of bodies) small.append(b);
    const grown = small.finish(T0 + 9);
    expect(small.grown).toBeGreaterThan(0);
    expect(grown).toEqual(exact);
  });
});

describe('SnapshotCache', () => {
  it('serves one cached body per (set, generation vector) and rebuilds after a tick', async () => {
    const { s, market, cache, counts, tick } = setup();
    const a = await cache.get('*', s.chains, 'identity');
    expect(decodeSnapshot(a.bytes)).toEqual(reference(market, T0));
    tick(100);
    const b = await cache.get('*', s.chains, 'identity');
    expect(b).toBe(a); // same body, servedAt of its build
    expect(counts).toMatchObject({ builds: 1, hits: 1 });
    expect(cache.etag('*', s.chains, 'identity')).toBe(a.etag);

    writeTick(market.table, s, s.chains[1]!.rows[0]!.ce!.slot, fullQuote(123.45, T0 + 50));
    const c = await cache.get('*', s.chains, 'identity');
    expect(c).not.toBe(a);
    expect(c.etag).not.toBe(a.etag);
    expect(decodeSnapshot(c.bytes)).toEqual(reference(market, T0 + 100));
    expect(decodeSnapshot(c.bytes).chains[1]!.rows[0]!.ce!.ltp).toBe(123.45);
    expect(counts.builds).toBe(2);
  });

  it('keeps sets apart and in the order asked', async () => {
    const { s, market, cache } = setup();
    const some = [s.chains[3]!, s.chains[0]!];
    const one = await cache.get('B,A', some, 'identity');
    const all = await cache.get('*', s.chains, 'identity');
    expect(decodeSnapshot(one.bytes)).toEqual(reference(market, T0, some));
    expect(decodeSnapshot(all.bytes).chains.length).toBe(s.chains.length);
    expect(one.etag).not.toBe(all.etag);
  });

  it('re-encodes only the chains that moved (the others are copied from the chain cache)', async () => {
    const s = tinySkeleton();
    const market = new Market(s, tableFor(s));
    fillRandom(market, 9);
    const fb = new FlatbuffersChainEncoder();
    let encodes = 0;
    const counting = { ...fb, format: fb.format, contentType: fb.contentType, encode: (...a: Parameters<typeof fb.encode>) => (encodes++, fb.encode(...a)), patchServedAt: fb.patchServedAt.bind(fb) };
    const chainCache = new ChainCache(market, { json: new JsonChainEncoder(), flatbuffers: counting }, { now: () => T0 });
    const cache = new SnapshotCache(chainCache, { now: () => T0, rebuildFactor: 0 });
    await cache.get('*', s.chains, 'identity');
    expect(encodes).toBe(s.chains.length);
    writeTick(market.table, s, s.chains[0]!.rows[0]!.ce!.slot, fullQuote(99, T0));
    const after = await cache.get('*', s.chains, 'identity');
    expect(encodes).toBe(s.chains.length + 1);
    expect(decodeSnapshot(after.bytes)).toEqual(reference(market, T0));
  });

  it('yields between chains: a tick landing mid-build is in the chains taken after it, and the next request rebuilds', async () => {
    const { s, market, cache, counts } = setup({ sliceMs: 0 });
    const last = s.chains[s.chains.length - 1]!;
    const pending = cache.get('*', s.chains, 'identity');
    // sliceMs 0: the build yields after every chain, so this runs while it is in progress
    await new Promise<void>((resolve) => setImmediate(resolve));
    writeTick(market.table, s, last.rows[0]!.ce!.slot, fullQuote(321.5, T0));
    const a = await pending;
    const got = decodeSnapshot(a.bytes);
    expect(got.chains[s.chains.length - 1]!.rows[0]!.ce!.ltp).toBe(321.5);
    expect(got).toEqual(reference(market, T0));
    expect(cache.etag('*', s.chains, 'identity')).toBe(a.etag);
    writeTick(market.table, s, s.chains[0]!.rows[0]!.ce!.slot, fullQuote(11, T0));
    expect(await cache.get('*', s.chains, 'identity')).not.toBe(a);
    expect(counts.builds).toBe(2);
  });

  it('lets concurrent requests share one build and refuses past the waiting bound', async () => {
    const { s, cache, counts } = setup({ maxWaiting: 3, sliceMs: 0 });
    const first = [cache.get('*', s.chains, 'identity'), cache.get('*', s.chains, 'identity'), cache.get('*', s.chains, 'identity')];
    await expect(cache.get('*', s.chains, 'identity')).rejects.toSatisfy((e: unknown) => e instanceof HttpError && e.code === ErrorCodes.SNAPSHOT_BUSY && e.status === 503);
    const bodies = await Promise.all(first);
    expect(new Set(bodies).size).toBe(1);
    expect(counts).toMatchObject({ builds: 1, shared: 2, refused: 1 });
    expect(cache.waitingRequests).toBe(0);
    // the refused client's retry is served
    expect(await cache.get('*', s.chains, 'identity')).toBe(bodies[0]);
  });

  it('runs one build at a time across sets', async () => {
    const { s, cache, counts } = setup({ sliceMs: 0 });
    let overlapping = 0;
    let running = 0;
    const sets = [[s.chains[0]!], [s.chains[1]!], [s.chains[2]!, s.chains[3]!]];
    const original = (cache as unknown as { build: (...a: unknown[]) => Promise<unknown> }).build.bind(cache);
    (cache as unknown as { build: (...a: unknown[]) => Promise<unknown> }).build = async (...a: unknown[]) => {
      running++;
      overlapping = Math.max(overlapping, running);
      try {
        return await original(...a);
      } finally {
        running--;
      }
    };
    await Promise.all(sets.map((c, i) => cache.get(`k${i}`, c, 'identity')));
    expect(overlapping).toBe(1);
    expect(counts.builds).toBe(3);
  });

  it('compresses a cached body once per coding; the copy decodes to the same message', async () => {
    const { s, cache, counts } = setup();
    const plain = await cache.get('*', s.chains, 'identity');
    const [g1, g2] = await Promise.all([cache.get('*', s.chains, 'gzip'), cache.get('*', s.chains, 'gzip')]);
    const br = await cache.get('*', s.chains, 'br');
    expect(g1).toBe(g2);
    expect(counts.compressed).toBe(2);
    expect(new Uint8Array(gunzipSync(g1.bytes))).toEqual(plain.bytes);
    expect(new Uint8Array(brotliDecompressSync(br.bytes))).toEqual(plain.bytes);
    expect(new Set([plain.etag, g1.etag, br.etag]).size).toBe(3);
    expect(cache.etag('*', s.chains, 'gzip')).toBe(g1.etag);
    expect(cache.peek('*', s.chains, 'br')).toEqual({ etag: br.etag, length: br.bytes.byteLength });
  });

  it('peek (HEAD) builds nothing and knows the length only of a cached current body', async () => {
    const { s, market, cache, counts } = setup();
    const before = cache.peek('*', s.chains, 'identity');
    expect(before.length).toBeNull();
    expect(counts.builds).toBe(0);
    const body = await cache.get('*', s.chains, 'identity');
    expect(cache.peek('*', s.chains, 'identity')).toEqual({ etag: body.etag, length: body.bytes.byteLength });
    expect(before.etag).toBe(body.etag);
    writeTick(market.table, s, s.chains[0]!.rows[0]!.pe!.slot, fullQuote(7, T0));
    const moved = cache.peek('*', s.chains, 'identity');
    expect(moved.length).toBeNull();
    expect(moved.etag).not.toBe(body.etag);
    expect(counts.builds).toBe(1);
  });

  it('paces rebuilds: within the window the last body (and its tag) is served, after it a current one', async () => {
    const { s, market, cache, counts } = setup({ rebuildFactor: 1e9 });
    const a = await cache.get('*', s.chains, 'identity');
    writeTick(market.table, s, s.chains[0]!.rows[0]!.ce!.slot, fullQuote(5, T0));
    expect(cache.etag('*', s.chains, 'identity')).toBe(a.etag);
    expect(await cache.get('*', s.chains, 'identity')).toBe(a);
    expect(counts.builds).toBe(1);
    const { cache: eager, market: m2, s: s2 } = setup({ rebuildFactor: 0 });
    const b = await eager.get('*', s2.chains, 'identity');
    writeTick(m2.table, s2, s2.chains[0]!.rows[0]!.ce!.slot, fullQuote(5, T0));
    expect(eager.etag('*', s2.chains, 'identity')).not.toBe(b.etag);
    expect(await eager.get('*', s2.chains, 'identity')).not.toBe(b);
  });
});
