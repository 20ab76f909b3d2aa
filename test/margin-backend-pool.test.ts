/** The MarginBackend contract against the piscina worker (compiled, from dist/). */
import { MarginWorkerPool } from '../src/margin/margin-pool.js';
import { marginBackendContract } from './margin-backend.case.js';

marginBackendContract('MarginWorkerPool', (o) => new MarginWorkerPool(o));
