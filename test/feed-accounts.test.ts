import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accountsFiles, feedUrlFor, filesStamp, readAccountsFile, redactAccount, redactFeedUrl } from '../src/dhan/accounts.js';
import { FeedError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'optchain-accounts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  return p;
}

async function failure(p: string): Promise<FeedError> {
  try {
    await readAccountsFile(p);
  } catch (err) {
    expect(err).toBeInstanceOf(FeedError);
    return err as FeedError;
  }
  throw new Error('expected a failure');
}

describe('accounts file', () => {
  it('reads inline tokens', async () => {
    const p = file('a.json', JSON.stringify([{ clientId: '1100000001', accessToken: 'tok-A' }, { clientId: '1100000002', accessToken: ' tok-B\n' }]));
    expect(await readAccountsFile(p)).toEqual([
      { clientId: '1100000001', accessToken: 'tok-A' },
      { clientId: '1100000002', accessToken: 'tok-B' },
    ]);
  });

  it('reads tokenFile relative to the accounts file folder, trimmed, and re-reads it each time', async () => {
    file('sub/tokens/a.txt', '  eyJhbGciOi.rolled-1  \n');
    const p = file('sub/accounts.json', JSON.stringify([{ clientId: 1100000003, tokenFile: 'tokens/a.txt' }]));
    expect(await readAccountsFile(p)).toEqual([{ clientId: '1100000003', accessToken: 'eyJhbGciOi.rolled-1' }]);
    file('sub/tokens/a.txt', 'rolled-2\n');
    expect((await readAccountsFile(p))[0]!.accessToken).toBe('rolled-2');
    expect(await accountsFiles(p)).toEqual([p, join(dir, 'sub/tokens/a.txt')]);
  });

  it('notices a token file change in the files stamp', async () => {
    const tf = file('stamp/t.txt', 'one');
    const p = file('stamp/accounts.json', JSON.stringify([{ clientId: 'X', tokenFile: 't.txt' }]));
    const before = await filesStamp(await accountsFiles(p));
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(tf, 'second token');
    expect(await filesStamp(await accountsFiles(p))).not.toBe(before);
  });

  it('rejects bad files with a reason that never contains a token', async () => {
    const secret = 'SECRET-TOKEN-1234567890';
    const cases: [string, RegExp][] = [
      [`[{"clientId": "1", "accessToken": "${secret}"`, /not valid JSON/],
      [JSON.stringify({ clientId: '1', accessToken: secret }), /expected array|array/i],
      [JSON.stringify([]), /no account/],
      [JSON.stringify([{ clientId: '', accessToken: secret }]), /entry 0/],
      [JSON.stringify([{ clientId: '1' }]), /clientId.*accessToken.*tokenFile/],
      [JSON.stringify([{ clientId: '1', accessToken: secret, tokenFile: 'x' }]), /entry 0/],
      [JSON.stringify([{ clientId: '1', accessToken: secret, extra: secret }]), /entry 0/],
      [JSON.stringify([{ clientId: '1', accessToken: secret }, { clientId: '1', accessToken: secret }]), /listed twice/],
      [JSON.stringify([{ clientId: '1', tokenFile: 'missing-token.txt' }]), /cannot read the token file.*ENOENT/],
    ];
    for (const [i, [content, re]] of cases.entries()) {
      const err = await failure(file(`bad-${i}.json`, content));
      expect(err.code).toBe('FEED_ACCOUNTS_INVALID');
      expect(err.message).toMatch(re);
      expect(err.message).not.toContain(secret);
      expect(JSON.stringify(err.toJSON())).not.toContain(secret);
    }
    file('empty-token.txt', '   \n');
    expect((await failure(file('bad-empty.json', JSON.stringify([{ clientId: '1', tokenFile: 'empty-token.txt' }])))).message).toMatch(/empty/);
    expect((await failure(join(dir, 'nope.json'))).message).toMatch(/ENOENT/);
  });

  it('redacts tokens for logs and URLs', () => {
    const acct = { clientId: '1100000001', accessToken: 'eyJabc.def.ghi' };
    expect(redactAccount(acct)).toEqual({ clientId: '1100000001', accessToken: '[REDACTED]' });
    const url = feedUrlFor('ws://127.0.0.1:9/feed', acct);
    expect(url).toBe('ws://127.0.0.1:9/feed?version=2&token=eyJabc.def.ghi&clientId=1100000001&authType=2');
    expect(redactFeedUrl(url)).not.toContain('eyJabc');
    expect(redactFeedUrl(`Unexpected server response to ${url}`)).toContain('token=[REDACTED]&clientId=1100000001');
  });
});
