/**
 * The clock and timers a feed connection runs on. Production uses the process's own
 * ({@link realScheduler}); tests inject a manual one, so "nothing happened before the limit"
 * is checked by moving time to one millisecond short of it instead of sleeping on a loaded
 * machine and hoping the slack suffices (issue 14 §2).
 *
 * @module
 */

/** An opaque timer handle (whatever the scheduler's setTimeout/setInterval returned). */
export type TimerHandle = unknown;

/** Wall-clock time and timers. */
export interface Scheduler {
  /** Unix ms. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

/** `Date.now` and the global timers. */
export const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};
