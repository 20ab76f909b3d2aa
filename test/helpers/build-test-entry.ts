/**
 * Builds a test-only entry point (a worker thread or a child-process script kept under
 * `test/helpers/`) into a runnable `.mjs` under `test/artifacts/entries/`, so that test-only
 * code does not ship in `src/` and `dist/`.
 *
 * Node 20 cannot run TypeScript, and vitest transforms only what it imports itself, not what a
 * `Worker` or a child process loads. esbuild compiles the entry alone. Every import of a
 * module under `src/` becomes an import of its compiled twin in `dist/`, the code the server
 * really runs, and packages stay imports from node_modules. The server's modules therefore keep
 * their own `import.meta.url` (`config/default.json`, worker files found next to them), as
 * they would under `optchain serve`. `npm run build` must have run, as for every test that
 * starts a worker.
 *
 * @module
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'src');
const OUT_DIR = join(ROOT, 'test/artifacts/entries');

/** Maps relative imports that land in `src/` to the built file in `dist/`, kept external. */
const srcToDist: Plugin = {
  name: 'src-to-dist',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      const rel = relative(SRC, target);
      if (rel.startsWith('..')) return undefined;
      const built = join(ROOT, 'dist', rel.replace(/\.ts$/, '.js'));
      if (!existsSync(built)) return { errors: [{ text: `${relative(ROOT, built)} missing: run npm run build first` }] };
      return { path: pathToFileURL(built).href, external: true };
    });
  },
};

/**
 * Compiles `test/helpers/<name>.ts` and returns the URL of the runnable module. Each call
 * rebuilds (a few ms) and swaps the file in atomically, so parallel test files never load a
 * half-written one.
 */
export async function buildTestEntry(name: string): Promise<URL> {
  const entry = join(ROOT, 'test/helpers', `${name}.ts`);
  mkdirSync(OUT_DIR, { recursive: true });
  const outfile = join(OUT_DIR, `${basename(name)}.mjs`);
  const tmp = `${outfile}.${process.pid}.tmp.mjs`;
  await build({
    entryPoints: [entry],
    outfile: tmp,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'silent',
    plugins: [srcToDist],
  });
  renameSync(tmp, outfile);
  return pathToFileURL(outfile);
}
