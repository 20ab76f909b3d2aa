/** Feasibility boundaries (pure): each limit is inclusive, one paisa past it refuses. */
import { describe, expect, it } from 'vitest';
import { OrderRefusedError } from '../src/errors.js';
import { checkOrder, type LegRequest, type Quote } from '../src/paper/feasibility.js';
import { makeMarket } from './paper-fixture.js';

const m = makeMarket();
const c = m.weekly[0]!; // lot 65, freeze 1756, band 0.05–500
const rules = { quoteMaxAgeMs: 10_000, maxSpreadAbs: 20, maxSpreadRel: 0.1 };
const NOW = 1_786_000_000_000;
const q = (o: Partial<Quote> = {}): Quote => ({ ltp: 100, bid: 100, ask: 100.5, bidQty: 1000, askQty: 1000, updatedAt: NOW, ...o });
const leg = (o: Partial<LegRequest> = {}): LegRequest => ({ exchangeSegment: 'NSE_FNO', securityId: c.securityId, side: 'BUY', lots: 1, type: 'MARKET', ...o });
const run = (l: LegRequest, quote: Quote) => checkOrder([l], (s, id) => m.skeletonIndex.contract(s, id), () => quote, NOW, rules);
const code = (l: LegRequest, quote: Quote): string => {
  try {
    run(l, quote);
    return 'OK';
  } catch (e) {
    if (e instanceof OrderRefusedError) return e.code;
    throw e;
  }
};

describe('feasibility limits', () => {
  it('quote age: equal to the limit passes, one ms more is stale; never-delivered is NO_QUOTE', () => {
    expect(code(leg(), q({ updatedAt: NOW - 10_000 }))).toBe('OK');
    expect(code(leg(), q({ updatedAt: NOW - 10_001 }))).toBe('STALE_QUOTE');
    expect(code(leg(), q({ updatedAt: Number.NaN }))).toBe('NO_QUOTE');
    expect(code(leg(), q({ bid: Number.NaN }))).toBe('NO_QUOTE');
    expect(code(leg(), q({ ask: 0 }))).toBe('NO_QUOTE');
  });

  it('spread: both bounds are inclusive and both must hold', () => {
    expect(code(leg(), q({ bid: 300, ask: 320 }))).toBe('OK'); // 20 abs, 6.45 % rel
    expect(code(leg(), q({ bid: 300, ask: 320.05 }))).toBe('SPREAD_TOO_WIDE');
    expect(code(leg(), q({ bid: 1.9, ask: 2.1 }))).toBe('OK'); // 10 % of mid 2.0
    expect(code(leg(), q({ bid: 1.9, ask: 2.15 }))).toBe('SPREAD_TOO_WIDE');
  });

  it('crossed and locked books refuse; float32 noise does not lock a one-paisa spread', () => {
    expect(code(leg(), q({ bid: 100.5, ask: 100.5 }))).toBe('CROSSED_QUOTE');
    expect(code(leg(), q({ bid: 100.55, ask: 100.5 }))).toBe('CROSSED_QUOTE');
    expect(code(leg(), q({ bid: Math.fround(100.05), ask: Math.fround(100.1) }))).toBe('OK');
  });

  it('liquidity: displayed quantity equal to the order fills; the side taken is the one checked', () => {
    expect(code(leg(), q({ askQty: 65, bidQty: 0 }))).toBe('OK');
    expect(code(leg(), q({ askQty: 64 }))).toBe('INSUFFICIENT_LIQUIDITY');
    expect(code(leg({ side: 'SELL' }), q({ askQty: 0, bidQty: 65 }))).toBe('OK');
    expect(code(leg({ side: 'SELL' }), q({ bidQty: Number.NaN }))).toBe('INSUFFICIENT_LIQUIDITY');
  });

  it('freeze quantity and band: the edges pass', () => {
    expect(code(leg({ lots: 27 }), q({ askQty: 5000 }))).toBe('OK'); // 1755 ≤ 1756
    expect(code(leg({ lots: 28 }), q({ askQty: 5000 }))).toBe('INVALID_QUANTITY');
    expect(code(leg({ type: 'LIMIT', limitPrice: 500 }), q())).toBe('OK');
    expect(code(leg({ type: 'LIMIT', limitPrice: 500.05 }), q())).toBe('PRICE_OUTSIDE_BAND');
    expect(code(leg({ side: 'SELL', type: 'LIMIT', limitPrice: 0.05 }), q())).toBe('OK');
    expect(code(leg({ side: 'SELL', type: 'LIMIT', limitPrice: 0.04 }), q())).toBe('PRICE_OUTSIDE_BAND');
  });

  it('fills at the touch in rupees to the paise', () => {
    const [buy] = run(leg(), q({ bid: Math.fround(152.1), ask: Math.fround(152.8) }));
    expect(buy!.price).toBe(152.8);
    const [sell] = run(leg({ side: 'SELL' }), q({ bid: Math.fround(152.1), ask: Math.fround(152.8) }));
    expect(sell!.price).toBe(152.1);
    expect(sell!.quantity).toBe(65);
  });
});
