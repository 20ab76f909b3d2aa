/**
 * Field formatting for the synthetic detailed master (docs/dhan-protocol.md §1.3 quirks) and the
 * rough option value used for its price bands. Prices are carried as integers in fixed units
 * so that formatting is exact and fast (no `toFixed` on the hot path):
 *
 * - strikes in units of 1e-5 (the file prints strikes with 5 decimals: `29150.00000`);
 * - price bands in units of 1e-4 (printed with 4 decimals: `20.1000`).
 *
 * @module
 */

/** Strike scale: the master prints 5 decimals. */
export const STRIKE_UNIT = 100_000;
/** Price-band scale: the master prints 4 decimals. */
export const BAND_UNIT = 10_000;

const pad = (n: number, width: number): string => {
  const s = String(n);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
};

/** `20.1000` from 201_000 (band in 1e-4 units). */
export function bandField(units: number): string {
  return `${Math.floor(units / BAND_UNIT)}.${pad(units % BAND_UNIT, 4)}`;
}

/** Rupees → band units, rounded to a multiple of `tickUnits` (≥ one tick). */
export function toBandUnits(rupees: number, tickUnits: number, mode: 'up' | 'down'): number {
  const ticks = rupees * BAND_UNIT / tickUnits;
  const n = mode === 'up' ? Math.ceil(ticks - 1e-9) : Math.floor(ticks + 1e-9);
  return Math.max(1, n) * tickUnits;
}

/** TICK_SIZE column: the tick in paise with 4 decimals (docs/dhan-protocol.md §1.5): ₹0.05 → `5.0000`. */
export function tickField(tickRupees: number): string {
  const paise4 = Math.round(tickRupees * 1_000_000); // paise × 1e4
  return `${Math.floor(paise4 / 10_000)}.${pad(paise4 % 10_000, 4)}`;
}

/** LOT_SIZE column: `65.0`. */
export function lotField(lot: number): string {
  return `${lot}.0`;
}

const MONTHS_TITLE = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTHS_UPPER = MONTHS_TITLE.map((m) => m.toUpperCase());

/** `Sep2026` for a YYYY-MM-DD date: the month part of trading symbols (`NIFTY-Sep2026-29150-CE`). */
export function symbolMonth(date: string): string {
  return `${MONTHS_TITLE[Number(date.slice(5, 7)) - 1]}${date.slice(0, 4)}`;
}

/** `29 SEP` for display names (`NIFTY 29 SEP 29150 CALL`). */
export function displayDay(date: string): string {
  return `${date.slice(8, 10)} ${MONTHS_UPPER[Number(date.slice(5, 7)) - 1]}`;
}

/** `SEP` for futures display names (`NIFTY SEP FUT`). */
export function displayMonth(date: string): string {
  return MONTHS_UPPER[Number(date.slice(5, 7)) - 1]!;
}

/** Standard normal CDF (Abramowitz–Stegun 26.2.17, |error| < 7.5e-8): fast enough for 200k rows. */
export function normCdf(x: number): number {
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.2316419 * ax);
  const d = 0.3989422804014327 * Math.exp(-0.5 * ax * ax);
  const p = d * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return x > 0 ? 1 - p : p;
}

/** Black-76 / Black-Scholes value with zero rates; `years` ≤ 0 gives intrinsic value. */
export function optionValue(spot: number, strike: number, years: number, vol: number, call: boolean): number {
  if (years <= 0 || vol <= 0) return Math.max(0, call ? spot - strike : strike - spot);
  const sd = vol * Math.sqrt(years);
  const d1 = (Math.log(spot / strike) + 0.5 * sd * sd) / sd;
  const d2 = d1 - sd;
  return call ? spot * normCdf(d1) - strike * normCdf(d2) : strike * normCdf(-d2) - spot * normCdf(-d1);
}

/**
 * The day's price band of an option (SM_UPPER_LIMIT / SM_LOWER_LIMIT), in band units: wide
 * enough to hold any price a ±10 % move of the underlying and a large volatility change could
 * produce, like the exchanges' operating ranges. Expiring contracts get half a day of time value.
 */
export function optionBand(spot: number, strike: number, dte: number, vol: number, call: boolean, tickUnits: number): [upper: number, lower: number] {
  const years = Math.max(dte, 0.5) / 365;
  const up = optionValue(call ? spot * 1.1 : spot * 0.9, strike, years, vol * 1.5, call) * 1.05 + 20 * tickUnits / BAND_UNIT;
  const lo = optionValue(call ? spot * 0.9 : spot * 1.1, strike, years, vol * 0.6, call) * 0.5;
  return [toBandUnits(up, tickUnits, 'up'), toBandUnits(lo, tickUnits, 'down')];
}

/** Band of a futures or cash instrument: ±`pct` around `price`. */
export function priceBand(price: number, pct: number, tickUnits: number): [upper: number, lower: number] {
  return [toBandUnits(price * (1 + pct), tickUnits, 'up'), toBandUnits(price * (1 - pct), tickUnits, 'down')];
}
