/** The chain route's memo of resolved targets: per market, bounded, short keys only. */
import { describe, expect, it } from 'vitest';
import { ChainTargetMemo, MEMO_LIMIT } from '../src/http/chain-target-memo.js';
import { tinySkeleton } from './helpers/tiny-skeleton.js';

describe('ChainTargetMemo', () => {
  const chain = tinySkeleton().chains[0]!;
  const target = { chain, format: undefined };

  it('remembers a resolution for its market only', () => {
    const memo = new ChainTargetMemo();
    const day1 = {};
    const day2 = {};
    memo.set(day1, 'NIFTY', 'expiry=2026-08-18', target);
    expect(memo.get(day1, 'NIFTY', 'expiry=2026-08-18')).toBe(target);
    expect(memo.get(day1, 'NIFTY', '')).toBeUndefined();
    expect(memo.get(day2, 'NIFTY', 'expiry=2026-08-18')).toBeUndefined();
    memo.set(day2, 'BANKNIFTY', '', target);
    expect(memo.get(day1, 'NIFTY', 'expiry=2026-08-18')).toBeUndefined(); // a rollover empties it
  });

  it('keeps no long keys and starts over when full', () => {
    const memo = new ChainTargetMemo();
    const m = {};
    memo.set(m, 'NIFTY', `x=${'a'.repeat(500)}`, target);
    expect(memo.get(m, 'NIFTY', `x=${'a'.repeat(500)}`)).toBeUndefined();
    for (let i = 0; i < MEMO_LIMIT; i++) memo.set(m, 'NIFTY', `q=${i}`, target);
    expect(memo.get(m, 'NIFTY', 'q=0')).toBe(target);
    memo.set(m, 'NIFTY', 'one-more', target);
    expect(memo.get(m, 'NIFTY', 'q=0')).toBeUndefined();
    expect(memo.get(m, 'NIFTY', 'one-more')).toBe(target);
  });
});
