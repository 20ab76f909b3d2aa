import { JsonChainEncoder } from '../src/chain/json-chain-encoder.js';
import { decodeChainJson } from '../src/client/decode.js';
import { runChainEncoderSuite } from './chain-encoder.case.js';

runChainEncoderSuite('JSON', { make: () => new JsonChainEncoder({ initialBytes: 4096 }), decode: decodeChainJson });
runChainEncoderSuite('JSON without the leg cache', { make: () => new JsonChainEncoder({ initialBytes: 4096, legCache: false }), decode: decodeChainJson });
