import { FlatbuffersChainEncoder } from '../src/chain/flatbuffers-chain-encoder.js';
import { decodeChainFlatbuffer } from '../src/client/decode.js';
import { runChainEncoderSuite } from './chain-encoder.case.js';

runChainEncoderSuite('FlatBuffers', { make: () => new FlatbuffersChainEncoder({ initialBytes: 1024 }), decode: decodeChainFlatbuffer });
