/**
 * Parses Dhan's detailed instrument master (docs/dhan-protocol.md §1.3) by header name: unknown,
 * reordered and trailing empty columns are tolerated, quoted fields handled (csv-parse). A
 * header without a needed column is an error naming it; a malformed row is counted and
 * skipped, never fatal and never silent; TEST rows are filtered (docs/contract.md §3).
 *
 * Only the rows the skeleton can use are kept (NSE/BSE options, indices, equities); the rest
 * are counted as ignored. Records come from {@link forEachCsvRecord} (csv-parse for any
 * quoted record, a measured fast path for the plain lines that make up the real file).
 *
 * @module
 */
import { isAscii } from 'node:buffer';
import { ErrorCodes, MasterError } from '../errors.js';
import { segmentFromMaster } from '../dhan/segments.js';
import { fieldContains, fieldIs, fieldText, forEachCsvRecord, type RecordView } from './csv-lines.js';
import { fieldNumber } from './field-number.js';
import { DETAILED_COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS } from './columns.js';
import type { Instrument, MasterStats, ParsedMaster } from './instrument.js';

const MAX_EXAMPLES = 20;
const KNOWN = new Set<string>(DETAILED_COLUMNS);

/** Sentinel returned by the row converter for a malformed row. */
class RowProblem {
  constructor(readonly reason: string) {}
}

/** Column positions of the master's header; -1 for an optional column the file lacks. */
export type ColumnIndex = Record<(typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number], number>;

/**
 * Positions of the known columns in a header line (first occurrence wins; BOM and blanks trimmed).
 * Throws MASTER_MISSING_COLUMN for a missing required column. Shared with the test oracle
 * (test/helpers/reference-master-parser.ts), whose point is the row parsing, not the header.
 */
export function indexHeader(header: string[]): { idx: ColumnIndex; unknown: string[]; missingOptional: string[] } {
  const positions = new Map<string, number>();
  header.forEach((name, i) => {
    const n = name.trim().replace(/^\uFEFF/, '');
    if (n !== '' && !positions.has(n)) positions.set(n, i);
  });
  const missing = REQUIRED_COLUMNS.filter((c) => !positions.has(c));
  if (missing.length > 0) {
    throw new MasterError(ErrorCodes.MASTER_MISSING_COLUMN, `instrument master header lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`, { missing });
  }
  const idx = {} as ColumnIndex;
  for (const c of [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]) idx[c] = positions.get(c) ?? -1;
  const unknown = [...positions.keys()].filter((n) => !KNOWN.has(n));
  return { idx, unknown, missingOptional: OPTIONAL_COLUMNS.filter((c) => idx[c] < 0) };
}

function num(view: RecordView, at: number, column: string, required: boolean): number | RowProblem {
  const v = fieldNumber(view, at);
  if (typeof v === 'number') return v;
  if (v === undefined || v === '') return required ? new RowProblem(`${column} empty`) : 0;
  return new RowProblem(`${column} not a number: ${JSON.stringify(v.slice(0, 20))}`);
}

/**
 * An optional value: absent column, empty or unreadable field → null (unknown), counted per
 * column for option rows. A real 2026-03 master has no band or freeze columns at all (issue 16
 * §4); reading that as 0 silently turned checks off. An unreadable band is no reason to drop a
 * listed strike (anti-drift: never reduce strikes).
 */
function optionalNum(view: RecordView, at: number, column: string, stats: MasterStats, option: boolean): number | null {
  if (at < 0) return null;
  const v = fieldNumber(view, at);
  // Number(' ') is 0: a blank field is unknown, not 0.
  if (typeof v === 'number' && !(v === 0 && fieldText(view, at)!.trim() === '')) return v;
  if (option) stats.unknownOptionalValues[column] = (stats.unknownOptionalValues[column] ?? 0) + 1;
  return null;
}

const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const B_NSE = ascii('NSE');
const B_BSE = ascii('BSE');
const B_TEST = ascii('TEST');
const B_CE = ascii('CE');
const B_PE = ascii('PE');
/** INSTRUMENT values whose rows are kept, as bytes; everything else is counted unsplit. */
const KEPT: readonly (readonly [Uint8Array, 'OPTIDX' | 'OPTSTK' | 'INDEX' | 'EQUITY'])[] = (['OPTIDX', 'OPTSTK', 'INDEX', 'EQUITY'] as const).map((k) => [ascii(k), k] as const);

function keptInstrument(view: RecordView, at: number): 'OPTIDX' | 'OPTSTK' | 'INDEX' | 'EQUITY' | null {
  for (const [bytes, name] of KEPT) if (fieldIs(view, at, bytes)) return name;
  return null;
}

