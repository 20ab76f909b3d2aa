/**
 * The part of the uWebSockets.js API optchain uses, typed here once so the code compiles the
 * same whichever build (official, @btc-vision 20.57, @trufflesuite 20.30) is installed, or
 * none: every build is an optional dependency (src/http/uws.ts).
 *
 * @module
 */

/** A uWS request: stack-allocated, valid only during the synchronous part of a handler. */
export interface UwsRequest {
  getHeader(lowerCaseKey: string): string;
  getParameter(index: number): string | undefined;
  getUrl(): string;
  getMethod(): string;
  getCaseSensitiveMethod(): string;
  getQuery(): string | undefined;
  forEach(cb: (key: string, value: string) => void): void;
}

/** A uWS response; invalid after `onAborted` fired or `end`/`tryEnd` completed it. */
export interface UwsResponse {
  writeStatus(status: string): UwsResponse;
  writeHeader(key: string, value: string): UwsResponse;
  end(body?: string | Uint8Array, closeConnection?: boolean): UwsResponse;
  endWithoutBody(reportedContentLength?: number, closeConnection?: boolean): UwsResponse;
  tryEnd(body: Uint8Array, totalSize: number): [boolean, boolean];
  getWriteOffset(): number;
  onWritable(handler: (offset: number) => boolean): UwsResponse;
  onAborted(handler: () => void): UwsResponse;
  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): UwsResponse;
  cork(cb: () => void): UwsResponse;
  close(): UwsResponse;
}

/** The listen token. */
export type UwsListenSocket = object;

type UwsHandler = (res: UwsResponse, req: UwsRequest) => void;

/** A uWS app. */
export interface UwsApp {
  get(pattern: string, handler: UwsHandler): UwsApp;
  post(pattern: string, handler: UwsHandler): UwsApp;
  put(pattern: string, handler: UwsHandler): UwsApp;
  patch(pattern: string, handler: UwsHandler): UwsApp;
  del(pattern: string, handler: UwsHandler): UwsApp;
  head(pattern: string, handler: UwsHandler): UwsApp;
  options(pattern: string, handler: UwsHandler): UwsApp;
  any(pattern: string, handler: UwsHandler): UwsApp;
  listen(host: string, port: number, cb: (token: UwsListenSocket | false) => void): UwsApp;
  /** Closes every socket of the app; present on 20.30 (measured) and later builds. */
  close?(): void;
}

/** The module shape. */
export interface UwsModule {
  App(): UwsApp;
  us_listen_socket_close(token: UwsListenSocket): void;
  us_socket_local_port(token: UwsListenSocket): number;
}
