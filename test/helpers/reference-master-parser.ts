/**
 * The master parser as it was before the byte-level rewrite (commit 1bbf880,
 * src/master/csv-lines.ts + parse-master.ts, string-based), kept verbatim as the oracle the
 * new parser must agree with on whole synthetic masters (test/master-parse-reference.test.ts).
 * Not used by the product.
 */
import { isAscii } from 'node:buffer';
import { parse } from 'csv-parse/sync';
import { ErrorCodes, MasterError } from '../../src/errors.js';
import { segmentFromMaster } from '../../src/dhan/segments.js';
import type { Instrument, MasterStats, ParsedMaster } from '../../src/master/instrument.js';
import { indexHeader, type ColumnIndex } from '../../src/master/parse-master.js';


/** A record and the 1-based line it started on. */
interface CsvRecord {
  readonly fields: string[];
  readonly line: number;
}

/** What the splitter could not read. */
interface CsvProblem {
  readonly line: number;
  readonly reason: string;
}

function countQuotes(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i !== -1; i = s.indexOf('"', i + 1)) n++;
  return n;
}

/**
 * Calls `onRecord` for every non-empty record of `text` in order, `onProblem` for every
 * record that cannot be parsed (an unterminated quote, bad quoting). Never throws.
 * `skipLine(text, start, end)` may claim an unquoted data line before it is sliced or split (the
 * caller counts it); it saves splitting the ~200k master lines the skeleton never uses.
 */
function forEachCsvRecord(
  text: string,
  onRecord: (rec: CsvRecord) => void,
  onProblem: (p: CsvProblem) => void,
  skipLine?: (text: string, start: number, end: number, lineNo: number) => boolean,
): void {
  const n = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineNo = 0;
  // Position of the next quote in the whole text, found once and moved forward only when
  // passed, so deciding "this line has no quote" costs O(1) (no per-line scan of the rest).
  let nextQuote = text.indexOf('"', pos);
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = n;
    lineNo++;
    const startLine = lineNo;
    if (nextQuote !== -1 && nextQuote < pos) nextQuote = text.indexOf('"', pos);
    let lineEnd = end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (lineEnd === pos) {
      pos = end + 1;
      continue;
    }
    if (nextQuote === -1 || nextQuote >= lineEnd) {
      if (lineNo > 1 && skipLine !== undefined && skipLine(text, pos, lineEnd, startLine)) {
        pos = end + 1;
        continue;
      }
      onRecord({ fields: text.slice(pos, lineEnd).split(','), line: startLine });
      pos = end + 1;
      continue;
    }
    let joined = text.slice(pos, lineEnd);
    pos = end + 1;
    // A quoted field may hold a newline: keep joining lines while the quote count is odd
    // (bounded, so one stray quote cannot swallow the rest of the file).
    let extra = 0;
    while (countQuotes(joined) % 2 === 1 && pos < n && extra < 4) {
      let e2 = text.indexOf('\n', pos);
      if (e2 === -1) e2 = n;
      const next = text.slice(pos, e2);
      // Only join when the next line closes the quote; otherwise the stray quote is this line's problem.
      if (countQuotes(next) % 2 === 0) break;
      joined += `\n${next.endsWith('\r') ? next.slice(0, -1) : next}`;
      pos = e2 + 1;
      lineNo++;
      extra++;
    }
    lineEnd = 0;
    try {
      const recs = parse(joined, { relax_column_count: true, relax_quotes: false, skip_empty_lines: true }) as string[][];
      if (recs.length !== 1) onProblem({ line: startLine, reason: `expected one record, found ${recs.length}` });
      else onRecord({ fields: recs[0]!, line: startLine });
    } catch (err) {
      onProblem({ line: startLine, reason: (err as Error).message.replace(/\s+/g, ' ').slice(0, 120) });
    }
  }
}

const MAX_EXAMPLES = 20;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Sentinel returned by the row converter for a malformed row. */
class RowProblem {
  constructor(readonly reason: string) {}
}

function num(text: string | undefined, column: string, required: boolean): number | RowProblem {
  if (text === undefined || text === '') return required ? new RowProblem(`${column} empty`) : 0;
  const v = Number(text);
  return Number.isFinite(v) ? v : new RowProblem(`${column} not a number: ${JSON.stringify(text.slice(0, 20))}`);
}

/**
 * An optional value: absent column, empty or unreadable field → null (unknown), counted per
 * column for option rows. A real 2026-03 master has no band or freeze columns at all (issue 16
 * §4); reading that as 0 silently turned checks off. An unreadable band is no reason to drop a
 * listed strike (anti-drift: never reduce strikes).
 */
function optionalNum(r: string[], at: number, column: string, stats: MasterStats, option: boolean): number | null {
  if (at < 0) return null;
  const text = r[at];
  const v = text === undefined || text.trim() === '' ? NaN : Number(text);
  if (Number.isFinite(v)) return v;
  if (option) stats.unknownOptionalValues[column] = (stats.unknownOptionalValues[column] ?? 0) + 1;
  return null;
}

