/**
 * India Standard Time helpers. IST is UTC+05:30 with no daylight saving, so plain offsets work.
 *
 * @module
 */

/** IST offset from UTC in milliseconds. */
export const IST_OFFSET_MS = 19_800_000;
/** Dhan's feed LTT is IST wall-clock seconds counted as if UTC (docs/dhan-protocol.md §2.9). */
export const IST_OFFSET_S = 19_800;

/** YYYY-MM-DD of the IST calendar day containing `epochMs`. */
export function istDate(epochMs: number): string {
  return new Date(epochMs + IST_OFFSET_MS).toISOString().slice(0, 10);
}

/** Unix ms of `date` (YYYY-MM-DD) at `hh:mm` IST. */
export function istTime(date: string, hh: number, mm: number, ss = 0): number {
  return Date.parse(`${date}T00:00:00Z`) + ((hh * 60 + mm) * 60 + ss) * 1000 - IST_OFFSET_MS;
}

/** Minutes since IST midnight for `epochMs`. */
export function istMinuteOfDay(epochMs: number): number {
  const d = new Date(epochMs + IST_OFFSET_MS);
  return d.getUTCHours() * 60 + d.getUTCMinutes();
}

/** Adds `days` calendar days to a YYYY-MM-DD date. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday, for a YYYY-MM-DD date. */
export function weekday(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** Whole days from `from` to `to` (both YYYY-MM-DD). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
