import { describe, expect, it } from 'vitest';
import { compileLiteral, patchUint, writeFixedField, writeIntField, writePriceField, writeSigField } from '../src/chain/json-bytes.js';
import { roundFixed, roundInt, roundSig } from '../src/chain/quote-rounding.js';
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

  it('prints IV and Greeks to 6 significant digits (whole numbers from a million up): JSON.parse of the text is exactly roundSig(x), within 5e-6 relative, plain decimals', () => {
    const r = rng(9);
    const edge = [0, -0, 1, -1, 9.999995, 9.9999949, 0.1, 0.5, 18.5, 1e-9, 1.23456789e-7, 123456.5, 999999.5, 1234567.89, 99.99995, -0.000123456789, 5e-17, 1e-16];
    const values = [...edge];
    for (let i = 0; i < 40000; i++) values.push((r() < 0.5 ? -1 : 1) * r() * 10 ** Math.floor(r() * 24 - 16));
    for (const x of values) {
      const t = text(writeSigField(out, 0, x, 6));
      expect(t, String(x)).toMatch(/^-?\d+(\.\d*[1-9])?$/);
      const back = JSON.parse(t) as number;
      expect(back, `${x} → ${t}`).toBe(roundSig(x, 6));
      if (Math.abs(x) >= 1e-16) expect(Math.abs(back - x), `${x} → ${t}`).toBeLessThanOrEqual(Math.abs(x) * 5.000001e-6);
      // Values of a million and more keep all their integer digits (more than 6 significant).
      // An exact decimal tie (99.99995) may round either way: one unit of the 6th digit apart at most.
      if (Math.abs(x) >= 1e-16 && Math.abs(x) < 999999.5) {
        const unit = 10 ** (Math.floor(Math.log10(Math.abs(x))) - 5);
        expect(Math.abs(back - Number(x.toPrecision(6))), `${x}: toPrecision ${x.toPrecision(6)} vs ${t}`).toBeLessThanOrEqual(unit * 1.000001);
      }
    }
    expect(text(writeSigField(out, 0, 0.000812345678, 6))).toBe('0.000812346');
    expect(text(writeSigField(out, 0, -4.2, 6))).toBe('-4.2');
    expect(text(writeSigField(out, 0, Number.NaN, 6))).toBe('null');
  });

  it('prints fixed-decimal values (the IV price, the forward) exactly as roundFixed', () => {
    const r = rng(10);
    const values = [0, 0.025, 152.125, 152.3000030517578, -3.0005, 24410.5, 1e-4];
    for (let i = 0; i < 20000; i++) values.push((r() < 0.1 ? -1 : 1) * Math.round(r() * 10 ** Math.floor(r() * 8) * 40) / 40);
    for (const x of values) {
      const t = text(writeFixedField(out, 0, x, 3));
      expect(JSON.parse(t), `${x} → ${t}`).toBe(roundFixed(x, 3));
      expect(Math.abs(JSON.parse(t) - x)).toBeLessThanOrEqual(0.0005 + 1e-9 * Math.abs(x));
    }
    expect(text(writeFixedField(out, 0, 152.125, 3))).toBe('152.125');
    expect(text(writeFixedField(out, 0, 152.3000030517578, 3))).toBe('152.3');
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
