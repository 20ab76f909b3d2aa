/**
 * Display formatting for the chain page. Every formatter maps `null` to the empty string:
 * a field no tick has delivered is shown blank, never as 0 (docs/contract.md §5).
 *
 * @module
 */

const grouped = new Intl.NumberFormat('en-IN', { maximumFractionDigits: 0 });
const twoDp = new Intl.NumberFormat('en-IN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const istTime = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Kolkata', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;

/** A price to the paise it was quoted in: `152.30`; blank for `null`. */
export function price(x: number | null): string {
  return x === null ? '' : x.toFixed(2);
}

/** A price with Indian digit grouping (spot, header): `24,410.50`. */
export function bigPrice(x: number | null): string {
  return x === null ? '' : twoDp.format(x);
}

/** A signed change `+1.25` / `-0.40`; blank when either side is unknown. */
export function change(ltp: number | null, prevClose: number | null): string {
  if (ltp === null || prevClose === null || prevClose === 0) return '';
  const d = ltp - prevClose;
  return (d > 0 ? '+' : '') + d.toFixed(2);
}

/** A quantity with Indian grouping: `1,625`. */
export function qty(x: number | null): string {
  return x === null ? '' : grouped.format(x);
}

/**
 * OI and volume the way Indian chain pages print them (docs/peers.md §2.8): full below a lakh,
 * then lakhs (`37.86L`) and crores (`11.76Cr`) so the mirrored table stays narrow.
 */
export function compact(x: number | null): string {
  if (x === null) return '';
  const a = Math.abs(x);
  if (a < 1e5) return grouped.format(x);
  if (a < 1e7) return `${(x / 1e5).toFixed(2)}L`;
  return `${(x / 1e7).toFixed(2)}Cr`;
}

/** A strike without needless decimals: `24400`, `1252.5`. */
export function strike(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2).replace(/0$/, '');
}

/** An age in ms as `4s`, `3m`, `2h`; blank for `null` (no tick yet). */
export function age(ms: number | null): string {
  if (ms === null) return '';
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h`;
}

/** Unix ms as IST wall-clock time `14:03:07` (the market's clock, whatever the browser's zone). */
export function clock(ms: number | null): string {
  return ms === null ? '' : istTime.format(ms);
}

function utcDay(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

/** Calendar days from the trading date to the expiry (0 on expiry day). */
export function daysToExpiry(tradingDate: string, expiry: string): number {
  return Math.round((utcDay(expiry) - utcDay(tradingDate)) / DAY_MS);
}

/** `18 Aug`, with the year appended when it differs from `refYear`'s. */
export function expiryLabel(expiry: string, refDate: string): string {
  const y = expiry.slice(0, 4);
  const label = `${Number(expiry.slice(8, 10))} ${MONTHS[Number(expiry.slice(5, 7)) - 1] ?? ''}`;
  return y === refDate.slice(0, 4) ? label : `${label} ${y.slice(2)}`;
}

/** A number to `dp` decimals (IV, delta, theta, vega); blank for `null`. */
export function fixed(x: number | null, dp: number): string {
  return x === null ? '' : x.toFixed(dp);
}

/** A small number to `digits` significant digits (gamma: `0.000812`); blank for `null`. */
export function significant(x: number | null, digits: number): string {
  return x === null ? '' : Number(x.toPrecision(digits)).toString();
}
