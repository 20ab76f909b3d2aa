/**
 * Loads the detailed instrument master from a file path or an http(s) URL
 * ({@link downloadMaster}: node:http, retried, never a partial file). Downloads are cached under
 * the data dir per (trading date, source URL) so a restart the same day does not fetch tens of
 * MB again; a progress indicator is drawn on a terminal. A gzip-compressed master (file or URL)
 * is recognised by its magic bytes, whatever its name, and inflated before parsing.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { ErrorCodes, MasterError } from '../errors.js';
import { downloadMaster } from './download-master.js';
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
  /** Download attempts in all (default 3). */
  readonly attempts?: number;
  /** Pause before the first retry, doubled after each, ms (default 1 s). */
  readonly retryDelayMs?: number;
  /** Told the one-line reason of each failed download attempt that will be retried. */
  readonly onRetry?: (attempt: number, reason: string) => void;
}

export interface LoadedMaster extends ParsedMaster {
  readonly origin: MasterOrigin;
  /** The file actually read (the cache file for downloads). */
  readonly path: string | null;
  readonly loadMs: number;
  /** The source was gzip-compressed (recognised by its magic bytes). */
  readonly gzip: boolean;
}

const inflate = promisify(gunzip);

/** gzip's magic bytes (RFC 1952 §2.3.1): a name is not proof, the content is. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
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

/** Reads the master's bytes from a file, the day's cache, or a fresh download. */
export async function loadMasterBytes(opts: LoadMasterOptions): Promise<{ bytes: Buffer; origin: MasterOrigin; path: string | null }> {
  if (!isUrl(opts.source)) {
    try {
      return { bytes: await readFile(opts.source), origin: 'file', path: opts.source };
    } catch (err) {
      throw new MasterError(ErrorCodes.MASTER_NOT_FOUND, `cannot read instrument master ${opts.source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, undefined, { cause: err });
    }
  }
  const dl = {
    progress: opts.progress ?? Boolean(process.stderr.isTTY),
    timeoutMs: opts.timeoutMs ?? 60_000,
    ...(opts.attempts !== undefined ? { attempts: opts.attempts } : {}),
    ...(opts.retryDelayMs !== undefined ? { retryDelayMs: opts.retryDelayMs } : {}),
    ...(opts.onRetry ? { onRetry: opts.onRetry } : {}),
  };
  if (opts.dataDir) {
    const cached = masterCachePath(opts.dataDir, opts.tradingDate, opts.source);
    if (await exists(cached)) return { bytes: await readFile(cached), origin: 'cache', path: cached };
    await mkdir(join(opts.dataDir, 'master'), { recursive: true, mode: 0o700 });
    await downloadMaster(opts.source, cached, dl);
    return { bytes: await readFile(cached), origin: 'download', path: cached };
  }
  const dir = join(process.env.TMPDIR ?? '/tmp', `optchain-master-${process.pid}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const dest = join(dir, `${opts.tradingDate}.csv`);
  try {
    await downloadMaster(opts.source, dest, dl);
    return { bytes: await readFile(dest), origin: 'download', path: null };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Loads and parses the master. */
export async function loadMaster(opts: LoadMasterOptions): Promise<LoadedMaster> {
  const started = performance.now();
  const { bytes, origin, path } = await loadMasterBytes(opts);
  const gzip = isGzip(bytes);
  let text = bytes;
  if (gzip) {
    try {
      text = await inflate(bytes);
    } catch (err) {
      // A bad cached copy must not be served again on the next start the same day.
      if (origin !== 'file' && path) await rm(path, { force: true });
      throw new MasterError(ErrorCodes.MASTER_CORRUPT, `instrument master ${origin === 'file' ? opts.source : 'download'} looks gzip-compressed but does not inflate: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, undefined, { cause: err });
    }
  }
  const parsed = parseMaster(text);
  return { ...parsed, origin, path, loadMs: performance.now() - started, gzip };
}
