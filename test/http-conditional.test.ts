/** If-None-Match matching (RFC 9110 §13.1.2) and Accept-Encoding negotiation (RFC 9110 §12.5.3). */
import { describe, expect, it } from 'vitest';
import { noneMatchHits } from '../src/http/conditional.js';
import { negotiateEncoding } from '../src/http/content-encoding.js';

describe('noneMatchHits', () => {
  const tag = 'W/"ab12.1-5zj"';
  it('matches our tag, a list holding it, a strong spelling of it and *', () => {
    expect(noneMatchHits(tag, tag)).toBe(true);
    expect(noneMatchHits(`"x", ${tag}`, tag)).toBe(true);
    expect(noneMatchHits('"ab12.1-5zj"', tag)).toBe(true);
    expect(noneMatchHits('*', tag)).toBe(true);
  });
  it('does not match other tags, an empty header or garbage', () => {
    expect(noneMatchHits('', tag)).toBe(false);
    expect(noneMatchHits('W/"ab12.1-5zk"', tag)).toBe(false);
    expect(noneMatchHits('W/"ab12.1-5zj-gzip"', tag)).toBe(false);
    expect(noneMatchHits('nonsense', tag)).toBe(false);
  });
});

describe('negotiateEncoding', () => {
  it('prefers br, then gzip, honours q-values and refusals', () => {
    expect(negotiateEncoding('')).toBe('identity');
    expect(negotiateEncoding('gzip, deflate, br, zstd')).toBe('br');
    expect(negotiateEncoding('gzip')).toBe('gzip');
    expect(negotiateEncoding('br;q=0.5, gzip;q=0.9')).toBe('gzip');
    expect(negotiateEncoding('br;q=0, gzip;q=0')).toBe('identity');
    expect(negotiateEncoding('deflate')).toBe('identity');
    expect(negotiateEncoding('*')).toBe('br');
    expect(negotiateEncoding('*;q=0, gzip')).toBe('gzip');
    expect(negotiateEncoding('identity')).toBe('identity');
    // the memo of the last header never leaks into another header's answer
    expect(negotiateEncoding('gzip')).toBe('gzip');
    expect(negotiateEncoding('gzip')).toBe('gzip');
    expect(negotiateEncoding('br')).toBe('br');
  });
});
