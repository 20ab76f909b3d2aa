/**
 * The seam between the HTTP core ({@link HttpServer}: routes, the contract's error answers,
 * bodies, metrics, interceptors) and a backend that owns sockets, parsing and routing (uWS or
 * node:http). The core never touches a backend's objects except through these functions, so
 * `Res` stays opaque and the fast path needs no wrapper per request.
 *
 * @module
 */
import type { FastReply, RequestView } from './handler-types.js';

/** Which backend serves, and why (named by the start-up line, `/health` and `/metrics`). */
export interface BackendInfo {
  /** `uws` or `node`. */
  readonly name: 'uws' | 'node';
  /** Where the code comes from: the npm package of the uWS build, or `node:http`. */
  readonly source: string;
  /** Its version (`20.30.0`, or Node's version for node:http). */
  readonly version: string;
  /** Why a faster backend was not used; `''` when none was passed over. */
  readonly fallbackReason: string;
}

/** A dispatcher the core registers: called synchronously with the backend's response and a request view. */
export type Dispatch<Res> = (res: Res, req: RequestView) => void;

/** One HTTP backend. */
export interface HttpTransport<Res> {
  readonly info: BackendInfo;
  /**
   * Routes `method` (upper case; `*` = every method not registered on `pattern`) and
   * `pattern` (uWS syntax: `/a/:p`, `/a/*`; `/*` with `*` = every unmatched request).
   * Static segments win over parameters, parameters over wildcards.
   */
  handle(method: string, pattern: string, dispatch: Dispatch<Res>): void;
  /**
   * Writes a whole answer (status, content-type, headers, content-length, body; on HEAD no
   * body). A large body that cannot go out at once streams on with backpressure; the backend
   * then tracks the response itself until it completes or the client goes away.
   * `closeConnection` closes the connection after the answer (an unread request body).
   */
  send(res: Res, reply: FastReply, head: boolean, closeConnection: boolean): void;
  /**
   * The answer will come later (after an await or a body read): track `res` for close() and
   * call `onAbort` once if the client goes away, or the server closes, before {@link send}.
   */
  watch(res: Res, onAbort: () => void): void;
  /** Runs `fn`, whose writes (a later {@link send}) go out in one batch (uWS cork, rule 3). */
  cork(res: Res, fn: () => void): void;
  /**
   * Reads the request body: `onBody` with all of it, or `onTooLarge` as soon as more than
   * `limit` bytes arrived. Only after {@link watch}.
   */
  readBody(res: Res, limit: number, onBody: (body: Buffer) => void, onTooLarge: () => void): void;
  /** Listens on `host:port` (0 = any free port); resolves with the bound port. */
  listen(host: string, port: number): Promise<number>;
  /** Stops listening and closes every connection, in flight or idle. */
  close(): Promise<void>;
}

/** The Content-Length a HEAD answer announces: `headLength` when given (null: none), else the body's. */
export function contentLength(reply: FastReply): number | null {
  if (reply.headLength !== undefined) return reply.headLength;
  const body = reply.body;
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}
