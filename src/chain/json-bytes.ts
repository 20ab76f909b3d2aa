/**
 * Byte-level JSON writing primitives for the hot chain encoder: every function writes ASCII
 * into `out` at `pos` and returns the new position. The caller guarantees capacity
 * ({@link MAX_NUMBER_BYTES} per number).
 *
 * Why not strings: a 250-row chain has ~5,000 numbers. `String(x)` costs 60–300 ns per
 * double here and JSON.stringify of plain objects ~4× our budget (measured while writing
 * bench/chain-build.bench.mjs); integer digit loops over a reused Uint8Array, with two
 * digits per division, cost a few ns per digit.
 *
 * @module
 */
import { roundPaise } from '../util/round-paise.js';

import { POW10, sigDecimals } from './quote-rounding.js';

const enc = new TextEncoder();

/** Upper bound of the bytes one number (or `null`) takes: sign, 16 digits, point, 2 decimals, or String(x) ≤ 24. */
export const MAX_NUMBER_BYTES = 25;

/** "00".."99" as byte pairs: two digits per division halves the dependency chain. */
const DIGIT_PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGIT_PAIRS[2 * i] = 48 + Math.floor(i / 10);
  DIGIT_PAIRS[2 * i + 1] = 48 + (i % 10);
}

/** A function that writes one fixed ASCII literal. */
export type LiteralWriter = (out: Uint8Array, pos: number) => number;

/**
 * Compiles a constant literal (a JSON key such as `,"bidQty":`) into straight-line byte
 * stores. Only ever called with the encoder's own constant keys, never with request data.
 * Measured: a 250-row chain went from ~172 µs to ~130 µs against a byte-copy loop, because
 * the stores need no loads and no loop.
 */
export function compileLiteral(text: string): LiteralWriter {
  const bytes = enc.encode(text);
  let body = '';
  for (let i = 0; i < bytes.length; i++) body += `out[pos+${i}]=${bytes[i]};`;
  return new Function('out', 'pos', `${body}return pos+${bytes.length};`) as LiteralWriter;
}

/** UTF-8 bytes of a string (for per-chain templates built once). */
export function utf8(text: string): Uint8Array {
  return enc.encode(text);
}

/**
 * Copies `bytes`. Measured crossover: a byte loop wins below ~12 bytes, the native `set`
 * above (a 60-byte row head: 16 ns with `set`, 75 ns with the loop).
 */
export function writeBytes(out: Uint8Array, pos: number, bytes: Uint8Array): number {
  const n = bytes.length;
  if (n > 12) {
    out.set(bytes, pos);
    return pos + n;
  }
  for (let i = 0; i < n; i++) out[pos + i] = bytes[i]!;
  return pos + n;
}

/** `null`. */
export function writeNull(out: Uint8Array, pos: number): number {
  out[pos] = 110;
  out[pos + 1] = 117;
  out[pos + 2] = 108;
  out[pos + 3] = 108;
  return pos + 4;
}

/** Decimal digits of an integer 0 ≤ n < 1e16. */
export function digitCount(n: number): number {
  if (n < 1e8) {
    if (n < 1e4) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : 4;
    return n < 1e5 ? 5 : n < 1e6 ? 6 : n < 1e7 ? 7 : 8;
  }
  let d = 9;
  for (let p = 1e9; n >= p && d < 16; p *= 10) d++;
  return d;
}

/**
 * Integer 0 ≤ n < 1e9. `| 0` first: on int32 values V8 divides by the constant 100 with a
 * multiply-shift instead of a float division (measured 25–30% faster per number).
 */
function writeSmall(out: Uint8Array, pos: number, value: number): number {
  let n = value | 0;
  const end = pos + digitCount(n);
  let p = end;
  while (n >= 100) {
    const q = (n / 100) | 0;
    const r = (n - q * 100) << 1;
    out[--p] = DIGIT_PAIRS[r + 1]!;
    out[--p] = DIGIT_PAIRS[r]!;
    n = q;
  }
  if (n >= 10) {
    out[--p] = DIGIT_PAIRS[(n << 1) + 1]!;
    out[--p] = DIGIT_PAIRS[n << 1]!;
  } else {
    out[--p] = 48 + n;
  }
  return end;
}

/** Integer 0 ≤ n ≤ 2^53 (ms timestamps are 13 digits: split at 1e9 to stay in int32 arithmetic). */
export function writeUint(out: Uint8Array, pos: number, n: number): number {
  if (n < 1e9) return writeSmall(out, pos, n);
  const hi = Math.floor(n / 1e9);
  let lo = (n - hi * 1e9) | 0;
  pos = writeSmall(out, pos, hi);
  let p = pos + 9;
  for (let i = 0; i < 4; i++) {
    const q = (lo / 100) | 0;
    const r = (lo - q * 100) << 1;
    out[--p] = DIGIT_PAIRS[r + 1]!;
    out[--p] = DIGIT_PAIRS[r]!;
    lo = q;
  }
  out[--p] = 48 + lo;
  return pos + 9;
}

