/**
 * `optchain master --date YYYY-MM-DD --out <file> [--seed N]` (docs/contract.md §2): writes the
 * simulator's synthetic detailed master for that trading date and prints one summary line.
 *
 * The file is streamed (about 1 MB at a time) into a temporary file next to `--out` and renamed
 * into place, so a reader never sees half a master. The seed defaults to the simulator's
 * (`OPTCHAIN_SIM_SEED`, config `simSeed`), so the file equals what `optchain sim` serves for the
 * same date.
 *
 * @module
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { isCalendarDate, isTradingDay } from '../time/trading-calendar.js';
import { DEFAULT_SEED, streamMaster } from '../synthetic-master/synthetic-master.js';

const USAGE = 'usage: optchain master --date YYYY-MM-DD --out <file> [--seed N]';

function fail(reason: string): number {
  process.stderr.write(`optchain master: ${reason} (${USAGE})\n`);
  return 2;
}

/** The seed from `--seed`, else `OPTCHAIN_SIM_SEED`, else the simulator's default. */
function seedFrom(arg: string | undefined): number | string {
  const raw = arg ?? process.env.OPTCHAIN_SIM_SEED;
  if (raw === undefined || raw === '') return DEFAULT_SEED;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : `${arg !== undefined ? '--seed' : 'OPTCHAIN_SIM_SEED'} must be an integer, got ${JSON.stringify(raw)}`;
}

/** Runs the command; returns the exit code (2 for bad arguments). */
export async function masterCommand(args: string[]): Promise<number> {
  let values: { date?: string; out?: string; seed?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: { date: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return fail(err instanceof Error ? err.message.split('\n')[0]! : String(err));
  }
  // Every option can also come from the environment (docs/contract.md §2): the date from OPTCHAIN_TRADING_DATE.
  const date = values.date ?? process.env.OPTCHAIN_TRADING_DATE;
  if (!date) return fail('--date is required');
  if (!isCalendarDate(date)) return fail(`--date must be a YYYY-MM-DD calendar date, got ${JSON.stringify(date)}`);
  if (!values.out) return fail('--out is required');
  const seed = seedFrom(values.seed);
  if (typeof seed === 'string') return fail(seed);
  if (!isTradingDay(date, 'NSE')) {
    process.stderr.write(`optchain master: note: ${date} is not an NSE trading day; writing the listing as of that date anyway\n`);
  }

  const started = performance.now();
  const out = values.out;
  const tmp = `${out}.${process.pid}.tmp`;
  const { chunks, context } = streamMaster(date, { seed });
  let bytes = 0;
  const counted = (function* () {
    for (const c of chunks) {
      bytes += c.length;
      yield c;
    }
  })();
  try {
    await pipeline(Readable.from(counted, { objectMode: false }), createWriteStream(tmp));
    await rename(tmp, out);
  } catch (err) {
    await rm(tmp, { force: true });
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`optchain master: cannot write ${out}: ${msg}\n`);
    return 1;
  }
  const secs = ((performance.now() - started) / 1000).toFixed(2);
  process.stdout.write(`master ${date} seed ${seed}: ${context.rows} rows, ${bytes} bytes written to ${out} in ${secs} s\n`);
  return 0;
}
