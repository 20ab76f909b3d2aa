/**
 * A reply with another header list, for the interceptors that add headers to every answer
 * (security-headers.ts, cors-interceptor.ts).
 *
 * Built field by field into one fixed shape rather than with `{ ...reply, headers }`: replies
 * of many shapes pass these hooks (fast routes, errors, generic routes), which makes a spread
 * a generic (slow) copy; it was the costliest line of the hello route on uWS, ~9 % of the
 * server's time under wrk (--cpu-prof, bench/RESULTS.md 2026-12-03 http-perf section).
 *
 * @module
 */
import type { FastReply } from './handler-types.js';

/** `reply` with `headers` instead of its own. */
export function withHeaders(reply: FastReply, headers: readonly (readonly [string, string])[]): FastReply {
  return {
    status: reply.status,
    contentType: reply.contentType,
    body: reply.body,
    headers,
    headLength: reply.headLength,
    closeConnection: reply.closeConnection,
    immutable: reply.immutable,
    retain: reply.retain,
  };
}
