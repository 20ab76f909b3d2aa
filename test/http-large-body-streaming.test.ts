/**
 * Large bodies (≥ 512 KiB, snapshots) go out with backpressure: a slow reader gets every byte
 * in order; a body its owner rewrites after the handler returned is sent as it was (copied),
 * an immutable one as it is; and small requests on other connections are answered while a
 * large body is still being written.
 */
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpServer } from '../src/http/http-server.js';
import { rawExchange } from './helpers/raw-http.js';

const SIZE = 6 * 1024 * 1024;

function pattern(seed: number): Uint8Array {
  const b = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** GETs `path` reading nothing for `pauseMs`, then everything; resolves the body bytes. */
function slowGet(port: number, path: string, pauseMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.once('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      socket.pause();
      setTimeout(() => socket.resume(), pauseMs);
    });
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      resolve(all.subarray(end + 4));
    });
  });
}

let server: HttpServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('large bodies', () => {
  it('reach a slow reader whole and in order, copied when the owner rewrites them, shared when immutable', async () => {
    server = new HttpServer();
    const reused = pattern(1);
    const reusedSha = sha(reused);
    const shared = pattern(2);
    server.route('GET', '/reused', () => {
      // The owner rewrites its memory right after the answer was handed over (the chain cache does).
      setImmediate(() => reused.fill(0));
      return { body: reused };
    });
    server.route('GET', '/shared', () => ({ body: shared, immutable: true }));
    const port = await server.listen('127.0.0.1', 0);
    const [a, b] = await Promise.all([slowGet(port, '/reused', 400), slowGet(port, '/shared', 400)]);
    expect(a.byteLength).toBe(SIZE);
    expect(sha(a)).toBe(reusedSha);
    expect(b.byteLength).toBe(SIZE);
    expect(sha(b)).toBe(sha(shared));
  });

  it('answers small requests on other connections while a large body is still going out', async () => {
    server = new HttpServer();
    const shared = pattern(3);
    server.route('GET', '/shared', () => ({ body: shared, immutable: true }));
    server.fastRoute('GET', '/small', () => ({ status: 200, contentType: 'text/plain', body: 'ok' }));
    const port = await server.listen('127.0.0.1', 0);
    let bigDone = false;
    const big = slowGet(port, '/shared', 1500).then((body) => {
      bigDone = true;
      return body;
    });
    await new Promise((r) => setTimeout(r, 100));
    const small = await rawExchange(port, 'GET /small HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', { settleMs: 10 });
    expect(small.status).toBe(200);
    expect(bigDone).toBe(false);
    expect(sha(await big)).toBe(sha(shared));
  });
});
