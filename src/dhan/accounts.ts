/**
 * Dhan accounts (docs/contract.md §4), read by the live feed and by paper trading's margin
 * calls (the first account signs them): a JSON file
 * `[{"clientId": "...", "accessToken": "..."}, …]` where an entry may name
 * `"tokenFile": "<path>"` instead of `accessToken` (relative to the accounts file's folder,
 * content trimmed). The feed re-reads it before every (re)connect, because Dhan tokens live
 * 24 h and roll over daily (docs/dhan-protocol.md §6; docs/peers.md §3.3: openalgo #1419 reconnected
 * with the token captured at construction and stayed dead after the morning rollover).
 *
 * Secrets: tokens never appear in error messages or logs. JSON parse errors are reported by
 * position only (V8's message quotes a snippet of the input, which could be a token).
 *
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ErrorCodes, FeedError } from '../errors.js';

/** One account, token resolved. */
export interface FeedAccount {
  readonly clientId: string;
  readonly accessToken: string;
}

/**
 * Where accounts come from: a file re-read on every reconnect (live mode), the embedded
 * simulator's `GET /sim/accounts` re-read on every reconnect (sim mode: a token expired
 * through the control API is picked up the same way a rolled-over file token is), or fixed
 * (tests).
 */
export type AccountsSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'sim'; readonly url: string; readonly secret: string }
  | { readonly kind: 'static'; readonly accounts: readonly FeedAccount[] };

/** How long a read of the simulator's accounts may take. */
const SIM_ACCOUNTS_TIMEOUT_MS = 5000;

const clientId = z.union([z.string().trim().min(1, 'clientId must not be empty'), z.int().nonnegative().transform(String)]);

const entrySchema = z.union([
  z.strictObject({ clientId, accessToken: z.string().trim().min(1, 'accessToken must not be empty') }),
  z.strictObject({ clientId, tokenFile: z.string().min(1, 'tokenFile must not be empty') }),
]);

/** The accounts file: a non-empty array of entries, each with exactly one of accessToken / tokenFile. */
export const accountsFileSchema = z.array(entrySchema).min(1, 'the accounts file lists no account');

function invalid(message: string, path?: string): FeedError {
  return new FeedError(ErrorCodes.FEED_ACCOUNTS_INVALID, path === undefined ? message : `${message} (${path})`, path === undefined ? undefined : { path });
}

/** A readable reason from zod issues: the path and message, never the received value. */
function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid accounts file';
  const where = issue.path.length > 0 ? `entry ${issue.path.map(String).join('.')}` : 'accounts file';
  // A union failure names no field; say what an entry must look like instead.
  if (issue.code === 'invalid_union') return `${where}: expected {"clientId", "accessToken"} or {"clientId", "tokenFile"}`;
  return `${where}: ${issue.message}`;
}

/**
 * Parses the accounts file text. `baseDir` resolves relative `tokenFile` paths; `readText`
 * reads a token file (injected so callers choose sync/async I/O). Throws FEED_ACCOUNTS_INVALID.
 */
export async function parseAccounts(text: string, baseDir: string, readText: (path: string) => Promise<string>): Promise<FeedAccount[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const pos = /position (\d+)/.exec(String((err as Error).message))?.[1];
    throw invalid(`the accounts file is not valid JSON${pos === undefined ? '' : ` (at byte ${pos})`}`);
  }
  const parsed = accountsFileSchema.safeParse(raw);
  if (!parsed.success) throw invalid(issueText(parsed.error));
  const out: FeedAccount[] = [];
  const seen = new Set<string>();
  for (const entry of parsed.data) {
    if (seen.has(entry.clientId)) throw invalid(`client id ${entry.clientId} is listed twice (Dhan caps sockets per client id)`);
    seen.add(entry.clientId);
    if ('accessToken' in entry) {
      out.push({ clientId: entry.clientId, accessToken: entry.accessToken });
      continue;
    }
    const file = resolve(baseDir, entry.tokenFile);
    let token: string;
    try {
      token = (await readText(file)).trim();
    } catch (err) {
      throw invalid(`cannot read the token file of client ${entry.clientId}: ${(err as NodeJS.ErrnoException).code ?? 'read error'}`, file);
    }
    if (token.length === 0) throw invalid(`the token file of client ${entry.clientId} is empty`, file);
    out.push({ clientId: entry.clientId, accessToken: token });
  }
  return out;
}

