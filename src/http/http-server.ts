/**
 * The uWS HTTP server core: route registration for the whole program, the contract's error
 * shape, 404 for unknown routes, 405 with `Allow` for a known route and a wrong method, JSON
 * bodies with a size limit (413) and async handlers, plus a synchronous fast path for the hot
 * chain routes. Follows the handler rules of engineering.md §1.3:
 *
 * - rule 1: everything needed from `req` is copied before any await (generic routes copy
 *   method, path, query, headers and params up front; fast handlers never await);
 * - rule 2: any response not finished synchronously has `onAborted` and an aborted flag;
 * - rule 3: writes outside the synchronous part are corked;
 * - rule 6: large bodies go out with `tryEnd`/`onWritable`;
 * - rule 8: listen on an explicit host;
 * - rule 9: close() closes the listen socket, the responses in flight and (with `app.close()`,
 *   which this 20.30 binary does export, measured) the idle keep-alive sockets, so the
 *   process can exit promptly.
 *
 * @module
 */
import { ErrorCodes, HttpError, OptchainError, isOptchainError } from '../errors.js';
import { CorsPolicy } from './cors.js';
import { HttpMetrics } from './http-metrics.js';
import { decodePathSegment, parseQuery } from './query.js';
import { readBody } from './read-body.js';
import { statusLine } from './status.js';
import { assertNativeUws, loadUws, type UwsApp, type UwsListenSocket, type UwsModule, type UwsRequest, type UwsResponse } from './uws.js';

/** Methods routes can be registered for. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const UWS_METHOD = { GET: 'get', POST: 'post', PUT: 'put', PATCH: 'patch', DELETE: 'del' } as const;
const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Bodies above this go out through tryEnd/onWritable (engineering.md §1.3 rule 6). */
const STREAM_THRESHOLD = 512 * 1024;
const JSON_TYPE = 'application/json; charset=utf-8';

/** What a generic route handler sees: copies, valid after any await. */
export interface RouteRequest {
  /** The request method; a GET route also sees HEAD (its body is then not sent). */
  readonly method: HttpMethod | 'HEAD';
  /** Path without the query string, as sent (not decoded). */
  readonly path: string;
  /** Decoded query parameters (first occurrence wins). */
  readonly query: Readonly<Record<string, string>>;
  /** Request headers, keys lower-case. */
  readonly headers: Readonly<Record<string, string>>;
  /** Decoded `:name` path parameters. */
  readonly params: Readonly<Record<string, string>>;
  /** Parsed JSON body (undefined when empty or not JSON-typed). */
  readonly body: unknown;
  /** The raw body bytes (null when the method carries none or it was empty). */
  readonly rawBody: Uint8Array | null;
}

/**
 * A generic route's answer. `body`: string (text/plain by default), Uint8Array
 * (application/octet-stream by default), anything else JSON-serialized (application/json);
 * set `content-type` in `headers` to override.
 */
export interface RouteReply {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /**
   * HEAD only: the Content-Length to announce; null announces none (the length is not known
   * without building the body, which HEAD must not do). Default: the body's length.
   */
  readonly headLength?: number | null;
}

/** A generic route handler; throw an {@link HttpError} (or any OptchainError) for an error answer. */
export type RouteHandler = (req: RouteRequest) => RouteReply | Promise<RouteReply>;

/** Per-route options. */
export interface RouteOptions {
  /** Body size limit for this route (default: the server's). */
  readonly maxBodyBytes?: number;
}

/** A fast handler's answer, written synchronously. */
export interface FastReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array | string;
  readonly headers?: readonly (readonly [string, string])[];
}

/**
 * A synchronous hot-path handler: reads what it needs from the uWS request (valid only now)
 * and returns the answer; it must not keep `req` or await.
 */
export type FastHandler = (req: UwsRequest) => FastReply;

/** Minimal logger interface (pino-compatible). */
export interface HttpLogger {
  error(obj: object, msg?: string): void;
  warn?(obj: object, msg?: string): void;
}

