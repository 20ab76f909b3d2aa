/**
 * The chain page served by the API server itself (src/web/serve-static.ts) from the built
 * dist/web/: content types, caching headers, ETag/304, the gzip twin, 404 for unknown assets.
 * Needs `npm run build` (npm test does it).
 */
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { OptchainServer } from '../../src/http/optchain-server.js';
import { registerWebRoutes } from '../../src/web/serve-static.js';
import type { BackendUnderTest } from './backends.js';

/** Registers the cases for backend `b`. */
export function staticPageCases(b: BackendUnderTest): void {
  let server: OptchainServer;
  let base: string;
  let agent: Agent;

  async function get(path: string, headers: Record<string, string> = {}) {
    const res = await request(`${base}${path}`, { headers, dispatcher: agent });
    const bytes = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, bytes, text: () => bytes.toString('utf8') };
  }

  beforeAll(async () => {
    agent = new Agent({ connections: 2 });
    server = new OptchainServer({ mode: 'sim', backend: b.name });
    expect(registerWebRoutes(server.http), 'dist/web/ is built').toBeGreaterThan(1);
    base = `http://127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
  });

  afterAll(async () => {
    await server.close();
    await agent.close();
  });

  describe('the web page', () => {
    it('serves the page and hashed assets with content types, caching headers, ETag/304, gzip and 404', async () => {
      const index = await get('/');
      expect(index.status).toBe(200);
      expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(index.headers['cache-control']).toBe('no-cache');
      const csp = String(index.headers['content-security-policy'] ?? '');
      for (const directive of ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) expect(csp).toContain(directive);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
      expect(index.headers['x-content-type-options']).toBe('nosniff');
      const etag = index.headers.etag as string;
      expect(etag).toMatch(/^".+"$/);
      const html = index.text();
      expect(html).not.toMatch(/https?:\/\//); // nothing from the internet
      const again = await get('/', { 'if-none-match': etag });
      expect(again.status).toBe(304);
      expect(again.bytes.byteLength).toBe(0);
      expect((await get('/index.html')).text()).toBe(html);

      const js = /src="(\/assets\/app-[A-Z0-9]+\.js)"/.exec(html)?.[1];
      const css = /href="(\/assets\/app-[A-Z0-9]+\.css)"/.exec(html)?.[1];
      expect(js, 'index.html references the hashed bundle').toBeDefined();
      expect(css, 'index.html references the hashed stylesheet').toBeDefined();
      const jsRes = await get(js!);
      expect(jsRes.status).toBe(200);
      expect(jsRes.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(jsRes.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(jsRes.bytes.byteLength).toBeGreaterThan(5000);
      const gz = await get(js!, { 'accept-encoding': 'gzip' });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gz.bytes).equals(jsRes.bytes)).toBe(true);
      const cssRes = await get(css!);
      expect(cssRes.headers['content-type']).toBe('text/css; charset=utf-8');
      expect(cssRes.bytes.byteLength).toBeGreaterThan(500);

      const missing = await get('/assets/nope-ABCDEFGH.js');
      expect(missing.status).toBe(404);
      expect((JSON.parse(missing.text()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
      // nosniff on every answer, API and errors included
      for (const path of [js!, css!, '/assets/nope-ABCDEFGH.js', '/health', '/v1/chains/NIFTY']) expect((await get(path)).headers['x-content-type-options'], path).toBe('nosniff');
    });
  });
}
