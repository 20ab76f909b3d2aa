/**
 * The web conventions of the market API (issue 12 Deliver 3, issue 15 item 1): weak ETags
 * and 304, Cache-Control, gzip/br from cached copies, CORS (preflight and simple answers),
 * snapshot HEAD building nothing, and /openapi.json in sync with the registered routes and the
 * zod schemas.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { decodeChainJson, decodeSnapshot } from '../../src/client/decode.js';
import type { ChainJson } from '../../src/client/types.js';
import { chainSchema, errorSchema, healthSchema, underlyingsSchema } from '../../src/http/api-schemas.js';
import { CorsPolicy } from '../../src/http/cors.js';
import { OPERATIONS, openApiPath } from '../../src/http/openapi.js';
import { OptchainServer } from '../../src/http/optchain-server.js';
import { orderBodySchema } from '../../src/paper/paper-schemas.js';
import { fillRandom } from '../chain-encoder.case.js';
import { fullQuote, tableFor, tinySkeleton, writeTick } from '../helpers/tiny-skeleton.js';
import type { BackendUnderTest } from './backends.js';
import { pipelined, type RawAnswer } from '../helpers/raw-pipeline.js';

/** Registers the cases for backend `b`. */
export function conventionCases(b: BackendUnderTest): void {
  const APP = 'https://app.example.com';
  let server: OptchainServer;
  let base: string;
  let agent: Agent;
  const skeleton = tinySkeleton();
  const table = tableFor(skeleton);

  async function call(path: string, headers: Record<string, string> = {}, method = 'GET') {
    const res = await request(`${base}${path}`, { method: method as 'GET', headers, dispatcher: agent });
    const bytes = new Uint8Array(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, bytes };
  }
  const json = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown>;
  const noServedAt = (c: ChainJson) => ({ ...c, servedAt: 0 });
  const snapshotBuilds = async () => Number(/optchain_snapshot_build_seconds_count (\d+)/.exec(new TextDecoder().decode((await call('/metrics')).bytes))?.[1] ?? 0);

  beforeAll(async () => {
    agent = new Agent({ connections: 4 });
    server = new OptchainServer({ mode: 'sim', cors: new CorsPolicy([APP]), backend: b.name });
    const market = server.setMarket(skeleton, table);
    fillRandom(market, 5);
    server.route('POST', '/v1/paper/orders', () => ({ status: 201, body: { ok: true } }));
    const port = await server.listen('127.0.0.1', 0);
    base = `http://127.0.0.1:${port}`;
  });
  const port = (): number => Number(new URL(base).port);

  afterAll(async () => {
    await server.close();
    await agent.close();
  });

  describe('conditional requests', () => {
    it('tags chain answers weakly, answers a matching If-None-Match with a bodiless 304, and a tick with a new tag', async () => {
      const a = await call('/v1/chains/NIFTY');
      expect(a.status).toBe(200);
      const etag = a.headers.etag as string;
      expect(etag).toMatch(/^W\/"[^"]+"$/);
      expect(a.headers['cache-control']).toBe('no-cache');
      expect(String(a.headers.vary)).toContain('Accept-Encoding');
      const nm = await call('/v1/chains/NIFTY', { 'if-none-match': etag });
      expect(nm.status).toBe(304);
      expect(nm.bytes.byteLength).toBe(0);
      expect(nm.headers['content-length']).toBeUndefined();
      expect(nm.headers['content-type']).toBeUndefined(); // RFC 9110 §15.4.5: no representation metadata
      expect(nm.headers['cache-control']).toBe('no-cache');
      expect(nm.headers.etag).toBe(etag);
      expect(nm.headers['x-optchain-generation']).toBe(a.headers['x-optchain-generation']);
      // the FlatBuffers body has its own tag: a JSON tag never validates it
      const fb = await call('/v1/chains/NIFTY?format=fb', { 'if-none-match': etag });
      expect(fb.status).toBe(200);
      expect(fb.headers.etag).not.toBe(etag);
      expect((await call('/v1/chains/NIFTY?format=fb', { 'if-none-match': fb.headers.etag as string })).status).toBe(304);
      const nifty = skeleton.underlyings.find((u) => u.symbol === 'NIFTY')!;
      writeTick(table, skeleton, nifty.chains[0]!.rows[0]!.ce!.slot, fullQuote(111.5));
      const moved = await call('/v1/chains/NIFTY', { 'if-none-match': etag });
      expect(moved.status).toBe(200);
      expect(moved.headers.etag).not.toBe(etag);
      expect(decodeChainJson(moved.bytes).generation).toBeGreaterThan(decodeChainJson(a.bytes).generation);
    });

    it('answers a client polling one chain with the same fields each time, each answer framed exactly when pipelined', async () => {
      // The chain route reuses one reply per body generation and coding, and the backends
      // write it from memoised header blocks: polling must still get whole, separate answers.
      const etag = (await call('/v1/chains/NIFTY')).headers.etag as string;
      const get = (extra = ''): string => `GET /v1/chains/NIFTY HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;
      const inm = `If-None-Match: ${etag}\r\n`;
      const answers = await pipelined(port(), [get(), get(inm), get(inm), get(), `HEAD /v1/chains/NIFTY HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, get('Accept-Encoding: gzip\r\n'), get('Accept-Encoding: gzip\r\n')], [false, true, true, false, true, false, false]);
      expect(answers.map((a) => a.status)).toEqual([200, 304, 304, 200, 200, 200, 200]);
      const names = (a: RawAnswer) => a.fields.map(([k]) => k).filter((k) => k !== 'date' && k !== 'uwebsockets');
      expect(names(answers[1]!)).toEqual(names(answers[2]!));
      expect(answers[1]!.fields).toEqual(answers[2]!.fields.map(([k, v], i) => (k === 'date' ? answers[1]!.fields[i]! : [k, v])));
      for (const a of answers.slice(1, 3)) {
        expect(a.body.byteLength).toBe(0);
        expect(a.header('etag')).toBe(etag);
        expect(a.header('content-length')).toBeUndefined();
        expect(a.header('content-type')).toBeUndefined();
        expect(a.header('x-content-type-options')).toBe('nosniff');
      }
      for (const a of [answers[0]!, answers[3]!, answers[5]!, answers[6]!]) {
        expect(Number(a.header('content-length'))).toBe(a.body.byteLength);
        expect(a.header('content-type')).toBe('application/json; charset=utf-8');
        expect(a.header('x-content-type-options')).toBe('nosniff');
      }
      expect(names(answers[0]!)).toEqual(names(answers[3]!));
      expect(answers[4]!.header('content-length')).toBe(answers[0]!.header('content-length'));
      expect(decodeChainJson(gunzipSync(answers[6]!.body)).symbol).toBe('NIFTY');
      expect(answers[6]!.body).toEqual(answers[5]!.body);
      expect(answers[5]!.header('content-encoding')).toBe('gzip');
    });

    it('serves JSON chains gzip- or brotli-compressed from cached copies; FlatBuffers stay identity', async () => {
      const plain = await call('/v1/chains/NIFTY');
      const gz = await call('/v1/chains/NIFTY', { 'accept-encoding': 'gzip' });
      const br = await call('/v1/chains/NIFTY', { 'accept-encoding': 'gzip, deflate, br' });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(br.headers['content-encoding']).toBe('br');
      expect(gz.bytes.byteLength).toBeLessThan(plain.bytes.byteLength);
      const fromGz = decodeChainJson(gunzipSync(gz.bytes));
      expect(noServedAt(fromGz)).toEqual(noServedAt(decodeChainJson(plain.bytes)));
      expect(noServedAt(decodeChainJson(brotliDecompressSync(br.bytes)))).toEqual(noServedAt(fromGz));
      expect(new Set([plain.headers.etag, gz.headers.etag, br.headers.etag]).size).toBe(3);
      // the cached copy is served again byte for byte (compressed once per generation)
      const again = await call('/v1/chains/NIFTY', { 'accept-encoding': 'gzip' });
      expect(again.bytes).toEqual(gz.bytes);
      expect((await call('/v1/chains/NIFTY', { 'accept-encoding': 'gzip', 'if-none-match': gz.headers.etag as string })).status).toBe(304);
      expect((await call('/v1/chains/NIFTY?format=fb', { 'accept-encoding': 'gzip, br' })).headers['content-encoding']).toBeUndefined();
    });
  });

  describe('snapshot', () => {
    it('HEAD builds nothing; GET builds once per generation vector; ETag, 304 and compression', async () => {
      const builds0 = await snapshotBuilds();
      const head = await call('/v1/snapshot', {}, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.bytes.byteLength).toBe(0);
      expect(head.headers['content-length']).toBeUndefined();
      expect(head.headers.etag).toMatch(/^W\//);
      expect(await snapshotBuilds()).toBe(builds0);

      const a = await call('/v1/snapshot');
      expect(a.headers.etag).toBe(head.headers.etag);
      expect(decodeSnapshot(a.bytes).chains.length).toBe(skeleton.chains.length);
      const headAfter = await call('/v1/snapshot', {}, 'HEAD');
      expect(Number(headAfter.headers['content-length'])).toBe(a.bytes.byteLength);
      expect((await call('/v1/snapshot', { 'if-none-match': a.headers.etag as string })).status).toBe(304);
      const b = await call('/v1/snapshot');
      expect(b.bytes).toEqual(a.bytes); // the cached body, not a rebuild
      expect(await snapshotBuilds()).toBe(builds0 + 1);

      const gz = await call('/v1/snapshot?symbols=NIFTY', { 'accept-encoding': 'gzip' });
      expect(gz.headers['content-encoding']).toBe('gzip');
      const some = decodeSnapshot(gunzipSync(gz.bytes));
      expect(some.chains.map((c) => c.symbol)).toEqual(skeleton.underlyings.find((u) => u.symbol === 'NIFTY')!.chains.map(() => 'NIFTY'));
    });
  });

  describe('CORS', () => {
    it('lets an allowed origin read market and paper answers, and tells caches they vary by Origin', async () => {
      const r = await call('/v1/chains/NIFTY', { origin: APP });
      expect(r.headers['access-control-allow-origin']).toBe(APP);
      expect(r.headers['access-control-expose-headers']).toContain('etag');
      expect(String(r.headers.vary)).toContain('Origin');
      const other = await call('/v1/chains/NIFTY', { origin: 'https://evil.example' });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      const err = await call('/v1/chains/NOPE', { origin: APP });
      expect(err.status).toBe(404);
      expect(err.headers['access-control-allow-origin']).toBe(APP);
    });

    it('answers preflights with the route methods; refuses other origins; plain OPTIONS gets Allow', async () => {
      const pre = await call('/v1/paper/orders', { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' }, 'OPTIONS');
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe(APP);
      expect(pre.headers['access-control-allow-methods']).toBe('POST');
      expect(pre.headers['access-control-allow-headers']).toContain('authorization');
      expect(Number(pre.headers['access-control-max-age'])).toBeGreaterThan(0);
      const refused = await call('/v1/paper/orders', { origin: 'https://evil.example', 'access-control-request-method': 'POST' }, 'OPTIONS');
      expect(refused.status).toBe(403);
      expect(json(refused.bytes)).toMatchObject({ error: { code: 'FORBIDDEN' } });
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
      const plainOptions = await call('/v1/chains/NIFTY', {}, 'OPTIONS');
      expect(plainOptions.status).toBe(204);
      expect(plainOptions.headers.allow).toBe('GET, HEAD, OPTIONS');
    });

    it('is off by default: no CORS header, every preflight refused', async () => {
      const plain = new OptchainServer({ mode: 'sim', backend: b.name });
      plain.setMarket(skeleton, table);
      const port = await plain.listen('127.0.0.1', 0);
      try {
        const r = await request(`http://127.0.0.1:${port}/v1/chains/NIFTY`, { headers: { origin: APP }, dispatcher: agent });
        await r.body.arrayBuffer();
        expect(r.headers['access-control-allow-origin']).toBeUndefined();
        const pre = await request(`http://127.0.0.1:${port}/v1/chains/NIFTY`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'GET' }, dispatcher: agent });
        await pre.body.arrayBuffer();
        expect(pre.statusCode).toBe(403);
      } finally {
        await plain.close();
      }
    });
  });

  describe('GET /openapi.json', () => {
    it('describes every registered route (and nothing else) with its methods', async () => {
      const doc = json((await call('/openapi.json')).bytes) as { openapi: string; paths: Record<string, Record<string, { summary: string; tags: string[] }>> };
      expect(doc.openapi).toBe('3.1.0');
      const registered = server.http.routes().filter((r) => r.method !== 'HEAD');
      for (const r of registered) {
        const op = doc.paths[openApiPath(r.pattern)]?.[r.method.toLowerCase()];
        expect(op, `${r.method} ${r.pattern}`).toBeDefined();
        expect(op!.tags, `${r.method} ${r.pattern} is undocumented in OPERATIONS`).not.toContain('undocumented');
      }
      const described = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
      expect(described.sort()).toEqual(registered.map((r) => `${r.method} ${openApiPath(r.pattern)}`).sort());
    });

    it('documents every route the full server registers (paper, margin and the page included)', async () => {
      const { registerWebRoutes } = await import('../../src/web/serve-static.js');
      const full = new OptchainServer({ mode: 'sim', backend: b.name });
      registerWebRoutes(full.http);
      for (const [method, pattern] of [['POST', '/v1/paper/orders'], ['GET', '/v1/paper/orders'], ['GET', '/v1/paper/positions'], ['POST', '/v1/paper/strategies'], ['GET', '/v1/paper/strategies'], ['GET', '/v1/paper/strategies/:id'], ['PUT', '/v1/paper/strategies/:id'], ['DELETE', '/v1/paper/strategies/:id'], ['POST', '/v1/margin']] as const) {
        full.route(method, pattern, () => ({}));
      }
      const missing = full.http.routes().filter((r) => r.method !== 'HEAD' && OPERATIONS[`${r.method} ${r.pattern}`] === undefined);
      expect(missing).toEqual([]);
      await full.close();
    });

    it('derives request bodies and query parameters from the zod schemas the routes validate with', async () => {
      const doc = json((await call('/openapi.json')).bytes) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> }; parameters: { name: string; in: string }[] }>> };
      const { $schema: _d, ...order } = z.toJSONSchema(orderBodySchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
      expect(doc.paths['/v1/paper/orders']!.post!.requestBody!.content['application/json']!.schema).toEqual(order);
      const chainParams = doc.paths['/v1/chains/{symbol}']!.get!.parameters.map((p) => `${p.in}:${p.name}`);
      expect(chainParams).toEqual(['path:symbol', 'query:expiry', 'query:exchange', 'query:format', 'header:If-None-Match']);
    });

    it('has answer schemas that match what the server sends, key for key', async () => {
      const strictly = (schema: z.ZodObject, value: unknown, where: string) => {
        expect(schema.strict().safeParse(value).success, where).toBe(true);
      };
      const chain = json((await call('/v1/chains/NIFTY')).bytes);
      // strict at the top, the spot and the legs: a field added to the body fails here until described
      expect(chainSchema.safeParse(chain).success).toBe(true);
      strictly(chainSchema.extend({ rows: z.array(z.unknown()), spot: z.unknown() }), chain, 'chain keys');
      const row = (chain.rows as Record<string, unknown>[]).find((r) => r.ce !== null)!;
      strictly(chainSchema.shape.rows.element.extend({ ce: z.unknown(), pe: z.unknown() }), row, 'row keys');
      strictly(chainSchema.shape.rows.element.shape.ce.unwrap(), row.ce, 'leg keys');
      strictly(underlyingsSchema, json((await call('/v1/underlyings')).bytes), 'underlyings');
      expect(healthSchema.safeParse(json((await call('/health')).bytes)).success).toBe(true);
      strictly(errorSchema, json((await call('/v1/chains/NOPE')).bytes), 'error');
    });
  });
}
