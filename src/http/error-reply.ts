/**
 * The contract's error answer (docs/contract.md §5: `{"error": {"code", "message"}}`) as a reply, for
 * the core and for answers a backend writes before a request reaches it (parse errors).
 *
 * @module
 */
import { ErrorCodes, isOptchainError } from '../errors.js';
import type { FastReply } from './handler-types.js';

/** The JSON content type of every JSON answer. */
export const JSON_TYPE = 'application/json; charset=utf-8';

const INTERNAL_BODY = JSON.stringify({ error: { code: ErrorCodes.INTERNAL, message: 'internal error' } });

/** The contract's error answer for any thrown value; unknown errors never leak their message. */
export function errorReply(err: unknown, headers?: readonly (readonly [string, string])[]): FastReply {
  if (isOptchainError(err)) {
    const status = err.status >= 400 && err.status <= 599 ? err.status : 500;
    return headers ? { status, contentType: JSON_TYPE, body: JSON.stringify(err.toJSON()), headers } : { status, contentType: JSON_TYPE, body: JSON.stringify(err.toJSON()) };
  }
  return { status: 500, contentType: JSON_TYPE, body: INTERNAL_BODY };
}
