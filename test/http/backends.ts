/**
 * The HTTP backends the contract suite runs against: every backend that can serve on this
 * machine (node:http always; uWS when one of its builds loads natively). A case file takes a
 * {@link BackendUnderTest} and starts its own servers with `backend: name`.
 */
import { loadUws } from '../../src/http/uws.js';

/** One backend, as a case file sees it. */
export interface BackendUnderTest {
  /** The `backend` option / OPTCHAIN_HTTP_BACKEND value that selects it. */
  readonly name: 'uws' | 'node';
}

/** Why uWS is not tested here ('' when it is). */
export function uwsUnavailableReason(): string {
  try {
    loadUws();
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

/** Every backend that runs here, uWS first. */
export function availableBackends(): BackendUnderTest[] {
  return uwsUnavailableReason() === '' ? [{ name: 'uws' }, { name: 'node' }] : [{ name: 'node' }];
}
