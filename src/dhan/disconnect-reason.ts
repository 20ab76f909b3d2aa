/**
 * Disconnect reasons of the feed's code-50 packet, which are the annexure's "Data API Error"
 * codes (docs/dhan-protocol.md §2.11), with their meanings and what a client should do about them.
 *
 * @module
 */

/** Disconnect reason codes of the feed's code-50 packet (annexure "Data API Error", docs/dhan-protocol.md §2.11). */
export const DisconnectReason = Object.freeze({
  INTERNAL_SERVER_ERROR: 800,
  INSTRUMENT_LIMIT_EXCEEDED: 804,
  TOO_MANY_CONNECTIONS: 805,
  DATA_API_NOT_SUBSCRIBED: 806,
  ACCESS_TOKEN_EXPIRED: 807,
  AUTHENTICATION_FAILED: 808,
  ACCESS_TOKEN_INVALID: 809,
  CLIENT_ID_INVALID: 810,
  INVALID_EXPIRY_DATE: 811,
  INVALID_DATE_FORMAT: 812,
  INVALID_SECURITY_ID: 813,
  INVALID_REQUEST: 814,
} as const);
export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason];

/**
 * Annexure meanings. Where the Python SDK disagrees (808/809 swapped) the annexure wins, as
 * docs/dhan-protocol.md §2.11 recommends.
 */
export const DISCONNECT_REASON_TEXT: Readonly<Record<number, string>> = Object.freeze({
  800: 'Internal server error',
  804: 'Requested number of instruments exceeds limit',
  805: 'Too many requests or connections; further requests may get the user blocked',
  806: 'Data APIs not subscribed',
  807: 'Access token is expired',
  808: 'Authentication failed: client id or access token invalid',
  809: 'Access token is invalid',
  810: 'Client id is invalid',
  811: 'Invalid expiry date',
  812: 'Invalid date format',
  813: 'Invalid SecurityId',
  814: 'Invalid request',
});

/** Human text for a disconnect reason, including codes the annexure does not list. */
export function disconnectReasonText(code: number): string {
  return DISCONNECT_REASON_TEXT[code] ?? `unknown disconnect reason ${code}`;
}

/** True for the reasons after which reconnecting with the same credentials is pointless (docs/dhan-protocol.md §2.11). */
export function isCredentialFailure(code: number): boolean {
  return code === 806 || code === 807 || code === 808 || code === 809 || code === 810;
}
