/**
 * Dhan's basket margin calculator, as data: the request body for
 * `POST {API}/margincalculator/multi`, the two documented answer shapes, and the mapping of
 * Dhan's failures to our 502/503 codes (docs/dhan-protocol.md §3.1, §3.3, §2.11). No I/O here, so
 * every branch is testable without a socket.
 *
 * @module
 */
import { ErrorCodes, type ErrorCode } from '../errors.js';
import type { PricedLeg } from './position-set.js';
import { roundPaise } from '../util/round-paise.js';

/** A Dhan account used to sign REST calls (docs/contract.md §4: the first configured account). */
export interface DhanAccount {
  readonly clientId: string;
  readonly accessToken: string;
}

/** The three figures the contract exposes (docs/contract.md §6). */
export interface MarginFigures {
  readonly totalMargin: number;
  readonly spanMargin: number;
  readonly exposureMargin: number;
}

/**
 * Product type sent for every leg. `MARGIN` (carry-forward, NRML): paper positions persist
 * across restarts and days, so they are carried positions; intraday F&O margin is the same
 * SPAN + exposure under the peak-margin rules, so `INTRADAY` would buy no realism and would
 * understate positions held overnight where a broker applies intraday leverage.
 */
export const MARGIN_PRODUCT_TYPE = 'MARGIN';

/** Path under the `/v2` API base (docs/dhan-protocol.md §3.3). */
export const MULTI_MARGIN_PATH = '/margincalculator/multi';

/**
 * Body for the basket call. Keys per the recommendation of docs/dhan-protocol.md §3.3: `dhanClientId`,
 * `includePosition` and `includeOrder` false (the paper set is the whole set — the real account's
 * positions and orders must not leak into a paper user's margin), `scripList` with quantity in
 * units and the security id as a string.
 */
export function buildMultiBody(clientId: string, legs: readonly PricedLeg[]): Record<string, unknown> {
  return {
    dhanClientId: clientId,
    includePosition: false,
    includeOrder: false,
    scripList: legs.map((l) => ({
      exchangeSegment: l.exchangeSegment,
      transactionType: l.quantity > 0 ? 'BUY' : 'SELL',
      quantity: Math.abs(l.quantity),
      productType: MARGIN_PRODUCT_TYPE,
      securityId: String(l.securityId),
      price: Number.isFinite(l.price) && l.price > 0 ? roundPaise(l.price) : 0,
      triggerPrice: 0,
    })),
  };
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/**
 * Reads a basket answer in either documented shape (docs/dhan-protocol.md §3.3): camelCase numbers
 * (`totalMargin`, `spanMargin`, `exposure`) as the live API answers, or the classic docs'
 * snake_case strings (`total_margin`, `span_margin`, `exposure_margin`). A `{status, data}`
 * envelope is unwrapped. Returns undefined when no total can be found.
 */
export function parseMultiAnswer(body: unknown): MarginFigures | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  let o = body as Record<string, unknown>;
  if (o.data !== null && typeof o.data === 'object' && !Array.isArray(o.data) && o.totalMargin === undefined && o.total_margin === undefined) {
    o = o.data as Record<string, unknown>;
  }
  const total = num(o.totalMargin) ?? num(o.total_margin);
  if (total === undefined) return undefined;
  const span = num(o.spanMargin) ?? num(o.span_margin) ?? 0;
  const exposure = num(o.exposure) ?? num(o.exposureMargin) ?? num(o.exposure_margin) ?? 0;
  return { totalMargin: total, spanMargin: span, exposureMargin: exposure };
}

/** How a failed call maps to our answer (its HTTP status follows from the code, src/errors.ts). */
export interface MarginFailure {
  readonly code: ErrorCode;
  /** Worth another attempt within the bounded retry budget. */
  readonly retryable: boolean;
  readonly message: string;
  /** Dhan's code (`DH-904`, `807`, …) when it sent one. */
  readonly dhanCode?: string;
}