/** Instruments whose rows we keep. */
function keepKind(instrument: string | null, letter: number): 'option' | 'index' | 'equity' | null {
  if (letter === 68 /* D */ && (instrument === 'OPTIDX' || instrument === 'OPTSTK')) return 'option';
  if (letter === 73 /* I */) return 'index';
  if (letter === 69 /* E */ && instrument === 'EQUITY') return 'equity';
  return null;
}

/**
 * One column's strings repeated across many rows (symbols, expiries, flags), kept once each.
 * The master lists an underlying's rows together, so the field is first compared with the
 * previous row's bytes: no string is decoded for the common repeat.
 */
class RepeatedField {
  private readonly seen = new Map<string, string>();
  private last = new Uint8Array(64);
  private lastLength = -1;
  private lastText = '';

  /** Field `i`'s text ('' when absent), or its first `limit` bytes' text. */
  read(view: RecordView, i: number, limit = Infinity): string {
    if (i < 0 || i >= view.count) return '';
    const s = view.starts[i]!;
    const e = Math.min(view.ends[i]!, s + limit);
    const len = e - s;
    const b = view.bytes;
    if (len === this.lastLength) {
      let k = 0;
      while (k < len && b[s + k] === this.last[k]) k++;
      if (k === len) return this.lastText;
    }
    const text = b.toString(view.utf8 ? 'utf8' : 'latin1', s, e);
    const had = this.seen.get(text);
    const out = had ?? text;
    if (had === undefined) this.seen.set(text, text);
    if (len > this.last.length) this.last = new Uint8Array(len * 2);
    this.last.set(b.subarray(s, e));
    this.lastLength = len;
    this.lastText = out;
    return out;
  }
}

/** The per-parse caches of repeated columns. */
interface Names {
  readonly instrument: RepeatedField;
  readonly underlying: RepeatedField;
  readonly expiry: RepeatedField;
  readonly flag: RepeatedField;
}

function isIsoDate(b: Buffer, s: number): boolean {
  for (let k = 0; k < 10; k++) {
    const c = b[s + k]!;
    if (k === 4 || k === 7 ? c !== 45 : c < 48 || c > 57) return false;
  }
  return true;
}

