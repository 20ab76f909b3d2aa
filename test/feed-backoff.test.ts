import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay } from '../src/feed/backoff.js';
import { deriveTimings } from '../src/feed/feed-supervisor.js';

describe('reconnect backoff', () => {
  it('grows exponentially with equal jitter and never passes the cap', () => {
    const opts = { baseMs: 500, maxMs: 30_000 };
    for (let attempt = 0; attempt < 20; attempt++) {
      const d = Math.min(30_000, 500 * 2 ** attempt);
      expect(backoffDelay(attempt, { ...opts, random: () => 0 })).toBe(d / 2);
      expect(backoffDelay(attempt, { ...opts, random: () => 0.999999 })).toBeLessThanOrEqual(d);
      expect(backoffDelay(attempt, { ...opts, random: () => 0.999999 })).toBeGreaterThan(d * 0.99);
    }
  });

  it('spreads connections dropped together (jitter), and resets after a healthy stretch', () => {
    const delays = Array.from({ length: 200 }, () => backoffDelay(3, { baseMs: 500, maxMs: 30_000 }));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(2000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(4000);
    expect(new Set(delays).size).toBeGreaterThan(50);
    const b = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 1 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000]);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('derives feed timings from the configuration', () => {
    const t = deriveTimings({ feedWorkers: 1, feedWatchdogMs: 30_000, feedFirstPacketMs: 120_000, feedBackoffMaxMs: 30_000 });
    expect(t.watchdogMs).toBe(30_000);
    expect(t.pingMs).toBe(10_000); // Dhan's own ping period (docs/dhan-protocol.md §2.10)
    expect(t.outsideHoursWatchdogMs).toBeGreaterThanOrEqual(120_000);
    expect(t.backoffMaxMs).toBe(30_000);
    expect(t.tooManyBackoffMs).toBeGreaterThanOrEqual(t.backoffMaxMs); // 805 waits longer than any ordinary retry
    expect(t.firstPacketMs).toBe(120_000);
    expect(deriveTimings({ feedWorkers: 1, feedWatchdogMs: 1500, feedFirstPacketMs: 1, feedBackoffMaxMs: 1 }).pingMs).toBe(500);
  });
});
