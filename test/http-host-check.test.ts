/**
 * The Host check against DNS rebinding: which Host values are answered by default and with
 * OPTCHAIN_ALLOWED_HOSTS, how the value is validated, and that a refused request gets the
 * contract's 403 over real HTTP on 127.0.0.1 while the same server answers its own names.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { allowedHostsProblem, hostName, HostAllowlist, parseAllowedHosts } from '../src/http/host-allowlist.js';
import { OptchainServer } from '../src/http/optchain-server.js';
import { rawExchange } from './helpers/raw-http.js';

describe('HostAllowlist', () => {
  it('answers localhost, *.localhost, IP literals and no Host by default, and no other name', () => {
    const list = new HostAllowlist([]);
    for (const ok of ['localhost', 'LOCALHOST:8080', 'app.localhost:1', '127.0.0.1:8080', '10.1.2.3', '[::1]:8080', '[fe80::1]', 'localhost.', '']) expect(list.allows(ok), ok).toBe(true);
    for (const bad of ['evil.example', 'evil.example:8080', 'localhost.evil.example', '127.0.0.1.nip.io', 'x', '[', ':8080']) expect(list.allows(bad), bad).toBe(false);
  });

  it('adds configured names, *.domain suffixes and * for any', () => {
    const list = new HostAllowlist(parseAllowedHosts(' Chains.Example.com ,*.corp.internal'));
    expect(list.allows('chains.example.com:443')).toBe(true);
    expect(list.allows('a.b.corp.internal')).toBe(true);
    expect(list.allows('corp.internal')).toBe(false);
    expect(list.allows('example.com')).toBe(false);
    expect(new HostAllowlist(['*']).allows('anything.example')).toBe(true);
  });

  it('gives the same verdict for a repeated Host (one-entry cache) as for a fresh one', () => {
    const list = new HostAllowlist([]);
    expect([list.allows('evil.example'), list.allows('evil.example'), list.allows('localhost'), list.allows('evil.example')]).toEqual([false, false, true, false]);
  });

  it('parses the host part of Host values', () => {
    expect(hostName('Example.COM:8080')).toBe('example.com');
    expect(hostName('[::1]:80')).toBe('::1');
    expect(hostName('[::1')).toBe('');
  });

  it('validates OPTCHAIN_ALLOWED_HOSTS and names it in the error', () => {
    expect(allowedHostsProblem('a.example, *.b.example, 10.0.0.1, *')).toBeNull();
    expect(allowedHostsProblem('http://a.example')).toMatch(/not a host name/);
    expect(() => loadConfig({ OPTCHAIN_ALLOWED_HOSTS: 'a b' })).toThrow(/OPTCHAIN_ALLOWED_HOSTS/);
    expect(loadConfig({ OPTCHAIN_ALLOWED_HOSTS: 'chains.example.com' }).allowedHosts).toBe('chains.example.com');
  });
});

describe('the Host check on a server', () => {
  let server: OptchainServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('refuses /health and /metrics for a foreign Host with 403 HOST_NOT_ALLOWED and serves configured names', async () => {
    server = new OptchainServer({ allowedHosts: 'chains.example.com' });
    const port = await server.listen('127.0.0.1', 0);
    for (const path of ['/health', '/metrics', '/v1/chains/NIFTY']) {
      const refused = await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: rebind.attacker.example:${port}\r\n\r\n`);
      expect(refused.status, path).toBe(403);
      expect(JSON.parse(refused.body).error.code).toBe('HOST_NOT_ALLOWED');
      expect(refused.body).not.toContain('"status"');
    }
    for (const host of [`chains.example.com:${port}`, `127.0.0.1:${port}`, `localhost:${port}`]) {
      expect((await rawExchange(port, `GET /health HTTP/1.1\r\nHost: ${host}\r\n\r\n`)).status, host).toBe(200);
    }
  });
});