/** Reads and validates the accounts file (and its token files). Throws FEED_ACCOUNTS_INVALID. */
export async function readAccountsFile(path: string): Promise<FeedAccount[]> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw invalid(`cannot read the accounts file: ${(err as NodeJS.ErrnoException).code ?? 'read error'}`, abs);
  }
  return parseAccounts(text, dirname(abs), (p) => readFile(p, 'utf8'));
}

/**
 * Reads the simulator's current accounts (`GET <control>/accounts`, authorised with the run's
 * control secret). Throws FEED_ACCOUNTS_INVALID naming the status, never the secret.
 */
export async function readSimAccounts(url: string, secret: string): Promise<FeedAccount[]> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${secret}` }, signal: AbortSignal.timeout(SIM_ACCOUNTS_TIMEOUT_MS) });
  } catch (err) {
    throw invalid(`cannot reach the simulator for its accounts: ${(err as Error).name === 'TimeoutError' ? 'timed out' : ((err as { cause?: { code?: string } }).cause?.code ?? 'network error')}`);
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw invalid(`the simulator answered its accounts with HTTP ${res.status}`);
  }
  return parseAccounts(await res.text(), '.', () => Promise.reject(invalid('the simulator named a token file')));
}

/** The accounts of a source, freshly read for a file or simulator source. */
export async function loadAccounts(source: AccountsSource): Promise<FeedAccount[]> {
  switch (source.kind) {
    case 'file':
      return readAccountsFile(source.path);
    case 'sim':
      return readSimAccounts(source.url, source.secret);
    default:
      return source.accounts.map((a) => ({ ...a }));
  }
}

/**
 * The files whose modification means "maybe a new token": the accounts file and every token
 * file it names. Missing or unparsable entries are skipped (the next read reports them).
 */
export async function accountsFiles(path: string): Promise<string[]> {
  const abs = resolve(path);
  const files = [abs];
  try {
    const raw = JSON.parse(await readFile(abs, 'utf8')) as unknown;
    if (Array.isArray(raw)) {
      for (const e of raw) {
        const tf = (e as { tokenFile?: unknown } | null)?.tokenFile;
        if (typeof tf === 'string' && tf.length > 0) files.push(resolve(dirname(abs), tf));
      }
    }
  } catch {
    // unreadable now: watching the accounts file alone is enough to notice the fix
  }
  return files;
}

/** A cheap change stamp over files (mtime + size; missing files count as a state too). */
export async function filesStamp(files: readonly string[]): Promise<string> {
  const parts: string[] = [];
  for (const f of files) {
    try {
      const s = await stat(f);
      parts.push(`${s.mtimeMs}:${s.size}`);
    } catch {
      parts.push('-');
    }
  }
  return parts.join('|');
}

/** An account as it may be logged: the client id and a masked token. */
export function redactAccount(account: FeedAccount): { clientId: string; accessToken: string } {
  return { clientId: account.clientId, accessToken: '[REDACTED]' };
}

/** The live-feed URL for an account (docs/dhan-protocol.md §2.1). Contains the token: never log it. */
export function feedUrlFor(base: string, account: FeedAccount): string {
  const sep = base.includes('?') ? '&' : '?';
  return `${base}${sep}version=2&token=${encodeURIComponent(account.accessToken)}&clientId=${encodeURIComponent(account.clientId)}&authType=2`;
}

/** A feed URL with the token replaced, for logs and status. */
export function redactFeedUrl(url: string): string {
  return url.replace(/([?&]token=)[^&]*/gi, '$1[REDACTED]');
}
