/**
 * The client: browser bundling of the decode module, and the fetch-based client against a
 * real server.
 */
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlatbuffersChainEncoder } from '../src/chain/flatbuffers-chain-encoder.js';
import { JsonChainEncoder } from '../src/chain/json-chain-encoder.js';
import { Market } from '../src/chain/market.js';
import { OptchainClient, OptchainClientError, decodeChainFlatbuffer, decodeChainJson } from '../src/client/index.js';
import { OptchainServer } from '../src/http/optchain-server.js';
import { summarizeSkeleton } from '../src/skeleton/summary.js';
import { fillRandom } from './chain-encoder.case.js';
import { tableFor, tinySkeleton } from './helpers/tiny-skeleton.js';

describe('client bundle', () => {
  it('bundles for the browser without node: modules and decodes both formats in a bare context', async () => {
    const out = await build({
      entryPoints: [new URL('../src/client/index.ts', import.meta.url).pathname],
      bundle: true, platform: 'browser', format: 'iife', globalName: 'optchain', write: false, logLevel: 'silent',
    });
    const code = out.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(["']node:|from ["']node:/);
    const s = tinySkeleton();
    const m = new Market(s, tableFor(s));
    fillRandom(m, 4);
    const c = s.chains[1]!;
    const fb = new FlatbuffersChainEncoder().encode(m, c, 3, 1786000000123).bytes;
    const json = new JsonChainEncoder().encode(m, c, 3, 1786000000123).bytes;
    // Only what a browser has: no process, no Buffer, no require.
    const sandbox = { TextDecoder, TextEncoder, Uint8Array, fb, json, result: undefined as unknown };
    runInNewContext(`${code}; result = [optchain.decodeChainFlatbuffer(fb), optchain.decodeChainJson(json)];`, sandbox);
    const [a, b] = sandbox.result as unknown[];
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a).toEqual(decodeChainFlatbuffer(fb));
    expect(b).toEqual(decodeChainJson(json));
  });

  it('rejects bodies that are not chains', () => {
    expect(() => decodeChainJson('{"nope":1}')).toThrow(OptchainClientError);
    expect(() => decodeChainJson('not json')).toThrow(/not JSON/);
    expect(() => decodeChainFlatbuffer(new Uint8Array(4))).toThrow(/OCHN/);
  });
});

describe('OptchainClient against a server', () => {
  let server: OptchainServer;
  let client: OptchainClient;
  const s = tinySkeleton();
  const table = tableFor(s);

  beforeAll(async () => {
    server = new OptchainServer();
    const m = server.setMarket(s, table);
    fillRandom(m, 8);
    client = new OptchainClient(`http://127.0.0.1:${await server.listen('127.0.0.1', 0)}/`);
  });
  afterAll(() => server.close());

  it('gets the same chain in both formats', async () => {
    const json = await client.getChain('RELIANCE', { exchange: 'BSE' });
    const fb = await client.getChain('RELIANCE', { exchange: 'BSE', format: 'flatbuffers' });
    expect({ ...fb, servedAt: 0 }).toEqual({ ...json, servedAt: 0 });
    expect(json.exchange).toBe('BSE');
    expect((await client.getChain('NIFTY', { expiry: '2026-08-25' })).rows.length).toBe(3);
  });

  it('gets underlyings, health and snapshots', async () => {
    expect(await client.getUnderlyings()).toEqual(summarizeSkeleton(s));
    expect((await client.getHealth()).tradingDate).toBe('2026-08-17');
    expect((await client.getSnapshot()).chains.length).toBe(6);
    expect((await client.getSnapshot(['BSE:RELIANCE', 'NOSPOT'])).chains.map((c) => c.symbol)).toEqual(['RELIANCE', 'NOSPOT']);
  });

  it('raises the server error code', async () => {
    await expect(client.getChain('NIFTY', { expiry: '2030-01-01' })).rejects.toMatchObject({ name: 'OptchainClientError', code: 'UNKNOWN_EXPIRY', status: 404 });
    await expect(client.getSnapshot(['ZZZ'])).rejects.toMatchObject({ code: 'UNKNOWN_SYMBOL', status: 404 });
  });
});
