/**
 * The HTTP core for the whole program, on any backend behind the {@link HttpTransport} seam
 * (uWS or node:http): route registration, the contract's error shape, 404 for unknown routes,
 * 405 with `Allow` for a known route and a wrong method, JSON bodies with a size limit (413)
 * and async handlers with an abort signal, a synchronous fast path for the hot chain routes,
 * and {@link HttpInterceptor}s for cross-cutting behaviour.
 *
 * Route modules see only {@link RequestView} / {@link RouteRequest} and answer with
 * {@link FastReply} / {@link RouteReply}: nothing of a backend leaks into them.
 *
 * @module
 */
import { ErrorCodes, HttpError, OptchainError, isOptchainError } from '../errors.js';
import { CopiedRequestView } from './copied-request-view.js';
import { CorsPolicy } from './cors.js';
import { corsInterceptor } from './cors-interceptor.js';
import { HostAllowlist, hostCheckInterceptor, parseAllowedHosts } from './host-allowlist.js';
import { DEFAULT_MAX_HEADER_BYTES, RequestGuard, type RequestGuardOptions } from './request-guard.js';
import { securityHeadersInterceptor } from './security-headers.js';
import { JSON_TYPE, errorReply } from './error-reply.js';
import type { FastHandler, FastReply, HttpInterceptor, HttpMethod, RequestView, RouteHandler, RouteOptions, RouteReply, RouteRequest } from './handler-types.js';
import { HttpMetrics } from './http-metrics.js';
import { decodePathSegment, parseQuery } from './query.js';
import type { BackendInfo, HttpTransport } from './transport.js';
import { createTransport, type HttpBackendChoice } from './select-backend.js';
import { UwsTransport } from './uws-transport.js';
import { assertNativeUws, type UwsModule } from './uws.js';

export type { FastHandler, FastReply, HttpInterceptor, HttpMethod, RequestView, RouteHandler, RouteOptions, RouteReply, RouteRequest } from './handler-types.js';

const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** The `status` label of a request whose client went away before its answer (nginx's 499). */
export const CLIENT_CLOSED_STATUS = 499;

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
  /** Interceptors, in order (more with {@link HttpServer.use}); they run after the CORS one. */
  readonly interceptors?: readonly HttpInterceptor[];
  /** Cross-origin policy (cors.ts); default: same origin only (no CORS header, every preflight refused). */
  readonly cors?: CorsPolicy;
  /** Header limits of the request guard (request-guard.ts; config `httpMaxHeaders`, `httpMaxHeaderBytes`). */
  readonly limits?: RequestGuardOptions;
  /**
   * Host names answered besides localhost, IP literals and the name given to
   * {@link HttpServer.listen} (host-allowlist.ts; config `allowedHosts`): comma-separated,
   * `*.domain` for subdomains, `*` for any. Default ''.
   */
  readonly allowedHosts?: string;
  /** Which backend serves (config `httpBackend`, select-backend.ts). Default `auto`. */
  readonly backend?: HttpBackendChoice;
  /** For tests of the start-up check only: serve with this uWS module. */
  readonly uws?: UwsModule;
}

interface RouteState {
  aborted: boolean;
  done: boolean;
}

/** The server. Create one, register routes, `listen`, `close`. */
export class HttpServer {
  readonly metrics: HttpMetrics;
  /** The backend serving, and why a faster one was not used. */
  readonly backend: BackendInfo;
  private readonly transport: HttpTransport<unknown>;
  private readonly maxBodyBytes: number;
  private readonly logger: HttpLogger | undefined;
  private readonly methodsByPattern = new Map<string, Set<string>>();
  private readonly requestHooks: ((req: RequestView) => FastReply | undefined)[] = [];
  private readonly replyHooks: ((req: RequestView, reply: FastReply) => FastReply)[] = [];
  private boundPort = 0;
  private closed = false;
  private readonly allowlist: HostAllowlist;

