/**
 * The raw-socket suite of the HTTP edge (issue 15 §4), shared by every backend: hostile and
 * odd HTTP/1.x requests sent byte for byte over 127.0.0.1, and what a client sees back.
 *
 * The rule for every backend: answer HTTP/1.0; refuse conflicting framing headers with 400
 * and close; answer 431 for too many or too large header fields; 400 for malformed requests;
 * 415 for a body that is not JSON; 403 for a Host that is not the server's; and never let the
 * bytes after a refused request be read as a second request. Each answer of ours is in the
 * contract's error shape and carries `X-Content-Type-Options: nosniff`.
 *
 * Where a backend's native parser answers (or fails to) before JavaScript sees the request,
 * the backend's runner lists the deviation as a *quirk*, and the suite asserts that exact
 * behaviour: a new build that changes it fails here, so README "HTTP/1.x edge" stays true.
 */
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { rawExchange, type RawOutcome } from '../helpers/raw-http.js';

/** What a case must produce. */
export type Expected =
  /** An answer with this status; `codes`: its body is the contract's error with one of these codes. */
  | { readonly status: number; readonly codes?: readonly string[]; readonly closes?: boolean; readonly foreign?: false }
  /** The backend's own answer (not the contract's shape): a documented quirk. */
  | { readonly status: number; readonly foreign: true; readonly closes?: boolean }
  /** No byte back, connection left open: a documented quirk. */
  | { readonly stall: true }
  /** Connection closed without an answer: a documented quirk. */
  | { readonly silentClose: true };

/** A server under test, with the backend it runs on. */
export interface EdgeTarget {
  readonly port: number;
  /** `uws 20.30.0`, `node 20.20.2`: the key of the runner's quirks. */
  readonly backend: string;
  close(): Promise<void>;
}

/** What a runner gives the suite. */
export interface EdgeSuiteOptions {
  /** Starts the server: GET /health, GET /metrics, POST /echo (echoes its JSON body) and the defaults of HttpServer. */
  readonly start: () => Promise<EdgeTarget>;
  /** Deviations of this backend's native parser from the rule, by case id. */
  readonly quirks?: Readonly<Record<string, Expected>>;
}

const H = 'Host: 127.0.0.1\r\n';
const fields = (n: number): string => Array.from({ length: n }, (_, i) => `X-Field-${i}: v\r\n`).join('');
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

