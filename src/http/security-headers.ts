/**
 * Security headers on every answer, on every backend (issue 15 §6):
 *
 * - `X-Content-Type-Options: nosniff` on all of them, so a browser never runs a JSON or
 *   FlatBuffers body as script or renders it as HTML (Fetch standard §3.5 "CORB/nosniff");
 * - on HTML answers (the chain page), a restrictive `Content-Security-Policy`: the page loads
 *   only its own bundled files and talks only to its own origin, nothing may frame it, and no
 *   plugin or `<base>` can redirect it. An answer that already carries a policy keeps its own.
 *
 * @module
 */
import type { FastReply, HttpInterceptor } from './handler-types.js';
import { withHeaders } from './reply-headers.js';

/** The page's policy: its own scripts, styles and fetches, inline images only as data: URLs. */
export const PAGE_CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const NOSNIFF = ['x-content-type-options', 'nosniff'] as const;
const CSP = ['content-security-policy', PAGE_CSP] as const;
const ONLY_NOSNIFF: readonly (readonly [string, string])[] = [NOSNIFF];
const NOSNIFF_CSP: readonly (readonly [string, string])[] = [NOSNIFF, CSP];

function has(headers: readonly (readonly [string, string])[], name: string): boolean {
  for (let i = 0; i < headers.length; i++) if (headers[i]![0] === name) return true;
  return false;
}

type HeaderList = readonly (readonly [string, string])[];

function completed(headers: HeaderList, html: boolean): HeaderList {
  const extra: (readonly [string, string])[] = [];
  if (!has(headers, NOSNIFF[0])) extra.push(NOSNIFF);
  if (html && !has(headers, CSP[0])) extra.push(CSP);
  return extra.length === 0 ? headers : [...headers, ...extra];
}

/**
 * The interceptor: adds what an answer lacks, never overrides what a route set. A frozen
 * header list is one a route reuses across answers (the chain route's, one per body
 * generation): its completed list is remembered, so the hot path scans and copies nothing. A
 * frozen reply (the chain route's, one per body generation and coding) gets its completed
 * reply remembered too, itself frozen, so the backend can remember its header block in turn.
 */
export function securityHeadersInterceptor(): HttpInterceptor {
  // By content kind: the same list completes differently on an HTML answer.
  const done = new WeakMap<HeaderList, HeaderList>();
  const doneHtml = new WeakMap<HeaderList, HeaderList>();
  const doneReplies = new WeakMap<FastReply, FastReply>();
  const complete = (reply: FastReply): FastReply => {
    const headers = reply.headers;
    const html = reply.contentType.startsWith('text/html');
    if (headers === undefined || headers.length === 0) return withHeaders(reply, html ? NOSNIFF_CSP : ONLY_NOSNIFF);
    let out: HeaderList | undefined;
    if (Object.isFrozen(headers)) {
      const memo = html ? doneHtml : done;
      out = memo.get(headers);
      if (out === undefined) {
        out = Object.freeze(completed(headers, html));
        memo.set(headers, out);
      }
    } else out = completed(headers, html);
    return out === headers ? reply : withHeaders(reply, out);
  };
  return {
    onReply(_req, reply: FastReply): FastReply {
      if (!Object.isFrozen(reply)) return complete(reply);
      let out = doneReplies.get(reply);
      if (out === undefined) {
        out = Object.freeze(complete(reply));
        doneReplies.set(reply, out);
      }
      return out;
    },
  };
}
