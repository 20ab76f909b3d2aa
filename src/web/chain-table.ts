/**
 * The option chain as CE | strike | PE (docs/peers.md §2.8: mirrored columns around the strike,
 * ATM marked, ITM shaded), updated in place.
 *
 * The table is built once per chain (a new underlying, expiry or trading date) and afterwards
 * only the cells whose text changed are written: every cell's last string is kept in a
 * JavaScript array, so a refresh of ~250 rows compares ~4,500 strings and touches the DOM
 * only for the handful of quotes that moved. Row classes (ITM, stale, untouched) are toggled
 * only when their boolean flips.
 *
 * @module
 */
import type { ChainJson, LegJson, RowJson } from '../client/index.js';
import * as fmt from './format.js';

/** How long an LTP cell shows its tick direction before fading (ms). */
const FLASH_MS = 450;

/** A leg not updated for longer than this is greyed as stale (ms). */
export const STALE_AFTER_MS = 60_000;

type Field = 'age' | 'oi' | 'volume' | 'vega' | 'theta' | 'gamma' | 'delta' | 'iv' | 'ltp' | 'chg' | 'bidQty' | 'bid' | 'ask' | 'askQty';

/**
 * Column order of the call side; the put side mirrors it (NSE's layout, docs/peers.md §2.8),
 * IV and delta beside the LTP. Gamma, theta and vega are hidden unless the table has the
 * `show-greeks` class ({@link ChainTable.showGreeks}, app.css).
 */
const CE_FIELDS: readonly Field[] = ['age', 'oi', 'volume', 'vega', 'theta', 'gamma', 'delta', 'iv', 'ltp', 'chg', 'bidQty', 'bid', 'ask', 'askQty'];
const PE_FIELDS: readonly Field[] = [...CE_FIELDS].reverse();
const SIDE_COLS = CE_FIELDS.length;
/** Index of the strike cell in a row. */
const STRIKE_COL = SIDE_COLS;
const COLS = SIDE_COLS * 2 + 1;

const HEADINGS: Record<Field, [label: string, title: string]> = {
  age: ['Age', 'Time since the server last received a tick for this contract'],
  oi: ['OI', 'Open interest (contracts)'],
  volume: ['Volume', 'Volume traded today (contracts)'],
  ltp: ['LTP', 'Last traded price'],
  chg: ['Chg', 'LTP minus previous close'],
  bidQty: ['Bid Qty', 'Quantity at the best bid'],
  bid: ['Bid', 'Best bid'],
  ask: ['Ask', 'Best ask'],
  askQty: ['Ask Qty', 'Quantity at the best ask'],
  iv: ['IV', 'Implied volatility, % (Black-76 on the chain forward; hover for the price it was solved from)'],
  delta: ['Delta', 'Delta against the spot'],
  gamma: ['Gamma', 'Gamma, per rupee of the spot'],
  theta: ['Theta', 'Theta, rupees per calendar day'],
  vega: ['Vega', 'Vega, rupees per vol point'],
};

/** The number a cell shows (NaN for null), compared before formatting so Intl runs only on change. */
function raw(field: Exclude<Field, 'age'>, leg: LegJson): number {
  const v = field === 'chg' ? (leg.ltp === null || leg.prevClose === null ? null : leg.ltp - leg.prevClose) : leg[field];
  return v === null ? Number.NaN : v;
}

function format(field: Exclude<Field, 'age'>, leg: LegJson): string {
  switch (field) {
    case 'oi': return fmt.compact(leg.oi);
    case 'volume': return fmt.compact(leg.volume);
    case 'ltp': return fmt.price(leg.ltp);
    case 'chg': return fmt.change(leg.ltp, leg.prevClose);
    case 'bidQty': return fmt.qty(leg.bidQty);
    case 'bid': return fmt.price(leg.bid);
    case 'ask': return fmt.price(leg.ask);
    case 'askQty': return fmt.qty(leg.askQty);
    case 'iv': return fmt.fixed(leg.iv, 2);
    case 'delta': return fmt.fixed(leg.delta, 3);
    case 'gamma': return fmt.significant(leg.gamma, 3);
    case 'theta': return fmt.fixed(leg.theta, 2);
    case 'vega': return fmt.fixed(leg.vega, 2);
  }
}

/** Per-side row state kept to avoid redundant class writes. */
interface SideState {
  /** False where the skeleton has no contract on this side. */
  listed: boolean;
  itm: boolean;
  stale: boolean;
  none: boolean;
  /** Previous LTP for the tick-direction flash. */
  ltp: number | null;
  updatedAt: number | null;
}

