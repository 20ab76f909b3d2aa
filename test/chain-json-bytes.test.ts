import { describe, expect, it } from 'vitest';
import { compileLiteral, patchUint, writeIntField, writePriceField } from '../src/chain/json-bytes.js';
import { roundInt } from '../src/chain/quote-rounding.js';
import { roundPaise } from '../src/util/round-paise.js';
import { rng } from './chain-encoder.case.js';

const out = new Uint8Array(64);
const text = (end: number): string => Buffer.from(out.subarray(0, end)).toString('latin1');
const price = (x: number): string => text(writePriceField(out, 0, x));
const int = (x: number): string => text(writeIntField(out, 0, x));

describe('JSON number writing', () => {
  it('prints prices exactly as JSON.stringify(roundPaise(x)) over random float32 paise values and edge cases', () => {
    const r = rng(7);
    const edge = [0, -0, 0.05, 0.1, 1, 9.99, 10, 99.95, 100, 152.3, 152.35, 1e9 - 0.01, 1e9, 123456789.12, 4503599627370.49, -0.004, -0.005, -1.5, -152.3, 0.004, 0.005, 1.005];
    const values = [...edge, ...edge.map(Math.fround)];
    for (let i = 0; i < 20000; i++) values.push(Math.fround(Math.round(r() * 10 ** (1 + Math.floor(r() * 8)) * 20) / 20) * (r() < 0.05 ? -1 : 1));
    for (const x of values) expect(price(x), String(x)).toBe(JSON.stringify(roundPaise(x)));
  });

  it('prints integers exactly as JSON.stringify(roundInt(x)), including 13-digit milliseconds', () => {
    const r = rng(8);
    const values = [0, -0, 1, 9, 10, 99, 100, 999999999, 1e9, 1e9 + 1, 1786000000, 1786000000099, 2 ** 53 - 1, -1, -1786000000099, 0.5, 1.49, -0.5];
    for (let i = 0; i < 20000; i++) values.push(Math.floor(r() * 10 ** (1 + Math.floor(r() * 15))));
    for (const x of values) expect(int(x), String(x)).toBe(JSON.stringify(roundInt(x)));
  });

  it('writes null for NaN and for values JSON cannot carry', () => {
    expect(price(Number.NaN)).toBe('null');
    expect(int(Number.NaN)).toBe('null');
    expect(int(Number.POSITIVE_INFINITY)).toBe('null');
    expect(price(Number.NEGATIVE_INFINITY)).toBe('null');
    expect(JSON.parse(int(2 ** 60))).toBe(2 ** 60);
    expect(JSON.parse(price(1e20))).toBe(1e20);
  });

  it('compiles literals and patches digits only at the same width', () => {
    const end = compileLiteral(',"bidQty":')(out, 3);
    expect(end).toBe(13);
    expect(text(13).slice(3)).toBe(',"bidQty":');
    writeIntField(out, 0, 1786000000123);
    expect(patchUint(out, 0, 1786000000999, 13)).toBe(true);
    expect(text(13)).toBe('1786000000999');
    expect(patchUint(out, 0, 999, 13)).toBe(false);
    expect(patchUint(out, 0, 1.5, 1)).toBe(false);
  });
});
