/**
 * Downloading the master over HTTP (issue 16 §3): against a plain HTTP/1.0 server that closes
 * the socket right after the body — the case that crashed undici 7.30.2 with an uncatchable
 * `assert(!this.paused)` (nodejs/undici#5360) 9 times in 12 — the loader completes every time,
 * byte for byte; failed attempts are retried, the final failure is one line, and no partial
 * file is ever left behind. The server is real (test/helpers/http10-file-server.ts); the 16 MB
 * body outruns the file writes, so backpressure is real too.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCodes, MasterError } from '../src/errors.js';
import { downloadMaster } from '../src/master/download-master.js';
import { loadMaster, loadMasterBytes, masterCachePath } from '../src/master/load-master.js';
import { generateMaster } from '../src/synthetic-master/synthetic-master.js';
import { startHttp10FileServer, type Http10Reply } from './helpers/http10-file-server.js';

const BIN = fileURLToPath(new URL('../bin/optchain.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'optchain-dl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 16 MB of CSV-looking text that differs along its length (a byte slip would show). */
const BIG = Buffer.from(Array.from({ length: 16 * 1024 * 1024 / 64 }, (_, i) => `${String(i).padStart(10, '0')},NSE,D,${'x'.repeat(44)},\n`).join(''), 'latin1');

const partsIn = (d: string): string[] => (existsSync(d) ? readdirSync(d, { recursive: true }).map(String).filter((n) => n.includes('.part-')) : []);