/** Options of an {@link HttpServer}. */
export interface HttpServerOptions {
  /** Default request body limit in bytes (config `httpMaxBodyBytes`). Default 64 KiB. */
  readonly maxBodyBytes?: number;
  readonly metrics?: HttpMetrics;
  readonly logger?: HttpLogger;
  /** Cross-origin policy (cors.ts): CORS headers on every route's answers, preflight on OPTIONS. */
  readonly cors?: CorsPolicy;
  /** For tests of the start-up check only. */
  readonly uws?: UwsModule;
}

interface WireReply {
  status: number;
  contentType: string;
  body: Uint8Array | string;
  headers: readonly (readonly [string, string])[];
  headLength?: number | null;
}

interface ResponseState {
  aborted: boolean;
  done: boolean;
  /** A HEAD request: headers only. */
  head?: boolean;
  /** The request's Origin ('' when absent or CORS is off). */
  origin?: string;
}

/** The server. Create one, register routes, `listen`, `close`. */
export class HttpServer {
  readonly metrics: HttpMetrics;
  private readonly uws: UwsModule;
  private readonly app: UwsApp;
  private readonly maxBodyBytes: number;
  private readonly logger: HttpLogger | undefined;
  private readonly cors: CorsPolicy | undefined;
  private readonly methodsByPattern = new Map<string, Set<string>>();
  private readonly inflight = new Set<UwsResponse>();
  private listenSocket: UwsListenSocket | null = null;
  private boundPort = 0;
  private closed = false;

  /** Throws UWS_NATIVE_MISSING when the native uWS addon did not load (engineering.md §1.1). */
  constructor(options: HttpServerOptions = {}) {
    if (options.uws) {
      assertNativeUws(options.uws); // still asserted: a test passes the JS fallback to see the refusal
      this.uws = options.uws;
    } else {
      this.uws = loadUws();
    }
    this.app = this.uws.App();
    this.maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
    this.metrics = options.metrics ?? new HttpMetrics();
    this.logger = options.logger;
    this.cors = options.cors?.enabled ? options.cors : undefined;
    this.app.any('/*', (res, req) => {
      const method = req.getCaseSensitiveMethod();
      const reply = errorWire(new HttpError(404, ErrorCodes.NOT_FOUND, `no route ${method} ${req.getUrl()}`));
      this.sendNow(res, reply, false, undefined, req.getMethod() === 'head');
      this.metrics.request('unmatched', method, 404);
    });
  }

  /** Every registered route (a GET route's implied HEAD included), in registration order. */
  routes(): { method: string; pattern: string }[] {
    return [...this.methodsByPattern].flatMap(([pattern, methods]) => [...methods].map((method) => ({ method, pattern })));
  }

  /** The bound port after {@link listen} (useful with port 0). */
  get port(): number {
    return this.boundPort;
  }

