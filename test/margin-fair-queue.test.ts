/**
 * Fair queuing of margin calls (issue 15 item 3): tokens of the shared Dhan budget go to users
 * in round-robin order, a user's queue is bounded, a waiting call past its deadline or
 * withdrawn never takes a token. Real timers, a bucket of 1 token per 20 ms.
 */
import { describe, expect, it } from 'vitest';
import { FairQueue } from '../src/margin/fair-queue.js';
import { TokenBucketLimiter } from '../src/margin/token-bucket.js';
import type { MarginError } from '../src/errors.js';

const later = (ms: number) => performance.now() + ms;

/**
 * A clock that stands still until `run()`, so a test process descheduled between two acquires
 * (load 13 on 2 cores) cannot refill the bucket while the calls are being queued.
 */
function frozenClock(): { now: () => number; run: () => void } {
  let frozenAt: number | null = performance.now();
  return { now: () => frozenAt ?? performance.now(), run: () => (frozenAt = null) };
}

describe('margin fair queue', () => {
  it('serves a user with one call after at most one call of a user who queued many', async () => {
    const { now, run } = frozenClock();
    const q = new FairQueue(new TokenBucketLimiter([{ burst: 1, perSecond: 50 }], now), 100, now);
    const order: string[] = [];
    const a = Array.from({ length: 10 }, (_, i) => q.acquire(1, now() + 5000).then(() => order.push(`a${i}`)));
    const b = q.acquire(2, now() + 5000).then(() => order.push('b'));
    run();
    await Promise.all([...a, b]);
    // a0 took the only token at once; user 1 entered the ring first, so a1 is next; then b.
    expect(order.slice(0, 3)).toEqual(['a0', 'a1', 'b']);
    expect(q.stats()).toMatchObject({ depth: 0, refusedFull: 0, refusedDeadline: 0 });
  });

  it('refuses the call past maxPerUser with 429 QUEUE_FULL, for that user only', async () => {
    const { now, run } = frozenClock();
    const q = new FairQueue(new TokenBucketLimiter([{ burst: 1, perSecond: 50 }], now), 2, now);
    const first = q.acquire(1, now() + 5000); // takes the token
    const waiting = [q.acquire(1, now() + 5000), q.acquire(1, now() + 5000)];
    await expect(q.acquire(1, now() + 5000)).rejects.toMatchObject({ code: 'QUEUE_FULL', status: 429 });
    const other = q.acquire(2, now() + 5000);
    run();
    await Promise.all([first, ...waiting, other]);
    expect(q.stats().refusedFull).toBe(1);
  });

  it('drops a waiting call at its deadline without taking a token, and withdraws a cancelled one', async () => {
    const q = new FairQueue(new TokenBucketLimiter([{ burst: 1, perSecond: 2 }]), 10);
    await q.acquire(1, later(5000));
    const t0 = performance.now();
    const expired = q.acquire(1, later(60), 'x').catch((e: MarginError) => e);
    const cancelled = q.acquire(1, later(5000), 'y').catch((e: MarginError) => e);
    expect(q.cancel('y')).toBe(true);
    expect(q.cancel('y')).toBe(false);
    expect(await cancelled).toMatchObject({ code: 'CLIENT_CLOSED' });
    const e = await expired;
    expect(e).toMatchObject({ code: 'DEADLINE_EXCEEDED', status: 503 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(50);
    expect(q.stats()).toMatchObject({ depth: 0, refusedDeadline: 1, cancelled: 1 });
    // The token was not spent by the dropped calls: the next one comes ≤ 500 ms after the last
    // (the bucket's pace), not ≥ 1 s later as it would had each dropped call taken one.
    const t1 = performance.now();
    await q.acquire(3, later(5000));
    expect(performance.now() - t1).toBeLessThan(950);
  });

  it('counts a call its caller withdrew at the deadline as expired, not as cancelled', async () => {
    const q = new FairQueue(new TokenBucketLimiter([{ burst: 1, perSecond: 0.01 }]), 10);
    await q.acquire(1, later(5000));
    const late = q.acquire(1, later(5000), 'z').catch((e: MarginError) => e);
    expect(q.cancel('z', 'deadline')).toBe(true);
    expect(await late).toMatchObject({ code: 'DEADLINE_EXCEEDED', status: 503 });
    expect(q.stats()).toMatchObject({ depth: 0, refusedDeadline: 1, cancelled: 0 });
  });

  it('hands a user with nothing waiting the held-back token at once while another user\'s calls wait, then gives the ring the next token', async () => {
    const { now, run } = frozenClock();
    // 50 ms a token, burst 2: A's first two calls take the burst, the rest wait.
    const q = new FairQueue(new TokenBucketLimiter([{ burst: 2, perSecond: 20 }], now), 100, now);
    const order: string[] = [];
    const a = Array.from({ length: 8 }, (_, i) => q.acquire(1, now() + 10_000).then(() => order.push(`a${i}`)));
    run();
    while (!order.includes('a2')) await new Promise((r) => setTimeout(r, 5));
    // Whenever B comes, one token is there for it: A's calls are granted only above it.
    let bAt = -1;
    const b = q.acquire(2, now() + 10_000).then(() => (bAt = order.push('b')));
    await Promise.resolve();
    expect(bAt).toBeGreaterThan(0); // granted without waiting for a refill
    // B's second call came with the reserve just used: the ring (A) gets the next token, then B.
    const b2 = q.acquire(2, now() + 10_000).then(() => order.push('b2'));
    await Promise.all([...a, b, b2]);
    const after = order.slice(order.indexOf('b'));
    expect(after.slice(0, 3)).toEqual(['b', expect.stringMatching(/^a\d$/), 'b2']);
    expect(q.stats()).toMatchObject({ depth: 0, reserveGrants: 2 });
  });

  it('costs a lone user who queues no rate: its calls are granted as fast as without the reserve, give or take the one held-back token', async () => {
    const spec = [{ burst: 3, perSecond: 50 }];
    const timeAll = async (reserve: number) => {
      const q = new FairQueue(new TokenBucketLimiter(spec), 100, () => performance.now(), reserve);
      const t0 = performance.now();
      await Promise.all(Array.from({ length: 23 }, () => q.acquire(1, later(10_000))));
      return performance.now() - t0;
    };
    // Side by side, so both see the same scheduling delays on a loaded machine.
    const [withReserve, without] = await Promise.all([timeAll(1), timeAll(0)]);
    expect(without).toBeGreaterThanOrEqual(380); // 20 calls beyond the burst at 50/s
    expect(withReserve).toBeLessThanOrEqual(without + 20 + 150);
  });
});
