/**
 * The error the client raises for a non-2xx answer or a body it cannot decode. It carries the
 * server's contract error code (docs/contract.md §5) as a plain string, because a server may be newer
 * than the client and send codes the client's build does not list.
 *
 * @module
 */

/** A failed optchain API call. */
export class OptchainClientError extends Error {
  /** The server's `error.code`, or `BAD_RESPONSE` / `HTTP_<status>` when the body had none. */
  readonly code: string;
  /** HTTP status, or 0 when the failure was in decoding. */
  readonly status: number;

  constructor(code: string, message: string, status = 0) {
    super(message);
    this.name = 'OptchainClientError';
    this.code = code;
    this.status = status;
  }
}
