/**
 * The node:http backend of the {@link HttpTransport} seam: what serves when no uWS build
 * loads natively (a Node without a uWS binary, a platform without one, glibc too old), or when
 * `OPTCHAIN_HTTP_BACKEND=node`. It routes with uWS's rules (route-table.ts), so both backends
 * answer every URL alike, and keeps the properties the uWS backend has:
 *
 * - keep-alive and pipelining: node:http's own (answers leave in request order);
 * - the chain cache rewrites a body's memory after the handler returned (FastReply.body), and
 *   node:http keeps a reference to whatever the kernel did not take: a body marked `immutable`
 *   (cached snapshots, compressed copies) is sent from its own memory; a cached chain body
 *   (`retain`) too, and is lent to us (never rewritten) only when node:http still holds it
 *   after `end()`; any other body is copied first, into reused slabs (body-slabs.ts);
 * - large bodies (≥ 512 KiB, snapshots) are written in 64 KiB pieces, each only after the
 *   previous one was taken (`write()` false → wait for `'drain'`), so a slow reader holds one
 *   body, never a growing queue; a reader that takes nothing for {@link IDLE_TIMEOUT_MS} is
 *   dropped, like uWS's idle timeout;
 * - a client gone before its answer → the core's abort callback (RouteRequest.signal, 499);
 * - close(): stop listening, drop every connection, in flight or idle.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ErrorCodes, OptchainError } from '../errors.js';
import { BodySlabs } from './body-slabs.js';
import { errorReply } from './error-reply.js';
import type { FastReply, RequestView } from './handler-types.js';
import { RouteTable } from './route-table.js';
import { reasonPhrase } from './status.js';
import { contentLength, type BackendInfo, type Dispatch, type HttpTransport } from './transport.js';

/** Bodies from this size on are written piecewise with backpressure (as uWS's tryEnd path). */
const STREAM_THRESHOLD = 512 * 1024;
const CHUNK = 64 * 1024;
/** A connection that makes no progress for this long is dropped (uWS: 10 s HTTP idle timeout). */
export const IDLE_TIMEOUT_MS = 10_000;
/** Whole request headers must arrive within this (slow-header clients). */
const HEADERS_TIMEOUT_MS = 10_000;
/** A whole request (headers and body) must arrive within this. */
const REQUEST_TIMEOUT_MS = 30_000;

interface Route {
  readonly dispatch: Dispatch<ServerResponse>;
  /** The method the route was registered for, or null for `*` (the request's own is used). */
  readonly method: string | null;
  readonly route: string;
}

/** The reusable request view (valid only during one synchronous dispatch). */
class NodeRequestView implements RequestView {
  req: IncomingMessage = null as unknown as IncomingMessage;
  method = 'GET';
  route = '';
  path = '';
  query = '';
  params: readonly string[] = [];
  getUrl(): string {
    return this.path;
  }
  getQuery(): string {
    return this.query;
  }
  getHeader(name: string): string {
    const v = this.req.headers[name];
    return v === undefined ? '' : typeof v === 'string' ? v : v.join(', ');
  }
  getParameter(index: number): string {
    return this.params[index] ?? '';
  }
  forEachHeader(cb: (name: string, value: string) => void): void {
    // Every field as sent, as uWS's forEach does (the request guard counts them).
    const raw = this.req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) cb(raw[i]!.toLowerCase(), raw[i + 1]!);
  }
}

/** A frozen reply's raw header array and body view (NodeTransport.prepare). */
interface PreparedReply {
  readonly headers: readonly string[];
  readonly body: Buffer | null;
}

/** The flat raw header array of `reply` (content-type unless a 304, its fields, content-length when given). */
function rawHeaders(reply: FastReply, length: number | null): string[] {
  // RFC 9110 §15.4.5: a 304 carries no representation metadata such as Content-Type.
  const headers: string[] = reply.status === 304 ? [] : ['content-type', reply.contentType];
  const extra = reply.headers;
  if (extra !== undefined) for (let i = 0; i < extra.length; i++) headers.push(extra[i]![0], extra[i]![1]);
  if (length !== null) headers.push('content-length', String(length));
  return headers;
}