/** Instruments whose rows we keep. */
function keepKind(instrument: string, letter: string): 'option' | 'index' | 'equity' | null {
  if (letter === 'D' && (instrument === 'OPTIDX' || instrument === 'OPTSTK')) return 'option';
  if (letter === 'I') return 'index';
  if (letter === 'E' && instrument === 'EQUITY') return 'equity';
  return null;
}

function convertRow(r: string[], idx: ColumnIndex, stats: MasterStats): Instrument | RowProblem | null {
  const exchange = r[idx.EXCH_ID];
  const letter = r[idx.SEGMENT];
  if (exchange === undefined || letter === undefined || r.length <= idx.EXPIRY_FLAG) return new RowProblem(`row has ${r.length} fields`);
  const instrument = r[idx.INSTRUMENT]!;
  const underlyingSymbol = r[idx.UNDERLYING_SYMBOL]!;
  const symbolName = r[idx.SYMBOL_NAME]!;
  if (underlyingSymbol.includes('TEST') || symbolName.includes('TEST')) {
    stats.test++;
    return null;
  }
  const kind = keepKind(instrument, letter);
  if (kind === null || (exchange !== 'NSE' && exchange !== 'BSE')) {
    stats.ignored++;
    return null;
  }
  const segment = segmentFromMaster(exchange, letter);
  if (!segment) return new RowProblem(`unknown segment ${exchange}/${letter}`);
  const securityId = num(r[idx.SECURITY_ID], 'SECURITY_ID', true);
  if (securityId instanceof RowProblem) return securityId;
  if (!Number.isInteger(securityId) || securityId <= 0 || securityId > 0xffffffff) return new RowProblem(`SECURITY_ID out of range: ${securityId}`);
  const underlyingSecurityId = num(r[idx.UNDERLYING_SECURITY_ID], 'UNDERLYING_SECURITY_ID', kind === 'option');
  if (underlyingSecurityId instanceof RowProblem) return underlyingSecurityId;
  const lot = num(r[idx.LOT_SIZE], 'LOT_SIZE', kind === 'option');
  if (lot instanceof RowProblem) return lot;
  const tickPaise = num(r[idx.TICK_SIZE], 'TICK_SIZE', false);
  if (tickPaise instanceof RowProblem) return tickPaise;
  let expiry = '';
  let strike = 0;
  let optionType: 'CE' | 'PE' | null = null;
  if (kind === 'option') {
    expiry = r[idx.SM_EXPIRY_DATE]!.slice(0, 10);
    if (!ISO_DATE.test(expiry)) return new RowProblem(`SM_EXPIRY_DATE not YYYY-MM-DD: ${JSON.stringify(r[idx.SM_EXPIRY_DATE])}`);
    const s = num(r[idx.STRIKE_PRICE], 'STRIKE_PRICE', true);
    if (s instanceof RowProblem) return s;
    if (s <= 0) return new RowProblem(`STRIKE_PRICE not positive: ${s}`);
    strike = s;
    const ot = r[idx.OPTION_TYPE];
    if (ot !== 'CE' && ot !== 'PE') return new RowProblem(`OPTION_TYPE not CE/PE: ${JSON.stringify(ot)}`);
    optionType = ot;
    if (!Number.isInteger(lot) || lot <= 0) return new RowProblem(`LOT_SIZE not a positive integer: ${lot}`);
  }
  const isOption = kind === 'option';
  const upper = optionalNum(r, idx.SM_UPPER_LIMIT, 'SM_UPPER_LIMIT', stats, isOption);
  const lower = optionalNum(r, idx.SM_LOWER_LIMIT, 'SM_LOWER_LIMIT', stats, isOption);
  const freeze = optionalNum(r, idx.SM_FREEZE_QTY, 'SM_FREEZE_QTY', stats, isOption);
  return {
    exchange,
    segment,
    securityId,
    instrument,
    underlyingSecurityId,
    underlyingSymbol,
    symbolName,
    displayName: idx.DISPLAY_NAME >= 0 ? (r[idx.DISPLAY_NAME] ?? '') : '',
    lotSize: lot,
    expiry,
    strike,
    optionType,
    tickSize: tickToRupees(tickPaise),
    expiryFlag: r[idx.EXPIRY_FLAG] ?? '',
    upperLimit: upper,
    lowerLimit: lower,
    freezeQty: freeze,
  };
}

/**
 * TICK_SIZE is in paise for tradable instruments (docs/dhan-protocol.md §1.5, inferred from values:
 * `5.0000` = ₹0.05). An option value outside 1..10000 paise is treated as unknown and falls
 * back to ₹0.05, the index-option tick.
 */