  /** Throws HTTP_BACKEND_UNAVAILABLE when `backend: 'uws'` is asked for and no native uWS build loads. */
  constructor(options: HttpServerOptions = {}) {
    // uWS ≥ 20.4x reads its header-size cap from the environment when the addon loads (4 KiB
    // by default, measured on 20.57): raise it to the guard's limit so both answer alike.
    process.env.UWS_HTTP_MAX_HEADERS_SIZE ??= String(options.limits?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES);
    if (options.uws) {
      assertNativeUws(options.uws); // still asserted: a test passes the JS fallback to see the refusal
      this.transport = new UwsTransport(options.uws, { name: 'uws', source: 'given module', version: 'unknown', fallbackReason: '' }) as HttpTransport<unknown>;
    } else {
      this.transport = createTransport(options.backend ?? 'auto');
    }
    this.backend = this.transport.info;
    this.maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
    this.metrics = options.metrics ?? new HttpMetrics();
    this.metrics.backend(this.backend);
    this.logger = options.logger;
    // The edge first: a request refused for its Host or framing reaches nothing else.
    this.allowlist = new HostAllowlist(parseAllowedHosts(options.allowedHosts ?? ''));
    this.use(hostCheckInterceptor(this.allowlist));
    this.use(new RequestGuard(options.limits));
    this.use(securityHeadersInterceptor());
    this.use(corsInterceptor(options.cors ?? NO_CORS, (route) => this.allowedMethods(route)));
    for (const i of options.interceptors ?? []) this.use(i);
    this.transport.handle('*', '/*', (res, req) => {
      const reply = this.intercepted(req) ?? errorReply(new HttpError(ErrorCodes.NOT_FOUND, `no route ${req.method} ${req.getUrl()}`));
      this.sendFast(res, req, reply);
    });
  }

  /** Every registered route (a GET route's implied HEAD included), in registration order. */
  routes(): { method: string; pattern: string }[] {
    return [...this.methodsByPattern].flatMap(([pattern, methods]) => [...methods].map((method) => ({ method, pattern })));
  }

  /** The methods registered on `pattern`, sorted; undefined for a pattern nobody registered. */
  allowedMethods(pattern: string): readonly string[] | undefined {
    const methods = this.methodsByPattern.get(pattern);
    return methods === undefined ? undefined : [...methods].sort();
  }

  /** The bound port after {@link listen} (useful with port 0). */
  get port(): number {
    return this.boundPort;
  }

  /** Adds an interceptor: its hooks run after those added before it. */
  use(interceptor: HttpInterceptor): this {
    if (interceptor.onRequest) this.requestHooks.push(interceptor.onRequest.bind(interceptor));
    if (interceptor.onReply) this.replyHooks.push(interceptor.onReply.bind(interceptor));
    return this;
  }

