/**
 * Record splitter for the instrument master, on the file's bytes. The detailed master is
 * ~250–360k plain lines with no quotes at all (docs/dhan-protocol.md §1.3): the common line is
 * scanned once for its commas into a reused {@link RecordView} (field offsets, no strings, no
 * arrays per row), and the caller decodes only the fields it keeps. Any line that contains a
 * quote — or a quoted field spanning lines — goes to csv-parse, the well-kept parser, record
 * by record, and its fields are re-encoded into the same view.
 *
 * Why bytes and not one decoded string: the string version's 7th parse of the same 40 MB
 * master in one process stalled for minutes inside `memchr` (V8 String#indexOf on a huge
 * one-byte string after re-optimisation; measured, bench/RESULTS.md 2026-12-03 16:00), and a
 * server re-parses at every rollover. `Buffer#indexOf` on bytes and a plain byte loop cannot
 * take that path; bench/master-parse.bench.mjs runs the parse repeatedly in one process.
 *
 * @module
 */
import { parse } from 'csv-parse/sync';

/**
 * One record's field boundaries, reused from record to record (read it inside the callback,
 * never keep it). Field `i` is `bytes[starts[i], ends[i])`, decoded as UTF-8 when `utf8`, else
 * latin1 (identical for the ASCII real file, and much cheaper).
 */
export interface RecordView {
  bytes: Buffer;
  utf8: boolean;
  /** Fields in the record. */
  count: number;
  starts: Int32Array;
  ends: Int32Array;
  /** 1-based line the record started on. */
  line: number;
  /** The record went through csv-parse (it held a quote). */
  quoted: boolean;
}

/** What the splitter could not read. */
export interface CsvProblem {
  readonly line: number;
  readonly reason: string;
}

const NL = 10;
const CR = 13;
const COMMA = 44;
const QUOTE = 34;

function countQuotes(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i !== -1; i = s.indexOf('"', i + 1)) n++;
  return n;
}

function makeView(bytes: Buffer, utf8: boolean): RecordView {
  return { bytes, utf8, count: 0, starts: new Int32Array(64), ends: new Int32Array(64), line: 0, quoted: false };
}

function grow(view: RecordView): void {
  const starts = new Int32Array(view.starts.length * 2);
  const ends = new Int32Array(view.ends.length * 2);
  starts.set(view.starts);
  ends.set(view.ends);
  view.starts = starts;
  view.ends = ends;
}

/** Text of field `i`, or undefined when the record has fewer fields. */
export function fieldText(view: RecordView, i: number): string | undefined {
  if (i < 0 || i >= view.count) return undefined;
  return view.bytes.toString(view.utf8 ? 'utf8' : 'latin1', view.starts[i], view.ends[i]);
}

/** Field `i` holds exactly the ASCII `bytes`. */
export function fieldIs(view: RecordView, i: number, bytes: Uint8Array): boolean {
  if (i < 0 || i >= view.count) return false;
  const s = view.starts[i]!;
  if (view.ends[i]! - s !== bytes.length) return false;
  const b = view.bytes;
  for (let k = 0; k < bytes.length; k++) if (b[s + k] !== bytes[k]) return false;
  return true;
}

/** Field `i` contains the ASCII `bytes` somewhere. */
export function fieldContains(view: RecordView, i: number, bytes: Uint8Array): boolean {
  if (i < 0 || i >= view.count) return false;
  const b = view.bytes;
  const last = view.ends[i]! - bytes.length;
  for (let p = view.starts[i]!; p <= last; p++) {
    let k = 0;
    while (k < bytes.length && b[p + k] === bytes[k]) k++;
    if (k === bytes.length) return true;
  }
  return false;
}

/**
 * Calls `onRecord` for every non-empty record of `bytes` in order (the first is the header),
 * `onProblem` for every record that cannot be parsed (an unterminated quote, bad quoting).
 * Never throws unless a callback does. A UTF-8 byte-order mark is skipped.
 */
export function forEachCsvRecord(bytes: Buffer, utf8: boolean, onRecord: (rec: RecordView) => void, onProblem: (p: CsvProblem) => void): void {
  const n = bytes.length;
  const view = makeView(bytes, utf8);
  let pos = n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let lineNo = 0;
  // Position of the next quote in the whole file, found once and moved forward only when
  // passed, so deciding "this line has no quote" costs O(1).
  let nextQuote = bytes.indexOf(QUOTE, pos);
  while (pos < n) {
    let end = bytes.indexOf(NL, pos);
    if (end === -1) end = n;
    lineNo++;
    const startLine = lineNo;
    if (nextQuote !== -1 && nextQuote < pos) nextQuote = bytes.indexOf(QUOTE, pos);
    const lineEnd = end > pos && bytes[end - 1] === CR ? end - 1 : end;
    if (lineEnd === pos) {
      pos = end + 1;
      continue;
    }
    if (nextQuote === -1 || nextQuote >= lineEnd) {
      view.bytes = bytes;
      view.utf8 = utf8;
      view.quoted = false;
      view.line = startLine;
      let starts = view.starts;
      let ends = view.ends;
      let f = 0;
      starts[0] = pos;
      for (let p = pos; p < lineEnd; p++) {
        if (bytes[p] === COMMA) {
          ends[f] = p;
          if (++f === starts.length) {
            grow(view);
            starts = view.starts;
            ends = view.ends;
          }
          starts[f] = p + 1;
        }
      }
      ends[f] = lineEnd;
      view.count = f + 1;
      onRecord(view);
      pos = end + 1;
      continue;
    }
    const enc = utf8 ? 'utf8' : 'latin1';
    let joined = bytes.toString(enc, pos, lineEnd);
    pos = end + 1;
    // A quoted field may hold a newline: keep joining lines while the quote count is odd
    // (bounded, so one stray quote cannot swallow the rest of the file).
    let extra = 0;
    while (countQuotes(joined) % 2 === 1 && pos < n && extra < 4) {
      let e2 = bytes.indexOf(NL, pos);
      if (e2 === -1) e2 = n;
      const next = bytes.toString(enc, pos, e2);
      // Only join when the next line closes the quote; otherwise the stray quote is this line's problem.
      if (countQuotes(next) % 2 === 0) break;
      joined += `\n${next.endsWith('\r') ? next.slice(0, -1) : next}`;
      pos = e2 + 1;
      lineNo++;
      extra++;
    }
    let fields: string[];
    try {
      const recs = parse(joined, { relax_column_count: true, relax_quotes: false, skip_empty_lines: true }) as string[][];
      if (recs.length !== 1) {
        onProblem({ line: startLine, reason: `expected one record, found ${recs.length}` });
        continue;
      }
      fields = recs[0]!;
    } catch (err) {
      onProblem({ line: startLine, reason: (err as Error).message.replace(/\s+/g, ' ').slice(0, 120) });
      continue;
    }
    // The quoted record's fields, re-encoded so the caller reads every record the same way.
    const scratch = Buffer.from(fields.join(''), 'utf8');
    view.bytes = scratch;
    view.utf8 = true;
    view.quoted = true;
    view.line = startLine;
    while (view.starts.length < fields.length) grow(view);
    let at = 0;
    for (let i = 0; i < fields.length; i++) {
      view.starts[i] = at;
      at += Buffer.byteLength(fields[i]!, 'utf8');
      view.ends[i] = at;
    }
    view.count = fields.length;
    onRecord(view);
  }
}
