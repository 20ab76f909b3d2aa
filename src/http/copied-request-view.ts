/**
 * A {@link RequestView} over a request's copied parts, for the interceptors of a generic
 * route that answers after an await (the backend's own view is gone by then).
 *
 * @module
 */
import type { RequestView } from './handler-types.js';

/** A request view that owns its data. */
export class CopiedRequestView implements RequestView {
  constructor(
    readonly method: string,
    readonly route: string,
    private readonly path: string,
    private readonly rawQuery: string,
    /** The copied headers, names lower-case. */
    readonly headers: Readonly<Record<string, string>>,
    private readonly rawParams: readonly string[],
  ) {}

  getUrl(): string {
    return this.path;
  }
  getQuery(): string {
    return this.rawQuery;
  }
  getHeader(name: string): string {
    return this.headers[name] ?? '';
  }
  getParameter(index: number): string {
    return this.rawParams[index] ?? '';
  }
  forEachHeader(cb: (name: string, value: string) => void): void {
    for (const k of Object.keys(this.headers)) cb(k, this.headers[k]!);
  }
}
