/**
 * The generic route API other modules (paper trading, margin, the web page) build on: JSON
 * bodies, limits (413), async handlers, errors in the contract shape, 405/Allow, multi-MB
 * bodies, a client that leaves mid-handler, a port in use, and a prompt close.
 */
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { ErrorCodes, HttpError, OptchainError } from '../../src/errors.js';
import { HttpServer, type RouteRequest } from '../../src/http/http-server.js';
import type { BackendUnderTest } from './backends.js';

/** Registers the cases for backend `b`. */
export function genericRouteCases(b: BackendUnderTest): void {
  let server: HttpServer;
  let base: string;
  let agent: Agent;
  let slowRelease: (() => void) | undefined;
  const errors: unknown[] = [];

  async function call(method: string, path: string, body?: string | Buffer | Readable, headers: Record<string, string> = {}) {
    const res = await request(`${base}${path}`, { method: method as 'POST', body, headers, dispatcher: agent });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, any> };
  }

  beforeAll(async () => {
    agent = new Agent({ connections: 4 });
    server = new HttpServer({ maxBodyBytes: 1024, logger: { error: (o) => errors.push(o) }, backend: b.name });
    const echo = async (req: RouteRequest) => {
      await new Promise((r) => setTimeout(r, 5)); // answer after an await: corked, req copied
      return { status: 201, headers: { 'x-echo': 'yes' }, body: { method: req.method, path: req.path, query: req.query, params: req.params, body: req.body, ua: req.headers['x-test'] } };
    };
    server.route('POST', '/echo/:id', echo);
    server.route('PUT', '/echo/:id', echo);
    server.route('GET', '/echo/:id', echo);
    server.route('POST', '/big-limit', (req) => ({ body: { size: req.rawBody?.byteLength ?? 0 } }), { maxBodyBytes: 100_000, anyBodyType: true });
    server.route('GET', '/refuse', () => {
      throw new HttpError(ErrorCodes.SPREAD_TOO_WIDE, 'spread 12% exceeds 5%', { spread: 0.12 });
    });
    server.route('GET', '/boom', () => {
      throw new Error('secret internals');
    });
    server.route('GET', '/reject', async () => {
      await Promise.resolve();
      throw new OptchainError(ErrorCodes.MARGIN_UNAVAILABLE, 'margin service down', );
    });
    server.route('GET', '/text', () => ({ body: 'plain', headers: { 'content-type': 'text/html; charset=utf-8' } }));
    server.route('GET', '/huge', () => ({ body: new Uint8Array(8 * 1024 * 1024).fill(7) }));
    server.route('GET', '/slow', () => new Promise((resolve) => {
      slowRelease = () => resolve({ body: { late: true } });
    }));
    const port = await server.listen('127.0.0.1', 0);
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await server.close();
    await agent.close();
  });

  describe('generic routes', () => {
    it('hands an async handler copies of method, path, query, params, headers and the JSON body', async () => {
      const r = await call('POST', '/echo/a%2Fb?x=1&y=two%20words&x=3', JSON.stringify({ legs: [1, 2] }), { 'content-type': 'application/json', 'x-test': 'T' });
      expect(r.status).toBe(201);
      expect(r.headers['x-echo']).toBe('yes');
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.json()).toEqual({ method: 'POST', path: '/echo/a%2Fb', query: { x: '1', y: 'two words' }, params: { id: 'a/b' }, body: { legs: [1, 2] }, ua: 'T' });
      const put = await call('PUT', '/echo/7', '{"a":1}');
      expect(put.json().body).toEqual({ a: 1 });
      const get = await call('GET', '/echo/7');
      expect(get.json().body).toBeUndefined();
    });

    it('answers 400 for invalid JSON and 413 for a body over the limit (declared or streamed)', async () => {
      const bad = await call('POST', '/echo/1', '{"legs": [', { 'content-type': 'application/json' });
      expect(bad.status).toBe(400);
      expect(bad.json()).toEqual({ error: { code: 'BAD_REQUEST', message: 'request body is not valid JSON' } });
      const big = await call('POST', '/echo/1', JSON.stringify({ pad: 'x'.repeat(2000) }), { 'content-type': 'application/json' });
      expect(big.status).toBe(413);
      expect(big.json().error.code).toBe('BODY_TOO_LARGE');
      const chunked = await call('POST', '/echo/1', Readable.from((function* () {
        for (let i = 0; i < 8; i++) yield Buffer.alloc(512, 32);
      })()), { 'content-type': 'application/json' });
      expect(chunked.status).toBe(413);
      // a route-specific limit
      const ok = await call('POST', '/big-limit', Buffer.alloc(50_000, 65), { 'content-type': 'application/octet-stream' });
      expect(ok.json()).toEqual({ size: 50_000 });
      // the server still serves afterwards
      expect((await call('GET', '/echo/2')).status).toBe(201);
    });

    it('turns thrown errors into the contract shape, hiding unknown errors', async () => {
      const refused = await call('GET', '/refuse');
      expect(refused.status).toBe(422);
      expect(refused.json()).toEqual({ error: { code: 'SPREAD_TOO_WIDE', message: 'spread 12% exceeds 5%', details: { spread: 0.12 } } });
      const boom = await call('GET', '/boom');
      expect(boom.status).toBe(500);
      expect(boom.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
      expect(boom.text).not.toContain('secret');
      expect(errors.length).toBeGreaterThan(0);
      const rejected = await call('GET', '/reject');
      expect(rejected.status).toBe(503);
      expect(rejected.json().error.code).toBe('MARGIN_UNAVAILABLE');
    });

    it('keeps explicit content types and streams multi-MB bodies completely', async () => {
      const t = await call('GET', '/text');
      expect([t.status, t.headers['content-type'], t.text]).toEqual([200, 'text/html; charset=utf-8', 'plain']);
      const res = await request(`${base}/huge`, { dispatcher: agent });
      const bytes = new Uint8Array(await res.body.arrayBuffer());
      expect(bytes.byteLength).toBe(8 * 1024 * 1024);
      expect(bytes.every((b) => b === 7)).toBe(true);
    });

    it('answers 405 with every allowed method, 404 elsewhere', async () => {
      const r = await call('DELETE', '/echo/1');
      expect(r.status).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD, POST, PUT');
      expect(r.json().error.code).toBe('METHOD_NOT_ALLOWED');
      expect((await call('GET', '/nothing-here')).status).toBe(404);
      expect(() => server.route('GET', '/echo/:id', () => ({}))).toThrow(/registered twice/);
    });

    it('survives a client that aborts while an async handler is pending', async () => {
      const ac = new AbortController();
      const pending = request(`${base}/slow`, { signal: ac.signal, dispatcher: agent }).catch((e: Error) => e.name);
      await new Promise((r) => setTimeout(r, 50));
      ac.abort();
      expect(await pending).toBe('AbortError');
      await new Promise((r) => setTimeout(r, 50));
      slowRelease!(); // resolves after the abort: must not touch the dead response
      await new Promise((r) => setTimeout(r, 20));
      expect((await call('GET', '/echo/3')).status).toBe(201);
    });
  });

  describe('start-up and shutdown', () => {
    it('reports a port that cannot be bound', async () => {
      const other = new HttpServer({ backend: b.name });
      await expect(other.listen('127.0.0.1', Number(new URL(base).port))).rejects.toMatchObject({ code: 'HTTP_LISTEN_FAILED' });
      await other.close();
    });

    it('close() drops in-flight and idle keep-alive connections so the process exits promptly', async () => {
      // The server runs in a child process (compiled dist/, built by `npm test`) and the client
      // here, so the client's idle keep-alive socket stays open: after close() the child's event
      // loop must empty by itself, without process.exit (docs/engineering.md §1.3 rule 9).
      const script = `
        import { HttpServer } from ${JSON.stringify(new URL('../../dist/http/http-server.js', import.meta.url).href)};
        const s = new HttpServer({ backend: ${JSON.stringify(b.name)} });
        s.route('GET', '/ok', () => ({ body: 'ok' }));
        s.route('GET', '/never', () => new Promise(() => {}));
        console.log('port', await s.listen('127.0.0.1', 0));
        process.stdin.once('data', async () => {
          process.stdin.destroy();
          const t0 = Date.now();
          await s.close();
          process.on('exit', () => console.log('exit-after-ms', Date.now() - t0));
        });
      `;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url).pathname, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /port (\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.on('exit', () => reject(new Error(out)));
      });
      const keepAlive = new Agent({ keepAliveTimeout: 60_000 });
      const other = new Agent(); // a second connection, so the first one really idles
      try {
        const ok = await request(`http://127.0.0.1:${port}/ok`, { dispatcher: keepAlive });
        expect(await ok.body.text()).toBe('ok'); // this connection now idles, kept alive by the client
        const never = request(`http://127.0.0.1:${port}/never`, { dispatcher: other }).then(() => 'answered', (e: { code?: string }) => e.code);
        await new Promise((r) => setTimeout(r, 100));
        child.stdin.end('close\n');
        expect(await exited, out).toBe(0);
        expect(await never).toBe('UND_ERR_SOCKET');
        const ms = Number(/exit-after-ms (\d+)/.exec(out)?.[1]);
        expect(ms, out).toBeLessThan(2000);
      } finally {
        child.kill();
        await keepAlive.destroy();
        await other.destroy();
      }
    });
  });
}
