/**
 * Streams the instrument master from an http(s) URL into a file: node:http / node:https +
 * `stream.pipeline` into `<dest>.part-<pid>`, fsync, rename. Failed attempts are retried with a
 * growing pause, every failure path removes its partial file, and the error that finally
 * surfaces is one line.
 *
 * Why not undici: undici 7.x (and 8.x before 8.4.1) crashes the process with an uncatchable
 * `AssertionError: assert(!this.paused)` when the server closes the connection while the body
 * applies backpressure — exactly what a plain HTTP/1.0 file server does after the last byte
 * (nodejs/undici#5360, fixed by nodejs/undici#5474 in 8.4.1, which needs Node ≥ 22.19; we
 * support Node 20). node:http's parser ends a close-delimited or Content-Length body on FIN
 * whether or not the stream is paused, on every Node we support.
 *
 * @module
 */
import { open, readdir, rename, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { basename, dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCodes, MasterError } from '../errors.js';

/** How a download behaves; every field has a default. */
export interface DownloadOptions {
  /** Inactivity limit for connect, headers and body, ms (default 60 s). */
  readonly timeoutMs?: number;
  /** Attempts in all, first included (default 3). */
  readonly attempts?: number;
  /** Pause before the second attempt, doubled for each later one, ms (default 1 s). */
  readonly retryDelayMs?: number;
  /** Draw a progress line on stderr. */
  readonly progress?: boolean;
  /** Called before each retry with the one-line reason of the failed attempt. */
  readonly onRetry?: (attempt: number, reason: string) => void;
}

/** What a finished download delivered. */
export interface DownloadResult {
  readonly bytes: number;
  readonly attempts: number;
}

const MAX_REDIRECTS = 3;

/** A failure worth another attempt (network, truncation, 5xx, 408, 429) or not (other 4xx). */
class AttemptError extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
    this.name = 'AttemptError';
  }
}

/** Never echo a URL's credentials or query (it may carry a token) into a log line. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

function progressLine(received: number, total: number): string {
  const mb = (n: number): string => (n / 1048576).toFixed(1);
  return total > 0
    ? `\rinstrument master: ${mb(received)} / ${mb(total)} MB (${Math.floor((received / total) * 100)}%)`
    : `\rinstrument master: ${mb(received)} MB`;
}

/** Resolves with the response of a 200, following up to three redirects. */
function getResponse(url: string, timeoutMs: number, redirects = 0): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      reject(new AttemptError(`not a URL: ${safeUrl(url)}`, false));
      return;
    }
    const getter = u.protocol === 'https:' ? httpsGet : httpGet;
    // agent: false — one fresh connection per attempt; nothing pooled can outlive the download.
    const req = getter(u, { agent: false, headers: { accept: '*/*', 'user-agent': 'optchain' } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects >= MAX_REDIRECTS) {
          reject(new AttemptError(`more than ${MAX_REDIRECTS} redirects`, false));
          return;
        }
        getResponse(new URL(res.headers.location, u).href, timeoutMs, redirects + 1).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        res.resume();
        reject(new AttemptError(`HTTP ${status}`, status >= 500 || status === 408 || status === 429));
        return;
      }
      resolve(res);
    });
    // Socket inactivity covers connect, headers and body alike.
    req.setTimeout(timeoutMs, () => req.destroy(new AttemptError(`no data for ${timeoutMs} ms`, true)));
    req.on('error', (err) => reject(err instanceof AttemptError ? err : new AttemptError((err as NodeJS.ErrnoException).code ?? err.message, true)));
  });
}

async function attempt(url: string, tmp: string, timeoutMs: number, showProgress: boolean): Promise<number> {
  const res = await getResponse(url, timeoutMs);
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
  // node:http reports a body cut short of its Content-Length as 'aborted' on the response;
  // pipeline turns that into a rejection (ERR_STREAM_PREMATURE_CLOSE), never a short file.
  try {
    await pipeline(res, meter, createWriteStream(tmp, { mode: 0o600 }));
  } catch (err) {
    throw new AttemptError(`body interrupted after ${received} bytes (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, true);
  }
  if (showProgress) process.stderr.write(`${progressLine(received, total)}\n`);
  if (total > 0 && received !== total) throw new AttemptError(`truncated: ${received} of ${total} bytes`, true);
  if (received === 0) throw new AttemptError('empty body', true);
  // The rename must never publish bytes the disk does not hold yet (a crash would leave a short cache file).
  const fh = await open(tmp, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  return received;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `<dest>.part-<pid>` files left by processes that no longer run (a SIGKILL mid-download). */
async function removeStaleParts(dest: string): Promise<void> {
  const prefix = `${basename(dest)}.part-`;
  let names: string[];
  try {
    names = await readdir(dirname(dest));
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const pid = Number(n.slice(prefix.length));
    if (Number.isInteger(pid) && pid !== process.pid && !pidAlive(pid)) await rm(join(dirname(dest), n), { force: true });
  }
}

/**
 * Downloads `url` to `dest` (atomically: the file appears complete or not at all). Throws a
 * {@link MasterError} `MASTER_DOWNLOAD_FAILED` with a one-line message once every attempt failed.
 */
export async function downloadMaster(url: string, dest: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const attempts = Math.max(1, opts.attempts ?? 3);
  const retryDelayMs = opts.retryDelayMs ?? 1000;
  const tmp = `${dest}.part-${process.pid}`;
  await removeStaleParts(dest);
  let last = '';
  for (let n = 1; n <= attempts; n++) {
    try {
      const bytes = await attempt(url, tmp, timeoutMs, opts.progress === true);
      await rename(tmp, dest);
      return { bytes, attempts: n };
    } catch (err) {
      await rm(tmp, { force: true });
      const retryable = err instanceof AttemptError ? err.retryable : true;
      last = (err as Error).message.replace(/\s+/g, ' ');
      if (!retryable || n === attempts) {
        throw new MasterError(ErrorCodes.MASTER_DOWNLOAD_FAILED, `instrument master download failed from ${safeUrl(url)} after ${n} attempt${n > 1 ? 's' : ''}: ${last}`, { attempts: n }, { cause: err });
      }
      opts.onRetry?.(n, last);
      await sleep(retryDelayMs * 2 ** (n - 1));
    }
  }
  throw new MasterError(ErrorCodes.MASTER_DOWNLOAD_FAILED, `instrument master download failed from ${safeUrl(url)}: ${last}`);
}
