/**
 * HTTP status lines for uWS `writeStatus` (it takes the whole "200 OK" text).
 *
 * @module
 */
const REASONS: Readonly<Record<number, string>> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 304: 'Not Modified',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 421: 'Misdirected Request', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
  431: 'Request Header Fields Too Large', 499: 'Client Closed Request', 505: 'HTTP Version Not Supported',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

const lines = new Map<number, string>();

/** `200` → `'200 OK'` (cached). */
export function statusLine(status: number): string {
  let line = lines.get(status);
  if (line === undefined) {
    line = `${status} ${REASONS[status] ?? 'Status'}`;
    lines.set(status, line);
  }
  return line;
}

/** `200` → `'OK'`: the reason phrase both backends send, so their status lines match. */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? 'Status';
}
