/**
 * Several HTTP/1.1 requests written at once on one socket to 127.0.0.1, and the answers read
 * back in order by their own framing (Content-Length, or none for a bodiless answer), so a
 * test sees whether each answer ends exactly where the next begins.
 */
import { connect } from 'node:net';

/** One answer as it came off the wire. */
export interface RawAnswer {
  readonly status: number;
  /** Header fields in wire order, names lower-case, values as sent. */
  readonly fields: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** The first field named `name` (lower-case), or undefined. */
  header(name: string): string | undefined;
}

/**
 * Writes `requests` in one write and resolves with one answer per request. `bodiless[i]`
 * marks the answers that carry no body whatever their fields say (HEAD, 304). Rejects when
 * the answers do not arrive whole within `timeoutMs`, or bytes follow the last one.
 */
export function pipelined(port: number, requests: readonly string[], bodiless: readonly boolean[], timeoutMs = 5000): Promise<RawAnswer[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const answers: RawAnswer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${answers.length} of ${requests.length} answers within ${timeoutMs} ms; ${buf.byteLength} bytes unparsed`));
    }, timeoutMs);
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(answers);
    };
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
        const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(lines[0] ?? '')?.[1]);
        const fields = lines.slice(1).map((l): readonly [string, string] => {
          const colon = l.indexOf(':');
          return [l.slice(0, colon).toLowerCase(), l.slice(colon + 1).trim()];
        });
        const header = (name: string): string | undefined => fields.find(([k]) => k === name)?.[1];
        const length = bodiless[answers.length] === true ? 0 : Number(header('content-length') ?? 0);
        if (buf.byteLength < end + 4 + length) return;
        answers.push({ status, fields, body: buf.subarray(end + 4, end + 4 + length), header });
        buf = buf.subarray(end + 4 + length);
        if (answers.length === requests.length) {
          // Let anything extra arrive before judging that nothing follows.
          setTimeout(() => finish(buf.byteLength > 0 ? new Error(`${buf.byteLength} bytes after the last answer`) : undefined), 100);
          return;
        }
      }
    });
    socket.on('error', (err) => finish(err));
    socket.once('connect', () => socket.write(requests.join('')));
  });
}
