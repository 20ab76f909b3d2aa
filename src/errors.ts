/**
 * Every error optchain raises, with a stable `code` (undici/fastify style: one module, one
 * class per family, codes that scripts can match on). Never throw strings.
 *
 * @module
 */

/** Stable error codes. HTTP-facing codes are the contract's UPPER_SNAKE codes (docs/contract.md §5, §6). */
export const ErrorCodes = {
  // configuration and start-up
  CONFIG_INVALID: 'CONFIG_INVALID',
  UWS_NATIVE_MISSING: 'UWS_NATIVE_MISSING',
  HTTP_LISTEN_FAILED: 'HTTP_LISTEN_FAILED',
  // instrument master
  MASTER_NOT_FOUND: 'MASTER_NOT_FOUND',
  MASTER_DOWNLOAD_FAILED: 'MASTER_DOWNLOAD_FAILED',
  MASTER_MISSING_COLUMN: 'MASTER_MISSING_COLUMN',
  MASTER_EMPTY: 'MASTER_EMPTY',
  /** A master whose bytes say gzip but do not inflate. */
  MASTER_CORRUPT: 'MASTER_CORRUPT',
  NO_CONTRACTS: 'NO_CONTRACTS',
  // skeleton / price table
  SKELETON_FROZEN: 'SKELETON_FROZEN',
  PRICE_TABLE_LAYOUT: 'PRICE_TABLE_LAYOUT',
  // simulator and paper database
  SIM_FAILED: 'SIM_FAILED',
  /** A simulator option or control value out of range (e.g. keep-alives per second). */
  SIM_OPTION_INVALID: 'SIM_OPTION_INVALID',
  DATABASE_TOO_NEW: 'DATABASE_TOO_NEW',
  // feed
  FEED_AUTH_FAILED: 'FEED_AUTH_FAILED',
  FEED_ACCOUNTS_INVALID: 'FEED_ACCOUNTS_INVALID',
  /** An encoder was asked to write a Dhan packet past the end of its buffer. */
  FEED_PACKET_RANGE: 'FEED_PACKET_RANGE',
  /** A subscribe/unsubscribe message that Dhan would refuse (docs/dhan-protocol.md §2.2, §2.3). */
  FEED_SUBSCRIBE_INVALID: 'FEED_SUBSCRIBE_INVALID',
  /** A feed test hook was called on a supervisor built without `testHooks`, or on a dead worker. */
  FEED_TEST_HOOK_DISABLED: 'FEED_TEST_HOOK_DISABLED',
  /** A feed worker's test hook threw on purpose (crash-recovery tests). */
  FEED_TEST_CRASH: 'FEED_TEST_CRASH',
  // analytics worker (issue 13)
  /** An analytics test hook was called on a supervisor built without `testHooks`, or with no worker running. */
  ANALYTICS_TEST_HOOK_DISABLED: 'ANALYTICS_TEST_HOOK_DISABLED',
  /** The analytics worker's test hook threw on purpose (crash-recovery tests). */
  ANALYTICS_TEST_CRASH: 'ANALYTICS_TEST_CRASH',
  /** The analytics worker did not start (its first message never came). */
  ANALYTICS_START_FAILED: 'ANALYTICS_START_FAILED',
  // HTTP contract (docs/contract.md §5)
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  UNKNOWN_SYMBOL: 'UNKNOWN_SYMBOL',
  UNKNOWN_EXPIRY: 'UNKNOWN_EXPIRY',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  NOT_READY: 'NOT_READY',
  RATE_LIMITED: 'RATE_LIMITED',
  /** Too many `/v1/snapshot` requests wait for a build (503 with Retry-After). */
  SNAPSHOT_BUSY: 'SNAPSHOT_BUSY',
  INTERNAL: 'INTERNAL',
  // paper trading (docs/contract.md §6)
  NO_QUOTE: 'NO_QUOTE',
  STALE_QUOTE: 'STALE_QUOTE',
  CROSSED_QUOTE: 'CROSSED_QUOTE',
  SPREAD_TOO_WIDE: 'SPREAD_TOO_WIDE',
  INSUFFICIENT_LIQUIDITY: 'INSUFFICIENT_LIQUIDITY',
  INSUFFICIENT_MARGIN: 'INSUFFICIENT_MARGIN',
  UNKNOWN_INSTRUMENT: 'UNKNOWN_INSTRUMENT',
  INVALID_QUANTITY: 'INVALID_QUANTITY',
  PRICE_OUTSIDE_BAND: 'PRICE_OUTSIDE_BAND',
  DUPLICATE_CLIENT_ORDER_ID: 'DUPLICATE_CLIENT_ORDER_ID',
  /** A LIMIT leg that would not fill at the touch now (there is no resting paper book). */
  LIMIT_NOT_MARKETABLE: 'LIMIT_NOT_MARKETABLE',
  // margin service
  MARGIN_UPSTREAM_ERROR: 'MARGIN_UPSTREAM_ERROR',
  MARGIN_UNAVAILABLE: 'MARGIN_UNAVAILABLE',
  MARGIN_RATE_LIMITED: 'MARGIN_RATE_LIMITED',
  MARGIN_AUTH_FAILED: 'MARGIN_AUTH_FAILED',
  // HTTP edge and backends (src/http/)
  /** The client went away before its answer (the abort reason of RouteRequest.signal). */
  CLIENT_CLOSED: 'CLIENT_CLOSED',
  /** No HTTP backend of the requested kind can run here. */
  HTTP_BACKEND_UNAVAILABLE: 'HTTP_BACKEND_UNAVAILABLE',
  /** A request body whose Content-Type the route does not read (415; every body route takes JSON). */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /** Too many request header fields, or too many bytes of them (431, RFC 6585 §5). */
  REQUEST_HEADERS_TOO_LARGE: 'REQUEST_HEADERS_TOO_LARGE',
  /** Content-Length / Transfer-Encoding that do not frame the body one way (400, RFC 9112 §6.3). */
  CONFLICTING_FRAMING: 'CONFLICTING_FRAMING',
  /** A `Host` that is not one of the configured host names (403; DNS rebinding, OPTCHAIN_ALLOWED_HOSTS). */
  HOST_NOT_ALLOWED: 'HOST_NOT_ALLOWED',
  // paper trading under load (issue 15)
  /** 429: the user already has the most requests waiting that the server queues per user (config `paperQueuePerUser`). */
  QUEUE_FULL: 'QUEUE_FULL',
  /** 503: an order (or margin call) was not decided within its deadline (config `paperOrderDeadlineMs`); it was never filled. */
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  /** 503: the paper database writer thread failed; whether an in-flight write landed is unknown, a replay tells. */
  PAPER_STORE_UNAVAILABLE: 'PAPER_STORE_UNAVAILABLE',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/**
 * The HTTP status each code answers with when it reaches a client. A throw names only the
 * code, and the status follows from it. A new code fails to compile until it has a row here.
 * Codes that never reach a client as such (start-up, master, internal layout checks) are 500.
 */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = Object.freeze({
  CONFIG_INVALID: 500,
  UWS_NATIVE_MISSING: 500,
  HTTP_LISTEN_FAILED: 500,
  MASTER_NOT_FOUND: 500,
  MASTER_DOWNLOAD_FAILED: 500,
  MASTER_MISSING_COLUMN: 500,
  MASTER_EMPTY: 500,
  MASTER_CORRUPT: 500,
  NO_CONTRACTS: 500,
  SKELETON_FROZEN: 500,
  PRICE_TABLE_LAYOUT: 500,
  SIM_FAILED: 500,
  // The simulator's control API refuses an out-of-range value as bad input.
  SIM_OPTION_INVALID: 400,
  DATABASE_TOO_NEW: 500,
  // Feed trouble means the data is not there yet: not ready.
  FEED_AUTH_FAILED: 503,
  FEED_ACCOUNTS_INVALID: 503,
  FEED_PACKET_RANGE: 500,
  FEED_SUBSCRIBE_INVALID: 500,
  FEED_TEST_HOOK_DISABLED: 500,
  FEED_TEST_CRASH: 500,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  UNKNOWN_SYMBOL: 404,
  UNKNOWN_EXPIRY: 404,
  METHOD_NOT_ALLOWED: 405,
  BODY_TOO_LARGE: 413,
  NOT_READY: 503,
  RATE_LIMITED: 429,
  SNAPSHOT_BUSY: 503,
  INTERNAL: 500,
  // Paper refusals are 422 (docs/contract.md §6); a reused clientOrderId with another body is 409.
  NO_QUOTE: 422,
  STALE_QUOTE: 422,
  CROSSED_QUOTE: 422,
  SPREAD_TOO_WIDE: 422,
  INSUFFICIENT_LIQUIDITY: 422,
  INSUFFICIENT_MARGIN: 422,
  UNKNOWN_INSTRUMENT: 422,
  INVALID_QUANTITY: 422,
  PRICE_OUTSIDE_BAND: 422,
  DUPLICATE_CLIENT_ORDER_ID: 409,
  LIMIT_NOT_MARKETABLE: 422,
  // Dhan refused us (502) or cannot answer now (503, try again later).
  MARGIN_UPSTREAM_ERROR: 502,
  MARGIN_UNAVAILABLE: 503,
  MARGIN_RATE_LIMITED: 503,
  MARGIN_AUTH_FAILED: 502,
  // nginx's "client closed request": only ever counted in /metrics, never sent.
  CLIENT_CLOSED: 499,
  HTTP_BACKEND_UNAVAILABLE: 500,
  ANALYTICS_TEST_HOOK_DISABLED: 500,
  ANALYTICS_TEST_CRASH: 500,
  ANALYTICS_START_FAILED: 500,
  UNSUPPORTED_MEDIA_TYPE: 415,
  REQUEST_HEADERS_TOO_LARGE: 431,
  CONFLICTING_FRAMING: 400,
  HOST_NOT_ALLOWED: 403,
  // Too many of this user's margin calls wait for Dhan's budget; one that waited past its deadline is 503.
  QUEUE_FULL: 429,
  DEADLINE_EXCEEDED: 503,
  PAPER_STORE_UNAVAILABLE: 503,
});

/** The HTTP status of `code` ({@link ERROR_STATUS}); 500 for a string that is not one of ours. */
export function statusOf(code: string): number {
  return (ERROR_STATUS as Readonly<Record<string, number>>)[code] ?? 500;
}

/** Base class: a message, a stable code, the code's HTTP status ({@link ERROR_STATUS}), and details. */
export class OptchainError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OptchainError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = details;
  }

  /** The contract's JSON error shape (docs/contract.md §5). */
  toJSON(): { error: { code: string; message: string; details?: Record<string, unknown> } } {
    return this.details === undefined
      ? { error: { code: this.code, message: this.message } }
      : { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/** Bad configuration: names the key, never the value of a secret. */
export class ConfigError extends OptchainError {
  readonly key: string;
  constructor(key: string, reason: string) {
    super(ErrorCodes.CONFIG_INVALID, `invalid configuration ${key}: ${reason}`, { key });
    this.name = 'ConfigError';
    this.key = key;
  }
}

/** The instrument master could not be read or does not have what the skeleton needs. */
export class MasterError extends OptchainError {
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(code, message, details, options);
    this.name = 'MasterError';
  }
}

/** An error meant for an HTTP client, in the contract's shape; its status is the code's. */
export class HttpError extends OptchainError {
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
    this.name = 'HttpError';
  }
}

/** A paper order refused by a feasibility or funds check (422, docs/contract.md §6). */
export class OrderRefusedError extends OptchainError {
  constructor(code: ErrorCode, message: string, details: Record<string, unknown>) {
    super(code, message, details);
    this.name = 'OrderRefusedError';
  }
}

/** The margin service failed (502 or 503, by code). */
export class MarginError extends OptchainError {
  readonly retryable: boolean;
  constructor(code: ErrorCode, message: string, retryable: boolean, details?: Record<string, unknown>) {
    super(code, message, details);
    this.name = 'MarginError';
    this.retryable = retryable;
  }
}

/** Feed-level failure (auth, accounts file). */
export class FeedError extends OptchainError {
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
    this.name = 'FeedError';
  }
}

/** True when `err` is one of ours. */
export function isOptchainError(err: unknown): err is OptchainError {
  return err instanceof OptchainError;
}
