/**
 * Browser-safe entry of the optchain client: decoders, the fetch-based client and the wire
 * types. Nothing here imports node: modules (checked by test/chain-client.test.ts, which
 * bundles this file for the browser).
 *
 * @module
 */
export { OptchainClientError } from './client-error.js';
export { chainFromFlatbuffer, decodeChainFlatbuffer, decodeChainJson, decodeSnapshot } from './decode.js';
export { OptchainClient, type FetchLike, type GetChainOptions, type OptchainClientOptions } from './optchain-client.js';
/** The wire types (docs/contract.md §2.1, §5). */
export type * from './types.js';
