/**
 * Error codes carry their HTTP status (src/errors.ts ERROR_STATUS): a throw names only the
 * code, and the contract's statuses (docs/contract.md §5, §6) follow from it.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS, ErrorCodes, FeedError, HttpError, MarginError, OptchainError, OrderRefusedError, statusOf } from '../src/errors.js';

describe('error codes carry their HTTP status', () => {
  it('every code has a status in the HTTP error range', () => {
    for (const code of Object.values(ErrorCodes)) {
      const s = ERROR_STATUS[code];
      expect(s >= 400 && s <= 599, `${code} → ${s}`).toBe(true);
    }
    expect(Object.keys(ERROR_STATUS).sort()).toEqual(Object.values(ErrorCodes).sort());
  });

  it('the contract statuses: 400 bad input, 401/403 auth, 404 unknown, 405, 413, 422 refusals, 409 reused id, 429, 503 not ready', () => {
    const expected: [string, number][] = [
      ['BAD_REQUEST', 400], ['UNAUTHORIZED', 401], ['FORBIDDEN', 403], ['NOT_FOUND', 404], ['UNKNOWN_SYMBOL', 404],
      ['UNKNOWN_EXPIRY', 404], ['METHOD_NOT_ALLOWED', 405], ['BODY_TOO_LARGE', 413], ['RATE_LIMITED', 429], ['NOT_READY', 503],
      ['DUPLICATE_CLIENT_ORDER_ID', 409],
      ...['NO_QUOTE', 'STALE_QUOTE', 'CROSSED_QUOTE', 'SPREAD_TOO_WIDE', 'INSUFFICIENT_LIQUIDITY', 'INSUFFICIENT_MARGIN', 'UNKNOWN_INSTRUMENT'].map((c): [string, number] => [c, 422]),
    ];
    for (const [code, status] of expected) expect([code, statusOf(code)]).toEqual([code, status]);
  });

  it('every error class takes its status from the code', () => {
    expect(new HttpError(ErrorCodes.UNKNOWN_EXPIRY, 'x').status).toBe(404);
    expect(new OrderRefusedError(ErrorCodes.SPREAD_TOO_WIDE, 'x', {}).status).toBe(422);
    expect(new MarginError(ErrorCodes.MARGIN_AUTH_FAILED, 'x', false).status).toBe(502);
    expect(new MarginError(ErrorCodes.MARGIN_RATE_LIMITED, 'x', true).status).toBe(503);
    expect(new FeedError(ErrorCodes.FEED_AUTH_FAILED, 'x').status).toBe(503);
    expect(new OptchainError(ErrorCodes.PRICE_TABLE_LAYOUT, 'x').status).toBe(500);
    expect(new HttpError(ErrorCodes.BAD_REQUEST, 'bad', { field: 'a' }).toJSON()).toEqual({ error: { code: 'BAD_REQUEST', message: 'bad', details: { field: 'a' } } });
  });

  it('a string that is not one of our codes maps to 500', () => {
    expect(statusOf('NOT_A_CODE')).toBe(500);
  });
});
