/**
 * Loads the detailed instrument master from a file path or an http(s) URL (undici). Downloads
 * are cached under the data dir per (trading date, source URL) so a restart the same day does
 * not fetch tens of MB again; a progress indicator is drawn on a terminal.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { Agent, interceptors, request } from 'undici';
import { ErrorCodes, MasterError } from '../errors.js';
import type { ParsedMaster } from './instrument.js';
import { parseMaster } from './parse-master.js';

/** Where the bytes came from. */
export type MasterOrigin = 'file' | 'cache' | 'download';

export interface LoadMasterOptions {
  /** File path or http(s) URL. */
  readonly source: string;
  readonly tradingDate: string;
  /** Cache folder root (`<dataDir>/master/`); null disables the cache. */
  readonly dataDir?: string | null;
  /** Draw a progress line on stderr; default: when stderr is a terminal. */
  readonly progress?: boolean;
  /** Download timeout for headers and body inactivity, ms. */
  readonly timeoutMs?: number;
}

export interface LoadedMaster extends ParsedMaster {
  readonly origin: MasterOrigin;
  /** The file actually read (the cache file for downloads). */
  readonly path: string | null;
  readonly loadMs: number;
}

const isUrl = (s: string): boolean => /^https?:\/\//i.test(s);

/** Cache path for a URL source on a trading date. */
export function masterCachePath(dataDir: string, tradingDate: string, url: string): string {
  const tag = createHash('sha256').update(url).digest('hex').slice(0, 10);
  return join(dataDir, 'master', `${tradingDate}-${tag}.csv`);
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function progressLine(received: number, total: number): string {
  const mb = (n: number): string => (n / 1048576).toFixed(1);
  return total > 0
    ? `\rinstrument master: ${mb(received)} / ${mb(total)} MB (${Math.floor((received / total) * 100)}%)`
    : `\rinstrument master: ${mb(received)} MB`;
}

async function download(url: string, dest: string, showProgress: boolean, timeoutMs: number): Promise<void> {
  const dispatcher = new Agent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connectTimeout: timeoutMs }).compose(interceptors.redirect({ maxRedirections: 3 }));
  const tmp = `${dest}.part-${process.pid}`;
  try {
    const res = await request(url, { method: 'GET', dispatcher });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new MasterError(ErrorCodes.MASTER_DOWNLOAD_FAILED, `instrument master download failed: HTTP ${res.statusCode} from ${url}`);
    }
    const total = Number(res.headers['content-length'] ?? 0);
    let received = 0;
    let lastDraw = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        const now = Date.now();
        if (showProgress && now - lastDraw > 100) {
          lastDraw = now;
          process.stderr.write(progressLine(received, total));
        }
        cb(null, chunk);
      },
    });
    await pipeline(res.body, meter, createWriteStream(tmp));
    if (showProgress) process.stderr.write(`${progressLine(received, total)}\n`);
    if (total > 0 && received !== total) {
      throw new MasterError(ErrorCodes.MASTER_DOWNLOAD_FAILED, `instrument master download truncated: ${received} of ${total} bytes`);
    }
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof MasterError) throw err;
    throw new MasterError(ErrorCodes.MASTER_DOWNLOAD_FAILED, `instrument master download failed from ${url}: ${(err as Error).message}`, undefined, { cause: err });
  } finally {
    await dispatcher.close();
  }
}

/** Reads the master's bytes from a file, the day's cache, or a fresh download. */
export async function loadMasterBytes(opts: LoadMasterOptions): Promise<{ bytes: Buffer; origin: MasterOrigin; path: string | null }> {
  if (!isUrl(opts.source)) {
    try {
      return { bytes: await readFile(opts.source), origin: 'file', path: opts.source };
    } catch (err) {
      throw new MasterError(ErrorCodes.MASTER_NOT_FOUND, `cannot read instrument master ${opts.source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, undefined, { cause: err });
    }
  }
  const showProgress = opts.progress ?? Boolean(process.stderr.isTTY);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  if (opts.dataDir) {
    const cached = masterCachePath(opts.dataDir, opts.tradingDate, opts.source);
    if (await exists(cached)) return { bytes: await readFile(cached), origin: 'cache', path: cached };
    await mkdir(join(opts.dataDir, 'master'), { recursive: true });
    await download(opts.source, cached, showProgress, timeoutMs);
    return { bytes: await readFile(cached), origin: 'download', path: cached };
  }
  const dir = join(process.env.TMPDIR ?? '/tmp', `optchain-master-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const dest = join(dir, `${opts.tradingDate}.csv`);
  try {
    await download(opts.source, dest, showProgress, timeoutMs);
    return { bytes: await readFile(dest), origin: 'download', path: null };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Loads and parses the master. */
export async function loadMaster(opts: LoadMasterOptions): Promise<LoadedMaster> {
  const started = performance.now();
  const { bytes, origin, path } = await loadMasterBytes(opts);
  const parsed = parseMaster(bytes);
  return { ...parsed, origin, path, loadMs: performance.now() - started };
}
