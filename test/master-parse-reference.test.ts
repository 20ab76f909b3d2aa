/**
 * The byte-level parser (src/master/csv-lines.ts, parse-master.ts) gives exactly what the
 * string-based parser before it gave — same instruments in the same order, field for field,
 * same counts — on whole synthetic masters at both sizes, and on a master salted with the
 * awkward lines real files and hand edits produce (quotes, CRLF, BOM, short rows, TEST rows,
 * blank optional values, non-ASCII names). Its numbers equal `Number(text)` bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { parseMaster } from '../src/master/parse-master.js';
import { fieldNumber } from '../src/master/field-number.js';
import type { RecordView } from '../src/master/csv-lines.js';
import { generateMaster } from '../src/synthetic-master/synthetic-master.js';
import { referenceParseMaster } from './helpers/reference-master-parser.js';

function same(input: Buffer | string): void {
  const a = parseMaster(input);
  const b = referenceParseMaster(input);
  expect(a.instruments.length).toBe(b.instruments.length);
  expect(a.instruments).toEqual(b.instruments);
  // bytes: the file's length (the string parser counted the UTF-8 length of its decoded text,
  // which differs for a non-UTF-8 file).
  expect(a.stats.bytes).toBe(typeof input === 'string' ? Buffer.byteLength(input) : input.length);
  const { parseMs: _a, bytes: _c, ...statsA } = a.stats;
  const { parseMs: _b, bytes: _d, ...statsB } = b.stats;
  expect(statsA).toEqual(statsB);
}

describe('byte-level master parser against the string parser before it', () => {
  it('agrees on the real-size synthetic master (2026-03-23, ~112k contracts)', () => {
    const g = generateMaster('2026-03-23', { universe: 'real' });
    same(g.buffer);
  });

  it('agrees on the compact synthetic master, as a Buffer and as a string', () => {
    const g = generateMaster('2026-08-17', { universe: 'compact' });
    same(g.buffer);
    same(g.csv.slice(0, 2_000_000));
  });

  it('agrees on awkward lines: quotes, CRLF, BOM, short rows, TEST, blanks, non-ASCII', () => {
    const g = generateMaster('2026-08-17', { universe: 'compact' });
    const lines = g.csv.split('\n').filter((l) => l.startsWith('NSE,D,') || l.startsWith('NSE,E,') || l.startsWith('NSE,I,') || l.startsWith('MCX,')).slice(0, 3000);
    const header = g.csv.slice(0, g.csv.indexOf('\n'));
    const out = [header];
    lines.forEach((l, i) => {
      const f = l.split(',');
      switch (i % 23) {
        case 1: f[8] = `"${f[8]}, ""quoted"""`; break; // DISPLAY_NAME with comma and quotes
        case 2: f[29] = ''; f[31] = ' '; break; // blank band / freeze
        case 3: f[13] = ' 24500 '; break; // STRIKE_PRICE with spaces (Number tolerates them)
        case 4: f[11] = '1e2'; break; // LOT_SIZE with an exponent
        case 5: f[6] = `${f[6]}TEST`; break;
        case 6: f.length = 10; break; // short row
        case 7: f[8] = 'Bajaj Auto – ₹ée'; break; // non-ASCII display name
        case 8: f[13] = '-50'; break;
        case 9: f[12] = '18/08/2026'; break;
        case 10: f[14] = 'XX'; break;
        case 11: f[2] = '0x1F'; break;
        case 12: f[13] = '24500.000000000000001'; break; // more digits than the fast path takes
        case 13: f[29] = '.5'; f[30] = '5.'; break;
        case 14: f[8] = `"line one\nline two"`; break; // quoted newline
        case 15: f[2] = '"unterminated'; break;
      }
      out.push(f.join(','));
    });
    const csv = out.join('\r\n') + '\r\n\r\n';
    same(csv);
    same(Buffer.from(`\uFEFF${csv}`, 'utf8'));
    same(Buffer.from(csv, 'latin1'));
  });

  it('reads numbers from bytes exactly as Number(text) does', () => {
    const texts = ['0', '-0', '1', '007', '24500.00000', '5.0000', '0.05', '.5', '5.', '-.5', '.', '-', '1e3', ' 1', '1 ', '+1', '0x10', 'Infinity', '1.2.3', '123456789012345', '1234567890123456', '0.000000000000001', '0.0000000000000001', '9007199254740993', '12,5'];
    const rnd = (n: number): number => Math.floor(Math.random() * n);
    for (let i = 0; i < 20_000; i++) {
      const int = String(rnd(10 ** (1 + rnd(9))));
      const frac = rnd(3) === 0 ? '' : `.${String(rnd(10 ** (1 + rnd(7)))).padStart(1 + rnd(6), '0')}`;
      texts.push(`${rnd(5) === 0 ? '-' : ''}${int}${frac}`);
    }
    for (const t of texts) {
      const bytes = Buffer.from(t, 'latin1');
      const view: RecordView = { bytes, utf8: false, count: 1, starts: Int32Array.of(0), ends: Int32Array.of(bytes.length), line: 1, quoted: false };
      const got = fieldNumber(view, 0);
      const want = Number(t);
      if (t === '') expect(got).toBe('');
      else if (Number.isFinite(want)) expect(Object.is(got, want), `${JSON.stringify(t)} → ${String(got)}, Number gives ${want}`).toBe(true);
      else expect(got).toBe(t);
    }
  });
});
