/**
 * Start-up of the product itself, for bench/run.mjs (full runs): `optchain serve` in sim mode
 * (what `npm start` runs) for a fixed trading date, timed from spawn to the URL line (config →
 * simulator → master over HTTP → parse → skeleton → price table → feed worker → HTTP listen),
 * then to `/health` reporting every subscribed token with data; its RSS and V8 heap then
 * (from /proc and its own /metrics, prom-client default metrics under the `optchain_` prefix). The process hosts the embedded simulator (a worker thread
 * generating and serving the master and the feed), so its memory includes the simulator's.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getJson, get, promValue, rssMB, sleep, stopChild } from './bench-util.mjs';

/** Resolves `{ rows, detail }`. */
export async function runServeStartup({ date = '2026-08-17', log = console.log, timeoutMs = 120_000 } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'optchain-bench-serve-'));
  const bin = fileURLToPath(new URL('../bin/optchain.js', import.meta.url));
  const env = { ...process.env, OPTCHAIN_PORT: '0', OPTCHAIN_SIM_PORT: '0', OPTCHAIN_TRADING_DATE: date, OPTCHAIN_DATA_DIR: dataDir, OPTCHAIN_LOG_LEVEL: 'warn' };
  delete env.OPTCHAIN_DHAN_ACCOUNTS;
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  try {
    const url = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`optchain serve printed no URL within ${timeoutMs} ms\n${err}`)), timeoutMs);
      child.stdout.on('data', (d) => {
        out += d;
        const m = /^optchain \w+ mode, trading date [\d-]+: (http:\/\/\S+)$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`optchain serve exited ${code}\n${err}`)));
    });
    const listeningMs = performance.now() - t0;
    let h = null;
    while (performance.now() - t0 < timeoutMs) {
      h = await getJson(`${url}/health`);
      if (h.feed.subscribed > 0 && h.feed.withData >= h.feed.subscribed) break;
      await sleep(100);
    }
    const liveMs = performance.now() - t0;
    const metrics = (await get(`${url}/metrics`)).body;
    const detail = {
      listeningMs, liveMs, complete: h.feed.withData >= h.feed.subscribed,
      subscribed: h.feed.subscribed, withData: h.feed.withData, contracts: h.skeleton.contracts,
      rssMB: rssMB(child.pid), heapUsedMB: promValue(metrics, 'optchain_nodejs_heap_size_used_bytes ') / 1048576,
    };
    log(`  optchain serve (sim mode): URL after ${(listeningMs / 1000).toFixed(2)} s, ${detail.withData}/${detail.subscribed} tokens with data after ${(liveMs / 1000).toFixed(2)} s, RSS ${detail.rssMB.toFixed(0)} MB, heap ${detail.heapUsedMB.toFixed(0)} MB`);
    const rows = [
      { section: 'startup', figure: '`optchain serve` (sim mode) spawn → URL printed', value: listeningMs / 1000, unit: 's', better: 'lower', note: 'includes the embedded simulator generating the master' },
      { section: 'startup', figure: '`optchain serve` (sim mode) spawn → every token with data', value: liveMs / 1000, unit: 's', better: 'lower', note: detail.complete ? `${detail.subscribed} tokens` : `INCOMPLETE: ${detail.withData}/${detail.subscribed}` },
      { section: 'startup', figure: '`optchain serve` (sim mode) RSS, universe live', value: detail.rssMB, unit: 'MB', better: 'lower', note: `heap used ${detail.heapUsedMB.toFixed(0)} MB; includes the embedded simulator` },
    ];
    return { rows, detail };
  } finally {
    await stopChild(child, 10_000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
