/**
 * A small typed client for the optchain HTTP API (docs/contract.md §5), on the standard `fetch`
 * (global in Node 20 and browsers; inject another with `options.fetch`). Browser-safe.
 *
 * @module
 */
import { OptchainClientError } from './client-error.js';
import { decodeChainFlatbuffer, decodeChainJson, decodeSnapshot } from './decode.js';
import type { ChainJson, HealthReport, SkeletonSummaryJson, SnapshotJson } from './types.js';

/** The `fetch` the client calls. */
export type FetchLike = (input: string, init?: { method?: string; headers?: Record<string, string>; signal?: AbortSignal }) => Promise<Response>;

/** Options of an {@link OptchainClient}. */
export interface OptchainClientOptions {
  readonly fetch?: FetchLike;
  /** Extra headers on every request (e.g. `authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Chain query (docs/contract.md §5). */
export interface GetChainOptions {
  /** YYYY-MM-DD; default the nearest selected expiry. */
  readonly expiry?: string;
  /** Needed only when the symbol has options on both exchanges (default NSE). */
  readonly exchange?: 'NSE' | 'BSE';
  /** Wire format; the result has the same shape either way. Default 'json'. */
  readonly format?: 'json' | 'flatbuffers';
  readonly signal?: AbortSignal;
}

/** Client for one optchain server. */
export class OptchainClient {
  private readonly base: string;
  private readonly fetchImpl: FetchLike;
  private readonly headers: Readonly<Record<string, string>>;

  /** @param baseUrl e.g. `http://127.0.0.1:8080` */
  constructor(baseUrl: string, options: OptchainClientOptions = {}) {
    this.base = baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.headers = options.headers ?? {};
  }

  /** `GET /v1/chains/{symbol}` in either format, decoded to the JSON shape. */
  async getChain(symbol: string, options: GetChainOptions = {}): Promise<ChainJson> {
    const q = new URLSearchParams();
    if (options.expiry) q.set('expiry', options.expiry);
    if (options.exchange) q.set('exchange', options.exchange);
    const fb = options.format === 'flatbuffers';
    const qs = q.toString();
    const res = await this.call(`/v1/chains/${encodeURIComponent(symbol)}${qs ? `?${qs}` : ''}`, fb ? 'application/x-flatbuffers' : 'application/json', options.signal);
    const bytes = new Uint8Array(await res.arrayBuffer());
    return fb ? decodeChainFlatbuffer(bytes) : decodeChainJson(bytes);
  }

  /** `GET /v1/underlyings` (docs/contract.md §2.1). */
  async getUnderlyings(signal?: AbortSignal): Promise<SkeletonSummaryJson> {
    return (await (await this.call('/v1/underlyings', 'application/json', signal)).json()) as SkeletonSummaryJson;
  }

  /** `GET /health`. */
  async getHealth(signal?: AbortSignal): Promise<HealthReport> {
    return (await (await this.call('/health', 'application/json', signal)).json()) as HealthReport;
  }

  /** `GET /v1/snapshot`; `symbols` entries are `SYMBOL` or `EXCHANGE:SYMBOL`, all when omitted. */
  async getSnapshot(symbols?: readonly string[], signal?: AbortSignal): Promise<SnapshotJson> {
    const path = symbols && symbols.length > 0 ? `/v1/snapshot?symbols=${encodeURIComponent(symbols.join(','))}` : '/v1/snapshot';
    const res = await this.call(path, 'application/x-flatbuffers', signal);
    return decodeSnapshot(new Uint8Array(await res.arrayBuffer()));
  }

  private async call(path: string, accept: string, signal: AbortSignal | undefined): Promise<Response> {
    const res = await this.fetchImpl(`${this.base}${path}`, { method: 'GET', headers: { ...this.headers, accept }, ...(signal ? { signal } : {}) });
    if (res.ok) return res;
    const text = await res.text();
    let code = `HTTP_${res.status}`;
    let message = text.slice(0, 200);
    try {
      const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      if (body.error && typeof body.error.code === 'string') code = body.error.code;
      if (body.error && typeof body.error.message === 'string') message = body.error.message;
    } catch {
      // not a contract error body; keep the raw text
    }
    throw new OptchainClientError(code, message, res.status);
  }
}
