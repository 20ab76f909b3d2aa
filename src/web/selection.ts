/**
 * The page's selection (underlying and expiry) and its place in the URL fragment, so a
 * reload or a shared link opens the same chain: `#NSE:NIFTY` or `#BSE:SENSEX/2026-08-20`.
 *
 * @module
 */

/** What the page shows. `expiry` null = the nearest selected expiry. */
export interface Selection {
  readonly symbol: string;
  readonly exchange: 'NSE' | 'BSE';
  readonly expiry: string | null;
}

const HASH = /^#?(?:(NSE|BSE):)?([A-Z0-9&_.-]+)(?:\/(\d{4}-\d{2}-\d{2}))?$/i;

/** Parses a fragment; null when it names nothing. */
export function parseHash(hash: string): Selection | null {
  const m = HASH.exec(decodeURIComponent(hash));
  if (!m) return null;
  return { exchange: (m[1]?.toUpperCase() ?? 'NSE') as 'NSE' | 'BSE', symbol: (m[2] ?? '').toUpperCase(), expiry: m[3] ?? null };
}

/** The fragment for a selection. */
export function formatHash(s: Selection): string {
  return `#${s.exchange}:${encodeURIComponent(s.symbol)}${s.expiry ? `/${s.expiry}` : ''}`;
}
