/**
 * The HTTP layer's public surface.
 *
 * @module
 */
export { OptchainServer, type OptchainServerOptions } from './optchain-server.js';
export { HttpServer, type FastHandler, type FastReply, type HttpLogger, type HttpMethod, type HttpServerOptions, type RouteHandler, type RouteOptions, type RouteReply, type RouteRequest } from './http-server.js';
export { HttpMetrics, type HttpMetricsOptions } from './http-metrics.js';
export { defaultHealth, skeletonHealth, type HealthProvider, type HealthReport } from './health.js';
export { assertNativeUws } from './uws.js';