function tickToRupees(paise: number): number {
  return paise >= 1 && paise <= 10000 ? paise / 100 : 0.05;
}

/** INSTRUMENT values whose rows are kept (the rest are counted as ignored unsplit). */
const KEPT_INSTRUMENTS = ['OPTIDX', 'OPTSTK', 'INDEX', 'EQUITY'];

/**
 * Scans an unquoted line in place: the start of field `field` and the number of fields, capped.
 * No substring is made, which is what keeps the ~200k ignored lines cheap.
 */
function fieldStart(text: string, start: number, end: number, field: number): number {
  let p = start;
  for (let f = 0; f < field; f++) {
    const c = text.indexOf(',', p);
    if (c === -1 || c >= end) return -1;
    p = c + 1;
  }
  return p;
}

function noteProblem(stats: MasterStats, line: number, reason: string): void {
  stats.malformed++;
  if (stats.malformedExamples.length < MAX_EXAMPLES) stats.malformedExamples.push({ line, reason });
}

/**
 * Parses a whole detailed master held in memory (one pass; records are converted one at a
 * time and never held as an array of arrays).
 */
export function referenceParseMaster(input: Buffer | string): ParsedMaster {
  const started = performance.now();
  // The real file is ASCII; latin1 decoding is much cheaper than UTF-8 and identical for it.
  const text = typeof input === 'string' ? input : isAscii(input) ? input.toString('latin1') : input.toString('utf8');
  const stats: MasterStats = { rows: 0, kept: 0, ignored: 0, test: 0, malformed: 0, malformedExamples: [], unknownColumns: [], missingOptionalColumns: [], unknownOptionalValues: {}, bytes: Buffer.byteLength(text), parseMs: 0 };
  const instruments: Instrument[] = [];
  let idx: ColumnIndex | null = null;
  let lastNeeded = 0;
  let instrumentField = 0;
  let symbolFields: [number, number] = [0, 0];
  // Next "TEST" in the whole text, moved forward only when passed: O(1) per line to know a
  // line holds none (the same trick as csv-lines.ts uses for quotes).
  let nextTest = text.indexOf('TEST');
  const fieldHasTest = (t: string, start: number, end: number, field: number): boolean => {
    const at = fieldStart(t, start, end, field);
    if (at === -1) return false;
    const comma = t.indexOf(',', at);
    const stop = comma === -1 || comma > end ? end : comma;
    const hit = t.indexOf('TEST', at);
    return hit !== -1 && hit + 4 <= stop;
  };
  // A line whose INSTRUMENT is not one we keep is counted as ignored without being split,
  // unless it is too short to be a row at all (then it is malformed), or a TEST row: those are
  // counted as TEST whatever their instrument, exactly as convertRow counts a quoted line.
  const skipLine = (t: string, start: number, end: number, lineNo: number): boolean => {
    const at = fieldStart(t, start, end, instrumentField);
    if (at !== -1) {
      for (const k of KEPT_INSTRUMENTS) {
        if (t.startsWith(k, at) && (at + k.length === end || t.charCodeAt(at + k.length) === 44)) return false;
      }
    }
    stats.rows++;
    if (at === -1 || fieldStart(t, start, end, lastNeeded) === -1) {
      noteProblem(stats, lineNo, 'row has too few fields');
      return true;
    }
    if (nextTest !== -1 && nextTest < start) nextTest = t.indexOf('TEST', start);
    if (nextTest !== -1 && nextTest < end && (fieldHasTest(t, start, end, symbolFields[0]) || fieldHasTest(t, start, end, symbolFields[1]))) stats.test++;
    else stats.ignored++;
    return true;
  };
  forEachCsvRecord(
    text,
    ({ fields, line }) => {
      if (idx === null) {
        const h = indexHeader(fields);
        idx = h.idx;
        stats.unknownColumns = h.unknown;
        stats.missingOptionalColumns = h.missingOptional;
        lastNeeded = Math.max(...Object.values(h.idx));
        instrumentField = h.idx.INSTRUMENT;
        symbolFields = [h.idx.UNDERLYING_SYMBOL, h.idx.SYMBOL_NAME];
        return;
      }
      stats.rows++;
      const out = convertRow(fields, idx, stats);
      if (out === null) return;
      if (out instanceof RowProblem) {
        noteProblem(stats, line, out.reason);
        return;
      }
      instruments.push(out);
      stats.kept++;
    },
    ({ line, reason }) => {
      if (idx === null) throw new MasterError(ErrorCodes.MASTER_MISSING_COLUMN, `instrument master header unreadable: ${reason}`);
      stats.rows++;
      noteProblem(stats, line, reason);
    },
    skipLine,
  );
  if (idx === null) throw new MasterError(ErrorCodes.MASTER_EMPTY, 'instrument master is empty (no header line)');
  stats.parseMs = performance.now() - started;
  return { instruments, stats };
}
