/**
 * Cross-origin resource sharing (the Fetch standard's CORS protocol) for the HTTP API.
 *
 * - Default: no origin is allowed, so only pages served by optchain itself (same origin) can
 *   read answers; nothing CORS-related is written.
 * - `OPTCHAIN_CORS_ORIGINS` (config `corsOrigins`): a comma-separated list of exact origins
 *   (`https://app.example.com,http://localhost:5173`) or `*` for any origin. An allowed
 *   origin gets `Access-Control-Allow-Origin: <that origin>` (never a list; the standard
 *   allows one value) and the response headers a frontend needs to read
 *   (`Access-Control-Expose-Headers`).
 * - Preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`): 204 with
 *   Allow-Methods (the route's own methods), Allow-Headers, Max-Age; an origin not in the list
 *   or a method the route does not have is a 403 in the contract's error shape (a browser
 *   fails the preflight either way; the body tells a developer with curl why).
 * - `Vary: Origin` on every answer whose headers depend on the origin (a list, not `*`), so a
 *   shared cache never hands one origin's answer to another.
 *
 * No credentials mode: the API authenticates with `Authorization: Bearer`, which a page sends
 * explicitly, not with cookies, so `Access-Control-Allow-Credentials` is never sent.
 *
 * @module
 */
import { ConfigError, ErrorCodes, HttpError } from '../errors.js';

/** Request headers a cross-origin page may send (the preflight's Allow-Headers). */
export const CORS_ALLOW_HEADERS = 'accept, authorization, content-type, if-none-match';
/** Response headers a cross-origin page may read besides the CORS-safelisted ones. */
export const CORS_EXPOSE_HEADERS = 'etag, retry-after, x-optchain-generation';
/** How long a browser may cache a preflight answer (s); Chromium caps it at 7200. */
export const CORS_MAX_AGE_SECONDS = 600;

/** A header pair as the HTTP layer writes it. */
export type HeaderPair = readonly [string, string];

const ORIGIN = /^https?:\/\/(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

/**
 * Why `corsOrigins` is unusable, or null when it is fine (the configuration schema reports
 * this next to the key).
 */
export function corsOriginsProblem(value: string): string | null {
  const r = readOrigins(value);
  return typeof r === 'string' && r !== '*' ? r : null;
}

/**
 * Parses `corsOrigins`: `''` → none, `*` → any, else a comma-separated list of
 * `scheme://host[:port]` origins (lower-cased; no path, no trailing slash: a browser's
 * `Origin` header never has one, so such an entry could never match). Throws
 * {@link ConfigError} naming `OPTCHAIN_CORS_ORIGINS`.
 */
export function parseCorsOrigins(value: string): readonly string[] | '*' {
  const r = readOrigins(value);
  if (typeof r === 'string' && r !== '*') throw new ConfigError('OPTCHAIN_CORS_ORIGINS', r);
  return r;
}

/** The origins, `*`, or (any other string) the problem. */
function readOrigins(value: string): string[] | string {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 1 && items[0] === '*') return '*';
  const out: string[] = [];
  for (const item of items) {
    const o = item.toLowerCase();
    if (o === '*') return "'*' must be the only entry";
    if (!ORIGIN.test(o)) return `'${item}' is not an origin (expected scheme://host[:port], no path)`;
    if (!out.includes(o)) out.push(o);
  }
  return out;
}

/** The answer to a preflight request. */
export interface PreflightAnswer {
  readonly status: 204;
  readonly headers: readonly HeaderPair[];
}

/** The CORS policy of one server. */
export class CorsPolicy {
  /** True when any origin is allowed at all (else no CORS header is ever written). */
  readonly enabled: boolean;
  private readonly any: boolean;
  private readonly origins: ReadonlySet<string>;
  /** Precomputed header lists per allowed origin, so an answer allocates nothing. */
  private readonly simple = new Map<string, readonly HeaderPair[]>();
  private readonly varyOnly: readonly HeaderPair[];

  constructor(origins: readonly string[] | '*') {
    this.any = origins === '*';
    this.origins = new Set(origins === '*' ? [] : origins);
    this.enabled = this.any || this.origins.size > 0;
    this.varyOnly = this.enabled && !this.any ? [['vary', 'Origin']] : [];
    for (const o of this.origins) this.simple.set(o, [['access-control-allow-origin', o], ['access-control-expose-headers', CORS_EXPOSE_HEADERS], ['vary', 'Origin']]);
    if (this.any) this.simple.set('*', [['access-control-allow-origin', '*'], ['access-control-expose-headers', CORS_EXPOSE_HEADERS]]);
  }

  /** Whether `origin` (an `Origin` header value) may read answers. */
  allows(origin: string): boolean {
    return this.any ? origin.length > 0 : this.origins.has(origin.toLowerCase());
  }

  /**
   * The CORS headers of an ordinary (non-preflight) answer for a request with this `Origin`
   * (`''` when absent). The returned array is shared: do not modify it.
   */
  headersFor(origin: string): readonly HeaderPair[] {
    if (!this.enabled) return this.varyOnly;
    if (origin.length === 0) return this.varyOnly;
    if (this.any) return this.simple.get('*')!;
    return this.simple.get(origin) ?? this.simple.get(origin.toLowerCase()) ?? this.varyOnly;
  }

  /**
   * The answer to `OPTIONS` carrying `Origin` and `Access-Control-Request-Method` on a route
   * that has `methods`. Throws a 403 {@link HttpError} (code FORBIDDEN) for an origin not
   * allowed or a method the route does not have.
   */
  preflight(origin: string, requestMethod: string, methods: readonly string[]): PreflightAnswer {
    if (!this.allows(origin)) {
      throw new HttpError(ErrorCodes.FORBIDDEN, this.enabled ? `origin ${origin} is not allowed (OPTCHAIN_CORS_ORIGINS)` : 'cross-origin requests are not enabled (set OPTCHAIN_CORS_ORIGINS)');
    }
    const method = requestMethod.toUpperCase();
    if (!methods.includes(method)) {
      throw new HttpError(ErrorCodes.FORBIDDEN, `${method} is not allowed on this route; allowed: ${methods.join(', ')}`);
    }
    const headers: HeaderPair[] = [
      ['access-control-allow-origin', this.any ? '*' : origin],
      ['access-control-allow-methods', methods.join(', ')],
      ['access-control-allow-headers', CORS_ALLOW_HEADERS],
      ['access-control-max-age', String(CORS_MAX_AGE_SECONDS)],
      ['vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'],
    ];
    return { status: 204, headers };
  }
}
