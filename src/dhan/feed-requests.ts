/**
 * What a client may ask of the Dhan live feed: the request codes of its JSON messages
 * (docs/dhan-protocol.md §2.2) and the instrument limits (docs/dhan-protocol.md §2.3). The message shapes themselves are
 * built and checked in `subscribe-message.ts`.
 *
 * @module
 */

/** Feed request codes carried in the JSON `RequestCode` of client messages (docs/dhan-protocol.md §2.2). */
export const RequestCode = Object.freeze({
  DISCONNECT: 12,
  SUBSCRIBE_TICKER: 15,
  UNSUBSCRIBE_TICKER: 16,
  SUBSCRIBE_QUOTE: 17,
  UNSUBSCRIBE_QUOTE: 18,
  SUBSCRIBE_FULL: 21,
  UNSUBSCRIBE_FULL: 22,
} as const);
export type RequestCode = (typeof RequestCode)[keyof typeof RequestCode];

/** The request codes that carry an instrument list (subscribe = odd, unsubscribe = subscribe + 1, docs/dhan-protocol.md §2.2). */
export const SUBSCRIPTION_REQUEST_CODES: readonly number[] = Object.freeze([15, 16, 17, 18, 21, 22]);

/** Largest instrument list in one subscribe message (docs/dhan-protocol.md §2.3). */
export const MAX_INSTRUMENTS_PER_MESSAGE = 100;
/** Largest number of instruments on one connection (docs/dhan-protocol.md §2.3). */
export const MAX_INSTRUMENTS_PER_CONNECTION = 5000;
