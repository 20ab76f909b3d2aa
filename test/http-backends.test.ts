/**
 * The HTTP contract suite (test/http/*.case.ts) against every backend that runs on this
 * machine (uWS when a build loads natively, node:http always), then both backends side by
 * side: the same requests must give the same status, the headers that matter and
 * byte-identical bodies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { CorsPolicy } from '../src/http/cors.js';
import { OptchainServer } from '../src/http/optchain-server.js';
import { registerWebRoutes } from '../src/web/serve-static.js';
import { fillRandom } from './chain-encoder.case.js';
import { availableBackends, uwsUnavailableReason, type BackendUnderTest } from './http/backends.js';
import { connectionCases } from './http/connection-behaviour.case.js';
import { conventionCases } from './http/conventions.case.js';
import { genericRouteCases } from './http/generic-routes.case.js';
import { handlerApiCases } from './http/handler-api.case.js';
import { marketRouteCases } from './http/market-routes.case.js';
import { staticPageCases } from './http/static-page.case.js';
import { tableFor, tinySkeleton } from './helpers/tiny-skeleton.js';

const backends = availableBackends();

for (const b of backends) {
  describe(`HTTP backend ${b.name}`, () => {
    marketRouteCases(b);
    genericRouteCases(b);
    conventionCases(b);
    handlerApiCases(b);
    connectionCases(b);
    staticPageCases(b);
  });
}

/** Headers whose values must be equal on both backends (Date, Keep-Alive and the like may differ). */
const SAME_HEADERS = ['content-type', 'content-length', 'content-encoding', 'cache-control', 'vary', 'allow', 'x-optchain-generation', 'retry-after', 'x-content-type-options', 'content-security-policy', 'referrer-policy', 'access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-expose-headers', 'access-control-max-age'];
/** Headers that must be present on both, with values that differ by server instance (a market tag). */
const PRESENT_HEADERS = ['etag'];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

