import { describe, expect, it } from 'vitest';
import { ChainCache, MAX_BUILD_ATTEMPTS } from '../src/chain/chain-cache.js';
import type { ChainEncoder, ChainFormat } from '../src/chain/chain-encoder.js';
import { FlatbuffersChainEncoder } from '../src/chain/flatbuffers-chain-encoder.js';
import { JsonChainEncoder } from '../src/chain/json-chain-encoder.js';
import { Market } from '../src/chain/market.js';
import { AnalyticsTable } from '../src/price-table/analytics-table.js';
import { decodeChainFlatbuffer, decodeChainJson } from '../src/client/decode.js';
import { tableFor, tinySkeleton, writeTick } from './helpers/tiny-skeleton.js';

function setup(wrap?: (e: ChainEncoder, m: Market) => ChainEncoder) {
  const s = tinySkeleton();
  const market = new Market(s, tableFor(s));
  let clock = 1786000000000;
  const counts = { hit: 0, miss: 0 };
  const json = new JsonChainEncoder();
  const fb = new FlatbuffersChainEncoder();
  const encoders: Record<ChainFormat, ChainEncoder> = { json: wrap ? wrap(json, market) : json, flatbuffers: fb };
  const cache = new ChainCache(market, encoders, { now: () => clock, observer: { hit: () => counts.hit++, miss: () => counts.miss++ } });
  return { s, market, cache, counts, tick: (ms = 1) => (clock += ms) };
}

describe('ChainCache', () => {
  it('serves cached bytes between ticks with servedAt moved to the serving time', () => {
    const { s, cache, counts, tick } = setup();
    const chain = s.chains[0]!;
    const a = cache.get(chain, 'json');
    const first = decodeChainJson(a.bytes);
    tick(250);
    const b = cache.get(chain, 'json');
    expect(b).toBe(a); // same entry, no rebuild
    expect(counts).toEqual({ hit: 1, miss: 1 });
    const second = decodeChainJson(b.bytes);
    expect(second.servedAt).toBe(first.servedAt + 250);
    expect({ ...second, servedAt: 0 }).toEqual({ ...first, servedAt: 0 });
  });

  it('rebuilds once after a tick, not once per request', () => {
    const { s, market, cache, counts } = setup();
    const chain = s.chains[0]!;
    const before = cache.get(chain, 'flatbuffers');
    writeTick(market.table, s, chain.rows[2]!.ce!.slot, { ltp: Math.fround(33.3) });
    const results = Array.from({ length: 20 }, () => cache.get(chain, 'flatbuffers'));
    expect(counts.miss).toBe(2);
    expect(counts.hit).toBe(19);
    const got = decodeChainFlatbuffer(results[19]!.bytes);
    expect(got.generation).toBe(before.generation + 1);
    expect(got.rows[2]!.ce!.ltp).toBe(33.3);
  });

  it('a spot tick moves every chain of the underlying', () => {
    const { s, market, cache } = setup();
    const nifty = s.underlyings[0]!;
    const gens = nifty.chains.map((c) => cache.get(c, 'json').generation);
    writeTick(market.table, s, nifty.spot!.slot, { ltp: Math.fround(24410.5), updatedAt: 1786000000001 });
    nifty.chains.forEach((c, i) => {
      const e = cache.get(c, 'json');
      expect(e.generation).toBe(gens[i]! + 1);
      expect(decodeChainJson(e.bytes).spot!.ltp).toBe(24410.5);
    });
    // another underlying's chain is untouched
    expect(cache.get(s.chains[2]!, 'json').generation).toBe(0);
  });

  it('rebuilds a body that a tick raced, so a cached body never mixes generations', () => {
    let raced = false;
    const { s, cache } = setup((inner, m) => ({
      format: inner.format,
      contentType: inner.contentType,
      patchServedAt: (e, t) => inner.patchServedAt(e, t),
      encode(market, chain, generation, servedAt) {
        const out = inner.encode(market, chain, generation, servedAt);
        if (!raced) {
          raced = true; // a feed write lands after the rows were read
          writeTick(m.table, m.skeleton, chain.rows[0]!.ce!.slot, { ltp: Math.fround(7.5) });
        }
        return out;
      },
    }));
    const chain = s.chains[0]!;
    const e = cache.get(chain, 'json');
    expect(e.generation).toBe(1);
    expect(decodeChainJson(e.bytes).rows[0]!.ce!.ltp).toBe(7.5);
    expect(cache.get(chain, 'json')).toBe(e);
  });

  it(`serves a chain that ticks during every build uncached after ${MAX_BUILD_ATTEMPTS} attempts`, () => {
    let builds = 0;
    const { s, cache, counts } = setup((inner, m) => ({
      format: inner.format,
      contentType: inner.contentType,
      patchServedAt: (e, t) => inner.patchServedAt(e, t),
      encode(market, chain, generation, servedAt) {
        builds++;
        const out = inner.encode(market, chain, generation, servedAt);
        writeTick(m.table, m.skeleton, chain.rows[0]!.ce!.slot, { ltp: builds });
        return out;
      },
    }));
    const chain = s.chains[0]!;
    cache.get(chain, 'json');
    expect(builds).toBe(MAX_BUILD_ATTEMPTS);
    cache.get(chain, 'json');
    expect(builds).toBe(2 * MAX_BUILD_ATTEMPTS); // nothing was cached
    expect(counts.hit).toBe(0);
  });
});