interface RowView {
  readonly tr: HTMLTableRowElement;
  readonly strike: number;
  readonly cells: HTMLTableCellElement[];
  readonly text: string[];
  /** Last shown number per cell (NaN = blank); starts as undefined-like so the first pass writes. */
  readonly vals: Float64Array;
  readonly ce: SideState;
  readonly pe: SideState;
}

/** Aggregates computed on each refresh, for the toolbar. */
export interface ChainStats {
  readonly atmStrike: number | null;
  readonly ceOi: number;
  readonly peOi: number;
  /** Put/call OI ratio; null without call OI. */
  readonly pcr: number | null;
}

function newSide(): SideState {
  return { listed: true, itm: false, stale: false, none: false, ltp: null, updatedAt: null };
}

function colIndex(side: 'ce' | 'pe', field: Field): number {
  return side === 'ce' ? CE_FIELDS.indexOf(field) : STRIKE_COL + 1 + PE_FIELDS.indexOf(field);
}

const AGE_COL = { ce: colIndex('ce', 'age'), pe: colIndex('pe', 'age') } as const;
const LTP_COL = { ce: colIndex('ce', 'ltp'), pe: colIndex('pe', 'ltp') } as const;
const OI_COL = { ce: colIndex('ce', 'oi'), pe: colIndex('pe', 'oi') } as const;
const CHG_COL = { ce: colIndex('ce', 'chg'), pe: colIndex('pe', 'chg') } as const;

/** The live chain table inside a scroll container. */
export class ChainTable {
  readonly table: HTMLTableElement;
  private readonly scroller: HTMLElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly spotRow: HTMLTableRowElement;
  private readonly spotLabel: HTMLSpanElement;
  private readonly totals: HTMLTableCellElement[] = [];
  private rows: RowView[] = [];
  private key = '';
  private chain: ChainJson | null = null;
  private atmIndex = -1;
  private spotIndex = -1;
  private maxOi = { ce: -1, pe: -1 };
  private flashing: HTMLTableCellElement[] = [];
  private flashTimer: ReturnType<typeof setTimeout> | null = null;
  private lastStats: ChainStats = { atmStrike: null, ceOi: 0, peOi: 0, pcr: null };

  constructor(scroller: HTMLElement) {
    this.scroller = scroller;
    this.table = document.createElement('table');
    this.table.className = 'chain';
    // The rows are laid out as flex boxes (app.css), which drops implicit table semantics.
    this.table.setAttribute('role', 'table');
    this.table.innerHTML = this.headHtml();
    this.tbody = this.table.createTBody();
    this.tbody.setAttribute('role', 'rowgroup');
    const foot = this.table.createTFoot();
    foot.setAttribute('role', 'rowgroup');
    const tr = foot.insertRow();
    tr.className = 'totals';
    tr.setAttribute('role', 'row');
    for (let c = 0; c < COLS; c++) {
      const td = tr.insertCell();
      td.setAttribute('role', 'cell');
      td.className = c < STRIKE_COL ? `ce f-${CE_FIELDS[c]}` : c > STRIKE_COL ? `pe f-${PE_FIELDS[c - STRIKE_COL - 1]}` : 'strike';
      this.totals.push(td);
    }
    // The loop above made COLS cells, so every column index below has one.
    this.totals[STRIKE_COL]!.textContent = 'Total';
    this.spotRow = document.createElement('tr');
    this.spotRow.className = 'spot-line';
    this.spotRow.setAttribute('role', 'row');
    const spotCell = this.spotRow.insertCell();
    spotCell.setAttribute('role', 'cell');
    spotCell.colSpan = COLS;
    this.spotLabel = document.createElement('span');
    spotCell.append(this.spotLabel);
    scroller.append(this.table);
    this.tbody.addEventListener('mouseover', (e) => this.explain(e));
  }

  /** Strikes currently rendered (test and debugging aid). */
  get rowCount(): number {
    return this.rows.length;
  }

  private headHtml(): string {
    const th = (f: Field, side: string): string => `<th role="columnheader" class="${side} f-${f}" title="${HEADINGS[f][1]}">${HEADINGS[f][0]}</th>`;
    return (
      '<thead role="rowgroup">' +
      `<tr role="row" class="sides"><th role="columnheader" colspan="${SIDE_COLS}" class="ce">CALLS</th><th role="columnheader" class="strike"></th><th role="columnheader" colspan="${SIDE_COLS}" class="pe">PUTS</th></tr>` +
      `<tr role="row" class="cols">${CE_FIELDS.map((f) => th(f, 'ce')).join('')}<th role="columnheader" class="strike">Strike</th>${PE_FIELDS.map((f) => th(f, 'pe')).join('')}</tr>` +
      '</thead>'
    );
  }