function convertRow(view: RecordView, idx: ColumnIndex, stats: MasterStats, names: Names): Instrument | RowProblem | null {
  const n = view.count;
  if (idx.EXCH_ID >= n || idx.SEGMENT >= n || n <= idx.EXPIRY_FLAG) return new RowProblem(`row has ${n} fields`);
  if (fieldContains(view, idx.UNDERLYING_SYMBOL, B_TEST) || fieldContains(view, idx.SYMBOL_NAME, B_TEST)) {
    stats.test++;
    return null;
  }
  const instrument = keptInstrument(view, idx.INSTRUMENT);
  const segStart = view.starts[idx.SEGMENT]!;
  const letter = view.ends[idx.SEGMENT]! - segStart === 1 ? view.bytes[segStart]! : -1;
  const kind = keepKind(instrument, letter);
  const exchange = fieldIs(view, idx.EXCH_ID, B_NSE) ? 'NSE' : fieldIs(view, idx.EXCH_ID, B_BSE) ? 'BSE' : null;
  if (kind === null || exchange === null) {
    stats.ignored++;
    return null;
  }
  const segment = segmentFromMaster(exchange, String.fromCharCode(letter));
  if (!segment) return new RowProblem(`unknown segment ${exchange}/${String.fromCharCode(letter)}`);
  const securityId = num(view, idx.SECURITY_ID, 'SECURITY_ID', true);
  if (securityId instanceof RowProblem) return securityId;
  if (!Number.isInteger(securityId) || securityId <= 0 || securityId > 0xffffffff) return new RowProblem(`SECURITY_ID out of range: ${securityId}`);
  const underlyingSecurityId = num(view, idx.UNDERLYING_SECURITY_ID, 'UNDERLYING_SECURITY_ID', kind === 'option');
  if (underlyingSecurityId instanceof RowProblem) return underlyingSecurityId;
  const lot = num(view, idx.LOT_SIZE, 'LOT_SIZE', kind === 'option');
  if (lot instanceof RowProblem) return lot;
  const tickPaise = num(view, idx.TICK_SIZE, 'TICK_SIZE', false);
  if (tickPaise instanceof RowProblem) return tickPaise;
  let expiry = '';
  let strike = 0;
  let optionType: 'CE' | 'PE' | null = null;
  if (kind === 'option') {
    const at = idx.SM_EXPIRY_DATE;
    const es = at < n ? view.starts[at]! : 0;
    if (at >= n || view.ends[at]! - es < 10 || !isIsoDate(view.bytes, es)) return new RowProblem(`SM_EXPIRY_DATE not YYYY-MM-DD: ${JSON.stringify(fieldText(view, at))}`);
    expiry = names.expiry.read(view, at, 10);
    const s = num(view, idx.STRIKE_PRICE, 'STRIKE_PRICE', true);
    if (s instanceof RowProblem) return s;
    if (s <= 0) return new RowProblem(`STRIKE_PRICE not positive: ${s}`);
    strike = s;
    if (fieldIs(view, idx.OPTION_TYPE, B_CE)) optionType = 'CE';
    else if (fieldIs(view, idx.OPTION_TYPE, B_PE)) optionType = 'PE';
    else return new RowProblem(`OPTION_TYPE not CE/PE: ${JSON.stringify(fieldText(view, idx.OPTION_TYPE))}`);
    if (!Number.isInteger(lot) || lot <= 0) return new RowProblem(`LOT_SIZE not a positive integer: ${lot}`);
  }
  const isOption = kind === 'option';
  const upper = optionalNum(view, idx.SM_UPPER_LIMIT, 'SM_UPPER_LIMIT', stats, isOption);
  const lower = optionalNum(view, idx.SM_LOWER_LIMIT, 'SM_LOWER_LIMIT', stats, isOption);
  const freeze = optionalNum(view, idx.SM_FREEZE_QTY, 'SM_FREEZE_QTY', stats, isOption);
  return {
    exchange,
    segment,
    securityId,
    // A quoted row can be an index whatever its INSTRUMENT says (keepKind), so read it then.
    instrument: instrument ?? names.instrument.read(view, idx.INSTRUMENT),
    underlyingSecurityId,
    underlyingSymbol: names.underlying.read(view, idx.UNDERLYING_SYMBOL),
    symbolName: fieldText(view, idx.SYMBOL_NAME) ?? '',
    displayName: idx.DISPLAY_NAME >= 0 ? (fieldText(view, idx.DISPLAY_NAME) ?? '') : '',
    lotSize: lot,
    expiry,
    strike,
    optionType,
    tickSize: tickToRupees(tickPaise),
    expiryFlag: names.flag.read(view, idx.EXPIRY_FLAG),
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
export function tickToRupees(paise: number): number {
  return paise >= 1 && paise <= 10000 ? paise / 100 : 0.05;
}

function noteProblem(stats: MasterStats, line: number, reason: string): void {
  stats.malformed++;
  if (stats.malformedExamples.length < MAX_EXAMPLES) stats.malformedExamples.push({ line, reason });
}

/**
 * Parses a whole detailed master held in memory: one pass over the bytes, each record's
 * fields located once (csv-lines.ts), only the kept rows' fields decoded.
 */
export function parseMaster(input: Buffer | string): ParsedMaster {
  const started = performance.now();
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  // The real file is ASCII; latin1 decoding of its fields is much cheaper than UTF-8 and identical for it.
  const utf8 = !isAscii(bytes);
  const stats: MasterStats = { rows: 0, kept: 0, ignored: 0, test: 0, malformed: 0, malformedExamples: [], unknownColumns: [], missingOptionalColumns: [], unknownOptionalValues: {}, bytes: bytes.length, parseMs: 0 };
  const instruments: Instrument[] = [];
  const names: Names = { instrument: new RepeatedField(), underlying: new RepeatedField(), expiry: new RepeatedField(), flag: new RepeatedField() };
  let idx: ColumnIndex | null = null;
  let lastNeeded = 0;
  forEachCsvRecord(
    bytes,
    utf8,
    (view) => {
      if (idx === null) {
        const header: string[] = [];
        for (let i = 0; i < view.count; i++) header.push(fieldText(view, i)!);
        const h = indexHeader(header);
        idx = h.idx;
        stats.unknownColumns = h.unknown;
        stats.missingOptionalColumns = h.missingOptional;
        lastNeeded = Math.max(...Object.values(h.idx));
        return;
      }
      stats.rows++;
      // A plain line whose INSTRUMENT is not one we keep is counted without being read: as
      // malformed when it is too short to be a row, as TEST when it is one (whatever its
      // instrument, as convertRow counts a quoted line), else as ignored.
      if (!view.quoted && keptInstrument(view, idx.INSTRUMENT) === null) {
        if (view.count <= idx.INSTRUMENT || view.count <= lastNeeded) noteProblem(stats, view.line, 'row has too few fields');
        else if (fieldContains(view, idx.UNDERLYING_SYMBOL, B_TEST) || fieldContains(view, idx.SYMBOL_NAME, B_TEST)) stats.test++;
        else stats.ignored++;
        return;
      }
      const out = convertRow(view, idx, stats, names);
      if (out === null) return;
      if (out instanceof RowProblem) {
        noteProblem(stats, view.line, out.reason);
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
  );
  if (idx === null) throw new MasterError(ErrorCodes.MASTER_EMPTY, 'instrument master is empty (no header line)');
  stats.parseMs = performance.now() - started;
  return { instruments, stats };
}
