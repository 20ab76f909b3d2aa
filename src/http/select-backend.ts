/**
 * Picks the HTTP backend (`OPTCHAIN_HTTP_BACKEND`, config `httpBackend`):
 *
 * - `auto` (default): uWS when one of its builds loads natively here (src/http/uws.ts), else
 *   node:http, saying why uWS was not used. Never uWS's pure-JS shim: it is slower than
 *   node:http and not what anyone measured.
 * - `uws`: uWS or nothing: start-up fails with one line naming each build's reason.
 * - `node`: node:http, even where uWS would load.
 *
 * uWS is preferred because it is the faster of the two where it loads (bench/RESULTS.md:
 * HTTP rows per backend).
 *
 * @module
 */
import { ErrorCodes, OptchainError } from '../errors.js';
import { NodeTransport } from './node-transport.js';
import type { HttpTransport } from './transport.js';
import { UWS_BUILDS, describeAttempts, loadUws } from './uws.js';
import { UwsTransport } from './uws-transport.js';

/** The values of `OPTCHAIN_HTTP_BACKEND`. */
export const HTTP_BACKENDS = ['auto', 'uws', 'node'] as const;
/** A backend choice. */
export type HttpBackendChoice = (typeof HTTP_BACKENDS)[number];

/** node:http's backend info, with the reason uWS is not serving. */
function nodeTransport(fallbackReason: string): NodeTransport {
  return new NodeTransport({ name: 'node', source: 'node:http', version: process.versions.node, fallbackReason });
}

/**
 * The transport for `choice`, trying the uWS `builds` in order (default: uws.ts's list).
 * Throws HTTP_BACKEND_UNAVAILABLE for `uws` when no native uWS build loads (the message names
 * every build tried and why it failed).
 */
export function createTransport(choice: HttpBackendChoice, builds: readonly string[] = UWS_BUILDS): HttpTransport<unknown> {
  if (choice === 'node') return nodeTransport('OPTCHAIN_HTTP_BACKEND=node (uWS not tried)') as HttpTransport<unknown>;
  let loaded;
  try {
    loaded = loadUws(builds);
  } catch (err) {
    if (!(err instanceof OptchainError) || err.code !== ErrorCodes.UWS_NATIVE_MISSING) throw err;
    if (choice === 'uws') throw new OptchainError(ErrorCodes.HTTP_BACKEND_UNAVAILABLE, `OPTCHAIN_HTTP_BACKEND=uws but ${err.message}`, err.details);
    return nodeTransport(err.message) as HttpTransport<unknown>;
  }
  return new UwsTransport(loaded.module, { name: 'uws', source: loaded.pkg, version: loaded.version, fallbackReason: describeAttempts(loaded.attempts) }) as HttpTransport<unknown>;
}