/** Every case: id, request bytes, the rule's answer. */
export const EDGE_CASES: readonly { readonly id: string; readonly what: string; readonly request: string; readonly expected: Expected }[] = [
  { id: 'http10', what: 'HTTP/1.0 with Host', request: `GET /health HTTP/1.0\r\n${H}\r\n`, expected: { status: 200 } },
  { id: 'http10-no-host', what: 'HTTP/1.0 without Host (ab, old health checks)', request: 'GET /health HTTP/1.0\r\n\r\n', expected: { status: 200 } },
  { id: 'http10-keep-alive', what: 'HTTP/1.0 with Connection: keep-alive (nginx proxy_pass default is 1.0)', request: `GET /health HTTP/1.0\r\n${H}Connection: keep-alive\r\n\r\n`, expected: { status: 200 } },
  { id: 'http11-no-host', what: 'HTTP/1.1 without Host (RFC 9112 §3.2: 400)', request: 'GET /health HTTP/1.1\r\n\r\n', expected: { status: 400, closes: true } },
  { id: 'two-content-lengths', what: 'two different Content-Length headers', request: `POST /echo HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`, expected: { status: 400, codes: ['CONFLICTING_FRAMING', 'BAD_REQUEST'], closes: true } },
  {
    id: 'two-content-lengths-smuggling',
    what: 'two different Content-Length headers, a smuggled request behind the shorter body',
    request: `POST /echo HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: ${2 + SMUGGLED.length}\r\n\r\n{}${SMUGGLED}`,
    expected: { status: 400, codes: ['CONFLICTING_FRAMING', 'BAD_REQUEST'], closes: true },
  },
  { id: 'content-length-list', what: 'Content-Length: 2, 7', request: `POST /echo HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 2, 7\r\n\r\n{}{"a":1}`, expected: { status: 400, codes: ['CONFLICTING_FRAMING', 'BAD_REQUEST'], closes: true } },
  {
    id: 'length-and-chunked',
    what: 'Content-Length together with Transfer-Encoding: chunked',
    request: `POST /echo HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
    expected: { status: 400, codes: ['CONFLICTING_FRAMING', 'BAD_REQUEST'], closes: true },
  },
  { id: 'unknown-transfer-coding', what: 'Transfer-Encoding: gzip (final coding not chunked)', request: `POST /echo HTTP/1.1\r\n${H}Content-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\n{}`, expected: { status: 400, codes: ['CONFLICTING_FRAMING', 'BAD_REQUEST'], closes: true } },
  { id: 'garbage-request-line', what: 'a request line that is not METHOD SP target SP version', request: 'GARBAGE\r\n\r\n', expected: { status: 400, closes: true } },
  { id: 'bad-field-name', what: 'a header field name with a space', request: `GET /health HTTP/1.1\r\n${H}Bad Field: v\r\n\r\n`, expected: { status: 400, closes: true } },
  { id: '41-fields', what: '41 header fields (limit 40)', request: `GET /health HTTP/1.1\r\n${H}${fields(40)}\r\n`, expected: { status: 431, codes: ['REQUEST_HEADERS_TOO_LARGE'], closes: true } },
  { id: '60-fields', what: '60 header fields', request: `GET /health HTTP/1.1\r\n${H}${fields(59)}\r\n`, expected: { status: 431, codes: ['REQUEST_HEADERS_TOO_LARGE'], closes: true } },
  { id: '120-fields', what: '120 header fields', request: `GET /health HTTP/1.1\r\n${H}${fields(119)}\r\n`, expected: { status: 431, codes: ['REQUEST_HEADERS_TOO_LARGE', 'BAD_REQUEST'], closes: true } },
  { id: '20k-field', what: 'one 20 KB header field (limit 16 KiB)', request: `GET /health HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`, expected: { status: 431, codes: ['REQUEST_HEADERS_TOO_LARGE', 'BAD_REQUEST'], closes: true } },
  { id: '8k-field', what: 'one 8 KB header field (under the limit)', request: `GET /health HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(8_000)}\r\n\r\n`, expected: { status: 200 } },
  { id: 'json-as-text', what: 'a JSON body sent as text/plain', request: `POST /echo HTTP/1.1\r\n${H}Content-Type: text/plain\r\nContent-Length: 8\r\n\r\n{"a":1}\n`, expected: { status: 415, codes: ['UNSUPPORTED_MEDIA_TYPE'] } },
  { id: 'json', what: 'a JSON body sent as application/json (control)', request: `POST /echo HTTP/1.1\r\n${H}Content-Type: application/json; charset=utf-8\r\nContent-Length: 7\r\n\r\n{"a":1}`, expected: { status: 200 } },
  { id: 'rebinding-health', what: 'GET /health with a foreign Host (DNS rebinding)', request: 'GET /health HTTP/1.1\r\nHost: evil.example:8080\r\n\r\n', expected: { status: 403, codes: ['HOST_NOT_ALLOWED'] } },
  { id: 'rebinding-metrics', what: 'GET /metrics with a foreign Host (DNS rebinding)', request: 'GET /metrics HTTP/1.1\r\nHost: evil.example\r\n\r\n', expected: { status: 403, codes: ['HOST_NOT_ALLOWED'] } },
  { id: 'localhost-host', what: 'GET /health with Host: localhost:port', request: 'GET /health HTTP/1.1\r\nHost: localhost:1\r\n\r\n', expected: { status: 200 } },
];

/** Registers the suite for one backend. */
export function describeRawSocketEdge(name: string, options: EdgeSuiteOptions): void {
  describe(`HTTP/1.x edge over raw sockets: ${name}`, () => {
    let target: EdgeTarget;
    const outcomes = new Map<string, RawOutcome>();

    beforeAll(async () => {
      target = await options.start();
      // All at once: a stalled case costs its wait once, not once per case.
      const results = await Promise.all(EDGE_CASES.map((c) => rawExchange(target.port, c.request)));
      EDGE_CASES.forEach((c, i) => outcomes.set(c.id, results[i]!));
    }, 30_000);
    afterAll(async () => {
      await target?.close();
    });

    for (const c of EDGE_CASES) {
      it(`${c.id}: ${c.what}`, () => {
        const quirk = options.quirks?.[c.id];
        check(outcomes.get(c.id)!, quirk ?? c.expected, quirk !== undefined ? `quirk of ${target.backend}` : 'the rule');
      });
    }
  });
}

function check(o: RawOutcome, e: Expected, why: string): void {
  const seen = `${why}; saw status ${o.status} closed=${o.closed} stalled=${o.stalled} body ${JSON.stringify(o.body.slice(0, 160))}`;
  if ('stall' in e) {
    expect(o.stalled, seen).toBe(true);
    return;
  }
  if ('silentClose' in e) {
    expect({ status: o.status, closed: o.closed }, seen).toEqual({ status: null, closed: true });
    return;
  }
  expect(o.status, seen).toBe(e.status);
  // Whatever answered, nothing behind the refused request was answered as a second request.
  expect(o.trailing, seen).toBe('');
  if (e.closes) expect(o.closed, seen).toBe(true);
  if (e.foreign) return;
  expect(o.headers['x-content-type-options'], seen).toBe('nosniff');
  if (e.status >= 400) {
    expect(o.headers['content-type'], seen).toMatch(/^application\/json/);
    const body = JSON.parse(o.body) as { error?: { code?: unknown; message?: unknown } };
    expect(typeof body.error?.message, seen).toBe('string');
    if (e.codes) expect(e.codes, seen).toContain(body.error?.code);
  }
}
