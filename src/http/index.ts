/**
 * The HTTP layer's public surface.
 *
 * @module
 */
export { OptchainServer, type OptchainServerOptions } from './optchain-server.js';
export { HttpServer, CLIENT_CLOSED_STATUS, type HttpLogger, type HttpServerOptions } from './http-server.js';
export type { FastHandler, FastReply, HttpInterceptor, HttpMethod, RequestView, RouteHandler, RouteOptions, RouteReply, RouteRequest } from './handler-types.js';
export type { BackendInfo } from './transport.js';
export { HttpMetrics, type HttpMetricsOptions } from './http-metrics.js';
export { defaultHealth, skeletonHealth, type HealthProvider, type HealthReport } from './health.js';
export { assertNativeUws } from './uws.js';
