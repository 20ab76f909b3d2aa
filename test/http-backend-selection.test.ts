/**
 * Which HTTP backend serves (OPTCHAIN_HTTP_BACKEND): auto takes uWS where a build loads
 * natively and says why each preferred build did not; node is node:http even where uWS loads;
 * uws fails with one line naming every build's reason when none loads; the pure-JS uWS shim
 * is refused; the backend is named in /metrics.
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpServer } from '../src/http/http-server.js';
import { createTransport } from '../src/http/select-backend.js';
import { UWS_BUILDS, glibcVersion, loadUws } from '../src/http/uws.js';
import { uwsUnavailableReason } from './http/backends.js';

let server: HttpServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const glibc = glibcVersion();
const glibcBelow = (v: string) => glibc !== null && Number(glibc.split('.')[1]) < Number(v.split('.')[1]);

describe('OPTCHAIN_HTTP_BACKEND', () => {
  it('auto: uWS from the first build that loads, naming why each preferred build did not', () => {
    server = new HttpServer();
    const info = server.backend;
    if (uwsUnavailableReason() !== '') {
      expect(info).toMatchObject({ name: 'node', source: 'node:http', version: process.versions.node });
      expect(info.fallbackReason).toContain('no uWebSockets.js native addon loads');
      return;
    }
    expect(info.name).toBe('uws');
    const used = UWS_BUILDS.indexOf(info.source as (typeof UWS_BUILDS)[number]);
    expect(used).toBeGreaterThanOrEqual(0);
    expect(info.version).toMatch(/^\d+\.\d+/);
    for (const skipped of UWS_BUILDS.slice(0, used)) expect(info.fallbackReason).toContain(`${skipped}`);
    // measured: @btc-vision's 20.57 Linux binaries need glibc 2.38 (Debian 12 has 2.36)
    if (process.platform === 'linux' && glibcBelow('2.38') && used > 1) {
      expect(info.fallbackReason).toMatch(/@btc-vision\/uwebsockets\.js@20\.57\.0: its binary needs glibc ≥ 2\.38, this system has glibc 2\.\d+/);
    }
  });

  it('node: node:http even where uWS loads, saying so', () => {
    server = new HttpServer({ backend: 'node' });
    expect(server.backend).toEqual({ name: 'node', source: 'node:http', version: process.versions.node, fallbackReason: 'OPTCHAIN_HTTP_BACKEND=node (uWS not tried)' });
  });

  it('uws: fails with one line naming each build and its reason when none loads', () => {
    let caught: unknown;
    try {
      createTransport('uws', ['uws-build-that-is-not-installed', 'zod']);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'HTTP_BACKEND_UNAVAILABLE' });
    const message = (caught as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain('uws-build-that-is-not-installed: not installed');
    expect(message).toMatch(/zod@[\d.]+: no binary for linux-x64 Node ABI \d+/);
    // and auto falls back to node:http with the same reasons
    const transport = createTransport('auto', ['uws-build-that-is-not-installed']);
    expect(transport.info.name).toBe('node');
    expect(transport.info.fallbackReason).toContain('uws-build-that-is-not-installed: not installed');
  });

  it('never takes the pure-JS uWS shim', () => {
    const require = createRequire(import.meta.url);
    const fallback = require('@trufflesuite/uws-js-unofficial/dist/index.js') as { App: unknown };
    expect(String(fallback.App)).not.toMatch(/\[native code\]/);
    expect(() => new HttpServer({ uws: fallback as never })).toThrow(expect.objectContaining({ code: 'UWS_NATIVE_MISSING' }));
    if (uwsUnavailableReason() === '') expect(String(loadUws().module.App)).toMatch(/\[native code\]/);
  });

  it('names the backend in /metrics', async () => {
    server = new HttpServer({ backend: 'node' });
    const text = await server.metrics.registry.metrics();
    expect(text).toContain(`optchain_http_backend_info{backend="node",source="node:http",version="${process.versions.node}",fallback_reason="OPTCHAIN_HTTP_BACKEND=node (uWS not tried)"} 1`);
  });
});