/** node:http as an {@link HttpTransport}. */
export class NodeTransport implements HttpTransport<ServerResponse> {
  readonly info: BackendInfo;
  private readonly server: Server;
  private readonly routes = new RouteTable<Route>();
  private readonly view = new NodeRequestView();
  private readonly slabs = new BodySlabs();
  /** Frozen replies made ready to send ({@link prepare}). */
  private readonly prepared = new WeakMap<FastReply, PreparedReply | null>();
  /** Abort callbacks of the answers still owed on each connection. */
  private readonly waiting = new WeakMap<Socket, Set<() => void>>();
  private listening = false;

  constructor(info: BackendInfo) {
    this.info = info;
    this.server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = IDLE_TIMEOUT_MS;
    this.server.on('clientError', onClientError);
  }

  handle(method: string, pattern: string, dispatch: Dispatch<ServerResponse>): void {
    const route = method === '*' && pattern === '/*' ? 'unmatched' : pattern;
    this.routes.add(method, pattern, { dispatch, method: method === '*' ? null : method, route });
  }

  send(res: ServerResponse, reply: FastReply, head: boolean, closeConnection: boolean): void {
    if (res.destroyed || res.writableEnded) return;
    if (!head && !closeConnection && Object.isFrozen(reply)) {
      const ready = this.prepared.get(reply) ?? this.prepare(reply);
      if (ready !== null) {
        this.sendPrepared(res, reply, ready);
        return;
      }
    }
    const status = reply.status;
    const headers = rawHeaders(reply, null);
    if (closeConnection) {
      headers.push('connection', 'close');
      CLOSING.add(res.req.socket);
    }
    // 204 and 304 have no content and no Content-Length (RFC 9110 §8.6, §15.3.5, §15.4.5);
    // node:http itself sends no body for them nor for HEAD.
    if (status === 204 || status === 304) {
      res.writeHead(status, reasonPhrase(status), headers);
      res.end();
      return;
    }
    const body = reply.body;
    if (head) {
      const length = contentLength(reply);
      if (length !== null) headers.push('content-length', String(length));
      res.writeHead(status, reasonPhrase(status), headers);
      res.end();
      return;
    }
    if (typeof body === 'string') {
      headers.push('content-length', String(Buffer.byteLength(body)));
      res.writeHead(status, reasonPhrase(status), headers);
      res.end(body);
      return;
    }
    headers.push('content-length', String(body.byteLength));
    res.writeHead(status, reasonPhrase(status), headers);
    const retain = reply.retain;
    if (reply.immutable === true || retain !== undefined) {
      // Sent from its own memory. A body its owner would rewrite is lent only when node:http
      // still holds it after end(): the kernel usually takes a whole chain body at once
      // (one writev of head and body, measured), and then nothing refers to it any more.
      const own = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      if (own.byteLength >= STREAM_THRESHOLD) {
        retain?.();
        pump(res, own, 0);
        return;
      }
      res.end(own);
      // Queued behind a pipelined answer (outputData) or not all taken by the socket.
      if (retain !== undefined && res.writableLength > 0) retain();
      return;
    }
    // A copy: the caller may rewrite this memory once we return (see the module comment).
    const { bytes, slab } = this.slabs.copy(body);
    if (bytes.byteLength >= STREAM_THRESHOLD) pump(res, bytes, 0);
    else if (slab === null) res.end(bytes);
    else res.end(bytes, () => this.slabs.release(slab));
  }