describe('master download over a close-after-body HTTP/1.0 server', () => {
  it('completes 25 runs in a row (Content-Length bodies) and 5 close-delimited ones, byte-equal, leaving no partial file', async () => {
    let n = 0;
    const srv = await startHttp10FileServer(() => ({ kind: 'body', body: BIG, contentLength: n++ < 25 }));
    try {
      for (let i = 0; i < 30; i++) {
        const dataDir = join(dir, `loop-${i}`);
        const got = await loadMasterBytes({ source: `${srv.url}/api-scrip-master-detailed.csv`, tradingDate: '2026-08-17', dataDir, progress: false });
        expect(got.origin).toBe('download');
        expect(got.bytes.equals(BIG)).toBe(true);
        expect(partsIn(dataDir)).toEqual([]);
      }
      expect(srv.requests).toHaveLength(30);
    } finally {
      await srv.close();
    }
  }, 120_000);

  it('`optchain skeleton --master http://…` builds the skeleton from it (gzip-compressed too) and exits 0', async () => {
    const master = generateMaster('2026-08-17');
    const bodies = [master.buffer, gzipSync(master.buffer)];
    let n = 0;
    const srv = await startHttp10FileServer(() => ({ kind: 'body', body: bodies[n++ % 2]! }));
    try {
      const outs: string[] = [];
      for (let i = 0; i < 2; i++) {
        const dataDir = join(dir, `cli-${i}`);
        const child = spawn(process.execPath, [BIN, 'skeleton', '--master', `${srv.url}/master${i}`, '--date', '2026-08-17', '--json'], { env: { ...process.env, OPTCHAIN_DATA_DIR: dataDir } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        expect(code, stderr).toBe(0);
        expect(partsIn(dataDir)).toEqual([]);
        outs.push(stdout);
      }
      expect(JSON.parse(outs[0]!).totals.contracts).toBeGreaterThan(1000);
      expect(outs[1]).toBe(outs[0]); // the gzip copy gives the same skeleton
    } finally {
      await srv.close();
    }
  }, 120_000);
});

describe('retries, one-line failures, partial files', () => {
  it('a body cut short is retried; the second attempt completes', async () => {
    const script: Http10Reply[] = [{ kind: 'truncate', body: BIG, sendBytes: 3_000_000 }, { kind: 'body', body: BIG }];
    const srv = await startHttp10FileServer((n) => script[n]!);
    const reasons: string[] = [];
    try {
      const dest = join(dir, 'retry.csv');
      const r = await downloadMaster(`${srv.url}/m.csv`, dest, { retryDelayMs: 10, onRetry: (_n, why) => reasons.push(why) });
      expect(r).toEqual({ bytes: BIG.length, attempts: 2 });
      expect(reasons).toHaveLength(1);
      expect(reasons[0]).toMatch(/interrupted|truncated/);
      expect(partsIn(dir)).toEqual([]);
    } finally {
      await srv.close();
    }
  }, 60_000);

  it('5xx every time: 3 attempts, then one line naming the host but never the query (it may carry a token); no file, no partial file', async () => {
    const srv = await startHttp10FileServer(() => ({ kind: 'status', status: 503 }));
    const dataDir = join(dir, 'fail');
    try {
      const err = await loadMasterBytes({ source: `${srv.url}/m.csv?token=SECRET123`, tradingDate: '2026-08-17', dataDir, retryDelayMs: 10 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MasterError);
      expect((err as MasterError).code).toBe(ErrorCodes.MASTER_DOWNLOAD_FAILED);
      const msg = (err as Error).message;
      expect(msg).not.toContain('\n');
      expect(msg).not.toContain('SECRET123');
      expect(msg).toContain('after 3 attempts: HTTP 503');
      expect(srv.requests).toHaveLength(3);
      expect(existsSync(masterCachePath(dataDir, '2026-08-17', `${srv.url}/m.csv?token=SECRET123`))).toBe(false);
      expect(partsIn(dataDir)).toEqual([]);
    } finally {
      await srv.close();
    }
  });

  it('404 is not retried; truncation on every attempt fails cleanly; redirects are followed', async () => {
    const s404 = await startHttp10FileServer(() => ({ kind: 'status', status: 404 }));
    const sCut = await startHttp10FileServer(() => ({ kind: 'truncate', body: BIG, sendBytes: 1_000_000 }));
    const sOk = await startHttp10FileServer(() => ({ kind: 'body', body: BIG }));
    const sRedir = await startHttp10FileServer(() => ({ kind: 'status', status: 302, location: `${sOk.url}/real.csv` }));
    try {
      const e404 = await downloadMaster(`${s404.url}/m.csv`, join(dir, 'a.csv'), { retryDelayMs: 10 }).catch((e: unknown) => e as Error);
      expect(e404.message).toContain('after 1 attempt: HTTP 404');
      expect(s404.requests).toHaveLength(1);
      const eCut = await downloadMaster(`${sCut.url}/m.csv`, join(dir, 'b.csv'), { retryDelayMs: 10, attempts: 2 }).catch((e: unknown) => e as Error);
      expect(eCut.message).toMatch(/after 2 attempts: (body interrupted|truncated)/);
      expect(existsSync(join(dir, 'b.csv'))).toBe(false);
      const ok = await downloadMaster(`${sRedir.url}/m.csv`, join(dir, 'c.csv'));
      expect(ok.bytes).toBe(BIG.length);
      expect(sOk.requests).toEqual(['/real.csv']);
      expect(partsIn(dir)).toEqual([]);
    } finally {
      await Promise.all([s404.close(), sCut.close(), sOk.close(), sRedir.close()]);
    }
  });

  it('a partial file left by a killed process (dead pid) is removed by the next download', async () => {
    const srv = await startHttp10FileServer(() => ({ kind: 'body', body: Buffer.from('x,\n') }));
    try {
      const dest = join(dir, 'stale.csv');
      const stale = `${dest}.part-2147483646`; // no such pid
      writeFileSync(stale, 'half a master');
      await downloadMaster(`${srv.url}/m.csv`, dest);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(dest)).toBe(true);
    } finally {
      await srv.close();
    }
  });
});

describe('gzip masters', () => {
  const csv = generateMaster('2026-08-17').buffer;

  it('a gzip file is recognised by its magic bytes, whatever its name, and gives the same instruments', async () => {
    const plain = await loadMaster({ source: join(dir, 'plain.csv'), tradingDate: '2026-08-17', dataDir: null }).catch(() => null);
    expect(plain).toBeNull(); // not written yet: a missing file is an error, not an empty master
    writeFileSync(join(dir, 'plain.csv'), csv);
    writeFileSync(join(dir, 'looks-plain.csv'), gzipSync(csv));
    const a = await loadMaster({ source: join(dir, 'plain.csv'), tradingDate: '2026-08-17', dataDir: null });
    const b = await loadMaster({ source: join(dir, 'looks-plain.csv'), tradingDate: '2026-08-17', dataDir: null });
    expect(a.gzip).toBe(false);
    expect(b.gzip).toBe(true);
    expect(b.stats.rows).toBe(a.stats.rows);
    expect(b.instruments).toEqual(a.instruments);
  });

  it('a corrupt gzip file is MASTER_CORRUPT with one line; a corrupt download is not kept in the cache', async () => {
    const bad = Buffer.concat([gzipSync(csv).subarray(0, 5000)]);
    writeFileSync(join(dir, 'bad.csv.gz'), bad);
    const e1 = await loadMaster({ source: join(dir, 'bad.csv.gz'), tradingDate: '2026-08-17', dataDir: null }).catch((e: unknown) => e as MasterError);
    expect(e1.code).toBe(ErrorCodes.MASTER_CORRUPT);
    expect(e1.message).not.toContain('\n');
    const srv = await startHttp10FileServer(() => ({ kind: 'body', body: bad }));
    const dataDir = join(dir, 'badgz');
    try {
      const e2 = await loadMaster({ source: `${srv.url}/m.csv.gz`, tradingDate: '2026-08-17', dataDir }).catch((e: unknown) => e as MasterError);
      expect(e2.code).toBe(ErrorCodes.MASTER_CORRUPT);
      expect(existsSync(masterCachePath(dataDir, '2026-08-17', `${srv.url}/m.csv.gz`))).toBe(false);
    } finally {
      await srv.close();
    }
  });
});
