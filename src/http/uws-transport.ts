/**
 * The uWS backend of the {@link HttpTransport} seam. Follows the handler rules of
 * docs/engineering.md §1.3:
 *
 * - rule 1: the request view reads the stack-allocated uWS request only during the
 *   synchronous dispatch (one view object per server, re-pointed per request: no allocation);
 * - rule 2: a response not finished synchronously has `onAborted` and an aborted flag;
 * - rule 3: writes outside the synchronous part are corked (the core calls {@link cork});
 * - rule 6: large bodies go out with `tryEnd`/`onWritable`;
 * - rule 8: listen on an explicit host;
 * - rule 9: close() closes the listen socket, the responses in flight and (with `app.close()`,
 *   which 20.30 does export, measured) the idle keep-alive sockets.
 *
 * @module
 */
import { ErrorCodes, OptchainError } from '../errors.js';
import type { FastReply, RequestView } from './handler-types.js';
import { readBody } from './uws-read-body.js';
import { statusLine } from './status.js';
import { contentLength, type BackendInfo, type Dispatch, type HttpTransport } from './transport.js';
import type { UwsApp, UwsListenSocket, UwsModule, UwsRequest, UwsResponse } from './uws-types.js';

/** Bodies above this go out through tryEnd/onWritable (docs/engineering.md §1.3 rule 6). */
const STREAM_THRESHOLD = 512 * 1024;
const METHOD_FN = { GET: 'get', HEAD: 'head', POST: 'post', PUT: 'put', PATCH: 'patch', DELETE: 'del', OPTIONS: 'options' } as const;
/** Per-response state of a watched response, kept on the uWS response object itself. */
const STATE = Symbol('optchain.state');
/** Marks a response whose answer closes the connection and was deferred (sendThenClose). */
const CLOSING = Symbol('optchain.closing');

interface Watched {
  aborted: boolean;
}
type TrackedResponse = UwsResponse & { [STATE]?: Watched; [CLOSING]?: boolean };

/**
 * The reusable request view (valid only during one synchronous dispatch). Each uWS getter is
 * a native call (~0.7 µs each under wrk, --cpu-prof), and every request already crosses once
 * for all its headers: the request guard's `forEachHeader` (request-guard.ts). So the first
 * header access records every field in JavaScript arrays, and `getHeader` reads them there;
 * the URL and query are read natively once. A 304 read five headers natively where the hello
 * route read one (bench/RESULTS.md 2026-12-03 http-floor section).
 */
class UwsRequestView implements RequestView {
  req: UwsRequest = null as unknown as UwsRequest;
  method = 'GET';
  route = '';
  private url: string | null = null;
  private query: string | null = null;
  /** Fields recorded for this request; -1 until the first header access. */
  private count = -1;
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  private readonly record = (name: string, value: string): void => {
    const i = this.count++;
    this.names[i] = name;
    this.values[i] = value;
  };

  /** Points the view at the next request. */
  reset(req: UwsRequest, method: string, route: string): void {
    this.req = req;
    this.method = method;
    this.route = route;
    this.url = null;
    this.query = null;
    this.count = -1;
  }
  getUrl(): string {
    return (this.url ??= this.req.getUrl());
  }
  getQuery(): string {
    return (this.query ??= this.req.getQuery() ?? '');
  }
  getHeader(name: string): string {
    if (this.count < 0) this.recordHeaders();
    // uWS's own getHeader answers the first field of a repeated name: so does this.
    const names = this.names;
    for (let i = 0; i < this.count; i++) if (names[i] === name) return this.values[i]!;
    return '';
  }
  getParameter(index: number): string {
    return this.req.getParameter(index) ?? '';
  }
  forEachHeader(cb: (name: string, value: string) => void): void {
    if (this.count < 0) this.recordHeaders();
    for (let i = 0; i < this.count; i++) cb(this.names[i]!, this.values[i]!);
  }
  private recordHeaders(): void {
    this.count = 0;
    this.req.forEach(this.record);
  }
}

/** uWS as an {@link HttpTransport}. */
export class UwsTransport implements HttpTransport<UwsResponse> {
  readonly info: BackendInfo;
  private readonly uws: UwsModule;
  private readonly app: UwsApp;
  private readonly view = new UwsRequestView();
  private readonly inflight = new Set<UwsResponse>();
  /** Header blocks of frozen replies ({@link blockOf}). */
  private readonly blocks = new WeakMap<FastReply, string | null>();
  private listenSocket: UwsListenSocket | null = null;

