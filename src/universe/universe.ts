/**
 * The universe, exactly per docs/contract.md §3: NIFTY and BANKNIFTY (NSE), SENSEX (BSE), and every
 * underlying with OPTSTK contracts in the day's master, on NSE and on BSE where listed —
 * never a hard-coded stock list. Spots are resolved from the master, not hard-coded.
 *
 * @module
 */
import type { Instrument } from '../master/instrument.js';
import type { Exchange } from '../skeleton/types.js';

/** The three index underlyings in scope, in the order the skeleton lists them (docs/contract.md §2.1). */
export const INDEX_UNDERLYINGS: readonly { symbol: string; exchange: Exchange }[] = Object.freeze([
  Object.freeze({ symbol: 'NIFTY', exchange: 'NSE' as const }),
  Object.freeze({ symbol: 'BANKNIFTY', exchange: 'NSE' as const }),
  Object.freeze({ symbol: 'SENSEX', exchange: 'BSE' as const }),
]);

/** One underlying of the universe with its live (unexpired) option rows and its spot row. */
export interface UniverseEntry {
  readonly symbol: string;
  readonly exchange: Exchange;
  readonly kind: 'index' | 'stock';
  /** Option rows with expiry on or after the trading date. */
  readonly options: readonly Instrument[];
  readonly spot: Instrument | null;
}

export interface Universe {
  /** Sorted: indices in INDEX_UNDERLYINGS order, then stocks by symbol, NSE before BSE. */
  readonly entries: readonly UniverseEntry[];
  readonly warnings: readonly string[];
}

const indexRank = new Map(INDEX_UNDERLYINGS.map((u, i) => [`${u.exchange}:${u.symbol}`, i]));
/** The index symbols in scope per exchange, so option rows are matched without building a key string each. */
const indexSymbols: Readonly<Record<Exchange, ReadonlySet<string>>> = {
  NSE: new Set(INDEX_UNDERLYINGS.filter((u) => u.exchange === 'NSE').map((u) => u.symbol)),
  BSE: new Set(INDEX_UNDERLYINGS.filter((u) => u.exchange === 'BSE').map((u) => u.symbol)),
};

type Group = { symbol: string; exchange: Exchange; kind: 'index' | 'stock'; options: Instrument[] };

function compareEntries(a: UniverseEntry, b: UniverseEntry): number {
  const ra = indexRank.get(`${a.exchange}:${a.symbol}`);
  const rb = indexRank.get(`${b.exchange}:${b.symbol}`);
  if (ra !== undefined || rb !== undefined) return (ra ?? 99) - (rb ?? 99);
  if (a.symbol !== b.symbol) return a.symbol < b.symbol ? -1 : 1;
  return a.exchange === b.exchange ? 0 : a.exchange === 'NSE' ? -1 : 1;
}

/** Most frequent value (ties → smallest), for the underlying id a stock's option rows carry. */
function mode(values: number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = values[0]!;
  let bestCount = 0;
  for (const [v, c] of counts) if (c > bestCount || (c === bestCount && v < best)) [best, bestCount] = [v, c];
  return best;
}

/** Groups the master's option rows into the day's universe and resolves each spot. */
export function selectUniverse(instruments: readonly Instrument[], tradingDate: string): Universe {
  const warnings: string[] = [];
  // Per exchange, by symbol: a `${exchange}:${symbol}` key per option row (~150k at real size)
  // was a fresh string to hash each time.
  const groups: Record<Exchange, Map<string, Group>> = { NSE: new Map(), BSE: new Map() };
  const inOrder: Group[] = [];
  const indexRows = new Map<string, Instrument>();
  const equityRows = new Map<string, Instrument>();
  for (const ins of instruments) {
    if (ins.segment === 'IDX_I') {
      for (const name of [ins.underlyingSymbol, ins.symbolName]) {
        const k = `${ins.exchange}:${name}`;
        if (name && !indexRows.has(k)) indexRows.set(k, ins);
      }
      continue;
    }
    if (ins.segment === 'NSE_EQ' || ins.segment === 'BSE_EQ') {
      equityRows.set(`${ins.segment}:${ins.securityId}`, ins);
      continue;
    }
    if (ins.optionType === null || ins.expiry < tradingDate) continue;
    let kind: 'index' | 'stock';
    if (ins.instrument === 'OPTIDX') {
      if (!indexSymbols[ins.exchange].has(ins.underlyingSymbol)) continue;
      kind = 'index';
    } else if (ins.instrument === 'OPTSTK') {
      kind = 'stock';
    } else continue;
    const byExchange = groups[ins.exchange];
    let g = byExchange.get(ins.underlyingSymbol);
    if (!g) {
      g = { symbol: ins.underlyingSymbol, exchange: ins.exchange, kind, options: [] };
      byExchange.set(ins.underlyingSymbol, g);
      inOrder.push(g);
    }
    g.options.push(ins);
  }
  const entries: UniverseEntry[] = [];
  for (const g of inOrder) {
    let spot: Instrument | null;
    if (g.kind === 'index') {
      // Index options carry a derivatives-domain UNDERLYING_SECURITY_ID (NIFTY 26000, not 13):
      // match the IDX_I row by symbol instead (docs/dhan-protocol.md §1.4).
      spot = indexRows.get(`${g.exchange}:${g.symbol}`) ?? null;
    } else {
      const ids = g.options.map((o) => o.underlyingSecurityId);
      const uid = mode(ids);
      if (ids.some((v) => v !== uid)) warnings.push(`${g.exchange}:${g.symbol}: option rows disagree on UNDERLYING_SECURITY_ID; using ${uid}`);
      spot = equityRows.get(`${g.exchange === 'NSE' ? 'NSE_EQ' : 'BSE_EQ'}:${uid}`) ?? null;
    }
    if (!spot) warnings.push(`${g.exchange}:${g.symbol}: no spot row in the master; its spot will not be streamed`);
    entries.push({ symbol: g.symbol, exchange: g.exchange, kind: g.kind, options: g.options, spot });
  }
  entries.sort(compareEntries);
  return { entries, warnings };
}
