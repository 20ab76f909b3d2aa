/**
 * What a backend does with connections, over raw sockets on 127.0.0.1: keep-alive, pipelined
 * requests answered in order (and the one way the backends differ: a request pipelined behind
 * an answer still being written), a slow reader of a large body (others are served meanwhile, the
 * body arrives whole), a body the route rewrites right after answering (sent as it was when
 * answered), a client that never reads (dropped at close), and close() during a transfer.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { HttpServer } from '../../src/http/http-server.js';
import { parseAnswers } from '../helpers/http-answers.js';
import type { BackendUnderTest } from './backends.js';

/** A socket and everything it received so far. */
interface RawClient {
  readonly socket: Socket;
  received(): Buffer;
  /** Resolves once `predicate(all bytes so far)` holds (bounded by `ms`). */
  until(predicate: (all: Buffer) => boolean, ms?: number): Promise<Buffer>;
}

async function rawClient(port: number): Promise<RawClient> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  // One growing buffer (doubling): a concat per 'data' event would be quadratic over 24 MB.
  let buf = Buffer.alloc(64 * 1024);
  let length = 0;
  const waiters = new Set<() => void>();
  socket.on('data', (d: Buffer) => {
    if (length + d.byteLength > buf.byteLength) {
      const bigger = Buffer.alloc(Math.max(buf.byteLength * 2, length + d.byteLength));
      buf.copy(bigger, 0, 0, length);
      buf = bigger;
    }
    d.copy(buf, length);
    length += d.byteLength;
    for (const w of waiters) w();
  });
  socket.on('close', () => {
    for (const w of waiters) w();
  });
  const received = (): Buffer => buf.subarray(0, length);
  return {
    socket,
    received,
    until: (predicate, ms = 15_000) =>
      new Promise<Buffer>((resolve, reject) => {
        const check = (): void => {
          const all = received();
          if (predicate(all)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(all);
          } else if (socket.destroyed) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`socket closed after ${all.byteLength} bytes`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${received().byteLength} bytes`));
        }, ms);
        waiters.add(check);
        check();
      }),
  };
}

const complete = (n: number) => (all: Buffer) => parseAnswers(all).length >= n;

/** Registers the cases for backend `b`. */
export function connectionCases(b: BackendUnderTest): void {
  let server: HttpServer;
  let port: number;
  // Larger than loopback's socket buffers can absorb (tcp_wmem + tcp_rmem maxima, ~10 MB), so
  // a reader that stops reading really stalls the server's writes.
  const big = new Uint8Array(24 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 12)) & 0xff;
  // A body the route rewrites after every answer, as the chain cache rewrites servedAt (and
  // rebuilds into the same memory); large enough that part of it must wait in the server.
  const mutable = new Uint8Array(16 * 1024 * 1024);

  beforeAll(async () => {
    server = new HttpServer({ backend: b.name });
    let n = 0;
    server.fastRoute('GET', '/n', () => ({ status: 200, contentType: 'text/plain; charset=utf-8', body: String(++n) }));
    server.fastRoute('GET', '/echo/:x', (req) => ({ status: 200, contentType: 'text/plain; charset=utf-8', body: req.getParameter(0) }));
    server.route('GET', '/big', () => ({ headers: { 'content-type': 'application/octet-stream' }, body: big }));
    let fill = 0;
    server.fastRoute('GET', '/mutable', () => {
      // the next body is written into the same memory right after this answer
      queueMicrotask(() => mutable.fill(++fill & 0xff));
      return { status: 200, contentType: 'application/octet-stream', body: mutable };
    });
    port = await server.listen('127.0.0.1', 0);
  });

  afterAll(async () => {
    await server.close();
  });

  describe('connections', () => {
    it('keeps a connection alive across requests', async () => {
      const c = await rawClient(port);
      try {
        for (let i = 0; i < 3; i++) {
          c.socket.write(`GET /echo/k${i} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
          await c.until(complete(i + 1));
        }
        expect(parseAnswers(c.received()).map((a) => a.body.toString())).toEqual(['k0', 'k1', 'k2']);
        expect(c.socket.destroyed).toBe(false);
      } finally {
        c.socket.destroy();
      }
    });

    it('answers pipelined requests in order', async () => {
      const c = await rawClient(port);
      try {
        c.socket.write(['/echo/a', '/echo/b', '/nope', '/echo/c'].map((p) => `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`).join(''));
        const answers = parseAnswers(await c.until(complete(4)));
        expect(answers.map((a) => a.status)).toEqual([200, 200, 404, 200]);
        expect(answers.map((a) => (a.status === 200 ? a.body.toString() : (JSON.parse(a.body.toString()) as { error: { code: string } }).error.code))).toEqual(['a', 'b', 'NOT_FOUND', 'c']);
      } finally {
        c.socket.destroy();
      }
    });

    it('behind an answer still being written: node:http queues the next, uWS drops the connection', async () => {
      const c = await rawClient(port);
      try {
        c.socket.write(['/big', '/echo/after'].map((p) => `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`).join(''));
        if (b.name === 'node') {
          const answers = parseAnswers(await c.until(complete(2)));
          expect(Buffer.compare(answers[0]!.body, Buffer.from(big))).toBe(0);
          expect(answers[1]!.body.toString()).toBe('after');
        } else {
          // uWS closes a connection whose next request arrives while an answer is pending
          // ("denying async pipelining", uWebSockets HttpContext.h); clients that pipeline
          // (rare: browsers and undici do not by default) retry on a new connection.
          await expect(c.until(complete(2))).rejects.toThrow(/socket closed/);
        }
      } finally {
        c.socket.destroy();
      }
    });

    it('serves others while a slow reader holds a large body, and the body arrives whole', async () => {
      const slow = await rawClient(port);
      const agent = new Agent({ connections: 2 });
      try {
        slow.socket.pause(); // reads nothing: the server meets backpressure
        slow.socket.write('GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        await new Promise((r) => setTimeout(r, 200));
        const t0 = Date.now();
        for (let i = 0; i < 20; i++) {
          const r = await request(`http://127.0.0.1:${port}/echo/x${i}`, { dispatcher: agent });
          expect(await r.body.text()).toBe(`x${i}`);
        }
        // 20 small answers while 6 MB wait on a stalled socket: generous for a loaded 2-core box
        expect(Date.now() - t0).toBeLessThan(5000);
        slow.socket.resume();
        const [answer] = parseAnswers(await slow.until(complete(1)));
        expect(answer!.status).toBe(200);
        expect(Buffer.compare(answer!.body, Buffer.from(big))).toBe(0);
      } finally {
        slow.socket.destroy();
        await agent.close();
      }
    });

    it('sends a body as it was when answered, though the route rewrites its memory right after', async () => {
      const slow = await rawClient(port);
      try {
        slow.socket.pause();
        slow.socket.write('GET /mutable HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        await new Promise((r) => setTimeout(r, 100));
        // more answers from the same memory while the first is still unread
        for (let i = 0; i < 3; i++) await (await request(`http://127.0.0.1:${port}/mutable`)).body.arrayBuffer();
        slow.socket.resume();
        const [answer] = parseAnswers(await slow.until(complete(1)));
        expect(answer!.body.byteLength).toBe(mutable.byteLength);
        const first = answer!.body[0]!;
        expect(answer!.body.every((x) => x === first), 'every byte from one fill').toBe(true);
      } finally {
        slow.socket.destroy();
      }
    });

    it('close() ends a transfer to a reader that stopped reading, and resolves promptly', async () => {
      const other = new HttpServer({ backend: b.name });
      other.route('GET', '/big', () => ({ headers: { 'content-type': 'application/octet-stream' }, body: big }));
      const p = await other.listen('127.0.0.1', 0);
      const stuck = await rawClient(p);
      stuck.socket.pause();
      stuck.socket.write('GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await new Promise((r) => setTimeout(r, 200));
      const closed = new Promise<void>((r) => stuck.socket.once('close', () => r()));
      const t0 = Date.now();
      const closing = other.close();
      stuck.socket.resume(); // drain what the kernel holds, then see the end
      await closing;
      await closed;
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(stuck.received().byteLength).toBeLessThan(big.byteLength);
    });
  });
}