  constructor(uws: UwsModule, info: BackendInfo) {
    this.uws = uws;
    this.info = info;
    this.app = uws.App();
  }

  handle(method: string, pattern: string, dispatch: Dispatch<UwsResponse>): void {
    const view = this.view;
    if (method === '*') {
      const route = pattern === '/*' ? 'unmatched' : pattern;
      this.app.any(pattern, (res, req) => {
        view.reset(req, req.getCaseSensitiveMethod(), route);
        dispatch(res, view);
      });
      return;
    }
    const fn = METHOD_FN[method as keyof typeof METHOD_FN];
    if (fn === undefined) throw new OptchainError(ErrorCodes.INTERNAL, `uWS backend: unsupported method ${method}`);
    // The method is known from the registration: no native call to read it per request.
    this.app[fn](pattern, (res, req) => {
      view.reset(req, method, pattern);
      dispatch(res, view);
    });
  }

  send(res: UwsResponse, reply: FastReply, head: boolean, closeConnection: boolean): void {
    if (closeConnection && (res as TrackedResponse)[CLOSING] !== true) {
      this.sendThenClose(res as TrackedResponse, reply, head);
      return;
    }
    const block = Object.isFrozen(reply) ? this.blockOf(reply) : null;
    if (block !== null) res.writeStatus(block);
    else {
      res.writeStatus(statusLine(reply.status));
      // RFC 9110 §15.4.5: a 304 carries no representation metadata such as Content-Type.
      if (reply.status !== 304) res.writeHeader('content-type', reply.contentType);
      const headers = reply.headers;
      if (headers !== undefined) for (let i = 0; i < headers.length; i++) res.writeHeader(headers[i]![0], headers[i]![1]);
    }
    const body = reply.body;
    // 204 and 304 have no content and no Content-Length (RFC 9110 §8.6, §15.3.5, §15.4.5).
    const bodiless = reply.status === 204 || reply.status === 304;
    if (head || bodiless) {
      // endWithoutBody(length) never completes the response on 20.30 (measured); without a
      // length it writes no Content-Length, so we write it.
      const length = bodiless ? null : contentLength(reply);
      if (length !== null) res.writeHeader('content-length', String(length));
      res.endWithoutBody(); // any argument, even undefined, hits the same 20.30 bug (measured)
      this.inflight.delete(res);
      return;
    }
    if (typeof body === 'string' || body.byteLength < STREAM_THRESHOLD || closeConnection) {
      res.end(body, closeConnection);
      this.inflight.delete(res);
      return;
    }
    this.stream(res as TrackedResponse, body, reply);
  }

  /**
   * The status line and header fields of a frozen reply (one the chain route reuses for a
   * whole body generation) as one text, made once: uWS writes `writeStatus`'s argument
   * verbatim between `HTTP/1.1 ` and CRLF, and `writeHeader` as `name: value` CRLF, so one
   * native call with the fields joined by CRLF puts the same bytes on the wire as one call
   * per field (a chain 304 made seven native calls here where the hello route made four;
   * ~0.8 µs each under wrk, --cpu-prof). Null when a field could break the framing (CR or LF
   * in it; never the case for the server-built lists that are frozen): sent field by field.
   */
  private blockOf(reply: FastReply): string | null {
    let block = this.blocks.get(reply);
    if (block === undefined) {
      block = headerBlock(reply);
      this.blocks.set(reply, block);
    }
    return block;
  }

  /**
   * An answer after which no byte of the connection may be read as a request (a refused
   * framing, an unread body). `end(body, true)` is not enough: uWS 20.30 and 20.57 still
   * parse and answer the requests pipelined behind it in the same read, so a smuggled request
   * got its answer (measured, test/http-edge-raw-socket). Left pending until the next loop
   * turn instead, uWS closes the connection at the first pipelined byte without dispatching
   * it (measured, both builds); a client that sent nothing more gets the answer and the close.
   */
  private sendThenClose(res: TrackedResponse, reply: FastReply, head: boolean): void {
    let state = res[STATE];
    if (state === undefined) {
      const s: Watched = { aborted: false };
      state = s;
      res[STATE] = s;
      res.onAborted(() => {
        s.aborted = true;
        this.inflight.delete(res);
      });
      this.inflight.add(res);
    }
    const s = state;
    res[CLOSING] = true;
    setImmediate(() => {
      if (!s.aborted) res.cork(() => this.send(res, reply, head, true));
    });
  }