  /**
   * Registers a generic route. `pattern` uses uWS syntax (`/v1/paper/strategies/:id`); the
   * handler may be async. Bodies of POST/PUT/PATCH/DELETE are read (limit → 413
   * BODY_TOO_LARGE) and parsed as JSON when non-empty and JSON-typed or untyped (invalid →
   * 400 BAD_REQUEST).
   */
  route(method: HttpMethod, pattern: string, handler: RouteHandler, options: RouteOptions = {}): this {
    const names = paramNames(pattern);
    const limit = options.maxBodyBytes ?? this.maxBodyBytes;
    this.register(method, pattern, (res, req, head) => {
      const state: ResponseState = { aborted: false, done: false, head };
      let path: string;
      let query: Record<string, string>;
      const headers: Record<string, string> = Object.create(null) as Record<string, string>;
      const params: Record<string, string> = Object.create(null) as Record<string, string>;
      try {
        // rule 1: copy everything from req now
        path = req.getUrl();
        const rawQuery = req.getQuery() ?? '';
        req.forEach((k, v) => {
          headers[k] = v;
        });
        for (let i = 0; i < names.length; i++) params[names[i]!] = decodePathSegment(req.getParameter(i));
        query = parseQuery(rawQuery);
        if (this.cors) state.origin = headers.origin ?? '';
      } catch (err) {
        const reply = this.errorReply(err, pattern);
        this.sendNow(res, reply, false, undefined, head);
        this.metrics.request(pattern, head ? 'HEAD' : method, reply.status);
        return;
      }
      res.onAborted(() => {
        state.aborted = true;
        this.inflight.delete(res);
      });
      this.inflight.add(res);
      const base = { method: head ? ('HEAD' as const) : method, path, query, headers, params };
      if (!BODY_METHODS.has(method)) {
        this.invoke(res, state, handler, { ...base, body: undefined, rawBody: null }, pattern);
        return;
      }
      const declared = headers['content-length'];
      if (declared !== undefined && Number(declared) > limit) {
        this.finish(res, state, errorWire(tooLarge(limit)), pattern, method, true);
        return;
      }
      readBody(
        res,
        limit,
        (raw) => {
          let body: unknown;
          const type = headers['content-type'];
          if (raw.length > 0 && (type === undefined || type.includes('json'))) {
            try {
              body = JSON.parse(raw.toString('utf8'));
            } catch {
              this.finish(res, state, errorWire(new HttpError(400, ErrorCodes.BAD_REQUEST, 'request body is not valid JSON')), pattern, method);
              return;
            }
          }
          this.invoke(res, state, handler, { ...base, body, rawBody: raw.length > 0 ? raw : null }, pattern);
        },
        () => this.finish(res, state, errorWire(tooLarge(limit)), pattern, method, true),
      );
    });
    return this;
  }

  /**
   * Registers a synchronous hot-path route (the chain routes): no request copy, no promise,
   * no abort bookkeeping unless the body has to be streamed. Thrown errors become the
   * contract's error answers.
   */
  fastRoute(method: HttpMethod, pattern: string, handler: FastHandler): this {
    this.register(method, pattern, (res, req, head) => {
      const origin = this.cors ? req.getHeader('origin') : '';
      let reply: WireReply;
      try {
        const r = handler(req);
        reply = { status: r.status, contentType: r.contentType, body: r.body, headers: r.headers ?? [] };
      } catch (err) {
        reply = this.errorReply(err, pattern);
      }
      this.sendNow(res, reply, false, undefined, head, origin);
      this.metrics.request(pattern, head ? 'HEAD' : method, reply.status);
    });
    return this;
  }

  /** Listens on `host:port` (port 0 = any free port); resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    if (this.closed) return Promise.reject(new OptchainError(ErrorCodes.HTTP_LISTEN_FAILED, 'server already closed'));
    return new Promise((resolve, reject) => {
      // rule 8: an explicit host, else uWS may bind IPv6 only
      this.app.listen(host, port, (token) => {
        if (!token) {
          reject(new OptchainError(ErrorCodes.HTTP_LISTEN_FAILED, `cannot listen on ${host}:${port} (in use or not permitted)`));
          return;
        }
        this.listenSocket = token;
        this.boundPort = this.uws.us_socket_local_port(token as unknown as Parameters<UwsModule['us_socket_local_port']>[0]);
        resolve(this.boundPort);
      });
    });
  }

  /** Stops listening and closes every connection (in-flight and idle keep-alive). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
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
    const app = this.app as unknown as { close?: () => void };
    if (typeof app.close === 'function') app.close();
  }

  /**
   * Registers `handler` for `method` on `pattern`; a GET route also answers HEAD (same
   * status and headers, no body: uWS 20.30 would send the body, so sendNow handles it).
   */
  private register(method: HttpMethod, pattern: string, handler: (res: UwsResponse, req: UwsRequest, head: boolean) => void): void {
    let methods = this.methodsByPattern.get(pattern);
    if (!methods) {
      methods = new Set();
      this.methodsByPattern.set(pattern, methods);
      const allowed = methods;
      // uWS prefers a method-specific handler over `any` on the same pattern (measured), so
      // this only sees the methods nobody registered.
      this.app.any(pattern, (res, req) => {
        const m = req.getCaseSensitiveMethod();
        const allow = [...allowed].sort().join(', ');
        const reply = errorWire(new HttpError(405, ErrorCodes.METHOD_NOT_ALLOWED, `${m} is not allowed on ${pattern}; allowed: ${allow}`));
        reply.headers = [['allow', allow]];
        this.sendNow(res, reply, false, undefined, req.getMethod() === 'head');
        this.metrics.request(pattern, m, 405);
      });
      this.app.options(pattern, (res, req) => this.options(res, req, pattern, allowed));
    }
    if (methods.has(method)) throw new OptchainError(ErrorCodes.INTERNAL, `route ${method} ${pattern} registered twice`);
    methods.add(method);
    this.app[UWS_METHOD[method]](pattern, (res, req) => handler(res, req, false));
    if (method === 'GET') {
      methods.add('HEAD');
      this.app.head(pattern, (res, req) => handler(res, req, true));
    }
  }

