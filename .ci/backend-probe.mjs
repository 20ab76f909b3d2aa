/**
 * CI proof of which HTTP backend a Node × platform cell really runs: starts `optchain serve`
 * in sim mode (this Node, this directory), waits for its URL, reads /health, prints the
 * start-up lines and the backend /health names (its BackendInfo: name, source, version and
 * why a faster one was not used), and stops it with SIGTERM.
 *
 * Usage: node .ci/backend-probe.mjs [--expect REGEX]. With --expect, exits 1 unless the
 * backend's one-line description `NAME SOURCE VERSION` (e.g. `uws @btc-vision/uwebsockets.js
 * 20.57.0`, `node node:http 22.22.0`) matches, so a cell that silently fell back to another
 * backend fails instead of passing on the wrong one; a /health without a backend fails too.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({ options: { expect: { type: 'string' } } });
const freePort = () => new Promise((resolve, reject) => {
  const s = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const dataDir = mkdtempSync(join(tmpdir(), 'optchain-probe-'));
const env = { ...process.env, OPTCHAIN_HOST: '127.0.0.1', OPTCHAIN_PORT: String(await freePort()), OPTCHAIN_SIM_PORT: String(await freePort()), OPTCHAIN_DATA_DIR: dataDir, OPTCHAIN_TRADING_DATE: '2026-08-17', OPTCHAIN_LOG_LEVEL: 'info' };
delete env.OPTCHAIN_DHAN_ACCOUNTS;
const child = spawn(process.execPath, ['bin/optchain.js', 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
let exited = null;
child.stdout.on('data', (d) => (out += d));
child.stderr.on('data', (d) => (out += d));
child.on('exit', (code, signal) => (exited = code ?? signal));

let health = null;
let failure = null;
const deadline = Date.now() + 90_000;
while (!/: (http:\/\/\S+)/.test(out) && exited === null && Date.now() < deadline) await sleep(100);
const url = /: (http:\/\/\S+)/.exec(out)?.[1];
if (!url) failure = `optchain serve did not start (${exited === null ? 'timeout' : `exit ${exited}`})`;
else health = await fetch(`${url}/health`).then((r) => r.json()).catch((e) => ({ error: String(e) }));
if (exited === null) {
  child.kill('SIGTERM');
  await new Promise((r) => { child.once('exit', r); setTimeout(() => { child.kill('SIGKILL'); r(); }, 10_000); });
}
rmSync(dataDir, { recursive: true, force: true });

const lines = out.split('\n').filter((l) => /backend|uws|µWS|uWebSockets|node:http|http:\/\/|refus/i.test(l)).slice(0, 12);
console.log(`backend probe on Node ${process.version} (ABI ${process.versions.modules}), ${process.platform}-${process.arch}:`);
for (const l of lines) console.log(`  serve | ${l.slice(0, 300)}`);
const backend = findBackend(health);
const description = backend ? `${backend.name} ${backend.source} ${backend.version}` : null;
console.log(`  /health backend: ${backend ? `${description}${backend.fallbackReason ? ` (faster not used: ${backend.fallbackReason})` : ''}` : '(not reported)'}`);
if (!failure && opt.expect) {
  if (description === null) failure = 'the /health report names no HTTP backend';
  else if (!new RegExp(opt.expect).test(description)) failure = `expected a backend matching /${opt.expect}/, got ${description}`;
}
if (failure) {
  console.log(`  FAILED: ${failure}`);
  if (!url) console.log(out.slice(-2000).replace(/^/gm, '  serve | '));
  process.exit(1);
}
console.log(`  ok${opt.expect ? ` (matches /${opt.expect}/)` : ''}`);

/** The first object in the health report shaped like a BackendInfo (name uws|node, source, version). */
function findBackend(v, depth = 0) {
  if (v === null || typeof v !== 'object' || depth > 4) return null;
  if ((v.name === 'uws' || v.name === 'node') && typeof v.source === 'string' && typeof v.version === 'string') return v;
  for (const x of Object.values(v)) {
    const b = findBackend(x, depth + 1);
    if (b) return b;
  }
  return null;
}
