/**
 * Splits the bytes a raw socket received into HTTP/1.1 answers by their Content-Length, for
 * tests that pipeline requests or read a connection by hand.
 */

/** One answer: status, lower-case headers, body. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** The complete answers in `raw`, in order (an incomplete last one is left out). */
export function parseAnswers(raw: Buffer): RawAnswer[] {
  const out: RawAnswer[] = [];
  let at = 0;
  while (at < raw.byteLength) {
    const end = raw.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const [statusLine, ...lines] = raw.subarray(at, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const c = l.indexOf(':');
      headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (raw.byteLength < end + 4 + length) break;
    out.push({ status: Number(statusLine!.split(' ')[1]), headers, body: raw.subarray(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
  return out;
}
