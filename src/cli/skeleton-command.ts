/**
 * `optchain skeleton --master <file-or-url> --date YYYY-MM-DD [--json]` (docs/contract.md §2, §2.1).
 * With `--json`, stdout carries exactly the docs/contract.md §2.1 JSON and nothing else; parse statistics go to
 * stderr.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors.js';
import { describeMissingOptional, describeUnknownValues } from '../master/columns.js';
import { loadMaster } from '../master/load-master.js';
import type { MasterStats } from '../master/instrument.js';
import { buildSkeleton } from '../skeleton/build-skeleton.js';
import { summarizeSkeleton, type SkeletonSummary } from '../skeleton/summary.js';

const ISO = /^\d{4}-\d{2}-\d{2}$/;

/** One line about the parse, for stderr. */
export function describeStats(s: MasterStats): string {
  const examples = s.malformedExamples.slice(0, 3).map((e) => `line ${e.line}: ${e.reason}`).join('; ');
  return `master: ${s.rows} rows, ${s.kept} kept, ${s.ignored} other instruments, ${s.test} TEST rows filtered, ${s.malformed} malformed rows skipped${examples ? ` (${examples})` : ''}${s.unknownColumns.length ? `, unknown columns ignored: ${s.unknownColumns.join(',')}` : ''}${s.missingOptionalColumns.length ? `, ${describeMissingOptional(s.missingOptionalColumns)}` : ''}${describeUnknownValues(s.unknownOptionalValues) ? `, ${describeUnknownValues(s.unknownOptionalValues)}` : ''}`;
}

function shortTag(tags: readonly string[]): string {
  return tags.includes('quarterly') ? 'Q' : tags.includes('monthly') ? 'M' : 'W';
}

/** The human-readable table printed without `--json`. */
export function formatSummaryTable(summary: SkeletonSummary): string {
  const lines = [`trading date ${summary.tradingDate}`, `${'underlying'.padEnd(16)} ${'kind'.padEnd(5)} ${'spot'.padEnd(16)} expiries (date tag strikes/contracts)`];
  for (const u of summary.underlyings) {
    const spot = u.spot ? `${u.spot.segment}:${u.spot.securityId}` : '(none)';
    const exp = u.expiries.map((e) => `${e.expiry} ${shortTag(e.tags)} ${e.strikes}/${e.contracts}`).join('  ');
    lines.push(`${`${u.exchange}:${u.symbol}`.padEnd(16)} ${u.kind.padEnd(5)} ${spot.padEnd(16)} ${exp}`);
  }
  const t = summary.totals;
  lines.push(`totals: ${t.underlyings} underlyings, ${t.chains} chains, ${t.contracts} contracts, ${t.spots} spots (W weekly, M monthly, Q monthly+quarterly)`);
  return `${lines.join('\n')}\n`;
}

/** Runs the command; returns the exit code. */
export async function skeletonCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { master: { type: 'string' }, date: { type: 'string' }, json: { type: 'boolean', default: false } },
    strict: true,
  });
  if (!values.master) throw new ConfigError('--master', 'required (a file path or an http(s) URL)');
  if (!values.date || !ISO.test(values.date)) throw new ConfigError('--date', 'required as YYYY-MM-DD');
  const master = await loadMaster({ source: values.master, tradingDate: values.date, dataDir: process.env.OPTCHAIN_DATA_DIR ?? './data' });
  // Built before anything is printed: on failure stderr carries only the one-line reason (docs/contract.md §2).
  const skeleton = buildSkeleton(master.instruments, values.date);
  process.stderr.write(`${describeStats(master.stats)}\n`);
  for (const w of skeleton.warnings.slice(0, 20)) process.stderr.write(`warning: ${w}\n`);
  if (skeleton.warnings.length > 20) process.stderr.write(`warning: …and ${skeleton.warnings.length - 20} more\n`);
  const summary = summarizeSkeleton(skeleton);
  process.stdout.write(values.json ? `${JSON.stringify(summary)}\n` : formatSummaryTable(summary));
  return 0;
}