  /** Builds the rows for a chain whose strikes differ from what is shown. */
  private rebuild(chain: ChainJson): void {
    const ceCells = CE_FIELDS.map((f) => `<td role="cell" class="ce f-${f}"></td>`).join('');
    const peCells = PE_FIELDS.map((f) => `<td role="cell" class="pe f-${f}"></td>`).join('');
    let html = '';
    for (const r of chain.rows) html += `<tr role="row" class="row" data-strike="${r.strike}">${ceCells}<td role="rowheader" class="strike">${fmt.strike(r.strike)}</td>${peCells}</tr>`;
    this.spotRow.remove();
    this.tbody.innerHTML = html;
    const trs = this.tbody.rows;
    this.rows = chain.rows.map((r, i) => {
      // innerHTML above wrote one <tr> per chain row.
      const tr = trs[i]!;
      const cells = Array.from(tr.cells);
      const text = cells.map((c) => c.textContent ?? '');
      // A sentinel no quote can equal, so the first pass writes every cell.
      const vals = new Float64Array(COLS).fill(Number.NEGATIVE_INFINITY);
      return { tr, strike: r.strike, cells, text, vals, ce: newSide(), pe: newSide() };
    });
    this.atmIndex = -1;
    this.spotIndex = -1;
    this.maxOi = { ce: -1, pe: -1 };
    this.unflash();
    for (const c of this.totals) if (c.className !== 'strike') c.textContent = '';
  }

  private sameStrikes(chain: ChainJson): boolean {
    if (chain.rows.length !== this.rows.length) return false;
    for (let i = 0; i < chain.rows.length; i++) if (chain.rows[i]!.strike !== this.rows[i]!.strike) return false;
    return true;
  }

  // Every column index used on a RowView is < COLS: rebuild() gives each row COLS cells.
  private set(row: RowView, col: number, s: string): void {
    if (row.text[col] !== s) {
      row.text[col] = s;
      row.cells[col]!.textContent = s;
    }
  }

  private toggle(row: RowView, cls: string, on: boolean): void {
    row.tr.classList.toggle(cls, on);
  }

  private updateSide(row: RowView, side: 'ce' | 'pe', leg: LegJson | null, spot: number | null, flash: boolean): void {
    const st = row[side];
    const fields = side === 'ce' ? CE_FIELDS : PE_FIELDS;
    const base = side === 'ce' ? 0 : STRIKE_COL + 1;
    const itm = spot !== null && (side === 'ce' ? row.strike < spot : row.strike > spot);
    if (itm !== st.itm) {
      st.itm = itm;
      this.toggle(row, `${side}-itm`, itm);
    }
    if (leg === null) {
      // Not listed on this side (docs/contract.md §5: null only where the skeleton has none).
      if (st.listed) row.tr.classList.add(`${side}-unlisted`);
      st.listed = false;
      for (let j = 0; j < SIDE_COLS; j++) this.set(row, base + j, '');
      st.updatedAt = null;
      return;
    }
    for (let j = 0; j < SIDE_COLS; j++) {
      const f = fields[j]!;
      if (f === 'age') continue;
      const v = raw(f, leg);
      const col = base + j;
      // Object.is: NaN equals NaN (still blank), and a value that did not move is not re-formatted.
      if (Object.is(v, row.vals[col])) continue;
      row.vals[col] = v;
      this.set(row, col, format(f, leg));
    }
    const chgCell = row.cells[CHG_COL[side]]!;
    const dir = leg.ltp !== null && leg.prevClose !== null ? Math.sign(leg.ltp - leg.prevClose) : 0;
    const chgCls = dir > 0 ? 'f-chg pos' : dir < 0 ? 'f-chg neg' : 'f-chg';
    if (!chgCell.className.endsWith(chgCls)) chgCell.className = `${side} ${chgCls}`;
    if (flash && st.ltp !== null && leg.ltp !== null && leg.ltp !== st.ltp) {
      const cell = row.cells[LTP_COL[side]]!;
      cell.classList.add(leg.ltp > st.ltp ? 'up' : 'down');
      this.flashing.push(cell);
    }
    st.ltp = leg.ltp;
    st.updatedAt = leg.updatedAt;
  }

