/**
 * Record splitter for the instrument master. The detailed master is ~250k plain lines with no
 * quotes at all (docs/dhan-protocol.md §1.3), so the common line is split with `String#split`; any
 * line that contains a quote — or a quoted field spanning lines — goes to csv-parse, the
 * well-kept parser, record by record. bench/master-parse.bench.mjs keeps the measurement that
 * justifies the fast path (csv-parse alone is several times slower on the full file).
 *
 * @module
 */
import { parse } from 'csv-parse/sync';

/** A record and the 1-based line it started on. */
export interface CsvRecord {
  readonly fields: string[];
  readonly line: number;
}

/** What the splitter could not read. */
export interface CsvProblem {
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
export function forEachCsvRecord(
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