  /**
   * OPTIONS on a known route: a CORS preflight (Origin + Access-Control-Request-Method) is
   * answered by the policy; anything else gets 204 with `Allow` (RFC 9110 §9.3.7).
   */
  private options(res: UwsResponse, req: UwsRequest, pattern: string, allowed: ReadonlySet<string>): void {
    const origin = req.getHeader('origin');
    const requested = req.getHeader('access-control-request-method');
    const methods = [...allowed].sort();
    let reply: WireReply;
    if (origin.length > 0 && requested.length > 0) {
      try {
        const answer = (this.cors ?? NO_CORS).preflight(origin, requested, methods);
        reply = { status: answer.status, contentType: 'text/plain; charset=utf-8', body: '', headers: answer.headers };
      } catch (err) {
        reply = this.errorReply(err, pattern);
      }
    } else {
      reply = { status: 204, contentType: 'text/plain; charset=utf-8', body: '', headers: [['allow', [...methods, 'OPTIONS'].join(', ')]] };
    }
    this.sendNow(res, reply, false, undefined, false, reply.status === 204 ? '' : origin);
    this.metrics.request(pattern, 'OPTIONS', reply.status);
  }

  private invoke(res: UwsResponse, state: ResponseState, handler: RouteHandler, req: RouteRequest, pattern: string): void {
    let result: RouteReply | Promise<RouteReply>;
    try {
      result = handler(req);
    } catch (err) {
      this.finish(res, state, this.errorReply(err, pattern), pattern, req.method);
      return;
    }
    if (isPromiseLike(result)) {
      result.then(
        (reply) => this.finish(res, state, this.toWire(reply, pattern), pattern, req.method),
        (err: unknown) => this.finish(res, state, this.errorReply(err, pattern), pattern, req.method),
      );
    } else {
      this.finish(res, state, this.toWire(result, pattern), pattern, req.method);
    }
  }

  /** Answers a generic route (corked: it may run after an await, rule 3). */
  private finish(res: UwsResponse, state: ResponseState, reply: WireReply, pattern: string, method: string, closeConnection = false): void {
    if (state.aborted || state.done) return;
    state.done = true;
    let complete = true;
    res.cork(() => {
      complete = this.sendNow(res, reply, closeConnection, state, state.head, state.origin);
    });
    if (complete) this.inflight.delete(res);
    this.metrics.request(pattern, method, reply.status);
  }

  /**
   * Writes status, headers and body. Returns false when a large body is still streaming; the
   * response then stays tracked until it completes or aborts.
   */
  private sendNow(res: UwsResponse, reply: WireReply, closeConnection: boolean, state?: ResponseState, head = false, origin = ''): boolean {
    res.writeStatus(statusLine(reply.status));
    res.writeHeader('content-type', reply.contentType);
    for (const [k, v] of reply.headers) res.writeHeader(k, v);
    if (this.cors) for (const [k, v] of this.cors.headersFor(origin)) res.writeHeader(k, v);
    const body = reply.body;
    // 204 and 304 have no content and no Content-Length (RFC 9110 §8.6, §15.3.5, §15.4.5).
    const bodiless = reply.status === 204 || reply.status === 304;
    if (head || bodiless) {
      // endWithoutBody(length) never completes the response on 20.30 (measured); without a
      // length it writes no Content-Length, so we write it.
      const length = bodiless ? null : reply.headLength !== undefined ? reply.headLength : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
      if (length !== null) res.writeHeader('content-length', String(length));
      res.endWithoutBody(); // any argument, even undefined, hits the same 20.30 bug (measured)
      return true;
    }
    if (typeof body === 'string' || body.byteLength < STREAM_THRESHOLD || closeConnection) {
      res.end(body, closeConnection);
      return true;
    }
    return this.stream(res, body, state);
  }