  /**
   * Shows `chain`. Returns true when the rows were rebuilt (a different chain), so the
   * caller can centre the view on the ATM strike.
   */
  update(chain: ChainJson, serverNow: number): boolean {
    const key = `${chain.exchange}:${chain.symbol}:${chain.expiry}:${chain.tradingDate}`;
    const rebuilt = key !== this.key || !this.sameStrikes(chain);
    if (rebuilt) {
      this.key = key;
      this.rebuild(chain);
    }
    this.chain = chain;
    this.unflash();
    const spot = chain.spot?.ltp ?? null;
    let ceOi = 0;
    let peOi = 0;
    let ceVol = 0;
    let peVol = 0;
    const maxOi = { ce: -1, pe: -1 };
    const maxVal = { ce: -1, pe: -1 };
    // rebuild() above made one RowView per chain row, so both indexes hit.
    for (let i = 0; i < chain.rows.length; i++) {
      const r: RowJson = chain.rows[i]!;
      const row = this.rows[i]!;
      this.updateSide(row, 'ce', r.ce, spot, !rebuilt);
      this.updateSide(row, 'pe', r.pe, spot, !rebuilt);
      if (r.ce?.oi != null) {
        ceOi += r.ce.oi;
        if (r.ce.oi > maxVal.ce) {
          maxVal.ce = r.ce.oi;
          maxOi.ce = i;
        }
      }
      if (r.pe?.oi != null) {
        peOi += r.pe.oi;
        if (r.pe.oi > maxVal.pe) {
          maxVal.pe = r.pe.oi;
          maxOi.pe = i;
        }
      }
      ceVol += r.ce?.volume ?? 0;
      peVol += r.pe?.volume ?? 0;
    }
    for (const side of ['ce', 'pe'] as const) {
      if (maxOi[side] !== this.maxOi[side]) {
        // maxOi indexes were set from this.rows in the loop above (or by the update before, same rows).
        if (this.maxOi[side] >= 0) this.rows[this.maxOi[side]]!.cells[OI_COL[side]]!.classList.remove('max-oi');
        if (maxOi[side] >= 0) this.rows[maxOi[side]]!.cells[OI_COL[side]]!.classList.add('max-oi');
        this.maxOi[side] = maxOi[side];
      }
    }
    this.totals[OI_COL.ce]!.textContent = fmt.compact(ceOi);
    this.totals[OI_COL.pe]!.textContent = fmt.compact(peOi);
    this.totals[colIndex('ce', 'volume')]!.textContent = fmt.compact(ceVol);
    this.totals[colIndex('pe', 'volume')]!.textContent = fmt.compact(peVol);
    this.placeSpot(chain, spot);
    this.ages(serverNow);
    if (this.flashing.length > 0) this.flashTimer = setTimeout(() => this.unflash(), FLASH_MS);
    this.lastStats = { atmStrike: this.rows[this.atmIndex]?.strike ?? null, ceOi, peOi, pcr: ceOi > 0 ? peOi / ceOi : null };
    return rebuilt;
  }

  /**
   * Ends the tick-direction flashes of the last update (CSS fades them out). One timer per
   * update, not per cell: the flash is a short cue, not a state.
   */
  private unflash(): void {
    if (this.flashTimer !== null) clearTimeout(this.flashTimer);
    this.flashTimer = null;
    for (const c of this.flashing) c.classList.remove('up', 'down');
    this.flashing = [];
  }

  /** Moves the spot divider and the ATM marker (nearest strike to spot). */
  private placeSpot(chain: ChainJson, spot: number | null): void {
    let atm = -1;
    let above = this.rows.length;
    if (spot !== null && this.rows.length > 0) {
      let best = Infinity;
      for (let i = 0; i < this.rows.length; i++) {
        const strike = this.rows[i]!.strike;
        const d = Math.abs(strike - spot);
        if (d < best) {
          best = d;
          atm = i;
        }
        if (above === this.rows.length && strike > spot) above = i;
      }
    }
    if (atm !== this.atmIndex) {
      this.rows[this.atmIndex]?.tr.classList.remove('atm');
      this.rows[atm]?.tr.classList.add('atm');
      this.atmIndex = atm;
    }
    if (spot === null) {
      this.spotRow.remove();
      this.spotIndex = -1;
      return;
    }
    if (above !== this.spotIndex || !this.spotRow.isConnected) {
      this.tbody.insertBefore(this.spotRow, this.rows[above]?.tr ?? null);
      this.spotIndex = above;
    }
    const text = `${chain.symbol} spot ${fmt.bigPrice(spot)}`;
    if (this.spotLabel.textContent !== text) this.spotLabel.textContent = text;
  }

