/**
 * The paper database's writer thread (issue 15 item 2: every fsync'd better-sqlite3 write ran
 * on the uWS thread). It owns the only write connection and commits with **group commit**:
 * the writes that arrive while a commit is on disk wait in the message queue, and the next
 * commit takes all of them in one transaction — one fsync (`synchronous = FULL`, WAL) however
 * many orders it carries. Each write runs in its own savepoint, so a write that fails (a
 * constraint) is rolled back alone and reported to its caller while the rest of the batch
 * commits. A write is answered only after the transaction holding it has committed, so a 2xx
 * the HTTP thread sends afterwards is on disk (docs/contract.md §6).
 *
 * Also here, off the HTTP thread: dropping the refusals past the newest `refusalsKept` of
 * each user that just stored one (issue 15: refusals piled up forever).
 *
 * Runs only as compiled JS from `dist/`; started by {@link ./paper-writer.ts}.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openPaperDb } from './paper-db.js';
import { PaperStore } from './paper-store.js';
import { applyWrite, type PaperWrite, type PaperWriteResult } from './paper-writes.js';

/** `workerData` of the writer thread. */
export interface PaperWriterData {
  readonly dataDir: string;
  readonly refusalsKept: number;
}

/** Main → writer. */
export type WriterRequest = { readonly id: number; readonly write: PaperWrite } | { readonly id: number; readonly close: true };

/** Writer → main: one answer per request, plus the size of the batch it was committed in. */
export type WriterReply =
  | { readonly id: number; readonly ok: true; readonly value: PaperWriteResult; readonly batch: number }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly sqliteCode?: string; readonly batch: number };

const port = parentPort!;
const data = workerData as PaperWriterData;
const db = openPaperDb(data.dataDir);
const store = new PaperStore(db);
const one = db.transaction((w: PaperWrite) => applyWrite(store, w));
let pending: WriterRequest[] = [];
let scheduled = false;

function errorReply(id: number, err: unknown, batch: number): WriterReply {
  const code = (err as { code?: unknown }).code;
  return { id, ok: false, message: (err as Error).message, ...(typeof code === 'string' ? { sqliteCode: code } : {}), batch };
}

function flush(): void {
  scheduled = false;
  const batch = pending;
  pending = [];
  const writes = batch.filter((r): r is Extract<WriterRequest, { write: PaperWrite }> => 'write' in r);
  const replies: WriterReply[] = [];
  try {
    db.transaction(() => {
      const refused = new Set<number>();
      for (const r of writes) {
        try {
          replies.push({ id: r.id, ok: true, value: one(r.write), batch: writes.length });
          if (r.write.op === 'putRefusal') refused.add(r.write.userId);
        } catch (err) {
          replies.push(errorReply(r.id, err, writes.length));
        }
      }
      for (const userId of refused) store.pruneRefusals(userId, data.refusalsKept);
    }).immediate();
  } catch (err) {
    // The commit itself failed (disk full, I/O error): nothing of the batch is on disk.
    replies.length = 0;
    for (const r of writes) replies.push(errorReply(r.id, err, writes.length));
  }
  for (const r of replies) port.postMessage(r);
  if (batch.some((r) => 'close' in r)) {
    db.close();
    port.close();
  }
}

port.on('message', (r: WriterRequest) => {
  pending.push(r);
  if (!scheduled) {
    scheduled = true;
    // setImmediate, not a microtask: messages already queued on the port are delivered first and join this batch.
    setImmediate(flush);
  }
});