describe.skipIf(backends.length < 2)(`both backends give the same answers${backends.length < 2 ? ` (uWS not here: ${uwsUnavailableReason()})` : ''}`, () => {
  const APP = 'https://app.example.com';
  const skeleton = tinySkeleton();
  const table = tableFor(skeleton);
  const servers: { b: BackendUnderTest; server: OptchainServer; base: string; agent: Agent }[] = [];

  beforeAll(async () => {
    for (const b of backends) {
      // One clock for both: servedAt is part of the body.
      const server = new OptchainServer({ mode: 'sim', backend: b.name, now: () => 1_786_000_000_123, cors: new CorsPolicy([APP]) });
      const market = server.setMarket(skeleton, table);
      if (servers.length === 0) fillRandom(market, 7); // one table, shared by both markets
      registerWebRoutes(server.http);
      server.route('POST', '/v1/paper/orders', (req) => ({ status: 201, body: { echo: req.body ?? null } }), { maxBodyBytes: 1024 });
      const base = `http://127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
      servers.push({ b, server, base, agent: new Agent({ connections: 1 }) });
    }
  });

  afterAll(async () => {
    for (const s of servers) {
      await s.server.close();
      await s.agent.close();
    }
  });

  async function ask(s: (typeof servers)[number], method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
    const res = await request(`${s.base}${path}`, { method: method as 'GET', headers, body, dispatcher: s.agent });
    return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
  }

  /** Asks both backends and compares; returns the answers. */
  /**
   * Asks both backends and compares; returns the answers. `compareBody` replaces the byte
   * comparison for answers that legitimately differ (they then may differ in length too).
   */
  async function same(method: string, path: string, headers: Record<string, string> = {}, body?: string, compareBody?: (a: Buffer, b: Buffer) => void): Promise<Answer[]> {
    const answers = await Promise.all(servers.map((s) => ask(s, method, path, headers, body)));
    const [a, b] = answers as [Answer, Answer];
    const where = `${method} ${path} ${JSON.stringify(headers)}`;
    expect(b.status, where).toBe(a.status);
    for (const h of SAME_HEADERS) if (compareBody === undefined || h !== 'content-length') expect(b.headers[h], `${where}: ${h}`).toEqual(a.headers[h]);
    for (const h of PRESENT_HEADERS) expect(b.headers[h] === undefined, `${where}: ${h}`).toBe(a.headers[h] === undefined);
    if (compareBody) compareBody(a.body, b.body);
    else expect(a.body.equals(b.body), `${where}: byte-identical bodies`).toBe(true);
    return answers;
  }

  it('market routes: chains JSON/FlatBuffers/gzip/br, snapshot, underlyings, HEAD, 304, and their errors', async () => {
    for (const path of ['/v1/chains/NIFTY', '/v1/chains/nifty?expiry=2026-08-25', '/v1/chains/RELIANCE?exchange=BSE', '/v1/chains/NIFTY?format=fb', '/v1/snapshot', '/v1/snapshot?symbols=NIFTY,BSE:RELIANCE', '/v1/underlyings']) {
      await same('GET', path);
      await same('HEAD', path);
    }
    await same('GET', '/v1/chains/NIFTY', { accept: 'application/x-flatbuffers' });
    await same('GET', '/v1/chains/NIFTY', { 'accept-encoding': 'gzip' });
    await same('GET', '/v1/chains/NIFTY', { 'accept-encoding': 'gzip, br' });
    await same('GET', '/v1/snapshot', { 'accept-encoding': 'gzip' });
    // each server's own tag: equal answers to the same question
    const tags = await Promise.all(servers.map(async (s) => (await ask(s, 'GET', '/v1/chains/NIFTY')).headers.etag as string));
    const notModified = await Promise.all(servers.map((s, i) => ask(s, 'GET', '/v1/chains/NIFTY', { 'if-none-match': tags[i]! })));
    expect(notModified.map((a) => [a.status, a.body.byteLength, a.headers['content-length']])).toEqual(servers.map(() => [304, 0, undefined]));
    for (const path of ['/v1/chains/NOPE', '/v1/chains/NIFTY?expiry=2026-08-19', '/v1/chains/NIFTY?expiry=tomorrow', '/v1/chains/N%20IFTY', '/v1/chains/M%26M', '/v1/snapshot?symbols=MCX:NIFTY', '/v1/snapshot?symbols=,']) {
      await same('GET', path);
    }
  });

  it('routing: unknown paths, odd slashes and encodings, wrong methods, OPTIONS and preflights', async () => {
    for (const path of ['/nope', '/v1/chains/', '/v1/chains', '/health/', '//health', '/v1//chains/NIFTY', '/v1/chains/NIFTY/extra', '/assets/', '/assets', '/assets/a/b', '/index.html', '/v1/chains/%4EIFTY', '/v1/chains/NIFTY?', '/v1/chains/NIFTY?expiry', '/v1/chains/NIFTY?format=json&format=fb']) {
      await same('GET', path);
    }
    await same('POST', '/v1/chains/NIFTY', { 'content-type': 'application/json' }, '{}');
    await same('DELETE', '/health');
    await same('PUT', '/v1/paper/orders', {}, '{}');
    await same('OPTIONS', '/v1/chains/NIFTY');
    await same('OPTIONS', '/v1/paper/orders', { origin: APP, 'access-control-request-method': 'POST' });
    await same('OPTIONS', '/v1/paper/orders', { origin: 'https://evil.example', 'access-control-request-method': 'POST' });
    await same('OPTIONS', '/nope', { origin: APP, 'access-control-request-method': 'GET' });
    await same('GET', '/v1/chains/NIFTY', { origin: APP });
    await same('GET', '/v1/chains/NOPE', { origin: APP });
  });

  it('generic routes: JSON bodies, 400 for bad JSON, 413 over the limit, /health and /openapi.json', async () => {
    await same('POST', '/v1/paper/orders', { 'content-type': 'application/json' }, '{"clientOrderId":"a","legs":[]}');
    await same('POST', '/v1/paper/orders', { 'content-type': 'application/json' }, '{"legs": [');
    await same('POST', '/v1/paper/orders', { 'content-type': 'application/json' }, JSON.stringify({ pad: 'x'.repeat(2000) }));
    await same('GET', '/openapi.json');
    // /health names its backend: equal apart from that
    const [a, b] = await same('GET', '/health', {}, undefined, () => {});
    const strip = (x: Answer) => ({ ...(JSON.parse(x.body.toString()) as Record<string, unknown>), http: null });
    expect(strip(b!)).toEqual(strip(a!));
    expect((JSON.parse(b!.body.toString()) as { http: { name: string } }).http.name).toBe(servers[1]!.b.name);
    // /metrics counts differ (each server saw its own requests); the format does not
    await same('GET', '/metrics', {}, undefined, (x, y) => expect(y.toString().split('\n').filter((l) => l.startsWith('# TYPE'))).toEqual(x.toString().split('\n').filter((l) => l.startsWith('# TYPE'))));
  });

  it('the page and its assets', async () => {
    const [page] = await same('GET', '/');
    await same('GET', '/', { 'accept-encoding': 'gzip' });
    await same('GET', '/', { 'if-none-match': page!.headers.etag as string });
    const js = /src="(\/assets\/[^"]+)"/.exec(page!.body.toString())![1]!;
    await same('GET', js);
    await same('HEAD', js);
    await same('GET', js, { 'accept-encoding': 'gzip' });
    await same('GET', '/assets/nope-ABCDEFGH.js');
  });

  it('503 NOT_READY before a market is installed', async () => {
    for (const s of servers) s.server.clearMarket();
    try {
      for (const path of ['/v1/chains/NIFTY', '/v1/snapshot', '/v1/underlyings']) await same('GET', path);
    } finally {
      for (const s of servers) s.server.setMarket(skeleton, table);
    }
  });
});