/** Rare values (beyond 2^53 or not finite): JSON has no Infinity, so those become null. */
function writeSlow(out: Uint8Array, pos: number, x: number): number {
  if (!Number.isFinite(x)) return writeNull(out, pos);
  const s = String(x);
  for (let i = 0; i < s.length; i++) out[pos + i] = s.charCodeAt(i);
  return pos + s.length;
}

/** An integer field: NaN → `null`, else Math.round (see quote-rounding.ts). */
export function writeIntField(out: Uint8Array, pos: number, x: number): number {
  if (x !== x) return writeNull(out, pos);
  let n = Math.round(x);
  if (n < 0) {
    if (n > -9007199254740992) {
      out[pos++] = 45;
      n = -n;
    } else return writeSlow(out, pos, n);
  }
  return n <= 9007199254740991 ? writeUint(out, pos, n) : writeSlow(out, pos, n);
}

/**
 * A price field: NaN → `null`, else rounded to 2 dp and printed shortest, exactly as
 * `String(roundPaise(x))` would (152.3, 152.35, 152) — proved by test over random values.
 */
export function writePriceField(out: Uint8Array, pos: number, x: number): number {
  if (x !== x) return writeNull(out, pos);
  let p = Math.round(x * 100);
  if (!(p <= 9007199254740991 && p >= -9007199254740991)) return writeSlow(out, pos, roundPaise(x));
  if (p < 0) {
    out[pos++] = 45;
    p = -p;
  }
  const i = Math.floor(p / 100);
  const f = (p - i * 100) | 0;
  pos = writeUint(out, pos, i);
  if (f !== 0) {
    out[pos++] = 46;
    out[pos++] = DIGIT_PAIRS[f << 1]!;
    if (f % 10 !== 0) out[pos++] = DIGIT_PAIRS[(f << 1) + 1]!;
  }
  return pos;
}

/** Overwrites exactly `width` digits at `pos` (in-place servedAt patch); false if `n` has another width. */
export function patchUint(out: Uint8Array, pos: number, n: number, width: number): boolean {
  if (!Number.isSafeInteger(n) || n < 0 || digitCount(n) !== width) return false;
  writeUint(out, pos, n);
  return true;
}

/**
 * Writes `s / 10^dec` for an integer `s` ≥ 0 (negative when `neg`), shortest: trailing zeros
 * of the fraction dropped. The text parses to exactly `s / 10^dec` (both exact doubles, one
 * correctly rounded division), which is what roundSig / roundFixed return.
 */
function writeScaled(out: Uint8Array, pos: number, neg: boolean, s: number, dec: number): number {
  if (!(s <= 9007199254740991)) return writeSlow(out, pos, (neg ? -s : s) / POW10[dec]!);
  if (s === 0) {
    out[pos] = 48;
    return pos + 1;
  }
  if (neg) out[pos++] = 45;
  if (dec === 0) return writeUint(out, pos, s);
  const p = POW10[dec]!;
  const ip = Math.floor(s / p);
  let frac = s - ip * p;
  pos = writeUint(out, pos, ip);
  if (frac === 0) return pos;
  while (frac % 10 === 0) {
    frac /= 10;
    dec--;
  }
  out[pos++] = 46;
  for (let z = dec - digitCount(frac); z > 0; z--) out[pos++] = 48;
  return writeUint(out, pos, frac);
}

/** IV and Greeks: NaN → `null`, else `x` to `sig` significant digits, exactly `roundSig(x, sig)`. */
export function writeSigField(out: Uint8Array, pos: number, x: number, sig: number): number {
  if (x !== x) return writeNull(out, pos);
  if (x === 0) return writeScaled(out, pos, false, 0, 0);
  const a = x < 0 ? -x : x;
  const dec = sigDecimals(a, sig);
  const s = Math.round(a * POW10[dec]!);
  return writeScaled(out, pos, x < 0 && s !== 0, s, dec);
}

/** NaN → `null`, else `x` to `dec` decimal places, exactly `roundFixed(x, dec)`. */
export function writeFixedField(out: Uint8Array, pos: number, x: number, dec: number): number {
  if (x !== x) return writeNull(out, pos);
  const a = x < 0 ? -x : x;
  const s = Math.round(a * POW10[dec]!);
  return writeScaled(out, pos, x < 0 && s !== 0, s, dec);
}
