/**
 * The CORS policy (cors.ts) as an {@link HttpInterceptor}, so it applies the same way on every
 * backend and to every answer (fast routes, generic routes, 404, 405 and error answers alike):
 * a preflight is answered before routing, every other answer gets the policy's headers for the
 * request's `Origin`.
 *
 * @module
 */
import { ErrorCodes, isOptchainError } from '../errors.js';
import { CorsPolicy, type HeaderPair } from './cors.js';
import { errorReply } from './error-reply.js';
import type { FastReply, HttpInterceptor, RequestView } from './handler-types.js';
import { withHeaders } from './reply-headers.js';

const EMPTY_TYPE = 'text/plain; charset=utf-8';

/** A preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method` (Fetch standard §3.2.2). */
function isPreflight(req: RequestView): boolean {
  return req.method === 'OPTIONS' && req.getHeader('origin').length > 0 && req.getHeader('access-control-request-method').length > 0;
}

/**
 * The interceptor for `policy`. `methodsOf(route)` lists the methods registered on a route
 * pattern (sorted), or undefined for an unmatched request (then routing answers 404).
 * With a disabled policy every preflight is refused (same origin only) and nothing is added.
 */
export function corsInterceptor(policy: CorsPolicy, methodsOf: (route: string) => readonly string[] | undefined): HttpInterceptor {
  // A frozen reply (the chain route's, reused for a whole body generation) with one of the
  // policy's shared header lists: the completed reply is remembered, frozen in turn, so the
  // backend can keep writing it from its memo (uws-transport.ts, node-transport.ts).
  const done = new WeakMap<FastReply, WeakMap<readonly HeaderPair[], FastReply>>();
  const completed = (reply: FastReply, extra: readonly HeaderPair[]): FastReply =>
    withHeaders(reply, reply.headers === undefined || reply.headers.length === 0 ? extra : [...reply.headers, ...extra]);
  return {
    onRequest(req: RequestView): FastReply | undefined {
      if (!isPreflight(req)) return undefined;
      const methods = methodsOf(req.route);
      if (methods === undefined) return undefined;
      try {
        const answer = policy.preflight(req.getHeader('origin'), req.getHeader('access-control-request-method'), methods);
        return { status: answer.status, contentType: EMPTY_TYPE, body: '', headers: answer.headers };
      } catch (err) {
        if (isOptchainError(err) && err.code === ErrorCodes.FORBIDDEN) return errorReply(err);
        throw err;
      }
    },
    onReply(req: RequestView, reply: FastReply): FastReply {
      if (!policy.enabled) return reply;
      // A preflight's own answer carries its CORS headers; a refused one must not gain any.
      const extra: readonly HeaderPair[] = isPreflight(req) ? (reply.status === 204 ? [] : policy.headersFor('')) : policy.headersFor(req.getHeader('origin'));
      if (extra.length === 0) return reply;
      if (!Object.isFrozen(reply)) return completed(reply, extra);
      let byList = done.get(reply);
      if (byList === undefined) {
        byList = new WeakMap();
        done.set(reply, byList);
      }
      let out = byList.get(extra);
      if (out === undefined) {
        out = Object.freeze(completed(reply, extra));
        byList.set(extra, out);
      }
      return out;
    },
  };
}
