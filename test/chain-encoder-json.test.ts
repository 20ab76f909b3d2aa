import { JsonChainEncoder } from '../src/chain/json-chain-encoder.js';
import { decodeChainJson } from '../src/client/decode.js';
import { runChainEncoderSuite } from './chain-encoder.case.js';

runChainEncoderSuite('JSON', { make: () => new JsonChainEncoder(4096), decode: decodeChainJson });
