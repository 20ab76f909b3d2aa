import { describe, expect, it } from 'vitest';
import { envName, isSimMode, loadConfig } from '../src/config/config.js';
import { ConfigError } from '../src/errors.js';

describe('configuration', () => {
  it('has the docs/contract.md §4 defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8080, tradingDate: null, dhanAccounts: null, dhanFeedUrl: 'wss://api-feed.dhan.co', dhanApiUrl: 'https://api.dhan.co/v2', dataDir: './data', sim: false, simPort: 8081 });
    expect(isSimMode(c)).toBe(true);
  });

  it('maps every key to its OPTCHAIN_ variable', () => {
    expect(envName('dhanApiUrl')).toBe('OPTCHAIN_DHAN_API_URL');
    expect(envName('dhanMasterUrl')).toBe('OPTCHAIN_DHAN_MASTER_URL');
    expect(envName('simPort')).toBe('OPTCHAIN_SIM_PORT');
    const c = loadConfig({ OPTCHAIN_PORT: '9090', OPTCHAIN_TRADING_DATE: '2026-08-17', OPTCHAIN_DHAN_ACCOUNTS: '/x/accounts.json', OPTCHAIN_SIM: '1', OPTCHAIN_DATA_DIR: '/tmp/d' });
    expect(c).toMatchObject({ port: 9090, tradingDate: '2026-08-17', dhanAccounts: '/x/accounts.json', sim: true, dataDir: '/tmp/d' });
    expect(isSimMode(c)).toBe(true);
    expect(isSimMode(loadConfig({ OPTCHAIN_DHAN_ACCOUNTS: '/x/a.json' }))).toBe(false);
  });

  it('stops with one line naming the key for a bad value', () => {
    const bad: Record<string, string> = {
      OPTCHAIN_PORT: 'eighty',
      OPTCHAIN_TRADING_DATE: '2026-02-30',
      OPTCHAIN_DHAN_API_URL: 'https://api.dhan.co/v1',
      OPTCHAIN_DHAN_FEED_URL: 'http://not-ws',
      OPTCHAIN_CORS_ORIGINS: 'https://app.example/',
    };
    for (const [k, v] of Object.entries(bad)) {
      let err: unknown;
      try { loadConfig({ [k]: v }); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain(k);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('lets explicit overrides (command-line flags) win over the environment', () => {
    expect(loadConfig({ OPTCHAIN_PORT: '9000' }, { port: 9001 }).port).toBe(9001);
  });
});
