/**
 * Finds a uWebSockets.js build whose native addon loads here, in order of preference:
 *
 * 1. `uWebSockets.js`: the official build, when a user installed it themselves (it is not on
 *    npm; `npm i uNetworking/uWebSockets.js#v20.x`, docs/engineering.md §1.1). Never a dependency
 *    of ours: we do not commit a build fetched from GitHub.
 * 2. `@btc-vision/uwebsockets.js` 20.57: a registry republish of v20.57 with binaries for
 *    Node 20/22/24/25 on linux x64/arm64, macOS and Windows. Its Linux binaries need
 *    glibc ≥ 2.38 (Debian 13, Ubuntu 24.04; not Debian 12).
 * 3. `@trufflesuite/uws-js-unofficial` 20.30: a registry republish of v20.30 with binaries for
 *    Node 16/18/20 only, needing glibc 2.27: the one that loads on Node 20 + Debian 12.
 *
 * The binary is required directly, never through a package's entry point: the trufflesuite
 * entry silently falls back to a slow pure-JS shim (with only a console warning) when its
 * addon fails, and we never want that shim. Each failed candidate keeps a one-line reason
 * (not installed / no binary for this platform and ABI / needs glibc X, have Y) for the
 * start-up line, `/health` and `/metrics`.
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ErrorCodes, OptchainError } from '../errors.js';
import type { UwsModule } from './uws-types.js';
import { DEFAULT_MAX_HEADER_BYTES } from './request-guard.js';

export type { UwsApp, UwsListenSocket, UwsModule, UwsRequest, UwsResponse } from './uws-types.js';

/** The uWS builds tried, fastest / newest first. */
export const UWS_BUILDS = ['uWebSockets.js', '@btc-vision/uwebsockets.js', '@trufflesuite/uws-js-unofficial'] as const;

/** One build tried. */
export interface UwsAttempt {
  readonly pkg: string;
  /** The package version when installed. */
  readonly version: string | null;
  /** Why it was not used; null for the one that loaded. */
  readonly failure: string | null;
}

/** A build that loaded, with the reasons the preferred ones did not. */
export interface LoadedUws {
  readonly module: UwsModule;
  readonly pkg: string;
  readonly version: string;
  readonly attempts: readonly UwsAttempt[];
}

const require = createRequire(import.meta.url);

/** Throws UWS_NATIVE_MISSING unless `mod.App` is the native addon's function (docs/engineering.md §1.1). */
export function assertNativeUws(mod: { App: unknown }): void {
  if (typeof mod.App !== 'function' || !/\[native code\]/.test(String(mod.App))) {
    throw new OptchainError(
      ErrorCodes.UWS_NATIVE_MISSING,
      `uWebSockets.js native addon not loaded (platform ${process.platform}-${process.arch}, Node ABI ${process.versions.modules}); refusing the slow JS fallback`,
    );
  }
}

/** The running glibc version (`2.36`), or null on musl, macOS and Windows. */
export function glibcVersion(): string | null {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ?? null;
}

/** The package folder of `pkg`, or null when it is not installed. */
function packageDir(pkg: string): string | null {
  try {
    // Resolving package.json works for packages whose `exports` hide it only when they list
    // it; the main entry always resolves, so walk up from there.
    let dir = dirname(require.resolve(pkg));
    while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
    return dir;
  } catch {
    return null;
  }
}

/** Turns a dlopen failure into a one-line reason (the glibc case named plainly). */
function loadFailure(err: unknown): string {
  const text = String((err as Error)?.message ?? err);
  const glibc = /GLIBC_(\d+\.\d+)'? not found/.exec(text);
  if (glibc) return `its binary needs glibc ≥ ${glibc[1]}, this system has glibc ${glibcVersion() ?? 'unknown'}`;
  return `its binary failed to load: ${text.split('\n')[0]!.slice(0, 200)}`;
}

/** Tries one build; returns the module or the reason it cannot be used. */
function tryBuild(pkg: string): { module: UwsModule | null; attempt: UwsAttempt } {
  const dir = packageDir(pkg);
  if (dir === null) return { module: null, attempt: { pkg, version: null, failure: 'not installed' } };
  let version: string | null = null;
  try {
    version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    // an unreadable package.json only loses the version
  }
  const file = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  const binary = [join(dir, file), join(dir, 'binaries', file)].find((f) => existsSync(f));
  if (binary === undefined) {
    return { module: null, attempt: { pkg, version, failure: `no binary for ${process.platform}-${process.arch} Node ABI ${process.versions.modules} (Node ${process.versions.node})` } };
  }
  // uWS >= 20.4x reads its header-size cap from the environment once, when the addon loads
  // (4 KiB by default, measured on 20.57): whoever loads it first (a backend probe, a test listing
  // the backends) must already have raised it to the request guard's limit, or uWS answers 431
  // itself for headers the guard accepts. HttpServer sets the configured value when it loads first.
  process.env.UWS_HTTP_MAX_HEADERS_SIZE ??= String(DEFAULT_MAX_HEADER_BYTES);
  try {
    const mod = require(binary) as UwsModule;
    assertNativeUws(mod);
    return { module: mod, attempt: { pkg, version, failure: null } };
  } catch (err) {
    return { module: null, attempt: { pkg, version, failure: loadFailure(err) } };
  }
}

/** Every attempt's reason in one line: `pkg@v: reason; …`. */
export function describeAttempts(attempts: readonly UwsAttempt[]): string {
  return attempts
    .filter((a) => a.failure !== null)
    .map((a) => `${a.pkg}${a.version ? `@${a.version}` : ''}: ${a.failure}`)
    .join('; ');
}

let cached: LoadedUws | OptchainError | undefined;

/** Tries `builds` in order. */
function firstLoadable(builds: readonly string[]): LoadedUws | OptchainError {
  const attempts: UwsAttempt[] = [];
  for (const pkg of builds) {
    const { module, attempt } = tryBuild(pkg);
    attempts.push(attempt);
    if (module) return { module, pkg, version: attempt.version ?? 'unknown', attempts };
  }
  return new OptchainError(
    ErrorCodes.UWS_NATIVE_MISSING,
    `no uWebSockets.js native addon loads (platform ${process.platform}-${process.arch}, Node ${process.versions.node} ABI ${process.versions.modules}): ${describeAttempts(attempts)}`,
    { attempts },
  );
}

/**
 * The first build in `builds` (default {@link UWS_BUILDS}, then cached per process) whose
 * native addon loads. Throws UWS_NATIVE_MISSING naming every build's reason when none does.
 */
export function loadUws(builds: readonly string[] = UWS_BUILDS): LoadedUws {
  const result = builds === UWS_BUILDS ? (cached ??= firstLoadable(builds)) : firstLoadable(builds);
  if (result instanceof OptchainError) throw result;
  return result;
}
