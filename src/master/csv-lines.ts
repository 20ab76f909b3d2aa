/**
 * Record splitter for the instrument master. The detailed master is ~250k plain lines with no
 * quotes at all (dhan-protocol.md §1.3), so the common line is split with `String#split`; any
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
 */
export function forEachCsvRecord(text: string, onRecord: (rec: CsvRecord) => void, onProblem: (p: CsvProblem) => void): void {
  const n = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineNo = 0;
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = n;
    lineNo++;
    const startLine = lineNo;
    let line = text.slice(pos, end);
    pos = end + 1;
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line.length === 0) continue;
    if (line.indexOf('"') === -1) {
      onRecord({ fields: line.split(','), line: startLine });
      continue;
    }
    // A quoted field may hold a newline: keep joining lines while the quote count is odd
    // (bounded, so one stray quote cannot swallow the rest of the file).
    let joined = line;
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
    try {
      const recs = parse(joined, { relax_column_count: true, relax_quotes: false, skip_empty_lines: true }) as string[][];
      if (recs.length !== 1) onProblem({ line: startLine, reason: `expected one record, found ${recs.length}` });
      else onRecord({ fields: recs[0]!, line: startLine });
    } catch (err) {
      onProblem({ line: startLine, reason: (err as Error).message.replace(/\s+/g, ' ').slice(0, 120) });
    }
  }
}
