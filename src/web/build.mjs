#!/usr/bin/env node
/**
 * Builds the chain page into dist/web/: type-checks src/web (its own tsconfig; the server
 * build excludes it), bundles main.ts and app.css with esbuild into content-hashed files
 * under dist/web/assets/ (served immutable), and writes dist/web/index.html pointing at them
 * (served no-cache). Run by `npm run build` after tsc.
 *
 * Env: OPTCHAIN_WEB_TYPECHECK=0 skips the type-check (esbuild alone does not check types).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const out = join(repo, 'dist', 'web');
const assets = join(out, 'assets');

const t0 = performance.now();
if (process.env.OPTCHAIN_WEB_TYPECHECK !== '0') {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.json')], { stdio: 'inherit', cwd: repo });
  } catch {
    process.stderr.write('web build: type errors in src/web (see above)\n');
    process.exit(1);
  }
}
const t1 = performance.now();

// Old hashed files go; only what index.html references is served.
rmSync(assets, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });
const result = await esbuild.build({
  absWorkingDir: repo,
  entryPoints: [
    { in: join(here, 'main.ts'), out: 'app' },
    { in: join(here, 'app.css'), out: 'app' },
  ],
  outdir: assets,
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome109', 'firefox115', 'safari16'],
  sourcemap: 'linked',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
const t2 = performance.now();

const outputs = Object.entries(result.metafile.outputs).filter(([, o]) => o.entryPoint);
const js = outputs.find(([p]) => p.endsWith('.js'))?.[0];
const css = outputs.find(([p]) => p.endsWith('.css'))?.[0];
if (!js || !css) {
  process.stderr.write('web build: esbuild produced no app js/css\n');
  process.exit(1);
}
const url = (p) => `/assets/${basename(p)}`;
const html = readFileSync(join(here, 'index.html'), 'utf8').replace('__APP_JS__', url(js)).replace('__APP_CSS__', url(css));
writeFileSync(join(out, 'index.html'), html);

const kb = (p) => `${(statSync(join(repo, p)).size / 1024).toFixed(1)} KB`;
process.stdout.write(
  `web: ${relative(repo, join(repo, js))} ${kb(js)}, ${relative(repo, join(repo, css))} ${kb(css)} ` +
    `(type-check ${((t1 - t0) / 1000).toFixed(1)} s, bundle ${Math.round(t2 - t1)} ms)\n`,
);