  /**
   * Registers a generic route. `pattern` uses uWS syntax (`/v1/paper/strategies/:id`); the
   * handler may be async and gets a signal that aborts when the client goes away. Bodies of
   * POST/PUT/PATCH/DELETE are read (limit → 413 BODY_TOO_LARGE) and parsed as JSON when
   * non-empty and JSON-typed or untyped (invalid → 400 BAD_REQUEST).
   */
  route(method: HttpMethod, pattern: string, handler: RouteHandler, options: RouteOptions = {}): this {
    const names = paramNames(pattern);
    const limit = options.maxBodyBytes ?? this.maxBodyBytes;
    const anyType = options.anyBodyType === true;
    const hasBody = BODY_METHODS.has(method);
    this.register(method, pattern, (res, view) => {
      const early = this.intercepted(view);
      if (early !== undefined) {
        this.sendFast(res, view, early);
        return;
      }
      const m = view.method as HttpMethod | 'HEAD';
      let copy: CopiedRequestView;
      let query: Record<string, string>;
      const params: Record<string, string> = Object.create(null) as Record<string, string>;
      try {
        // rule 1: copy everything from the view now
        const headers: Record<string, string> = Object.create(null) as Record<string, string>;
        view.forEachHeader((k, v) => {
          headers[k] = v;
        });
        const raw: string[] = [];
        for (let i = 0; i < names.length; i++) {
          raw.push(view.getParameter(i));
          params[names[i]!] = decodePathSegment(raw[i]!);
        }
        copy = new CopiedRequestView(m, pattern, view.getUrl(), view.getQuery(), headers, raw);
        query = parseQuery(copy.getQuery());
      } catch (err) {
        this.sendFast(res, view, this.errorReply(err, pattern));
        return;
      }
      const state: RouteState = { aborted: false, done: false };
      const controller = new AbortController();
      this.transport.watch(res, () => {
        if (state.done) return;
        state.aborted = true;
        controller.abort(new HttpError(ErrorCodes.CLIENT_CLOSED, 'the client closed the connection before the answer'));
        this.metrics.request(pattern, m, CLIENT_CLOSED_STATUS);
      });
      const headers = copy.headers;
      const base = { method: m, path: copy.getUrl(), query, headers, params, signal: controller.signal };
      if (!hasBody) {
        this.invoke(res, state, handler, { ...base, body: undefined, rawBody: null }, copy);
        return;
      }
      const declared = headers['content-length'];
      if (declared !== undefined && Number(declared) > limit) {
        this.finish(res, state, errorReply(tooLarge(limit)), copy, true);
        return;
      }
      this.transport.readBody(
        res,
        limit,
        (raw) => {
          let body: unknown;
          const type = headers['content-type'];
          if (raw.length > 0 && type !== undefined && !anyType && !isJsonType(type)) {
            // Every body route reads JSON: a body it would not parse is refused, not ignored.
            this.finish(res, state, errorReply(new HttpError(ErrorCodes.UNSUPPORTED_MEDIA_TYPE, `request body must be application/json, not ${type.slice(0, 100)}`)), copy);
            return;
          }
          if (raw.length > 0 && (type === undefined || isJsonType(type))) {
            try {
              body = JSON.parse(raw.toString('utf8'));
            } catch {
              this.finish(res, state, errorReply(new HttpError(ErrorCodes.BAD_REQUEST, 'request body is not valid JSON')), copy);
              return;
            }
          }
          this.invoke(res, state, handler, { ...base, body, rawBody: raw.length > 0 ? raw : null }, copy);
        },
        () => this.finish(res, state, errorReply(tooLarge(limit)), copy, true),
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
    this.register(method, pattern, (res, req) => {
      let reply = this.requestHooks.length > 0 ? this.intercepted(req) : undefined;
      if (reply === undefined) {
        try {
          reply = handler(req);
        } catch (err) {
          reply = this.errorReply(err, pattern);
        }
      }
      this.sendFast(res, req, reply);
    });
    return this;
  }

  /** Listens on `host:port` (port 0 = any free port); resolves with the bound port. */
  async listen(host: string, port: number): Promise<number> {
    if (this.closed) throw new OptchainError(ErrorCodes.HTTP_LISTEN_FAILED, 'server already closed');
    this.allowlist.add([host]); // a server bound to a name answers to it
    this.boundPort = await this.transport.listen(host, port);
    return this.boundPort;
  }

  /** Stops listening and closes every connection (in-flight and idle keep-alive). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.transport.close();
  }

  /** The first interceptor answer for `req`, if any. */
  private intercepted(req: RequestView): FastReply | undefined {
    const hooks = this.requestHooks;
    for (let i = 0; i < hooks.length; i++) {
      let reply: FastReply | undefined;
      try {
        reply = hooks[i]!(req);
      } catch (err) {
        reply = this.errorReply(err, req.route);
      }
      if (reply !== undefined) return reply;
    }
    return undefined;
  }

  /** Passes an answer through the reply hooks. */
  private outgoing(req: RequestView, reply: FastReply): FastReply {
    const hooks = this.replyHooks;
    for (let i = 0; i < hooks.length; i++) {
      try {
        reply = hooks[i]!(req, reply);
      } catch (err) {
        reply = this.errorReply(err, req.route);
      }
    }
    return reply;
  }

  /** Answers synchronously (fast routes, 404/405, early refusals). */
  private sendFast(res: unknown, req: RequestView, reply: FastReply): void {
    if (this.replyHooks.length > 0) reply = this.outgoing(req, reply);
    this.transport.send(res, reply, req.method === 'HEAD', reply.closeConnection === true);
    this.metrics.request(req.route, req.method, reply.status);
  }

  /**
   * Registers `dispatch` for `method` on `pattern`; a GET route also answers HEAD (same
   * status and headers, no body); the other methods on the pattern get 405 with `Allow`.
   */
  private register(method: HttpMethod, pattern: string, dispatch: (res: unknown, req: RequestView) => void): void {
    let methods = this.methodsByPattern.get(pattern);
    if (!methods) {
      methods = new Set();
      this.methodsByPattern.set(pattern, methods);
      const allowed = methods;
      // Method-specific handlers win over `any` on the same pattern (uWS, measured; the node
      // router does the same), so this only sees the methods nobody registered.
      this.transport.handle('*', pattern, (res, req) => {
        let reply = this.intercepted(req);
        if (reply === undefined) {
          const methods = [...allowed].sort();
          if (req.method === 'OPTIONS') {
            // RFC 9110 §9.3.7: OPTIONS on a resource names what it allows (a preflight was
            // answered by the CORS interceptor already).
            reply = { status: 204, contentType: 'text/plain; charset=utf-8', body: '', headers: [['allow', [...methods, 'OPTIONS'].join(', ')]] };
          } else {
            const allow = methods.join(', ');
            const err = new HttpError(ErrorCodes.METHOD_NOT_ALLOWED, `${req.method} is not allowed on ${pattern}; allowed: ${allow}`);
            reply = errorReply(err, [['allow', allow]]);
          }
        }
        this.sendFast(res, req, reply);
      });
    }
    if (methods.has(method)) throw new OptchainError(ErrorCodes.INTERNAL, `route ${method} ${pattern} registered twice`);
    methods.add(method);
    this.transport.handle(method, pattern, dispatch);
    if (method === 'GET') {
      methods.add('HEAD');
      this.transport.handle('HEAD', pattern, dispatch);
    }
  }

  private invoke(res: unknown, state: RouteState, handler: RouteHandler, req: RouteRequest, view: CopiedRequestView): void {
    let result: RouteReply | Promise<RouteReply>;
    try {
      result = handler(req);
    } catch (err) {
      this.finish(res, state, this.errorReply(err, view.route), view);
      return;
    }
    if (isPromiseLike(result)) {
      result.then(
        (reply) => this.finish(res, state, this.toWire(reply, view.route), view),
        (err: unknown) => this.finish(res, state, this.errorReply(err, view.route), view),
      );
    } else {
      this.finish(res, state, this.toWire(result, view.route), view);
    }
  }

  /** Answers a generic route (corked: it may run after an await, rule 3). */
  private finish(res: unknown, state: RouteState, reply: FastReply, view: CopiedRequestView, closeConnection = false): void {
    if (state.aborted || state.done) return;
    state.done = true;
    if (this.replyHooks.length > 0) reply = this.outgoing(view, reply);
    const r = reply;
    this.transport.cork(res, () => this.transport.send(res, r, view.method === 'HEAD', closeConnection));
    this.metrics.request(view.route, view.method, reply.status);
  }

  private toWire(reply: RouteReply, pattern: string): FastReply {
    try {
      const headers: [string, string][] = [];
      let contentType: string | undefined;
      for (const [k, v] of Object.entries(reply.headers ?? {})) {
        const name = k.toLowerCase();
        if (name === 'content-type') contentType = v;
        else if (name !== 'content-length') headers.push([name, v]);
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
      const wire = { status: reply.status ?? 200, contentType: contentType ?? JSON_TYPE, body, headers };
      const sized = reply.headLength === undefined ? wire : { ...wire, headLength: reply.headLength };
      return reply.immutable === true ? { ...sized, immutable: true } : sized;
    } catch (err) {
      return this.errorReply(err, pattern);
    }
  }

  private errorReply(err: unknown, pattern: string): FastReply {
    // A refusal the contract defines is an answer, not a server fault: log only what is not one
    // of ours (a bug) as an error, and our own 5xx (upstream margin failures) as a warning;
    // NOT_READY during start-up is expected and not logged at all.
    if (!isOptchainError(err)) this.logger?.error({ err, route: pattern }, 'request failed');
    else if (err.status >= 500 && err.code !== ErrorCodes.NOT_READY) this.logger?.warn?.({ err, route: pattern }, 'request failed');
    return errorReply(err);
  }
}

/** Refuses every preflight when no policy is configured (same origin only). */
const NO_CORS = new CorsPolicy([]);

/** `application/json` or a `+json` type (RFC 6839 §3.1), any parameters. */
function isJsonType(type: string): boolean {
  const semi = type.indexOf(';');
  const essence = (semi < 0 ? type : type.slice(0, semi)).trim().toLowerCase();
  return essence === 'application/json' || (essence.startsWith('application/') && essence.endsWith('+json'));
}

function tooLarge(limit: number): HttpError {
  return new HttpError(ErrorCodes.BODY_TOO_LARGE, `request body exceeds ${limit} bytes`);
}

function paramNames(pattern: string): string[] {
  return pattern.split('/').filter((s) => s.startsWith(':')).map((s) => s.slice(1));
}

function isPromiseLike<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}
