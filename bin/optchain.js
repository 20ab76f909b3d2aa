#!/usr/bin/env node
// The bin runs the compiled JavaScript (npm run build); no TypeScript runtime on the hot path.
import('../dist/cli/main.js').then((m) => m.main(process.argv.slice(2))).catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('optchain: not built yet; run `npm run build` first\n');
  } else {
    process.stderr.write(`optchain: ${err && err.message ? err.message : String(err)}\n`);
  }
  process.exit(1);
});
