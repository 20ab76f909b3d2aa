/**
 * `optchain serve` refuses bad configuration with one line naming the variable (docs/contract.md §4),
 * and never echoes a secret from the accounts file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/optchain.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'optchain-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const serve = (env: Record<string, string>) =>
  spawnSync(process.execPath, [BIN, 'serve'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, OPTCHAIN_DATA_DIR: dir, OPTCHAIN_PORT: '0', ...env } });

describe('optchain serve with bad configuration', () => {
  it('names the variable of a bad value in one line and exits non-zero', () => {
    const r = serve({ OPTCHAIN_PORT: 'eighty' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('OPTCHAIN_PORT');
  });

  it('rejects an unusable accounts file without printing its token', () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMTAwMDAwMDAxIn0.c2VjcmV0c2VjcmV0c2VjcmV0';
    const file = join(dir, 'accounts.json');
    writeFileSync(file, JSON.stringify([{ clientId: '1100000001', accessToken: token }, { clientId: '' }]));
    const r = serve({ OPTCHAIN_DHAN_ACCOUNTS: file });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('OPTCHAIN_DHAN_ACCOUNTS');
    expect(r.stderr + r.stdout).not.toContain(token);
    const missing = serve({ OPTCHAIN_DHAN_ACCOUNTS: join(dir, 'nope.json') });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/OPTCHAIN_DHAN_ACCOUNTS.*ENOENT/);
  });
});