const auth = (dhanCode: string, message: string): MarginFailure => ({ code: ErrorCodes.MARGIN_AUTH_FAILED, retryable: false, message, dhanCode });
const limited = (dhanCode: string | undefined, message: string): MarginFailure => ({ code: ErrorCodes.MARGIN_RATE_LIMITED, retryable: true, message, ...(dhanCode ? { dhanCode } : {}) });
const unavailable = (dhanCode: string | undefined, message: string): MarginFailure => ({ code: ErrorCodes.MARGIN_UNAVAILABLE, retryable: true, message, ...(dhanCode ? { dhanCode } : {}) });
const refused = (dhanCode: string | undefined, message: string): MarginFailure => ({ code: ErrorCodes.MARGIN_UPSTREAM_ERROR, retryable: false, message, ...(dhanCode ? { dhanCode } : {}) });

function short(s: unknown): string {
  return String(s ?? '').slice(0, 200);
}

/** Trading-API `DH-9xx` codes (docs/dhan-protocol.md §3.1 annexure). */
function fromDhCode(code: string, msg: string): MarginFailure {
  switch (code) {
    case 'DH-901':
      return auth(code, `Dhan rejected the margin account's credentials (${code}: ${msg})`);
    case 'DH-902':
      return auth(code, `the margin account has no API access (${code}: ${msg})`);
    case 'DH-904':
      return limited(code, `Dhan rate limit reached (${code})`);
    case 'DH-908':
    case 'DH-909':
      return unavailable(code, `Dhan margin service failed (${code}: ${msg})`);
    default:
      // 903 account, 905 input, 906 order, 907 data, 910 other: Dhan refused this request; the same
      // request again would be refused again.
      return refused(code, `Dhan refused the margin request (${code}: ${msg})`);
  }
}

/** Data-API `8xx` codes (docs/dhan-protocol.md §2.11). */
function fromDataCode(code: string, msg: string): MarginFailure {
  switch (code) {
    case '805':
      return limited(code, `Dhan rate limit reached (${code})`);
    case '806':
    case '807':
    case '808':
    case '809':
    case '810':
      return auth(code, `Dhan rejected the margin account (${code}: ${msg})`);
    case '804':
    case '811':
    case '812':
    case '813':
    case '814':
      return refused(code, `Dhan refused the margin request (${code}: ${msg})`);
    default:
      // 800 internal error and anything unlisted: transient as far as we can tell.
      return unavailable(code, `Dhan margin service failed (${code}: ${msg})`);
  }
}

/**
 * Maps an HTTP answer that is not a usable margin to a failure. Body first (Dhan's codes are more
 * precise than its statuses, and data-API errors sometimes come with HTTP 200), then status.
 */
export function classifyAnswer(status: number, body: unknown): MarginFailure {
  if (body !== null && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    if (typeof o.errorCode === 'string' && /^DH-\d+$/.test(o.errorCode)) return fromDhCode(o.errorCode, short(o.errorMessage));
    if (o.status === 'failed' && o.data !== null && typeof o.data === 'object') {
      const [code, msg] = Object.entries(o.data as Record<string, unknown>)[0] ?? [];
      if (code !== undefined && /^\d{3}$/.test(code)) return fromDataCode(code, short(msg));
    }
  }
  if (status === 401 || status === 403) return auth(String(status), `Dhan answered HTTP ${status} to the margin call`);
  if (status === 429) return limited(undefined, 'Dhan rate limit reached (HTTP 429)');
  if (status >= 500) return unavailable(undefined, `Dhan margin service answered HTTP ${status}`);
  if (status >= 200 && status < 300) return refused(undefined, 'Dhan answered the margin call with a body that carries no margin');
  return refused(undefined, `Dhan answered HTTP ${status} to the margin call`);
}

/** Network failure or timeout before an answer: transient. */
export function classifyNetworkError(err: unknown): MarginFailure {
  const code = (err as { code?: unknown })?.code;
  const name = (err as { name?: unknown })?.name;
  const timeout = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || name === 'TimeoutError' || name === 'AbortError';
  return unavailable(undefined, timeout ? 'Dhan margin service timed out' : `Dhan margin service unreachable (${typeof code === 'string' ? code : 'network error'})`);
}
