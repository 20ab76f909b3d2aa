/**
 * Worker threads must run compiled JavaScript (the project convention: anything spawned in a
 * worker comes from `dist/`). Under vitest a module's `import.meta.url` points at its `.ts`
 * source, so a worker URL derived from it would name a file in `src/` that Node cannot run;
 * this maps it to the compiled twin (`/src/x.js` or `/src/x.ts` → `/dist/x.js`). When the
 * caller itself is compiled JS the URL passes through unchanged.
 *
 * @module
 */

/**
 * The URL of the compiled module `relative` (written with its `.js` name, as in an import) to
 * `base` (the caller's `import.meta.url`). When `base` is a `.ts` source file under `/src/`,
 * the result is moved to `/dist/` with a `.js` extension.
 */
export function distUrl(relative: string, base: string): URL {
  const url = new URL(relative, base);
  if (!new URL(base).pathname.endsWith('.ts')) return url;
  const i = url.pathname.lastIndexOf('/src/');
  if (i < 0) return url;
  const rest = url.pathname.slice(i + 5).replace(/\.ts$/, '.js');
  url.pathname = `${url.pathname.slice(0, i)}/dist/${rest}`;
  return url;
}
