/**
 * Fair queuing of margin calls (issue 15 item 3): tokens of the shared Dhan budget go to users
 * in round-robin order, a user's queue is bounded, a waiting call past its deadline or
 * withdrawn never takes a token. Real timers, a bucket of 1 token per 20 ms.
 */
import { describe, expect, it } from 'vitest';
import { FairQueue } from '../src/margin/fair-queue.js';
import { TokenBucketLimiter } from '../src/margin/token-bucket.js';
import type { MarginError } from '../src/errors.js';

const bucket = () => new TokenBucketLimiter([{ burst: 1, perSecond: 50 }]);
const later = (ms: number) => performance.now() + ms;

describe('margin fair queue', () => {
  it('serves a user with one call after at most one call of a user who queued many', async () => {
    const q = new FairQueue(bucket(), 100);
    const order: string[] = [];
    const a = Array.from({ length: 10 }, (_, i) => q.acquire(1, later(5000)).then(() => order.push(`a${i}`)));
    // Queued in the same tick as a's calls: no timing on a loaded box decides the order.
    const b = q.acquire(2, later(5000)).then(() => order.push('b'));
    await Promise.all([...a, b]);
    // a0 took the only token at once; user 1 entered the ring first, so a1 is next; then b.
    expect(order.slice(0, 3)).toEqual(['a0', 'a1', 'b']);
    expect(q.stats()).toMatchObject({ depth: 0, refusedFull: 0, refusedDeadline: 0 });
  });

  it('refuses the call past maxPerUser with 429 QUEUE_FULL, for that user only', async () => {
    const q = new FairQueue(bucket(), 2);
    const first = q.acquire(1, later(5000)); // takes the token
    const waiting = [q.acquire(1, later(5000)), q.acquire(1, later(5000))];
    await expect(q.acquire(1, later(5000))).rejects.toMatchObject({ code: 'QUEUE_FULL', status: 429 });
    const other = q.acquire(2, later(5000));
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
    expect(await cancelled).toMatchObject({ code: 'REQUEST_CANCELLED' });
    const e = await expired;
    expect(e).toMatchObject({ code: 'DEADLINE_EXCEEDED', status: 503 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(50);
    expect(q.stats()).toMatchObject({ depth: 0, refusedDeadline: 1, cancelled: 1 });
    // the token was not spent by the dropped calls: the next call is served at the bucket's pace, not later
    const t1 = performance.now();
    await q.acquire(3, later(5000));
    expect(performance.now() - t1).toBeLessThan(600);
  });
});
