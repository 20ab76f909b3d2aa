/** The CORS policy (OPTCHAIN_CORS_ORIGINS): parsing, simple answers, preflight answers and refusals. */
import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCodes, HttpError } from '../src/errors.js';
import { CorsPolicy, corsOriginsProblem, parseCorsOrigins } from '../src/http/cors.js';

const get = (h: readonly (readonly [string, string])[], k: string) => h.find(([n]) => n === k)?.[1];

describe('parseCorsOrigins', () => {
  it('reads none, any and a list (lower-cased, de-duplicated)', () => {
    expect(parseCorsOrigins('')).toEqual([]);
    expect(parseCorsOrigins(' * ')).toBe('*');
    expect(parseCorsOrigins('https://App.example.com, http://localhost:5173,https://app.example.com')).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(parseCorsOrigins('http://[::1]:8080')).toEqual(['http://[::1]:8080']);
  });

  it('refuses what can never match an Origin header, naming the variable', () => {
    for (const bad of ['https://a.example/', 'a.example', 'ftp://a.example', 'https://a.example/path', '*,https://a.example']) {
      expect(() => parseCorsOrigins(bad)).toThrow(ConfigError);
      expect(() => parseCorsOrigins(bad)).toThrow(/OPTCHAIN_CORS_ORIGINS/);
      expect(corsOriginsProblem(bad)).toMatch(/./);
    }
    expect(corsOriginsProblem('*')).toBeNull();
    expect(corsOriginsProblem('')).toBeNull();
  });
});

describe('CorsPolicy', () => {
  it('writes nothing by default (same origin only) and refuses every preflight', () => {
    const p = new CorsPolicy([]);
    expect(p.enabled).toBe(false);
    expect(p.headersFor('https://evil.example')).toEqual([]);
    expect(() => p.preflight('https://evil.example', 'GET', ['GET', 'HEAD'])).toThrow(/not enabled/);
  });

  it('allows listed origins only, with Vary: Origin on every answer', () => {
    const p = new CorsPolicy(['https://app.example.com']);
    const ok = p.headersFor('https://app.example.com');
    expect(get(ok, 'access-control-allow-origin')).toBe('https://app.example.com');
    expect(get(ok, 'access-control-expose-headers')).toContain('etag');
    expect(get(ok, 'vary')).toBe('Origin');
    const other = p.headersFor('https://evil.example');
    expect(get(other, 'access-control-allow-origin')).toBeUndefined();
    expect(get(other, 'vary')).toBe('Origin');
    expect(get(p.headersFor(''), 'vary')).toBe('Origin');
  });

  it('answers a preflight with the route methods, headers and max-age; refuses other origins and methods', () => {
    const p = new CorsPolicy(['https://app.example.com']);
    const a = p.preflight('https://app.example.com', 'post', ['GET', 'HEAD', 'POST']);
    expect(a.status).toBe(204);
    expect(get(a.headers, 'access-control-allow-origin')).toBe('https://app.example.com');
    expect(get(a.headers, 'access-control-allow-methods')).toBe('GET, HEAD, POST');
    expect(get(a.headers, 'access-control-allow-headers')).toContain('authorization');
    expect(get(a.headers, 'access-control-allow-headers')).toContain('if-none-match');
    expect(Number(get(a.headers, 'access-control-max-age'))).toBeGreaterThan(0);
    expect(get(a.headers, 'vary')).toContain('Origin');
    const refused = (() => {
      try {
        p.preflight('https://evil.example', 'GET', ['GET']);
      } catch (e) {
        return e;
      }
    })();
    expect(refused).toBeInstanceOf(HttpError);
    expect(refused).toMatchObject({ status: 403, code: ErrorCodes.FORBIDDEN });
    expect(() => p.preflight('https://app.example.com', 'DELETE', ['GET', 'HEAD'])).toThrow(/DELETE is not allowed/);
  });

  it('with * answers any origin with a literal *', () => {
    const p = new CorsPolicy('*');
    expect(get(p.headersFor('https://x.example'), 'access-control-allow-origin')).toBe('*');
    expect(get(p.preflight('https://x.example', 'GET', ['GET']).headers, 'access-control-allow-origin')).toBe('*');
  });
});