describe('ChainCache representations (ETag and compressed copies)', () => {
  it('tags a body by market, generation, format and coding, and keeps the tag until the generation moves', () => {
    const { s, market, cache, tick } = setup();
    const chain = s.chains[0]!;
    const j1 = cache.representations(chain, 'json');
    const f1 = cache.representations(chain, 'flatbuffers');
    tick(10);
    const j2 = cache.representations(chain, 'json');
    expect(j2).toBe(j1); // nothing allocated on a hit
    expect(j1.identity.etag).toMatch(/^W\/"[^"\s]+"$/);
    expect(new Set([j1.identity.etag, j1.etags.gzip, j1.etags.br, f1.identity.etag, f1.etags.gzip]).size).toBe(5);
    writeTick(market.table, s, chain.rows[0]!.ce!.slot, { ltp: 1 });
    expect(cache.representations(chain, 'json').identity.etag).not.toBe(j1.identity.etag);
    // another market (a rollover) never reuses a tag, even at the same generation
    const other = setup();
    expect(other.cache.representations(other.s.chains[0]!, 'json').identity.etag).not.toBe(setup().cache.representations(other.s.chains[0]!, 'json').identity.etag);
  });

  it('knows the current tags without building: the tags the body gets once built, moving with each tick', () => {
    const { s, market, cache, counts } = setup();
    const chain = s.chains[0]!;
    const before = cache.currentTags(chain, 'json');
    expect(counts).toEqual({ hit: 0, miss: 0 }); // nothing built for a conditional check
    const reps = cache.representations(chain, 'json');
    expect([before.identity, before.gzip, before.br]).toEqual([reps.identity.etag, reps.etags.gzip, reps.etags.br]);
    expect(before.generationText).toBe(String(reps.identity.generation));
    expect(cache.currentTags(chain, 'flatbuffers').identity).toBe(cache.representations(chain, 'flatbuffers').identity.etag);
    writeTick(market.table, s, chain.rows[0]!.ce!.slot, { ltp: Math.fround(12.5) });
    const misses = counts.miss;
    const after = cache.currentTags(chain, 'json');
    expect(counts.miss).toBe(misses);
    expect(after.identity).not.toBe(before.identity);
    expect(after.identity).toBe(cache.representations(chain, 'json').identity.etag);
  });

  it('current tags follow the analytics generation too: a published Greeks block moves the tag, never back onto an older body\'s', () => {
    const s = tinySkeleton();
    const analytics = AnalyticsTable.allocate(s.chains.map((c) => c.rows.length));
    const market = new Market(s, tableFor(s), undefined, analytics);
    const cache = new ChainCache(market, { json: new JsonChainEncoder(), flatbuffers: new FlatbuffersChainEncoder() }, { now: () => 1786000000000 });
    const chain = s.chains[0]!;
    const block = new Float64Array(analytics.copyWords(chain.index)).fill(Number.NaN);
    analytics.writeChain(chain.index, block);
    const served = cache.representations(chain, 'json').identity;
    expect(cache.currentTags(chain, 'json').identity).toBe(served.etag);
    expect(cache.currentTags(chain, 'json').generationText).toBe(String(served.generation));
    // a price tick and another analytics block: price generation + analytics generation
    // would collide with an older sum if the tag read only the price side
    writeTick(market.table, s, chain.rows[0]!.ce!.slot, { ltp: Math.fround(12.5) });
    analytics.writeChain(chain.index, block);
    const now = cache.currentTags(chain, 'json');
    expect(now.identity).not.toBe(served.etag);
    expect(now.identity).toBe(cache.representations(chain, 'json').identity.etag);
    expect(now.generation).toBe(market.generation(chain.index));
  });

  it('never writes a lent body again: the next patch and the next rebuild go to fresh memory, tags and compressed copies stay', () => {
    const { s, market, cache, tick } = setup();
    const chain = s.chains[0]!;
    const first = cache.representations(chain, 'json');
    const gz = cache.compressed(chain, 'json', first, 'gzip');
    const lent = first.identity.bytes;
    const frozen = Uint8Array.from(lent);
    first.retain();
    tick(5);
    const patched = cache.representations(chain, 'json');
    expect(patched.identity.bytes.buffer).not.toBe(lent.buffer);
    expect(lent).toEqual(frozen); // the lent memory still holds the body as it was sent
    expect(decodeChainJson(patched.identity.bytes).servedAt).toBe(decodeChainJson(lent).servedAt + 5);
    expect(patched.identity.etag).toBe(first.identity.etag);
    expect(cache.compressed(chain, 'json', patched, 'gzip')).toBe(gz); // not compressed again
    // not lent: patched in place from now on
    tick(5);
    expect(cache.representations(chain, 'json').identity.bytes.buffer).toBe(patched.identity.bytes.buffer);
    // a rebuild never reuses lent memory either
    const second = cache.representations(chain, 'json');
    const again = Uint8Array.from(second.identity.bytes);
    second.retain();
    writeTick(market.table, s, chain.rows[0]!.ce!.slot, { ltp: Math.fround(7.5) });
    const rebuilt = cache.representations(chain, 'json');
    expect(rebuilt.identity.bytes.buffer).not.toBe(second.identity.bytes.buffer);
    expect(second.identity.bytes).toEqual(again);
    expect(rebuilt.identity.generation).toBe(second.identity.generation + 1);
  });

  it('compresses once per (chain, format, generation, coding); the copy holds the body of that moment', async () => {
    const { gunzipSync, brotliDecompressSync } = await import('node:zlib');
    const compressions: string[] = [];
    const s = tinySkeleton();
    const market = new Market(s, tableFor(s));
    let clock = 1786000000000;
    const cache = new ChainCache(market, { json: new JsonChainEncoder(), flatbuffers: new FlatbuffersChainEncoder() }, {
      now: () => clock,
      observer: { hit: () => {}, miss: () => {}, compressed: (f, e) => compressions.push(`${f}:${e}`) },
    });
    const chain = s.chains[0]!;
    const r = cache.representations(chain, 'json');
    const plainThen = r.identity.bytes.slice();
    const gz = cache.compressed(chain, 'json', r, 'gzip');
    clock += 500;
    const r2 = cache.representations(chain, 'json');
    expect(cache.compressed(chain, 'json', r2, 'gzip')).toBe(gz);
    const br = cache.compressed(chain, 'json', r2, 'br');
    expect(compressions).toEqual(['json:gzip', 'json:br']);
    expect(gz.etag).toBe(r.etags.gzip);
    expect(new Uint8Array(gunzipSync(gz.bytes))).toEqual(plainThen);
    // the identity body moved its servedAt to now; the compressed copy keeps the one it was made with
    expect(decodeChainJson(r2.identity.bytes).servedAt).toBe(1786000000500);
    expect(decodeChainJson(gunzipSync(gz.bytes)).servedAt).toBe(1786000000000);
    expect(decodeChainJson(brotliDecompressSync(br.bytes)).servedAt).toBe(1786000000500);
    writeTick(market.table, s, chain.rows[0]!.ce!.slot, { ltp: 2 });
    const r3 = cache.representations(chain, 'json');
    const gz3 = cache.compressed(chain, 'json', r3, 'gzip');
    expect(gz3).not.toBe(gz);
    expect(decodeChainJson(gunzipSync(gz3.bytes)).generation).toBe(r3.identity.generation);
    expect(compressions.length).toBe(3);
  });
});
