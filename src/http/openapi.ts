/**
 * The OpenAPI 3.1 description served at `GET /openapi.json`, made from the routes the server
 * actually registered (HttpServer.routes()) and the zod schemas the routes validate with
 * (request bodies: src/paper/paper-schemas.ts; query strings: market-routes.ts) or answer in
 * (api-schemas.ts), converted with zod 4's `z.toJSONSchema` (JSON Schema 2020-12, the dialect
 * OpenAPI 3.1 uses). A route registered without an entry in {@link OPERATIONS} still appears,
 * marked undocumented, and test/http-openapi.test.ts fails until it is described.
 *
 * @module
 */
import { z } from 'zod';
import { marginBodySchema, orderBodySchema, strategyBodySchema } from '../paper/paper-schemas.js';
import { chainSchema, errorSchema, healthSchema, underlyingsSchema } from './api-schemas.js';
import { chainQuerySchema, snapshotQuerySchema } from './market-routes.js';

/** One registered route. */
export interface RegisteredRoute {
  readonly method: string;
  readonly pattern: string;
}

type Json = Record<string, unknown>;

interface Operation {
  readonly summary: string;
  readonly tags: readonly string[];
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  /** Status → description and content (null: no body). */
  readonly responses: Readonly<Record<string, { description: string; content?: Json; headers?: Json }>>;
  readonly auth?: boolean;
  readonly conditional?: boolean;
}

const toSchema = (s: z.ZodType, io: 'input' | 'output'): Json => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Json;
  return rest;
};
const json = (s: z.ZodType | Json) => ({ 'application/json': { schema: s instanceof z.ZodType ? toSchema(s, 'output') : s } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const ERROR = { 'application/json': { schema: ref('Error') } };
const errors = (...codes: string[]) => Object.fromEntries(codes.map((c) => [c, { description: ERROR_TEXT[c] ?? 'error', content: ERROR }]));
const ERROR_TEXT: Record<string, string> = {
  '400': 'bad input',
  '401': 'no valid API key',
  '404': 'unknown symbol, expiry or resource',
  '409': 'clientOrderId reused with another body',
  '413': 'body too large',
  '422': 'order refused (code says why)',
  '429': 'rate limited',
  '502': 'margin service failed upstream',
  '503': 'not ready, or busy (Retry-After)',
};
const CONDITIONAL_HEADERS = {
  ETag: { description: 'weak entity tag of this representation (cache key and coding)', schema: { type: 'string' } },
  'Cache-Control': { description: 'no-cache: revalidate with If-None-Match', schema: { type: 'string' } },
};
const NOT_MODIFIED = { '304': { description: 'If-None-Match matched: the copy you hold is current (no body)', headers: CONDITIONAL_HEADERS } };
const anyObject = { type: 'object' };

/** Every documented route, keyed `METHOD pattern` (uWS pattern syntax). */
export const OPERATIONS: Readonly<Record<string, Operation>> = {
  'GET /health': { summary: 'Server, skeleton and feed health', tags: ['operations'], responses: { '200': { description: 'health report', content: json(healthSchema) } } },
  'GET /metrics': { summary: 'Prometheus metrics', tags: ['operations'], responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } } },
  'GET /openapi.json': { summary: 'This description', tags: ['operations'], responses: { '200': { description: 'OpenAPI 3.1', content: json(anyObject) } } },
  'GET /v1/underlyings': { summary: 'The skeleton summary: underlyings, expiries, strike counts', tags: ['market'], responses: { '200': { description: 'summary', content: json(underlyingsSchema) }, ...errors('503') } },
  'GET /v1/chains/:symbol': {
    summary: 'One option chain (JSON, or FlatBuffers with Accept: application/x-flatbuffers or ?format=fb); gzip/br for JSON with Accept-Encoding',
    tags: ['market'],
    query: chainQuerySchema,
    conditional: true,
    responses: {
      '200': {
        description: 'the chain',
        headers: { ...CONDITIONAL_HEADERS, 'X-Optchain-Generation': { schema: { type: 'integer' } } },
        content: { ...json(ref('Chain')), 'application/x-flatbuffers': { schema: { type: 'string', contentMediaType: 'application/x-flatbuffers', description: 'schemas/chain.fbs, root Chain, identifier OCHN' } } },
      },
      ...NOT_MODIFIED,
      ...errors('400', '404', '503'),
    },
  },
  'GET /v1/snapshot': {
    summary: 'Every chain of the listed underlyings (all when absent) in one FlatBuffers message; gzip/br with Accept-Encoding',
    tags: ['market'],
    query: snapshotQuerySchema,
    conditional: true,
    responses: {
      '200': { description: 'snapshot', headers: CONDITIONAL_HEADERS, content: { 'application/x-flatbuffers': { schema: { type: 'string', contentMediaType: 'application/x-flatbuffers', description: 'schemas/chain.fbs, root Snapshot, identifier OSNP' } } } },
      ...NOT_MODIFIED,
      ...errors('400', '404', '503'),
    },
  },
  'POST /v1/paper/orders': { summary: 'Place a paper order (filled at the touch, all legs or none)', tags: ['paper'], auth: true, body: orderBodySchema, responses: { '201': { description: 'the filled order', content: json(anyObject) }, '200': { description: 'replay of an earlier answer (Idempotent-Replayed: true)', content: json(anyObject) }, ...errors('400', '401', '409', '413', '422', '429', '502', '503') } },
  'GET /v1/paper/orders': { summary: "The user's orders", tags: ['paper'], auth: true, responses: { '200': { description: 'orders', content: json(anyObject) }, ...errors('400', '401') } },
  'GET /v1/paper/positions': { summary: "The user's positions", tags: ['paper'], auth: true, responses: { '200': { description: 'positions', content: json(anyObject) }, ...errors('401', '503') } },
  'POST /v1/paper/strategies': { summary: 'Deploy a strategy (a named set of legs)', tags: ['paper'], auth: true, body: strategyBodySchema, responses: { '201': { description: 'the strategy', content: json(anyObject) }, ...errors('400', '401', '413') } },
  'GET /v1/paper/strategies': { summary: "The user's strategies", tags: ['paper'], auth: true, responses: { '200': { description: 'strategies', content: json(anyObject) }, ...errors('401') } },
  'GET /v1/paper/strategies/:id': { summary: 'One strategy', tags: ['paper'], auth: true, responses: { '200': { description: 'the strategy', content: json(anyObject) }, ...errors('401', '404') } },
  'PUT /v1/paper/strategies/:id': { summary: 'Modify a strategy', tags: ['paper'], auth: true, body: strategyBodySchema, responses: { '200': { description: 'the strategy', content: json(anyObject) }, ...errors('400', '401', '404', '413') } },
  'DELETE /v1/paper/strategies/:id': { summary: 'Remove a strategy', tags: ['paper'], auth: true, responses: { '200': { description: 'removed', content: json(anyObject) }, ...errors('401', '404') } },
  'POST /v1/margin': { summary: 'Margin of a basket (with the current positions unless includePositions is false)', tags: ['paper'], auth: true, body: marginBodySchema, responses: { '200': { description: 'margin', content: json(anyObject) }, ...errors('400', '401', '413', '429', '502', '503') } },
  'GET /': { summary: 'The live option-chain page', tags: ['page'], responses: { '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } } },
  'GET /index.html': { summary: 'The live option-chain page', tags: ['page'], responses: { '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } } },
  'GET /assets/*': { summary: "The page's scripts and styles", tags: ['page'], responses: { '200': { description: 'asset' }, ...errors('404') } },
};

/** `/v1/paper/strategies/:id` → `/v1/paper/strategies/{id}`; `/assets/*` → `/assets/{path}`. */
export function openApiPath(pattern: string): string {
  return pattern.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\/\*$/, '/{path}');
}

function parameters(route: RegisteredRoute, op: Operation | undefined): Json[] {
  const out: Json[] = [];
  for (const m of route.pattern.matchAll(/:([A-Za-z0-9_]+)/g)) out.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
  if (route.pattern.endsWith('/*')) out.push({ name: 'path', in: 'path', required: true, schema: { type: 'string' } });
  if (op?.query) {
    const schema = toSchema(op.query, 'input') as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, s] of Object.entries(schema.properties ?? {})) out.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: s });
  }
  if (op?.conditional) out.push({ name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'an ETag from an earlier answer: 304 when still current' });
  return out;
}

