/**
 * Numbers read straight from a master field's bytes, equal to `Number(text)` bit for bit.
 *
 * The fast path takes `-?digits[.digits]` with at most 15 significant digits: the digits form
 * an integer below 2^53 and the divisor 10^k (k ≤ 15) is exact, so one IEEE division is the
 * correctly rounded value of the decimal, which is what `Number` returns (Clinger's fast path).
 * Anything else (exponents, spaces, signs, long fractions) is decoded and given to `Number`.
 *
 * @module
 */
import { fieldText, type RecordView } from './csv-lines.js';

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const MAX_DIGITS = 15;

/** NaN: the fast path does not apply (not a plain decimal). */
function plainDecimal(b: Buffer, s: number, e: number): number {
  let p = s;
  const neg = b[p] === 45;
  if (neg) p++;
  let m = 0;
  let digits = 0;
  let frac = 0;
  let dot = false;
  for (; p < e; p++) {
    const c = b[p]!;
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      if (m !== 0 || dot) digits++;
      if (dot) frac++;
    } else if (c === 46 && !dot) {
      dot = true;
    } else return NaN;
  }
  if (digits > MAX_DIGITS || frac > MAX_DIGITS) return NaN;
  const start = neg ? s + 1 : s;
  // At least one digit: "", "-", "." and "-." are not numbers.
  if (e - start === (dot ? 1 : 0)) return NaN;
  const v = frac === 0 ? m : m / POW10[frac]!;
  return neg ? -v : v;
}

/**
 * The value of field `i` as `Number(text)` would give it; `undefined` when the field is absent,
 * `''` when it is empty, the decoded text when it is not a finite number (for the error).
 */
export function fieldNumber(view: RecordView, i: number): number | string | undefined {
  if (i < 0 || i >= view.count) return undefined;
  const s = view.starts[i]!;
  const e = view.ends[i]!;
  if (s === e) return '';
  const fast = plainDecimal(view.bytes, s, e);
  if (!Number.isNaN(fast)) return fast;
  const text = fieldText(view, i)!;
  const v = Number(text);
  return Number.isFinite(v) ? v : text;
}
