/**
 * A {@link Scheduler} whose time moves only when the test says so: `advance(ms)` runs every
 * timer that falls due, in due order, intervals as often as they recur. Sockets stay real;
 * only the connection's timers and its idea of "now" are virtual.
 */
import type { Scheduler, TimerHandle } from '../../src/feed/scheduler.js';

interface Timer {
  readonly id: number;
  due: number;
  readonly every: number | null;
  readonly fn: () => void;
}

export class ManualScheduler implements Scheduler {
  private time: number;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();

  constructor(startMs = Date.now()) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, null);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, Math.max(1, ms));
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  clearInterval(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  /** Timers waiting (for "is a reconnect scheduled" checks). */
  get pending(): number {
    return this.timers.size;
  }

  /** Due time of the earliest timer, null when none. */
  nextDue(): number | null {
    let min: number | null = null;
    for (const t of this.timers.values()) if (min === null || t.due < min) min = t.due;
    return min;
  }

  /** Moves time forward by `ms`, running each timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: Timer | null = null;
      for (const t of this.timers.values()) if (t.due <= end && (next === null || t.due < next.due || (t.due === next.due && t.id < next.id))) next = t;
      if (next === null) break;
      this.time = next.due;
      if (next.every === null) this.timers.delete(next.id);
      else next.due += next.every;
      next.fn();
    }
    this.time = end;
  }

  private add(fn: () => void, ms: number, every: number | null): number {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.time + Math.max(0, ms), every, fn });
    return id;
  }
}
