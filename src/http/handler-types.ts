/**
 * What route handlers see and return, independent of the HTTP backend that serves them
 * (uWS or node:http, see {@link HttpServer}). Route modules import only these types, never a
 * backend's request or response object.
 *
 * @module
 */

/** Methods routes can be registered for. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * The request as a fast handler (and an {@link HttpInterceptor}) sees it: valid only during
 * the synchronous call that received it (on uWS it reads the stack-allocated request,
 * docs/engineering.md §1.3 rule 1), so copy what must outlive the call. Every backend implements
 * it without allocating per request.
 */
export interface RequestView {
  /** The method as sent, upper case (`GET`, `HEAD`, `OPTIONS`, …). */
  readonly method: string;
  /** The route pattern that matched (`/v1/chains/:symbol`), or `unmatched`. */
  readonly route: string;
  /** The path without the query string, as sent (not decoded). */
  getUrl(): string;
  /** The raw query string without `?`; `''` when there is none. */
  getQuery(): string;
  /** A request header by its lower-case name; `''` when absent (repeated headers joined with `, `). */
  getHeader(lowerCaseName: string): string;
  /** The raw (undecoded) value of the `index`-th `:name` parameter of the pattern; `''` when none. */
  getParameter(index: number): string;
  /** Calls `cb` for every request header (names lower-case). */
  forEachHeader(cb: (lowerCaseName: string, value: string) => void): void;
}

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
  /** Parsed JSON body (undefined when empty). */
  readonly body: unknown;
  /** The raw body bytes (null when the method carries none or it was empty). */
  readonly rawBody: Uint8Array | null;
  /**
   * Aborts when the client goes away (or the server closes) before the answer was written;
   * its `reason` is an {@link HttpError} with code CLIENT_CLOSED. Work whose result nobody
   * will read (a paper order whose client left) should stop here.
   */
  readonly signal: AbortSignal;
}

/**
 * A generic route's answer. `body`: string (text/plain by default), Uint8Array
 * (application/octet-stream by default), anything else JSON-serialized (application/json);
 * set `content-type` in `headers` to override. Any other header is sent as given.
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
  /** See {@link FastReply.immutable}. */
  readonly immutable?: boolean;
}

/** A generic route handler; throw an {@link HttpError} (or any OptchainError) for an error answer. */
export type RouteHandler = (req: RouteRequest) => RouteReply | Promise<RouteReply>;

/** Per-route options. */
export interface RouteOptions {
  /** Body size limit for this route (default: the server's). */
  readonly maxBodyBytes?: number;
  /**
   * The handler reads `rawBody` of any type itself. Default false: the route takes JSON, and a
   * non-empty body of another Content-Type is refused with 415 UNSUPPORTED_MEDIA_TYPE.
   */
  readonly anyBodyType?: boolean;
}

/** A fast handler's answer (also the form every answer takes on its way out). */
export interface FastReply {
  readonly status: number;
  readonly contentType: string;
  /**
   * The body. It may be memory the caller rewrites after the call returns (the chain cache
   * patches `servedAt` in place and rebuilds into the same memory): a backend copies whatever
   * it does not hand to the kernel during the call.
   */
  readonly body: Uint8Array | string;
  /** Extra headers, names lower-case; never `content-type` or `content-length` (the server writes those). */
  readonly headers?: readonly (readonly [string, string])[];
  /** HEAD only: see {@link RouteReply.headLength}. */
  readonly headLength?: number | null;
  /**
   * Close the connection after this answer: the request's framing cannot be trusted (a
   * request-guard.ts refusal), so no byte after it may be read as another request.
   */
  readonly closeConnection?: boolean;
  /**
   * The body's memory is never written again (a cached snapshot body, built into a fresh
   * buffer and shared by every request): a backend that sends it over several loop turns may
   * keep a reference instead of copying it.
   */
  readonly immutable?: boolean;
  /**
   * For a body its owner would rewrite later (see {@link body}): a backend that still refers to
   * `body` once its `send` returns (the kernel did not take all of it, or the
   * answer waits behind a pipelined one) calls this instead of copying the body, and the owner
   * then never writes that memory again (the chain cache moves its entry to fresh memory).
   * Absent: the backend copies what it keeps. Called at most once, during the send.
   */
  readonly retain?: () => void;
}

/**
 * A synchronous hot-path handler: reads what it needs from the request view (valid only now)
 * and returns the answer; it must not keep `req` or await.
 */
export type FastHandler = (req: RequestView) => FastReply;

/**
 * Cross-cutting behaviour applied to every request of a server, on every backend (CORS,
 * conditional requests, compression, security headers). Both hooks run synchronously.
 */
export interface HttpInterceptor {
  /**
   * Runs first for every request, matched or not, any method (OPTIONS preflight included).
   * Return a reply to answer the request here (it then still passes {@link onReply}), or
   * undefined to route it normally.
   */
  onRequest?(req: RequestView): FastReply | undefined;
  /**
   * Runs on every answer (error answers included) just before it is written; returns the reply
   * to write: the same one, or one with headers added, a 304, a compressed body. For generic
   * routes `req` is a view of the copied request, so it is valid here after any await.
   */
  onReply?(req: RequestView, reply: FastReply): FastReply;
}
