/** The MarginBackend contract against the same-thread backend over a real undici Pool. */
import { Pool } from 'undici';
import { InlineMarginBackend } from './helpers/inline-margin.js';
import { marginBackendContract } from './margin-backend.case.js';

marginBackendContract('InlineMarginBackend', (o) => {
  const pool = new Pool(new URL(o.apiUrl).origin, { connections: 2 });
  return new InlineMarginBackend({ dispatcher: pool, ...o }, () => pool.close());
});
