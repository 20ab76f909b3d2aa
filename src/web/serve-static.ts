/**
 * Serves the chain page from the same uWS server as the API (no second server): `GET /`
 * (and `/index.html`) and the bundled files under `/assets/` that `src/web/build.mjs` writes
 * into `dist/web/`.
 *
 * Everything is read into memory once at registration (the page is ~40 KB) with its ETag and
 * a gzip twin, so a request is a map lookup on the synchronous fast path, never a disk read;
 * only files that exist in the build are reachable (no path is ever joined from a URL).
 * Caching: index.html is `no-cache` (revalidated with its ETag, so a rebuilt page is picked up
 * on the next load); content-hashed assets are `immutable` for a year. A rebuild while the
 * server runs is served after a restart.
 *
 * This file runs in Node, not in the browser: the web tsconfig excludes it, and the server's
 * tsc compiles it when the serve command imports it.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ErrorCodes, HttpError } from '../errors.js';
import type { FastReply, HttpServer } from '../http/http-server.js';
import { distUrl } from '../util/dist-path.js';

/** Options of {@link registerWebRoutes}. */
export interface WebRoutesOptions {
  /** The built page folder (holds index.html and assets/); default {@link defaultWebRoot}. */
  readonly root?: string;
}

/** One servable file, prepared once. */
export interface WebAsset {
  readonly body: Uint8Array;
  /** Gzipped body when that is smaller and the type compresses, else null. */
  readonly gzip: Uint8Array | null;
  readonly contentType: string;
  readonly etag: string;
  readonly cacheControl: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = /^(text\/|application\/json|image\/svg)/;
/** esbuild's `[name]-[hash]` file names (src/web/build.mjs): safe to cache forever. */
const HASHED = /-[A-Z0-9]{8}\.[a-z0-9.]+$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const NO_CACHE = 'no-cache';
/** The page loads only its own files and talks only to its own origin. */
const PAGE_HEADERS: readonly (readonly [string, string])[] = [
  ['content-security-policy', "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"],
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'no-referrer'],
];

/** `dist/web/` next to the compiled server (also right when this runs from `src/` under vitest). */
export function defaultWebRoot(): string {
  return fileURLToPath(distUrl('./', import.meta.url));
}

function prepare(file: string, cacheControl: string): WebAsset {
  const body = new Uint8Array(readFileSync(file));
  const contentType = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 22);
  let gzip: Uint8Array | null = null;
  if (COMPRESSIBLE.test(contentType) && body.byteLength > 1024) {
    const gz = new Uint8Array(gzipSync(body, { level: 9 }));
    if (gz.byteLength < body.byteLength) gzip = gz;
  }
  return { body, gzip, contentType, etag: `"${hash}"`, cacheControl };
}

/**
 * Reads the built page: `/` (index.html) and `/assets/<file>` for every file in assets/.
 * Returns an empty map when the page has not been built.
 */
export function loadWebAssets(root: string): Map<string, WebAsset> {
  const assets = new Map<string, WebAsset>();
  const index = join(root, 'index.html');
  if (!existsSync(index)) return assets;
  assets.set('/', prepare(index, NO_CACHE));
  const dir = join(root, 'assets');
  if (existsSync(dir)) {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      assets.set(`/assets/${entry.name}`, prepare(join(dir, entry.name), HASHED.test(entry.name) ? IMMUTABLE : NO_CACHE));
    }
  }
  return assets;
}

/** True when an If-None-Match header value lists `etag` (or `*`); the gzip variant's tag counts too. */
function matches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch === '') return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = etag.slice(1, -1);
  return ifNoneMatch.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
    return v === bare || v === `${bare}-gz`;
  });
}

function answer(asset: WebAsset, ifNoneMatch: string, acceptEncoding: string, extra: readonly (readonly [string, string])[]): FastReply {
  const gz = asset.gzip !== null && /\bgzip\b/.test(acceptEncoding);
  // A strong ETag names one representation, so the gzip twin has its own tag.
  const etag = gz ? `"${asset.etag.slice(1, -1)}-gz"` : asset.etag;
  const headers: (readonly [string, string])[] = [['etag', etag], ['cache-control', asset.cacheControl], ...extra];
  if (asset.gzip !== null) headers.push(['vary', 'accept-encoding']);
  if (matches(ifNoneMatch, asset.etag)) return { status: 304, contentType: asset.contentType, body: '', headers };
  if (gz) headers.push(['content-encoding', 'gzip']);
  return { status: 200, contentType: asset.contentType, body: gz ? asset.gzip! : asset.body, headers };
}

/**
 * Registers `GET /`, `GET /index.html` and `GET /assets/*` on `server`. Unknown assets are
 * 404 NOT_FOUND; an unbuilt page answers 503 NOT_READY naming the fix. Returns the number of
 * files served.
 */
export function registerWebRoutes(server: HttpServer, options: WebRoutesOptions = {}): number {
  const assets = loadWebAssets(options.root ?? defaultWebRoot());
  const page = (ifNoneMatch: string, acceptEncoding: string): FastReply => {
    const index = assets.get('/');
    if (!index) throw new HttpError(ErrorCodes.NOT_READY, 'the web page is not built; run `npm run build`');
    return answer(index, ifNoneMatch, acceptEncoding, PAGE_HEADERS);
  };
  server.fastRoute('GET', '/', (req) => page(req.getHeader('if-none-match'), req.getHeader('accept-encoding')));
  server.fastRoute('GET', '/index.html', (req) => page(req.getHeader('if-none-match'), req.getHeader('accept-encoding')));
  server.fastRoute('GET', '/assets/*', (req) => {
    const url = req.getUrl();
    const ifNoneMatch = req.getHeader('if-none-match');
    const acceptEncoding = req.getHeader('accept-encoding');
    const asset = assets.get(url);
    if (!asset) throw new HttpError(ErrorCodes.NOT_FOUND, `no asset ${url}`);
    return answer(asset, ifNoneMatch, acceptEncoding, [['x-content-type-options', 'nosniff']]);
  });
  return assets.size;
}
