/**
 * Worker threads must run compiled JavaScript (the preamble's convention: anything spawned in
 * a worker comes from `dist/`). Under vitest a module's `import.meta.url` points at its `.ts`
 * source, so a worker URL derived from it would name a file Node cannot run; this maps such a
 * source URL to its compiled twin (`/src/x.ts` → `/dist/x.js`). Compiled callers pass through.
 *
 * @module
 */

/**
 * The URL of the compiled module `relative` to `base` (usually `import.meta.url`): resolved
 * against `base`, then, when it names a `.ts` file under `/src/`, rewritten to `/dist/…js`.
 */
export function distUrl(relative: string, base: string): URL {
  const url = new URL(relative, base);
  if (url.pathname.endsWith('.ts')) {
    const i = url.pathname.lastIndexOf('/src/');
    if (i >= 0) url.pathname = `${url.pathname.slice(0, i)}/dist/${url.pathname.slice(i + 5, -3)}.js`;
    else url.pathname = `${url.pathname.slice(0, -3)}.js`;
  }
  return url;
}
