/**
 * The request checks every backend gets the same way (issue 15 §4), for what reaches
 * JavaScript at all (README "HTTP/1.x edge" lists what each backend's own parser does first):
 *
 * - framing: more than one `Content-Length` with different values, a `Content-Length` that is
 *   not one decimal number, `Content-Length` together with `Transfer-Encoding`, or a
 *   `Transfer-Encoding` whose final coding is not `chunked` → 400 CONFLICTING_FRAMING and the
 *   connection closes (RFC 9112 §6.3: the body's length cannot be known, so nothing after it
 *   can be trusted). uWS frames by the *first* Content-Length (measured, 20.30 and 20.57): a
 *   proxy that framed by the last one would otherwise see a second, smuggled request;
 * - limits: more than `maxHeaders` header fields or more than `maxHeaderBytes` bytes of
 *   request target and fields → 431 REQUEST_HEADERS_TOO_LARGE, connection closed (RFC 6585 §5).
 *   uWS 20.30 has no byte limit of its own below ~130 KB and stalls from 49 fields on; the
 *   default 40 keeps every count it can parse answerable.
 *
 * @module
 */
import { ErrorCodes, HttpError } from '../errors.js';
import { errorReply } from './error-reply.js';
import type { FastReply, HttpInterceptor, RequestView } from './handler-types.js';

/** Limits of {@link RequestGuard}. */
export interface RequestGuardOptions {
  /** Header fields above which the answer is 431 (config `httpMaxHeaders`). Default 40. */
  readonly maxHeaders?: number;
  /** Bytes of target + fields above which the answer is 431 (config `httpMaxHeaderBytes`). Default 16 KiB. */
  readonly maxHeaderBytes?: number;
}

/** The default of `maxHeaderBytes` (node:http's own default, `--max-http-header-size`). */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
const DIGITS = /^\d{1,15}$/;
/** Per field, `: ` and CRLF on the wire. */
const FIELD_OVERHEAD = 4;

/**
 * The checks as an {@link HttpInterceptor}. One instance per server: its scan state lives in
 * fields so that a request costs no closure (the interceptor runs on the chain fast path).
 */
export class RequestGuard implements HttpInterceptor {
  readonly maxHeaders: number;
  readonly maxHeaderBytes: number;
  private count = 0;
  private bytes = 0;
  private contentLength: string | null = null;
  private lengthConflict = false;
  private transferEncoding = '';
  private readonly scan = (name: string, value: string): void => {
    this.count++;
    this.bytes += name.length + value.length + FIELD_OVERHEAD;
    if (name === 'content-length') {
      if (this.contentLength === null) this.contentLength = value;
      else if (value !== this.contentLength) this.lengthConflict = true;
    } else if (name === 'transfer-encoding') {
      this.transferEncoding = this.transferEncoding.length === 0 ? value : `${this.transferEncoding}, ${value}`;
    }
  };

  constructor(options: RequestGuardOptions = {}) {
    this.maxHeaders = options.maxHeaders ?? 40;
    this.maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  }

  onRequest(req: RequestView): FastReply | undefined {
    this.count = 0;
    this.bytes = req.getUrl().length + req.getQuery().length;
    this.contentLength = null;
    this.lengthConflict = false;
    this.transferEncoding = '';
    req.forEachHeader(this.scan);
    if (this.count > this.maxHeaders) return refuse(ErrorCodes.REQUEST_HEADERS_TOO_LARGE, `${this.count} request header fields; at most ${this.maxHeaders}`);
    if (this.bytes > this.maxHeaderBytes) return refuse(ErrorCodes.REQUEST_HEADERS_TOO_LARGE, `request target and header fields exceed ${this.maxHeaderBytes} bytes`);
    // Set by the scan callback: TypeScript cannot see that, hence the widening.
    const length = this.contentLength as string | null;
    const te = this.transferEncoding;
    if (length === null && te.length === 0) return undefined;
    if (this.lengthConflict as boolean) return refuse(ErrorCodes.CONFLICTING_FRAMING, 'more than one Content-Length, with different values');
    if (length !== null && !DIGITS.test(length.trim())) return refuse(ErrorCodes.CONFLICTING_FRAMING, 'Content-Length is not one decimal number');
    if (te.length > 0) {
      if (length !== null) return refuse(ErrorCodes.CONFLICTING_FRAMING, 'Content-Length together with Transfer-Encoding');
      const codings = te.toLowerCase().split(',');
      if (codings[codings.length - 1]!.trim() !== 'chunked') return refuse(ErrorCodes.CONFLICTING_FRAMING, 'Transfer-Encoding whose final coding is not chunked');
    }
    return undefined;
  }
}

function refuse(code: (typeof ErrorCodes)[keyof typeof ErrorCodes], message: string): FastReply {
  return { ...errorReply(new HttpError(code, message)), closeConnection: true };
}
