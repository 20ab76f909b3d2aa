/**
 * `Accept-Encoding` negotiation (RFC 9110 §12.5.3) for the compressible bodies (JSON chains,
 * snapshots): brotli or gzip, else identity.
 *
 * Preference at equal q: br (smaller and, at the quality we use, faster to produce than gzip
 * at its default level: bench/http-conditional.bench.mjs), then gzip, then identity. A coding
 * with q=0 is refused; `*` stands for any coding not named. `identity` is always acceptable
 * to us (we never answer 406: an uncompressed body is what every client can read).
 *
 * @module
 */
import type { ContentEncoding } from '../chain/body-compression.js';

/** The chosen coding. */
export type NegotiatedEncoding = ContentEncoding | 'identity';

// Clients send the same header on every request: remember the last answer (one string
// compare instead of a parse per request on the hot chain route).
let lastHeader = '';
let lastAnswer: NegotiatedEncoding = 'identity';

/** The coding to answer with for this `Accept-Encoding` value (`''` when absent). */
export function negotiateEncoding(acceptEncoding: string): NegotiatedEncoding {
  if (acceptEncoding.length === 0) return 'identity';
  if (acceptEncoding === lastHeader) return lastAnswer;
  const answer = parse(acceptEncoding);
  lastHeader = acceptEncoding;
  lastAnswer = answer;
  return answer;
}

function parse(header: string): NegotiatedEncoding {
  let br = -1;
  let gzip = -1;
  let star = -1;
  for (const part of header.split(',')) {
    const [nameRaw, ...params] = part.split(';');
    const name = nameRaw!.trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const [k, v] = p.split('=');
      if (k!.trim().toLowerCase() === 'q') {
        const n = Number(v?.trim());
        q = Number.isFinite(n) && n >= 0 && n <= 1 ? n : 0;
      }
    }
    if (name === 'br') br = q;
    else if (name === 'gzip' || name === 'x-gzip') gzip = Math.max(gzip, q);
    else if (name === '*') star = q;
  }
  if (br < 0) br = star;
  if (gzip < 0) gzip = star;
  if (br <= 0 && gzip <= 0) return 'identity';
  return br >= gzip ? 'br' : 'gzip';
}
