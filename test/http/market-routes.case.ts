/**
 * The market API (docs/contract.md §5) over real HTTP on 127.0.0.1, with the tiny skeleton and ticks
 * written into the price table from the test: 503 before a skeleton, underlyings, chains in
 * JSON and FlatBuffers, expiry/exchange selection, 400/404/405 shapes, HEAD, the cache, the
 * snapshot (streamed when large), /metrics, /health, a rollover.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { referenceChain } from '../chain-encoder.case.js';
import { fullQuote, makeSkeleton, tableFor, tinySkeleton, writeTick } from '../helpers/tiny-skeleton.js';
import { OptchainServer } from '../../src/http/optchain-server.js';
import { decodeChainFlatbuffer, decodeChainJson, decodeSnapshot } from '../../src/client/decode.js';
import { summarizeSkeleton } from '../../src/skeleton/summary.js';
import type { ChainJson, HealthReport } from '../../src/client/types.js';
import type { PriceTable } from '../../src/price-table/price-table.js';
import type { Skeleton } from '../../src/skeleton/types.js';
import { parseAnswers } from '../helpers/http-answers.js';
import type { BackendUnderTest } from './backends.js';

/** Registers the cases for backend `b`. */
export function marketRouteCases(b: BackendUnderTest): void {
  let server: OptchainServer;
  let base: string;
  let agent: Agent;
  let skeleton: Skeleton;
  let table: PriceTable;

  async function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
    const res = await request(`${base}${path}`, { method: method as 'GET', headers, dispatcher: agent });
    const bytes = new Uint8Array(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, bytes, text: () => new TextDecoder().decode(bytes), json: () => JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown> };
  }

  function expectError(r: Awaited<ReturnType<typeof get>>, status: number, code: string) {
    expect(r.status).toBe(status);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const body = r.json() as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(typeof body.error.message).toBe('string');
    expect(body.error.message.length).toBeGreaterThan(0);
  }

  const withoutServedAt = (c: ChainJson) => ({ ...c, servedAt: 0 });

  beforeAll(async () => {
    agent = new Agent({ connections: 4 });
    server = new OptchainServer({ mode: 'sim', backend: b.name });
    const port = await server.listen('127.0.0.1', 0);
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await server.close();
    await agent.close();
  });

  describe('before a skeleton is installed', () => {
    it('answers 503 NOT_READY on market routes and "starting" on /health', async () => {
      expectError(await get('/v1/chains/NIFTY'), 503, 'NOT_READY');
      expectError(await get('/v1/underlyings'), 503, 'NOT_READY');
      expectError(await get('/v1/snapshot'), 503, 'NOT_READY');
      const h = (await get('/health')).json() as unknown as HealthReport;
      expect(h.status).toBe('starting');
      expect(h.tradingDate).toBeNull();
    });
  });

  describe('with the tiny skeleton', () => {
    beforeAll(() => {
      skeleton = tinySkeleton();
      table = tableFor(skeleton);
      server.setMarket(skeleton, table);
    });

    it('GET /v1/underlyings is the docs/contract.md §2.1 summary', async () => {
      const r = await get('/v1/underlyings');
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.json()).toEqual(summarizeSkeleton(skeleton));
      // spelled out, in the key order of docs/contract.md §2.1
      expect(r.text()).toContain(JSON.stringify({
        symbol: 'NIFTY', exchange: 'NSE', kind: 'index', spot: { segment: 'IDX_I', securityId: 13 },
        expiries: [
          { expiry: '2026-08-18', tags: ['weekly'], strikes: 3, contracts: 6 },
          { expiry: '2026-08-25', tags: ['monthly'], strikes: 3, contracts: 4 },
        ],
      }));
      const body = r.json() as { underlyings: { symbol: string; exchange: string; spot: unknown }[]; totals: unknown };
      expect(body.underlyings.map((u) => `${u.exchange}:${u.symbol}`)).toEqual(['NSE:NIFTY', 'NSE:NOSPOT', 'NSE:RELIANCE', 'BSE:RELIANCE']);
      expect(body.underlyings[1]!.spot).toBeNull();
      expect(r.text()).toMatch(/"totals":\{"underlyings":4,"chains":6,"contracts":21,"spots":3\}\}$/);
    });

    it('GET /v1/chains/NIFTY serves the nearest expiry in the contract JSON', async () => {
      const c = skeleton.chains[0]!;
      writeTick(table, skeleton, c.rows[1]!.ce!.slot, fullQuote(152.3));
      const r = await get('/v1/chains/NIFTY');
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.headers['x-optchain-generation']).toBe(String(table.generation(c.index)));
      const got = decodeChainJson(r.bytes);
      expect(got.expiry).toBe('2026-08-18');
      expect(Math.abs(got.servedAt - Date.now())).toBeLessThan(60_000);
      expect(r.text()).toBe(JSON.stringify(referenceChain(server.market!, c, table.generation(c.index), got.servedAt)));
      expect(got.rows[1]!.ce!.ltp).toBe(152.3);
      expect((await get('/v1/chains/nifty')).status).toBe(200); // symbols are case-insensitive
    });

    it('selects expiry and exchange, 404s unknown ones', async () => {
      expect(decodeChainJson((await get('/v1/chains/NIFTY?expiry=2026-08-25')).bytes).expiry).toBe('2026-08-25');
      expect(decodeChainJson((await get('/v1/chains/RELIANCE')).bytes).exchange).toBe('NSE');
      const bse = decodeChainJson((await get('/v1/chains/RELIANCE?exchange=BSE')).bytes);
      expect([bse.exchange, bse.expiry]).toEqual(['BSE', '2026-08-27']);
      expect(decodeChainJson((await get('/v1/chains/RELIANCE?exchange=bse')).bytes).exchange).toBe('BSE');
      expectError(await get('/v1/chains/NIFTY?expiry=2026-08-19'), 404, 'UNKNOWN_EXPIRY');
      expectError(await get('/v1/chains/RELIANCE?exchange=BSE&expiry=2026-08-25'), 404, 'UNKNOWN_EXPIRY');
      expectError(await get('/v1/chains/NOPE'), 404, 'UNKNOWN_SYMBOL');
      expectError(await get('/v1/chains/NIFTY?exchange=BSE'), 404, 'UNKNOWN_SYMBOL');
      const mm = await get('/v1/chains/M%26M');
      expectError(mm, 404, 'UNKNOWN_SYMBOL');
      expect(mm.text()).toContain('M&M');
    });

    it('answers 400 BAD_REQUEST for malformed query input', async () => {
      expectError(await get('/v1/chains/NIFTY?expiry=tomorrow'), 400, 'BAD_REQUEST');
      expectError(await get('/v1/chains/NIFTY?expiry=2026-8-18'), 400, 'BAD_REQUEST');
      expectError(await get('/v1/chains/NIFTY?exchange=MCX'), 400, 'BAD_REQUEST');
      expectError(await get('/v1/chains/NIFTY?format=xml'), 400, 'BAD_REQUEST');
      expectError(await get('/v1/chains/NIFTY?expiry=%E0%A4%A'), 400, 'BAD_REQUEST');
      expectError(await get('/v1/chains/N%20IFTY'), 400, 'BAD_REQUEST');
      expectError(await get('/v1/snapshot?symbols=,'), 400, 'BAD_REQUEST');
      expectError(await get('/v1/snapshot?symbols=MCX:NIFTY'), 400, 'BAD_REQUEST');
    });

    it('answers 404 for unknown routes and 405 with Allow for a wrong method', async () => {
      expectError(await get('/v2/chains/NIFTY'), 404, 'NOT_FOUND');
      expectError(await get('/v1/chains/'), 404, 'NOT_FOUND');
      expectError(await get('/'), 404, 'NOT_FOUND');
      const post = await get('/v1/chains/NIFTY', { 'content-type': 'application/json' }, 'POST');
      expectError(post, 405, 'METHOD_NOT_ALLOWED');
      expect(post.headers.allow).toBe('GET, HEAD');
      const del = await get('/health', {}, 'DELETE');
      expectError(del, 405, 'METHOD_NOT_ALLOWED');
      expect(del.headers.allow).toBe('GET, HEAD');
    });

    it('answers HEAD like GET without a body, keeping the connection usable', async () => {
      const one = new Agent({ connections: 1, pipelining: 1 });
      try {
        const full = await request(`${base}/v1/chains/NIFTY`, { dispatcher: one });
        const length = (await full.body.arrayBuffer()).byteLength;
        for (const path of ['/v1/chains/NIFTY', '/health', '/v1/underlyings', '/metrics']) {
          const h = await request(`${base}${path}`, { method: 'HEAD', dispatcher: one });
          expect(h.statusCode, path).toBe(200);
          expect((await h.body.arrayBuffer()).byteLength).toBe(0);
          if (path === '/v1/chains/NIFTY') expect(Number(h.headers['content-length'])).toBe(length);
        }
        const missing = await request(`${base}/nope`, { method: 'HEAD', dispatcher: one });
        expect(missing.statusCode).toBe(404);
        await missing.body.arrayBuffer();
        const after = await request(`${base}/v1/chains/NIFTY`, { dispatcher: one });
        expect(decodeChainJson(new Uint8Array(await after.body.arrayBuffer())).symbol).toBe('NIFTY');
      } finally {
        await one.close();
      }
    });

    it('serves FlatBuffers for Accept: application/x-flatbuffers and ?format=fb, equal to the JSON', async () => {
      const json = decodeChainJson((await get('/v1/chains/NIFTY?expiry=2026-08-25')).bytes);
      const viaAccept = await get('/v1/chains/NIFTY?expiry=2026-08-25', { accept: 'application/x-flatbuffers' });
      expect(viaAccept.headers['content-type']).toBe('application/x-flatbuffers');
      const viaQuery = await get('/v1/chains/NIFTY?expiry=2026-08-25&format=fb');
      expect(viaQuery.headers['content-type']).toBe('application/x-flatbuffers');
      expect(withoutServedAt(decodeChainFlatbuffer(viaAccept.bytes))).toEqual(withoutServedAt(json));
      expect(withoutServedAt(decodeChainFlatbuffer(viaQuery.bytes))).toEqual(withoutServedAt(json));
      // an explicit ?format=json wins over Accept
      expect((await get('/v1/chains/NIFTY?format=json', { accept: 'application/x-flatbuffers' })).headers['content-type']).toMatch(/^application\/json/);
    });

    it('serves the cached body between ticks and rebuilds after a tick', async () => {
      const c = skeleton.chains[4]!; // RELIANCE NSE 2026-09-29
      const path = '/v1/chains/RELIANCE?expiry=2026-09-29';
      const metric = async (name: string) => {
        const text = (await get('/metrics')).text();
        const line = text.split('\n').find((l) => l.startsWith(`${name}{format="json"}`));
        return line ? Number(line.split(' ').pop()) : 0;
      };
      await get(path);
      const [hits0, misses0] = [await metric('optchain_chain_cache_hits_total'), await metric('optchain_chain_cache_misses_total')];
      const a = decodeChainJson((await get(path)).bytes);
      const b = decodeChainJson((await get(path)).bytes);
      expect(await metric('optchain_chain_cache_hits_total')).toBe(hits0 + 2);
      expect(await metric('optchain_chain_cache_misses_total')).toBe(misses0);
      expect(withoutServedAt(b)).toEqual(withoutServedAt(a));
      writeTick(table, skeleton, c.rows[0]!.pe!.slot, fullQuote(41.05));
      const after = decodeChainJson((await get(path)).bytes);
      expect(after.generation).toBe(a.generation + 1);
      expect(after.rows[0]!.pe!.ltp).toBe(41.05);
      expect(await metric('optchain_chain_cache_misses_total')).toBe(misses0 + 1);
    });

    it('pipelined chain answers each carry their own body, though every request rebuilds into the cache\'s memory', async () => {
      // A tick before every cache read (the clock hook): each request rebuilds the body. Answers
      // queued behind a pipelined one are still held by the backend when the next rebuild runs;
      // they must not be rewritten by it (FastReply.retain / the copy).
      const s = tinySkeleton();
      const t = tableFor(s);
      const leg = s.chains[0]!.rows[1]!.ce!.slot;
      let ticks = 0;
      const ticking = new OptchainServer({ mode: 'sim', backend: b.name, now: () => {
        ticks++;
        writeTick(t, s, leg, fullQuote(100 + ticks / 100));
        return 1786000000000 + ticks;
      } });
      ticking.setMarket(s, t);
      const port = await ticking.listen('127.0.0.1', 0);
      const socket = connect(port, '127.0.0.1');
      try {
        await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
        const n = 4;
        let raw = Buffer.alloc(0);
        const all = new Promise<void>((resolve) => {
          socket.on('data', (d: Buffer) => {
            raw = Buffer.concat([raw, d]);
            if (parseAnswers(raw).length >= n) resolve();
          });
        });
        socket.write('GET /v1/chains/NIFTY HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'.repeat(n));
        await all;
        const answers = parseAnswers(raw);
        const chains = answers.map((a) => decodeChainJson(new Uint8Array(a.body)));
        expect(answers.map((a) => a.status)).toEqual(Array.from({ length: n }, () => 200));
        // each body is the one its headers describe, and they follow each other's ticks
        expect(chains.map((c) => String(c.generation))).toEqual(answers.map((a) => a.headers['x-optchain-generation']));
        for (let i = 1; i < n; i++) expect(chains[i]!.generation).toBeGreaterThan(chains[i - 1]!.generation);
      } finally {
        socket.destroy();
        await ticking.close();
      }
    });

    it('GET /v1/snapshot carries all chains, or those of the listed underlyings', async () => {
      const all = await get('/v1/snapshot');
      expect(all.headers['content-type']).toBe('application/x-flatbuffers');
      const snap = decodeSnapshot(all.bytes);
      expect(snap.tradingDate).toBe('2026-08-17');
      expect(snap.chains.map((c) => `${c.exchange}:${c.symbol}:${c.expiry}`)).toEqual(skeleton.chains.map((c) => `${c.exchange}:${c.symbol}:${c.expiry}`));
      const single = decodeChainJson((await get('/v1/chains/NIFTY')).bytes);
      expect(withoutServedAt(snap.chains[0]!)).toEqual(withoutServedAt(single));
      const some = decodeSnapshot((await get('/v1/snapshot?symbols=BSE:RELIANCE,nifty,NIFTY')).bytes);
      expect(some.chains.map((c) => `${c.exchange}:${c.symbol}:${c.expiry}`)).toEqual(['BSE:RELIANCE:2026-08-27', 'NSE:NIFTY:2026-08-18', 'NSE:NIFTY:2026-08-25']);
      expectError(await get('/v1/snapshot?symbols=NIFTY,FOO'), 404, 'UNKNOWN_SYMBOL');
      expectError(await get('/v1/snapshot?symbols=BSE:NIFTY'), 404, 'UNKNOWN_SYMBOL');
    });

    it('GET /metrics is Prometheus text with request, build-time and cache metrics', async () => {
      const r = await get('/metrics');
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/plain/);
      const t = r.text();
      expect(t).toContain('# TYPE optchain_http_requests_total counter');
      expect(t).toMatch(/optchain_http_requests_total\{route="\/v1\/chains\/:symbol",method="GET",status="200"\} \d+/);
      expect(t).toMatch(/optchain_http_requests_total\{route="unmatched",method="GET",status="404"\} \d+/);
      expect(t).toMatch(/optchain_chain_build_seconds_bucket\{le="0\.001",format="json"\} \d+/);
      expect(t).toContain('optchain_snapshot_build_seconds_count');
      expect(t).toContain('optchain_chain_cache_hits_total{format="flatbuffers"}');
    });

    it('GET /health has the contract shape and takes a provider', async () => {
      const h = (await get('/health')).json() as unknown as HealthReport;
      expect(Object.keys(h)).toEqual(['status', 'tradingDate', 'mode', 'skeleton', 'feed', 'http']);
      expect(h.http).toMatchObject({ name: b.name, version: expect.stringMatching(/^v?\d+\.\d+/) });
      expect({ ...h, http: undefined }).toEqual({ http: undefined,
        status: 'degraded', tradingDate: '2026-08-17', mode: 'sim',
        skeleton: { underlyings: 4, chains: 6, contracts: 21 },
        feed: { connections: [], subscribed: 0, unsubscribed: 0, withData: 0, packets: 0 },
      });
      server.setHealthProvider((m) => ({
        status: 'ok', tradingDate: m!.skeleton.tradingDate, mode: 'live', skeleton: { underlyings: 1, chains: 1, contracts: 1 },
        feed: { connections: [{ account: 'A1', index: 0, state: 'open', tokens: 23, lastPacketAt: 1 }], subscribed: 23, unsubscribed: 0, withData: 1, packets: 9 },
      }));
      const h2 = (await get('/health')).json() as unknown as HealthReport;
      expect(h2.status).toBe('ok');
      expect(h2.feed.connections[0]!.state).toBe('open');
    });

    it('streams a snapshot larger than the end() threshold', async () => {
      const big = makeSkeleton('2026-08-17', [{
        symbol: 'BIG', exchange: 'NSE', kind: 'index', spot: { segment: 'IDX_I', securityId: 99 },
        chains: [0, 1, 2].map((k) => ({ expiry: `2026-08-2${k}`, tags: ['weekly' as const], rows: Array.from({ length: 1500 }, (_, i) => ({ strike: 1000 + i, ce: { securityId: k * 10000 + i + 1, lotSize: 1 }, pe: { securityId: k * 10000 + i + 5001, lotSize: 1 } })) })),
      }]);
      const bigTable = tableFor(big);
      for (let s = 0; s < big.slotCount; s += 3) writeTick(bigTable, big, s, fullQuote(10 + s / 100));
      server.setMarket(big, bigTable);
      try {
        const r = await get('/v1/snapshot');
        expect(r.bytes.byteLength).toBeGreaterThan(512 * 1024);
        const snap = decodeSnapshot(r.bytes);
        expect(snap.chains.length).toBe(3);
        expect(snap.chains[2]!.rows.length).toBe(1500);
        expect(snap.chains[0]!.rows[0]!.ce!.ltp).toBeNull(); // slot 1: not ticked
        expect(snap.chains[0]!.rows[1]!.ce!.ltp).toBe(10.03); // slot 3
      } finally {
        server.setMarket(skeleton, table);
      }
    });

    it('swaps skeleton and table at a rollover: no old slot or cached body leaks into the new day', async () => {
      const before = decodeChainJson((await get('/v1/chains/NIFTY')).bytes);
      expect(before.rows[1]!.ce!.ltp).toBe(152.3);
      const next = tinySkeleton('2026-08-18');
      const nextTable = tableFor(next);
      server.setMarket(next, nextTable);
      try {
        const after = decodeChainJson((await get('/v1/chains/NIFTY')).bytes);
        expect(after.tradingDate).toBe('2026-08-18');
        expect(after.generation).toBe(0);
        expect(after.rows[1]!.ce!.ltp).toBeNull();
        expect((await get('/v1/underlyings')).json().tradingDate).toBe('2026-08-18');
        server.clearMarket();
        expectError(await get('/v1/chains/NIFTY'), 503, 'NOT_READY');
      } finally {
        server.setMarket(skeleton, table);
      }
    });
  });
}
