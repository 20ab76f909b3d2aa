import { describe, expect, it } from 'vitest';
import { dueTradingDate, tradingDateFor } from '../src/time/trading-date.js';
import { istTime } from '../src/time/ist.js';

describe('trading date and rollover', () => {
  it('serves today when it trades, else the next trading day', () => {
    expect(tradingDateFor(istTime('2026-08-17', 10, 0))).toBe('2026-08-17'); // Monday
    expect(tradingDateFor(istTime('2026-08-15', 10, 0))).toBe('2026-08-17'); // Saturday
    expect(tradingDateFor(istTime('2026-11-24', 10, 0))).toBe('2026-11-25'); // Guru Nanak holiday
    expect(tradingDateFor(istTime('2026-11-08', 18, 0))).toBe('2026-11-08'); // Muhurat Sunday
  });

  it('rolls over to the next trading day at 08:30 IST, never backwards', () => {
    expect(dueTradingDate('2026-08-17', istTime('2026-08-17', 23, 0))).toBe('2026-08-17');
    expect(dueTradingDate('2026-08-17', istTime('2026-08-18', 8, 0))).toBe('2026-08-17');
    expect(dueTradingDate('2026-08-17', istTime('2026-08-18', 8, 30))).toBe('2026-08-18');
    expect(dueTradingDate('2026-08-14', istTime('2026-08-16', 12, 0))).toBe('2026-08-17');
    expect(dueTradingDate('2026-08-18', istTime('2026-08-17', 12, 0))).toBe('2026-08-18');
  });
});
