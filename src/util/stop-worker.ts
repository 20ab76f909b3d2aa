/**
 * Graceful stop of a supervised worker thread, shared by the feed and analytics supervisors.
 *
 * @module
 */
import type { Worker } from 'node:worker_threads';

/**
 * Asks `worker` to stop with `stopMessage`, terminates it once it answers `{ type: 'stopped' }`
 * (or after `timeoutMs` if it never does), and resolves when it has exited. `onMessage` sees every
 * message until then: a worker's final stats arrive just before its 'stopped'.
 */
export function stopWorker<M extends { type: string }>(worker: Worker, stopMessage: unknown, timeoutMs: number, onMessage: (m: M) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => void worker.terminate(), timeoutMs);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.on('message', (m: M) => {
      onMessage(m);
      if (m.type === 'stopped') void worker.terminate();
    });
    worker.postMessage(stopMessage);
  });
}
