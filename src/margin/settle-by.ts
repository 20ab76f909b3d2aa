/**
 * The caller's side of a margin call's deadline and cancellation, shared by both
 * {@link MarginBackend}s: the answer is awaited until `task.deadlineAt` (503
 * DEADLINE_EXCEEDED) or until `signal` fires (CLIENT_CLOSED), whichever is first; then
 * `withdraw` tells the margin service to drop the call if it is still waiting for a token.
 * The service enforces the same deadline on its side (queue and attempt timeouts); this makes
 * it exact for the caller even while an attempt is on the wire.
 *
 * @module
 */
import { ErrorCodes, MarginError } from '../errors.js';
import type { MarginResult, MarginTask } from './types.js';

/** Races `answer` against the task's deadline (wall clock `now`) and `signal`. */
export function settleBy(answer: Promise<MarginResult>, task: MarginTask, signal: AbortSignal | undefined, withdraw: (why: 'cancelled' | 'deadline') => void, now: () => number = Date.now): Promise<MarginResult> {
  if (task.deadlineAt === undefined && signal === undefined) return answer;
  return new Promise<MarginResult>((resolve, reject) => {
    let timer: NodeJS.Timeout | null = null;
    const finish = (): void => {
      if (timer !== null) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const giveUp = (err: MarginError, why: 'cancelled' | 'deadline'): void => {
      finish();
      withdraw(why);
      reject(err);
    };
    const onAbort = (): void => giveUp(new MarginError(ErrorCodes.CLIENT_CLOSED, 'the client went away before the margin was known', false), 'cancelled');
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (task.deadlineAt !== undefined) {
      timer = setTimeout(() => giveUp(new MarginError(ErrorCodes.DEADLINE_EXCEEDED, 'the margin was not known before the deadline', true), 'deadline'), Math.max(0, task.deadlineAt - now()));
    }
    answer.then(
      (r) => {
        finish();
        resolve(r);
      },
      (e: unknown) => {
        finish();
        reject(e as Error);
      },
    );
  });
}
