/**
 * Loads uWebSockets.js (the `@trufflesuite/uws-js-unofficial` 20.30 republish: the official
 * builds need glibc 2.38, engineering.md §1.1) and refuses to run on its silent pure-JS
 * fallback, which that package loads with only a console warning when the native addon fails.
 *
 * @module
 */
import uWS from '@trufflesuite/uws-js-unofficial';
import { ErrorCodes, OptchainError } from '../errors.js';

/** uWS request/response/app/listen-socket types under project names. */
export type { HttpRequest as UwsRequest, HttpResponse as UwsResponse, TemplatedApp as UwsApp, us_listen_socket as UwsListenSocket } from '@trufflesuite/uws-js-unofficial';

/** The module shape this code needs. */
export type UwsModule = typeof uWS;

/** Throws UWS_NATIVE_MISSING unless `mod.App` is the native addon's function (engineering.md §1.1). */
export function assertNativeUws(mod: { App: unknown }): void {
  if (typeof mod.App !== 'function' || !/\[native code\]/.test(String(mod.App))) {
    throw new OptchainError(
      ErrorCodes.UWS_NATIVE_MISSING,
      `uWebSockets.js native addon not loaded (platform ${process.platform}-${process.arch}, Node ABI ${process.versions.modules}); refusing the slow JS fallback`,
    );
  }
}

/** The native uWS module, asserted. */
export function loadUws(): UwsModule {
  assertNativeUws(uWS);
  return uWS;
}
