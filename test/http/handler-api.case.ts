/**
 * The backend-neutral handler API: a generic route signal aborts when its client hangs up
 * (and /metrics counts it as 499), interceptors answer a preflight and add headers to fast,
 * generic and error answers alike, and the server names its backend.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { HttpServer } from '../../src/http/http-server.js';
import type { FastReply, RequestView } from '../../src/http/handler-types.js';
import type { BackendUnderTest } from './backends.js';

/** Registers the cases for backend `b`. */
export function handlerApiCases(b: BackendUnderTest): void {
  let server: HttpServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  describe('RouteRequest.signal', () => {
    it('aborts with CLIENT_CLOSED when the client hangs up before the answer, counted as 499', async () => {
      server = new HttpServer({ backend: b.name });
      let seen: (reason: unknown) => void;
      const aborted = new Promise<unknown>((r) => (seen = r));
      server.route('GET', '/slow', (req) => new Promise((resolve) => {
        req.signal.addEventListener('abort', () => {
          seen(req.signal.reason);
          resolve({ body: 'too late' });
        });
      }));
      const port = await server.listen('127.0.0.1', 0);
      const socket = connect(port, '127.0.0.1');
      await new Promise<void>((r) => socket.once('connect', () => r()));
      socket.write('GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await new Promise((r) => setTimeout(r, 200));
      socket.destroy();
      const reason = (await aborted) as { code: string };
      expect(reason.code).toBe('CLIENT_CLOSED');
      const text = await server.metrics.registry.metrics();
      expect(text).toMatch(/optchain_http_requests_total\{route="\/slow",method="GET",status="499"\} 1/);
    });

    it('does not abort once the answer was written', async () => {
      server = new HttpServer({ backend: b.name });
      let signal: AbortSignal | null = null;
      server.route('GET', '/quick', async (req) => {
        signal = req.signal;
        return { body: 'ok' };
      });
      const port = await server.listen('127.0.0.1', 0);
      const res = await request(`http://127.0.0.1:${port}/quick`);
      expect(await res.body.text()).toBe('ok');
      expect(signal!.aborted).toBe(false);
    });
  });

  describe('interceptors', () => {
    it('answer OPTIONS on a known route and add headers to every kind of answer', async () => {
      const routesSeen: string[] = [];
      server = new HttpServer({
        backend: b.name,
        interceptors: [{
          onRequest(req: RequestView): FastReply | undefined {
            if (req.method !== 'OPTIONS') return undefined;
            return { status: 204, contentType: 'text/plain; charset=utf-8', body: '', headers: [['access-control-allow-methods', 'GET']] };
          },
          onReply(req: RequestView, reply: FastReply): FastReply {
            routesSeen.push(`${req.method} ${req.route} ${req.getHeader('x-probe')}`);
            return { ...reply, headers: [...(reply.headers ?? []), ['x-intercepted', String(reply.status)]] };
          },
        }],
      });
      server.fastRoute('GET', '/fast/:id', (req) => ({ status: 200, contentType: 'text/plain; charset=utf-8', body: `id=${req.getParameter(0)} q=${req.getQuery()}` }));
      server.route('POST', '/generic', async (req) => ({ body: { got: req.body } }));
      const port = await server.listen('127.0.0.1', 0);
      const base = `http://127.0.0.1:${port}`;

      const fast = await request(`${base}/fast/a%20b?x=1`, { headers: { 'x-probe': 'p1' } });
      expect(await fast.body.text()).toBe('id=a%20b q=x=1');
      expect(fast.headers['x-intercepted']).toBe('200');

      const generic = await request(`${base}/generic`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json', 'x-probe': 'p2' } });
      expect(await generic.body.json()).toEqual({ got: { a: 1 } });
      expect(generic.headers['x-intercepted']).toBe('200');

      const preflight = await request(`${base}/fast/x`, { method: 'OPTIONS' });
      await preflight.body.dump();
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-methods']).toBe('GET');

      const missing = await request(`${base}/nope`);
      expect((await missing.body.json()) as unknown).toMatchObject({ error: { code: 'NOT_FOUND' } });
      expect(missing.headers['x-intercepted']).toBe('404');

      const wrong = await request(`${base}/generic`, { method: 'PUT' });
      await wrong.body.dump();
      expect(wrong.statusCode).toBe(405);
      expect(wrong.headers.allow).toBe('POST');
      expect(wrong.headers['x-intercepted']).toBe('405');

      expect(routesSeen).toEqual(['GET /fast/:id p1', 'POST /generic p2', 'OPTIONS /fast/:id ', 'GET unmatched ', 'PUT /generic ']);
    });
  });
}
