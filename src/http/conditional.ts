/**
 * Conditional requests (RFC 9110 §13.1.2) for the market routes: `If-None-Match` against the
 * weak entity tags the caches build (src/chain/entity-tag.ts explains the tags). A match is
 * answered `304 Not Modified` with no body; every market answer carries
 * `Cache-Control: no-cache` (store it, but revalidate before each use), which is what a
 * polling client wants from data that changes many times a second.
 *
 * @module
 */

/**
 * True when `ifNoneMatch` (the header's value) matches `etag` by weak comparison (RFC 9110
 * §13.1.2: `*` matches any current representation; `W/` is ignored on both sides), i.e.
 * the answer is 304. A malformed list matches nothing, so the full answer goes out.
 */
export function noneMatchHits(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.length === 0) return false;
  if (ifNoneMatch === etag) return true; // a client echoing our tag: the common case, no parsing
  const want = opaqueOf(etag);
  for (const raw of ifNoneMatch.split(',')) {
    const t = raw.trim();
    if (t === '*') return true;
    if (opaqueOf(t) === want) return true;
  }
  return false;
}

function opaqueOf(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}
