import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactText } from '../src/log/logger.js';

function capture() {
  const lines: string[] = [];
  const dest = new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } });
  return { log: createLogger('info', dest), text: () => lines.join('') };
}

describe('logs never carry secrets', () => {
  it('redacts tokens in objects, URLs, bearer keys and errors', () => {
    const { log, text } = capture();
    const jwt = 'eyJhbGciOiJIUzUxMiJ9.eyJjbGllbnRJZCI6IjEwMDAwMDAwMDEifQ.c2lnbmF0dXJlc2lnbmF0dXJl';
    log.info({ account: { clientId: '1000000001', accessToken: jwt } }, 'connecting');
    log.info(`connecting to wss://api-feed.dhan.co?version=2&token=${jwt}&clientId=1&authType=2`);
    log.info({ headers: { authorization: 'Bearer abc.def' } }, 'request');
    log.error({ err: new Error(`failed wss://x?token=sekrit123&clientId=1`) }, 'feed error');
    const out = text();
    expect(out).not.toContain(jwt);
    expect(out).not.toContain('sekrit123');
    expect(out).not.toContain('abc.def');
    expect(out).toContain('1000000001');
    expect(out).toContain('[REDACTED]');
  });

  it('scrubs free text', () => {
    expect(redactText('GET /x?token=abc&y=1')).toBe('GET /x?token=[REDACTED]&y=1');
    expect(redactText('Authorization: Bearer k3y')).toBe('Authorization: Bearer [REDACTED]');
  });
});