/** The OpenAPI 3.1 document for `routes` (HEAD, answered for every GET route, is implied). */
export function buildOpenApi(routes: readonly RegisteredRoute[], info: { version: string }): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    if (r.method === 'HEAD' || r.method === 'OPTIONS') continue;
    const op = OPERATIONS[`${r.method} ${r.pattern}`];
    const path = (paths[openApiPath(r.pattern)] ??= {});
    const o: Json = {
      operationId: operationId(r),
      summary: op?.summary ?? 'undocumented route',
      tags: op ? [...op.tags] : ['undocumented'],
      parameters: parameters(r, op),
      responses: op?.responses ?? { default: { description: 'undocumented' } },
    };
    if (op?.body) o.requestBody = { required: true, content: { 'application/json': { schema: toSchema(op.body, 'input') } } };
    if (op?.auth) o.security = [{ bearer: [] }];
    path[r.method.toLowerCase()] = o;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'optchain', version: info.version, description: 'Real-time NSE/BSE option chains fed by Dhan, and paper trading (docs/contract.md §5, §6).' },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Chain: toSchema(chainSchema, 'output'), Error: toSchema(errorSchema, 'output') },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API key from `optchain users add`' } },
    },
  };
}

function operationId(r: RegisteredRoute): string {
  const words = r.pattern.split('/').filter(Boolean).map((w) => (w.startsWith(':') ? `by-${w.slice(1)}` : w === '*' ? 'path' : w));
  return [r.method.toLowerCase(), ...words].join('-').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''));
}
