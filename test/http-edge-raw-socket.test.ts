/**
 * The raw-socket edge suite (test/http/raw-socket.case.ts) against every HTTP backend that
 * runs here, on the real OptchainServer (no market installed: /health and /metrics answer, the
 * market routes 503) plus one JSON echo route.
 *
 * The quirks below are what each uWS build's native parser does before JavaScript sees the
 * request (measured: `probe` runs of the same bytes against bare uWS apps, 2026-12-03; the
 * README's "HTTP/1.x edge" table says the same). They are asserted, not skipped: a build that
 * fixes one fails its case here and the table must be updated.
 */
import { OptchainServer } from '../src/http/optchain-server.js';
import { availableBackends, type BackendUnderTest } from './http/backends.js';
import { describeRawSocketEdge, type EdgeTarget, type Expected } from './http/raw-socket.case.js';

function starter(backend: BackendUnderTest['name']): () => Promise<EdgeTarget> {
  return async () => {
    const server = new OptchainServer({ backend });
    server.route('POST', '/echo', (req) => ({ body: { echo: req.body } }));
    const port = await server.listen('127.0.0.1', 0);
    const b = server.http.backend;
    return { port, backend: `${b.name} ${b.version}`, close: () => server.close() };
  };
}

const STALL: Expected = { stall: true };
const SILENT_CLOSE: Expected = { silentClose: true };

/** uWS 20.30 (@trufflesuite/uws-js-unofficial): what its parser does with each case. */
const UWS_20_30: Record<string, Expected> = {
  // No HTTP/1.0 support at all: the request is never answered (nor closed).
  http10: STALL,
  'http10-no-host': STALL,
  'http10-keep-alive': STALL,
  'http11-no-host': STALL,
  // The guard refuses and the deferred answer (uws-transport.ts sendThenClose) is cut by uWS
  // closing at the bytes behind the request: no answer, but nothing smuggled gets one either.
  'two-content-lengths-smuggling': SILENT_CLOSE,
  'content-length-list': SILENT_CLOSE,
  'length-and-chunked': SILENT_CLOSE,
  'unknown-transfer-coding': SILENT_CLOSE,
  'garbage-request-line': STALL,
  'bad-field-name': STALL,
  // From 49 fields on the parser gives up without an answer; up to 48 the guard answers 431.
  '60-fields': STALL,
  '120-fields': STALL,
};

/** uWS 20.57 (@btc-vision/uwebsockets.js), measured in a Debian 13 chroot on Node 24.22. */
const FOREIGN = (status: number): Expected => ({ status, foreign: true, closes: true });
const UWS_20_57: Record<string, Expected> = {
  // 20.57 answers HTTP/1.0 explicitly: "505 HTTP Version Not Supported".
  http10: FOREIGN(505),
  'http10-no-host': FOREIGN(505),
  'http10-keep-alive': FOREIGN(505),
  'http11-no-host': FOREIGN(400),
  'two-content-lengths-smuggling': SILENT_CLOSE,
  'content-length-list': FOREIGN(400),
  'length-and-chunked': FOREIGN(400),
  'unknown-transfer-coding': FOREIGN(400),
  'garbage-request-line': STALL,
  'bad-field-name': FOREIGN(400),
  '120-fields': FOREIGN(431),
  '20k-field': FOREIGN(431),
};


/** node:http (llhttp): its own bodiless 400 for a missing Host; everything else by the rule. */
const NODE: Record<string, Expected> = { 'http11-no-host': FOREIGN(400) };

const QUIRKS: Readonly<Record<string, Readonly<Record<string, Expected>>>> = {
  'uws 20.30': UWS_20_30,
  'uws 20.57': UWS_20_57,
};

for (const { name } of availableBackends()) {
  // Which build serves decides the quirks; a probe server names it before the suite starts.
  const probe = new OptchainServer({ backend: name });
  const { version, source } = probe.http.backend;
  await probe.close();
  /** `uws 20.30` from `20.30.0-unofficial.0`: quirks belong to a uWS release, not a republish. */
  const release = `${name} ${/^\d+\.\d+/.exec(version)?.[0] ?? version}`;
  describeRawSocketEdge(`${name} ${version} (${source})`, { start: starter(name), quirks: name === 'node' ? NODE : QUIRKS[release] });
}
