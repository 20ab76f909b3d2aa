/**
 * Entity tags of cached bodies (RFC 9110 §8.8.3), built by the cache that owns a body from
 * that cache's key, once per cached body.
 *
 * Tags are weak (`W/"…"`): two answers with one tag are equal apart from `servedAt`
 * (docs/contract.md §5: equal generation ⇒ equal body apart from servedAt), which is what a weak
 * validator promises (RFC 9110 §8.8.1) and not what a strong one does (byte-equal). A tag
 * names the server process and the market (a restart or a rollover restarts the generation
 * counters, so a bare generation could match another day's body), the body's cache key
 * (generations and format) and the content coding (another coding is another
 * representation).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';

/** Identifies this server process in every tag (random per start). */
export const PROCESS_TAG: string = randomBytes(4).toString('hex');

let marketSeq = 0;

/** A new tag prefix for one market: the process tag and a sequence number per market. */
export function nextMarketTag(): string {
  marketSeq++;
  return `${PROCESS_TAG}.${marketSeq.toString(36)}`;
}

/** `W/"<opaque>"`; `opaque` is made of tag-safe characters only (no `"`, no spaces). */
export function weakTag(opaque: string): string {
  return `W/"${opaque}"`;
}
