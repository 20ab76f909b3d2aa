/**
 * CPU time of the calling thread, for the analytics worker's load figure. `process.cpuUsage()`
 * counts the whole process (every thread), and Node 20 has no per-thread call, so this reads
 * Linux's /proc/thread-self/schedstat, whose first field is the thread's time on a CPU in
 * nanoseconds (the scheduler's own accounting, no tick sampling). Elsewhere it is null.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

const PATH = '/proc/thread-self/schedstat';

/** The calling thread's CPU time so far, ms; null where /proc/thread-self/schedstat cannot be read. */
export function threadCpuMs(): number | null {
  let text: string;
  try {
    text = readFileSync(PATH, 'latin1');
  } catch {
    return null;
  }
  const end = text.indexOf(' ');
  const ns = Number(end > 0 ? text.slice(0, end) : text);
  return Number.isFinite(ns) && ns >= 0 ? ns / 1e6 : null;
}
