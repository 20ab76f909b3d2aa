/**
 * Query-string parsing from uWS's raw `getQuery()`. We never call `getQuery(key)`: measured
 * on 20.30, it URL-decodes in place and corrupts the raw query for later reads.
 *
 * @module
 */
import { ErrorCodes, HttpError } from '../errors.js';

function decode(s: string): string {
  if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new HttpError(ErrorCodes.BAD_REQUEST, 'malformed percent-encoding in the query string');
  }
}

/** Decodes a path segment (uWS hands parameters over undecoded). */
export function decodePathSegment(s: string): string {
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(ErrorCodes.BAD_REQUEST, 'malformed percent-encoding in the path');
  }
}

/** `a=1&b=x%20y&a=2` → `{a: '1', b: 'x y'}` (the first occurrence of a key wins). */
export function parseQuery(raw: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (!raw) return out;
  for (const part of raw.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    if (!(key in out)) out[key] = eq < 0 ? '' : decode(part.slice(eq + 1));
  }
  return out;
}