  private stream(res: UwsResponse, body: Uint8Array, state: ResponseState | undefined): boolean {
    const total = body.byteLength;
    const start = res.getWriteOffset();
    const [ok, done] = res.tryEnd(body, total);
    if (done) return true;
    // The body may be a view into a reused builder: keep a private copy of only what uWS has
    // not taken yet (onWritable offsets count from the response's first byte).
    const taken = res.getWriteOffset() - start;
    const rest = body.slice(taken);
    const restStart = start + taken;
    const s = state ?? { aborted: false, done: true };
    if (!state) {
      res.onAborted(() => {
        s.aborted = true;
        this.inflight.delete(res);
      });
    }
    this.inflight.add(res);
    if (!ok) {
      res.onWritable((offset) => {
        if (s.aborted) return true;
        const [ok2, done2] = res.tryEnd(rest.subarray(offset - restStart), total);
        if (done2) this.inflight.delete(res);
        return ok2;
      });
    }
    return false;
  }

  private toWire(reply: RouteReply, pattern: string): WireReply {
    try {
      const headers: [string, string][] = [];
      let contentType: string | undefined;
      for (const [k, v] of Object.entries(reply.headers ?? {})) {
        if (k.toLowerCase() === 'content-type') contentType = v;
        else headers.push([k, v]);
      }
      const b = reply.body;
      let body: Uint8Array | string;
      if (b === undefined || b === null) body = '';
      else if (typeof b === 'string') {
        body = b;
        contentType ??= 'text/plain; charset=utf-8';
      } else if (b instanceof Uint8Array) {
        body = b;
        contentType ??= 'application/octet-stream';
      } else {
        body = JSON.stringify(b);
        contentType ??= JSON_TYPE;
      }
      return { status: reply.status ?? 200, contentType: contentType ?? JSON_TYPE, body, headers, headLength: reply.headLength };
    } catch (err) {
      return this.errorReply(err, pattern);
    }
  }

  private errorReply(err: unknown, pattern: string): WireReply {
    // A refusal the contract defines is an answer, not a server fault: log only what is not one
    // of ours (a bug) as an error, and our own 5xx (upstream margin failures) as a warning;
    // NOT_READY during start-up is expected and not logged at all.
    if (!isOptchainError(err)) this.logger?.error({ err, route: pattern }, 'request failed');
    else if (err.status >= 500 && err.code !== ErrorCodes.NOT_READY) this.logger?.warn?.({ err, route: pattern }, 'request failed');
    return errorWire(err);
  }
}

/** Refuses every preflight when no policy is configured (same origin only). */
const NO_CORS = new CorsPolicy([]);

function tooLarge(limit: number): HttpError {
  return new HttpError(413, ErrorCodes.BODY_TOO_LARGE, `request body exceeds ${limit} bytes`);
}

/** The contract's error answer for any thrown value; unknown errors never leak their message. */
function errorWire(err: unknown): WireReply {
  if (isOptchainError(err)) {
    const status = err.status >= 400 && err.status <= 599 ? err.status : 500;
    return { status, contentType: JSON_TYPE, body: JSON.stringify(err.toJSON()), headers: [] };
  }
  return { status: 500, contentType: JSON_TYPE, body: JSON.stringify({ error: { code: ErrorCodes.INTERNAL, message: 'internal error' } }), headers: [] };
}

function paramNames(pattern: string): string[] {
  return pattern.split('/').filter((s) => s.startsWith(':')).map((s) => s.slice(1));
}

function isPromiseLike<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}