  /**
   * Refreshes each leg's age and its stale / untouched state against the server clock
   * (`serverNow`, so a skewed browser clock cannot grey live quotes). Cheap enough to run
   * every second even when the chain's generation has not moved.
   */
  ages(serverNow: number): void {
    for (const row of this.rows) {
      for (const side of ['ce', 'pe'] as const) {
        const st = row[side];
        const listed = st.listed;
        const a = st.updatedAt === null ? null : serverNow - st.updatedAt;
        this.set(row, AGE_COL[side], listed ? fmt.age(a) : '');
        const stale = a !== null && a > STALE_AFTER_MS;
        const none = listed && st.updatedAt === null;
        if (stale !== st.stale) this.toggle(row, `${side}-stale`, (st.stale = stale));
        if (none !== st.none) this.toggle(row, `${side}-none`, (st.none = none));
      }
    }
  }

  /** Scrolls so the ATM strike sits in the middle of the view (or the middle strike without a spot). */
  centre(): void {
    const i = this.atmIndex >= 0 ? this.atmIndex : Math.floor(this.rows.length / 2);
    const row = this.rows[i];
    if (!row) return;
    const head = this.table.tHead?.offsetHeight ?? 0;
    const foot = this.table.tFoot?.offsetHeight ?? 0;
    const visible = this.scroller.clientHeight - head - foot;
    const box = row.tr.getBoundingClientRect();
    const top = this.scroller.getBoundingClientRect().top + this.scroller.clientTop;
    // Where the row is now relative to where a centred row would be, in scroll pixels.
    this.scroller.scrollTop += box.top - (top + head + (visible - box.height) / 2);
  }

  /** Shows or hides the gamma, theta and vega columns (IV and delta always show). */
  showGreeks(on: boolean): void {
    this.table.classList.toggle('show-greeks', on);
  }

  /** Stats of the last update for the toolbar. */
  stats(): ChainStats {
    return this.lastStats;
  }

  /** Greys the whole table while the server is unreachable. */
  setDisconnected(on: boolean): void {
    this.table.classList.toggle('disconnected', on);
  }

  /** Fills a cell's tooltip lazily on hover: contract details, receive and trade times. */
  private explain(e: Event): void {
    const td = (e.target as HTMLElement).closest('td');
    const tr = td?.parentElement as HTMLTableRowElement | null;
    if (!td || !tr || !this.chain || !tr.classList.contains('row')) return;
    const i = tr.sectionRowIndex - (this.spotIndex >= 0 && tr.sectionRowIndex > this.spotIndex ? 1 : 0);
    const r = this.chain.rows[i];
    if (!r) return;
    const side = td.classList.contains('ce') ? 'ce' : td.classList.contains('pe') ? 'pe' : null;
    if (side === null) {
      td.title = `${this.chain.symbol} ${fmt.strike(r.strike)}${i === this.atmIndex ? ' (ATM)' : ''}`;
      return;
    }
    const leg = r[side];
    if (!leg) {
      td.title = `no ${side.toUpperCase()} listed at ${fmt.strike(r.strike)}`;
      return;
    }
    const lines = [
      `${this.chain.symbol} ${this.chain.expiry} ${fmt.strike(r.strike)} ${side.toUpperCase()}`,
      `security id ${leg.securityId}, lot ${leg.lotSize}`,
      `OI ${fmt.qty(leg.oi) || '–'}, volume ${fmt.qty(leg.volume) || '–'}, prev close ${fmt.price(leg.prevClose) || '–'}`,
      leg.updatedAt === null ? 'no tick received yet' : `received ${fmt.clock(leg.updatedAt)} IST`,
      leg.ltt === null ? '' : `last trade ${fmt.clock(leg.ltt * 1000)} IST`,
      leg.iv !== null ? `IV ${fmt.fixed(leg.iv, 2)} % from the ${leg.ivFrom === 'mid' ? 'mid' : 'LTP'} ${fmt.fixed(leg.ivPrice, 3)}` : leg.ivNullReason !== null ? `no IV: ${leg.ivNullReason}` : '',
      leg.oiChange === null ? '' : `OI change ${leg.oiChange > 0 ? '+' : ''}${fmt.qty(leg.oiChange)}`,
    ];
    td.title = lines.filter(Boolean).join('\n');
  }
}