  /**
   * The raw header array and Buffer view of a frozen reply (the chain route's, one per body
   * generation and coding), made once; null for what is sent the general way (a body that must
   * be copied, a large one, a string).
   */
  private prepare(reply: FastReply): PreparedReply | null {
    const status = reply.status;
    const body = reply.body;
    let ready: PreparedReply | null = null;
    if (status === 304 || status === 204) ready = { headers: Object.freeze(rawHeaders(reply, null)), body: null };
    else if (typeof body !== 'string' && body.byteLength < STREAM_THRESHOLD && (reply.immutable === true || reply.retain !== undefined)) {
      ready = { headers: Object.freeze(rawHeaders(reply, body.byteLength)), body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
    }
    this.prepared.set(reply, ready);
    return ready;
  }

  /** {@link send} of a prepared reply: what the general path does for it, without building anything. */
  private sendPrepared(res: ServerResponse, reply: FastReply, ready: PreparedReply): void {
    res.writeHead(reply.status, reasonPhrase(reply.status), ready.headers as string[]);
    if (ready.body === null) {
      res.end();
      return;
    }
    res.end(ready.body);
    // As in send: lent only when node:http still holds it after end().
    if (reply.retain !== undefined && res.writableLength > 0) reply.retain();
  }

  watch(res: ServerResponse, onAbort: () => void): void {
    // One 'close' listener per connection, however many pipelined answers wait on it.
    const socket = res.req.socket;
    let waiting = this.waiting.get(socket);
    if (waiting === undefined) {
      const set = new Set<() => void>();
      waiting = set;
      this.waiting.set(socket, set);
      socket.once('close', () => {
        for (const abort of set) abort();
        set.clear();
      });
    }
    const set = waiting;
    const abort = (): void => {
      if (!res.writableFinished) onAbort();
    };
    set.add(abort);
    res.once('finish', () => set.delete(abort));
  }

  cork(_res: ServerResponse, fn: () => void): void {
    // node:http sends an answer written with one end() in one batch already.
    fn();
  }

  readBody(res: ServerResponse, limit: number, onBody: (body: Buffer) => void, onTooLarge: () => void): void {
    const req = res.req;
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    req.on('data', (chunk: Buffer) => {
      if (finished) return;
      size += chunk.byteLength;
      if (size > limit) {
        finished = true;
        // The answer closes the connection; the rest of the body is never read.
        req.pause();
        onTooLarge();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (finished) return;
      finished = true;
      onBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const failed = (err: NodeJS.ErrnoException): void => {
        reject(new OptchainError(ErrorCodes.HTTP_LISTEN_FAILED, `cannot listen on ${host}:${port} (${err.code ?? err.message})`));
      };
      this.server.once('error', failed);
      this.server.listen({ host, port }, () => {
        this.server.off('error', failed);
        this.listening = true;
        const address = this.server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  close(): Promise<void> {
    if (!this.listening) return Promise.resolve();
    this.listening = false;
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    const match = this.routes.match(method, path);
    if (match === null) {
      // Only when no `/*` route exists (the core always registers one).
      this.send(res, errorReply(new OptchainError(ErrorCodes.NOT_FOUND, `no route ${method} ${path}`, )), method === 'HEAD', false);
      return;
    }
    const route = match.handler;
    const view = this.view;
    view.req = req;
    view.method = route.method ?? method;
    view.route = route.route;
    view.path = path;
    view.query = q < 0 ? '' : url.slice(q + 1);
    view.params = match.params;
    try {
      route.dispatch(res, view);
    } catch (err) {
      // The core answers every error itself; this is a fault in the answer's writing (a header
      // value node:http refuses): answer 500 if nothing went out, else drop the connection.
      if (!res.headersSent) this.send(res, errorReply(err), false, true);
      else res.destroy();
    } finally {
      view.req = null as unknown as IncomingMessage;
    }
  }
}

/** Writes `body` from `offset` in pieces, waiting for `'drain'` whenever `write()` says the socket is full. */
function pump(res: ServerResponse, body: Buffer, offset: number): void {
  let at = offset;
  while (at < body.byteLength) {
    if (res.destroyed) return;
    const end = Math.min(at + CHUNK, body.byteLength);
    const more = res.write(body.subarray(at, end));
    at = end;
    if (!more && at < body.byteLength) {
      const next = at;
      const stalled = setTimeout(() => res.destroy(), IDLE_TIMEOUT_MS);
      const resume = (): void => {
        clearTimeout(stalled);
        res.off('close', stop);
        pump(res, body, next);
      };
      const stop = (): void => {
        clearTimeout(stalled);
        res.off('drain', resume);
      };
      res.once('drain', resume);
      res.once('close', stop);
      return;
    }
  }
  res.end();
}

/** Connections whose last answer closes them (a refused request): what follows is never answered. */
const CLOSING = new WeakSet<Socket>();

/**
 * A request node:http could not parse: the contract's error shape instead of node's bare
 * `400 Bad Request`, then the connection closes (its framing can no longer be trusted).
 */
function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  if (CLOSING.has(socket)) {
    // The bytes after a request we refused and close on (request-guard.ts): no second answer.
    socket.end();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify({ error: { code: tooLarge ? ErrorCodes.REQUEST_HEADERS_TOO_LARGE : ErrorCodes.BAD_REQUEST, message: tooLarge ? 'request headers too large' : `malformed HTTP request (${err.code ?? 'parse error'})` } });
  socket.end(`HTTP/1.1 ${status} ${reasonPhrase(status)}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n${body}`);
}