  watch(res: UwsResponse, onAbort: () => void): void {
    const state: Watched = { aborted: false };
    (res as TrackedResponse)[STATE] = state;
    res.onAborted(() => {
      state.aborted = true;
      this.inflight.delete(res);
      onAbort();
    });
    this.inflight.add(res);
  }

  cork(res: UwsResponse, fn: () => void): void {
    res.cork(fn);
  }

  readBody(res: UwsResponse, limit: number, onBody: (body: Buffer) => void, onTooLarge: () => void): void {
    readBody(res, limit, onBody, onTooLarge);
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      // rule 8: an explicit host, else uWS may bind IPv6 only
      this.app.listen(host, port, (token) => {
        if (!token) {
          reject(new OptchainError(ErrorCodes.HTTP_LISTEN_FAILED, `cannot listen on ${host}:${port} (in use or not permitted)`));
          return;
        }
        this.listenSocket = token;
        resolve(this.uws.us_socket_local_port(token));
      });
    });
  }

  close(): Promise<void> {
    if (this.listenSocket) {
      this.uws.us_listen_socket_close(this.listenSocket);
      this.listenSocket = null;
    }
    for (const res of [...this.inflight]) {
      try {
        res.close(); // runs its onAborted, which marks it aborted
      } catch {
        // already finished between the snapshot and here
      }
    }
    this.inflight.clear();
    if (typeof this.app.close === 'function') this.app.close();
    return Promise.resolve();
  }

  /**
   * A large body (a snapshot): as much as the socket takes now, the rest from onWritable as
   * the client reads (backpressure), so a slow reader holds one body, never a growing queue.
   * Handing it over in 256 KiB pieces, one per loop turn, was measured and dropped: chain
   * throughput under the snapshot flood fell to 45–50 % of quiet from 70–94 % (bench/RESULTS.md
   * 2026-12-03 14:05).
   */
  private stream(res: TrackedResponse, body: Uint8Array, reply: FastReply): void {
    const total = body.byteLength;
    const start = res.getWriteOffset();
    const [ok, done] = res.tryEnd(body, total);
    if (done) {
      this.inflight.delete(res);
      return;
    }
    // A body its owner may rewrite after this call (the chain cache's memory) is lent to us
    // (FastReply.retain) or else copied, only what uWS has not taken yet; an immutable one (a
    // cached snapshot) is sent from where it is.
    const taken = res.getWriteOffset() - start;
    if (reply.immutable !== true) reply.retain?.();
    const rest = reply.immutable === true || reply.retain !== undefined ? body.subarray(taken) : body.slice(taken);
    const restStart = start + taken;
    let state = res[STATE];
    if (state === undefined) {
      const s: Watched = { aborted: false };
      state = s;
      res[STATE] = s;
      res.onAborted(() => {
        s.aborted = true;
        this.inflight.delete(res);
      });
    }
    const s = state;
    this.inflight.add(res);
    if (!ok) {
      res.onWritable((offset) => {
        if (s.aborted) return true;
        const [ok2, done2] = res.tryEnd(rest.subarray(offset - restStart), total);
        if (done2) this.inflight.delete(res);
        return ok2;
      });
    }
  }

}

const FRAMING = /[\r\n]/;

/** `statusLine` CRLF `name: value` … (no final CRLF: uWS writes it), or null (see blockOf). */
function headerBlock(reply: FastReply): string | null {
  // RFC 9110 §15.4.5: a 304 carries no representation metadata such as Content-Type.
  let block = reply.status === 304 ? statusLine(reply.status) : `${statusLine(reply.status)}\r\ncontent-type: ${reply.contentType}`;
  if (FRAMING.test(reply.contentType)) return null;
  for (const [name, value] of reply.headers ?? []) {
    if (FRAMING.test(name) || FRAMING.test(value)) return null;
    block += `\r\n${name}: ${value}`;
  }
  return block;
}
