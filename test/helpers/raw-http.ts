/**
 * One raw HTTP/1.x exchange over a real socket on 127.0.0.1, for requests no HTTP client
 * library would send (duplicate framing headers, HTTP/1.0, malformed lines). It reports what
 * a client would see: the first answer's status line, headers and body, whether more bytes
 * followed it (a second, smuggled answer), and whether the server closed the connection —
 * or that nothing came back at all within `stallMs` (a stalled connection).
 */
import { connect } from 'node:net';

/** What came back. */
export interface RawOutcome {
  /** The status code of the first answer; null when none arrived. */
  readonly status: number | null;
  /** The protocol of the status line (`HTTP/1.1`). */
  readonly version: string | null;
  /** Header fields of the first answer, names lower-case (repeated ones joined with `, `). */
  readonly headers: Readonly<Record<string, string>>;
  /** The first answer's body as text (by its Content-Length, else everything up to the close). */
  readonly body: string;
  /** Bytes received after the first answer's end (a pipelined or smuggled second answer). */
  readonly trailing: string;
  /** The server closed (or reset) the connection before `stallMs` ran out. */
  readonly closed: boolean;
  /** Nothing at all arrived and the connection was still open when `stallMs` ran out. */
  readonly stalled: boolean;
}

/** Options of {@link rawExchange}. */
export interface RawOptions {
  /** Give up waiting this long after the last byte (or after the write when nothing came). Default 1500 ms. */
  readonly stallMs?: number;
  /** After a complete answer, wait this long for a close or further bytes. Default 300 ms. */
  readonly settleMs?: number;
}

/** Sends `request` as it is and reports the first answer (see {@link RawOutcome}). */
export function rawExchange(port: number, request: string | Buffer, options: RawOptions = {}): Promise<RawOutcome> {
  const stallMs = options.stallMs ?? 1500;
  const settleMs = options.settleMs ?? 300;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    let done = false;
    let timer: NodeJS.Timeout;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parse(Buffer.concat(chunks), closed));
    };
    const arm = (ms: number): void => {
      clearTimeout(timer);
      timer = setTimeout(finish, ms);
    };
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      arm(complete(Buffer.concat(chunks)) ? settleMs : stallMs);
    });
    socket.on('error', () => {
      closed = true;
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.once('connect', () => {
      socket.write(request);
      arm(stallMs);
    });
  });
}

/** True once a whole answer (by Content-Length, or a bodiless one) is in `buf`. */
function complete(buf: Buffer): boolean {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = buf.subarray(0, end).toString('latin1');
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) return buf.byteLength >= end + 4 + Number(length[1]);
  return /^HTTP\/1\.[01] (1\d\d|204|304)/.test(head);
}

function parse(buf: Buffer, closed: boolean): RawOutcome {
  const stalled = buf.byteLength === 0 && !closed;
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return { status: null, version: null, headers: {}, body: buf.toString('latin1'), trailing: '', closed, stalled };
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const statusLine = /^(HTTP\/\d\.\d) (\d{3})/.exec(lines[0] ?? '');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const rest = buf.subarray(end + 4);
  const length = headers['content-length'] === undefined ? rest.byteLength : Number(headers['content-length']);
  return {
    status: statusLine ? Number(statusLine[2]) : null,
    version: statusLine ? statusLine[1]! : null,
    headers,
    body: rest.subarray(0, length).toString('utf8'),
    trailing: rest.subarray(length).toString('latin1'),
    closed,
    stalled,
  };
}
