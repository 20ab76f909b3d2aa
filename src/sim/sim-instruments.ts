/**
 * Reads the instruments the simulator can stream out of its own synthetic master. The
 * project's parser (src/master/parse-master.ts, csv-parse) takes about 5 s on the ~28 MB file;
 * this reader takes a few hundred ms because the simulator's file is one it generated itself:
 * no quoted fields, one record per line. It keeps exactly what `parseMaster` keeps (NSE/BSE
 * options, indices, equities; TEST rows dropped) with the same field conversions, and hands
 * anything with a quote character to `parseMaster` instead. test/sim-instruments.test.ts checks the
 * two agree on a generated master.
 *
 * @module
 */
import type { Instrument } from '../master/instrument.js';
import { parseMaster, tickToRupees } from '../master/parse-master.js';
import { segmentFromMaster } from '../dhan/segments.js';

const NEEDED = [
  'EXCH_ID', 'SEGMENT', 'SECURITY_ID', 'INSTRUMENT', 'UNDERLYING_SECURITY_ID', 'UNDERLYING_SYMBOL', 'SYMBOL_NAME', 'DISPLAY_NAME',
  'LOT_SIZE', 'SM_EXPIRY_DATE', 'STRIKE_PRICE', 'OPTION_TYPE', 'TICK_SIZE', 'EXPIRY_FLAG', 'SM_UPPER_LIMIT', 'SM_LOWER_LIMIT', 'SM_FREEZE_QTY',
] as const;

const num = (s: string | undefined): number => {
  if (s === undefined || s === '') return 0;
  const v = Number(s);
  return Number.isFinite(v) ? v : 0;
};

/** Instruments of a detailed master the simulator generated (falls back to `parseMaster` for anything unusual). */
export function loadSimInstruments(csv: string): Instrument[] {
  if (csv.includes('"')) return [...parseMaster(csv).instruments];
  const firstEnd = csv.indexOf('\n');
  const header = csv.slice(0, firstEnd < 0 ? csv.length : firstEnd).replace(/\r$/, '').split(',');
  const col: Record<string, number> = {};
  for (const name of NEEDED) {
    const k = header.indexOf(name);
    if (k < 0) return [...parseMaster(csv).instruments];
    col[name] = k;
  }
  const out: Instrument[] = [];
  let pos = firstEnd + 1;
  const n = csv.length;
  while (pos > 0 && pos < n) {
    let end = csv.indexOf('\n', pos);
    if (end < 0) end = n;
    const line = csv.charCodeAt(end - 1) === 13 ? csv.slice(pos, end - 1) : csv.slice(pos, end);
    pos = end + 1;
    if (line.length === 0) continue;
    const r = line.split(',');
    const exchange = r[col.EXCH_ID!];
    const letter = r[col.SEGMENT!]!;
    const instrument = r[col.INSTRUMENT!]!;
    if (exchange !== 'NSE' && exchange !== 'BSE') continue;
    const isOption = letter === 'D' && (instrument === 'OPTIDX' || instrument === 'OPTSTK');
    if (!isOption && letter !== 'I' && !(letter === 'E' && instrument === 'EQUITY')) continue;
    const underlyingSymbol = r[col.UNDERLYING_SYMBOL!]!;
    const symbolName = r[col.SYMBOL_NAME!]!;
    if (underlyingSymbol.includes('TEST') || symbolName.includes('TEST')) continue;
    const segment = segmentFromMaster(exchange, letter);
    const securityId = Number(r[col.SECURITY_ID!]);
    if (!segment || !Number.isInteger(securityId) || securityId <= 0 || securityId > 0xffffffff) continue;
    let optionType: 'CE' | 'PE' | null = null;
    let expiry = '';
    let strike = 0;
    if (isOption) {
      const ot = r[col.OPTION_TYPE!];
      if (ot !== 'CE' && ot !== 'PE') continue;
      optionType = ot;
      expiry = r[col.SM_EXPIRY_DATE!]!.slice(0, 10);
      strike = num(r[col.STRIKE_PRICE!]);
      if (strike <= 0) continue;
    }
    out.push({
      exchange,
      segment,
      securityId,
      instrument,
      underlyingSecurityId: num(r[col.UNDERLYING_SECURITY_ID!]),
      underlyingSymbol,
      symbolName,
      displayName: r[col.DISPLAY_NAME!] ?? '',
      lotSize: num(r[col.LOT_SIZE!]),
      expiry,
      strike,
      optionType,
      tickSize: tickToRupees(num(r[col.TICK_SIZE!])),
      expiryFlag: r[col.EXPIRY_FLAG!] ?? '',
      upperLimit: num(r[col.SM_UPPER_LIMIT!]),
      lowerLimit: num(r[col.SM_LOWER_LIMIT!]),
      freezeQty: num(r[col.SM_FREEZE_QTY!]),
    });
  }
  return out;
}
