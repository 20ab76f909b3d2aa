/**
 * The writes of paper state, as plain data: what the HTTP thread asks the writer thread
 * ({@link ./paper-writer-worker.ts}) to commit, and how each one is applied to a
 * {@link PaperStore}. Everything here crosses a thread boundary by structured clone.
 *
 * @module
 */
import type { OrderCommit, PaperStore, StrategyRow } from './paper-store.js';

/** One write. */
export type PaperWrite =
  | { readonly op: 'commitOrder'; readonly commit: OrderCommit }
  | { readonly op: 'putRefusal'; readonly userId: number; readonly clientOrderId: string; readonly bodyHash: string; readonly httpStatus: number; readonly answer: string; readonly now: number }
  | { readonly op: 'insertStrategy'; readonly userId: number; readonly row: StrategyRow }
  | { readonly op: 'updateStrategy'; readonly userId: number; readonly id: string; readonly name: string; readonly legs: string; readonly margin: string | null; readonly now: number }
  | { readonly op: 'deleteStrategy'; readonly userId: number; readonly id: string; readonly now: number };

/** What a write answers: `true`/`false` for the strategy updates (false = not the user's), else null. */
export type PaperWriteResult = boolean | null;

/** Applies one write to `store` (inside the caller's transaction). */
export function applyWrite(store: PaperStore, w: PaperWrite): PaperWriteResult {
  switch (w.op) {
    case 'commitOrder':
      store.commitOrder(w.commit);
      return null;
    case 'putRefusal':
      store.putRefusal(w.userId, w.clientOrderId, w.bodyHash, w.httpStatus, w.answer, w.now);
      return null;
    case 'insertStrategy':
      store.insertStrategy(w.userId, w.row);
      return null;
    case 'updateStrategy':
      return store.updateStrategy(w.userId, w.id, w.name, w.legs, w.margin, w.now);
    case 'deleteStrategy':
      return store.deleteStrategy(w.userId, w.id, w.now);
  }
}

/** The writes the service makes; the writer thread in production. */
export interface PaperWriter {
  /** Resolves once `w` is committed and on disk (fsynced); rejects when it was not applied or may not have been. */
  write(w: PaperWrite): Promise<PaperWriteResult>;
  /** Commits what is pending, then stops. */
  close(): Promise<void>;
}
