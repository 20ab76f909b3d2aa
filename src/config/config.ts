/**
 * Configuration: defaults from `config/default.json`, each key overridable by an environment
 * variable (docs/contract.md §4), validated with zod. A bad value stops start-up with one line naming
 * the key; the values of secret keys are never echoed.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { corsOriginsProblem } from '../http/cors.js';
import { allowedHostsProblem } from '../http/host-allowlist.js';
import { HTTP_BACKENDS } from '../http/select-backend.js';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD').refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'not a calendar date');
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const flag = z.union([z.boolean(), z.enum(['1', '0', 'true', 'false', ''])]).transform((v) => v === true || v === '1' || v === 'true');
const urlOrPath = z.string().min(1);
const wsUrl = z.string().regex(/^wss?:\/\//, 'expected a ws:// or wss:// URL');
const httpUrl = z.string().regex(/^https?:\/\//, 'expected an http(s) URL');

/** Schema of every key; env names are derived by {@link envName}. */
export const configSchema = z.object({
  host: z.string().min(1),
  port,
  tradingDate: isoDate.nullable(),
  dhanAccounts: z.string().min(1).nullable(),
  dhanMasterUrl: urlOrPath,
  dhanFeedUrl: wsUrl,
  dhanApiUrl: httpUrl.refine((s) => s.replace(/\/+$/, '').endsWith('/v2'), 'must end in /v2'),
  dataDir: z.string().min(1),
  sim: flag,
  simPort: port,
  simSeed: z.coerce.number().int(),
  simRate: z.coerce.number().positive().max(1000),
  /** All-zero keep-alive headers per second per simulated feed connection (docs/dhan-protocol.md §2.5); 0 = off. */
  simKeepAlives: z.coerce.number().min(0).max(100_000),
  /** Synthetic master size (src/synthetic-master/synthetic-size.ts): `real` ~112k contracts, `compact` ~30k (tests). */
  simUniverse: z.enum(['real', 'compact']),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  feedWorkers: positiveInt.max(16),
  feedWatchdogMs: positiveInt,
  feedFirstPacketMs: positiveInt,
  feedBackoffMaxMs: positiveInt,
  feedStaleMs: positiveInt,
  quoteMaxAgeMs: positiveInt,
  maxSpreadAbs: z.coerce.number().positive(),
  maxSpreadRel: z.coerce.number().positive().max(10),
  marginCacheTtlMs: positiveInt,
  marginTimeoutMs: positiveInt,
  httpMaxBodyBytes: positiveInt,
  corsOrigins: z.string().superRefine((v, ctx) => {
    const problem = corsOriginsProblem(v);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  }),
  /** Header fields per request above which the answer is 431 (request-guard.ts). */
  httpMaxHeaders: positiveInt.max(1000),
  /** Bytes of the request line and header fields above which the answer is 431 (request-guard.ts). */
  httpMaxHeaderBytes: positiveInt.min(1024).max(1024 * 1024),
  /** Host names the server answers to, comma-separated, `*` for any; '' = loopback names + the bind address (host-allowlist.ts). */
  allowedHosts: z.string().superRefine((v, ctx) => {
    const problem = allowedHostsProblem(v);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  }),
  paperRateLimitPerSec: z.coerce.number().positive(),
  paperRateLimitBurst: positiveInt,
  paperQueuePerUser: positiveInt.max(1000),
  paperOrderDeadlineMs: positiveInt,
  paperRefusalsKept: z.coerce.number().int().min(0),
  paperMaxLots: positiveInt,
  /** Continuously compounded risk-free rate (decimal per year) for Black-76 discounting and the spot fallback forward (src/analytics/). */
  riskFreeRate: z.coerce.number().min(-0.05).max(0.5),
  /** `auto` (uWS where a native build loads, else node:http), `uws`, or `node` (src/http/select-backend.ts). */
  httpBackend: z.enum(HTTP_BACKENDS),
  /** The analytics worker (issue 13): IV, Greeks, forward, PCR, max pain in every chain. `off` serves chains without them. */
  analytics: z.enum(['on', 'off']),
  /** Shortest time between the starts of two analytics passes, ms (the worker wakes on ticks; ticks within this share one pass). */
  analyticsIntervalMs: positiveInt.max(10_000),
  /** Longest time-decay cadence: every chain's legs are re-solved at least this often in market time (sooner near expiry: 0.1 % of T), ms. */
  analyticsRefreshMs: positiveInt,
});

/** Validated configuration. */
export type Config = z.infer<typeof configSchema>;
export type ConfigKey = keyof Config;

/** Keys whose values must never be printed. */
export const SECRET_KEYS: ReadonlySet<string> = new Set<string>([]);

/** `dhanApiUrl` → `OPTCHAIN_DHAN_API_URL`. */
export function envName(key: string): string {
  return `OPTCHAIN_${key.replace(/([A-Z])/g, '_$1').toUpperCase()}`;
}

const defaultsPath = fileURLToPath(new URL('../../config/default.json', import.meta.url));

/** The defaults from `config/default.json`. */
export function loadDefaults(): Record<string, unknown> {
  return JSON.parse(readFileSync(defaultsPath, 'utf8')) as Record<string, unknown>;
}

/**
 * Builds the configuration from defaults, then environment variables, then explicit
 * overrides (command-line flags). Throws {@link ConfigError} naming the first bad key.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<ConfigKey, unknown>> = {}): Config {
  const raw: Record<string, unknown> = { ...loadDefaults() };
  for (const key of Object.keys(configSchema.shape)) {
    const v = env[envName(key)];
    if (v !== undefined) raw[key] = v === '' && configSchema.shape[key as ConfigKey].isNullable() ? null : v;
  }
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) raw[k] = v;
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? 'config');
    throw new ConfigError(envName(key), issue.message);
  }
  return Object.freeze(parsed.data);
}

/** True when the server should run on the built-in simulator (docs/contract.md §2, §4). */
export function isSimMode(config: Config): boolean {
  return config.sim || config.dhanAccounts === null;
}

/** Lines for `--help`: each key, its environment variable and its default. */
export function describeConfig(): string[] {
  const d = loadDefaults();
  return Object.keys(configSchema.shape).map((k) => `  ${envName(k).padEnd(32)} default ${JSON.stringify(d[k])}`);
}
