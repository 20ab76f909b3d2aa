/**
 * The underlying picker: a search box over the ~210 underlyings of the day's skeleton
 * (docs/contract.md §2.1) with a keyboard-driven list (ARIA combobox pattern). Exact symbol matches
 * rank first, then prefixes, then substrings, so "NIFTY" finds NIFTY before BANKNIFTY.
 *
 * @module
 */
import type { SkeletonSummaryJson } from '../client/index.js';
import { h } from './dom.js';

/** One underlying of the skeleton summary. */
export type UnderlyingEntry = SkeletonSummaryJson['underlyings'][number];

/** Matches `query` against the entries, best first; every entry for an empty query. */
export function searchUnderlyings(entries: readonly UnderlyingEntry[], query: string): UnderlyingEntry[] {
  const q = query.trim().toUpperCase();
  if (q === '') return [...entries];
  let exchange: string | null = null;
  let sym = q;
  const colon = q.indexOf(':');
  if (colon > 0) {
    exchange = q.slice(0, colon);
    sym = q.slice(colon + 1);
  }
  const ranked: [number, number, UnderlyingEntry][] = [];
  entries.forEach((u, i) => {
    if (exchange !== null && u.exchange !== exchange) return;
    const rank = u.symbol === sym ? 0 : u.symbol.startsWith(sym) ? 1 : u.symbol.includes(sym) ? 2 : -1;
    if (rank >= 0) ranked.push([rank, i, u]);
  });
  ranked.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return ranked.map((r) => r[2]);
}

/** A search-as-you-type picker bound to an input and a list element. */
export class UnderlyingPicker {
  private entries: UnderlyingEntry[] = [];
  private shown: UnderlyingEntry[] = [];
  private active = 0;
  private current: UnderlyingEntry | null = null;
  private readonly input: HTMLInputElement;
  private readonly list: HTMLUListElement;
  private readonly onPick: (u: UnderlyingEntry) => void;
  /** Symbols listed on both exchanges show their exchange in the box. */
  private dual = new Set<string>();

  constructor(input: HTMLInputElement, list: HTMLUListElement, onPick: (u: UnderlyingEntry) => void) {
    this.input = input;
    this.list = list;
    this.onPick = onPick;
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-controls', list.id);
    input.setAttribute('aria-expanded', 'false');
    list.setAttribute('role', 'listbox');
    input.addEventListener('focus', () => {
      input.select();
      this.open('');
    });
    input.addEventListener('input', () => this.open(input.value));
    input.addEventListener('keydown', (e) => this.key(e));
    input.addEventListener('blur', () => this.close());
    // mousedown, not click: it fires before the input's blur closes the list.
    list.addEventListener('mousedown', (e) => {
      const li = (e.target as HTMLElement).closest('li');
      if (!li) return;
      e.preventDefault();
      this.pick(this.shown[Number(li.dataset.i)]);
    });
  }

  /** Replaces the searchable entries (a new trading date may bring a new universe). */
  setEntries(entries: readonly UnderlyingEntry[]): void {
    this.entries = [...entries];
    const seen = new Map<string, number>();
    for (const u of entries) seen.set(u.symbol, (seen.get(u.symbol) ?? 0) + 1);
    this.dual = new Set([...seen].filter(([, n]) => n > 1).map(([s]) => s));
    this.input.placeholder = `Search ${entries.length} underlyings…`;
  }

  /** Shows `u` as the current choice (without firing `onPick`). */
  setCurrent(u: UnderlyingEntry | null): void {
    this.current = u;
    if (document.activeElement !== this.input) this.input.value = u ? this.label(u) : '';
  }

  private label(u: UnderlyingEntry): string {
    return this.dual.has(u.symbol) ? `${u.exchange}:${u.symbol}` : u.symbol;
  }

  private open(query: string): void {
    this.shown = searchUnderlyings(this.entries, query);
    this.active = 0;
    this.render();
    this.list.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
  }

  private close(): void {
    this.list.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.value = this.current ? this.label(this.current) : '';
  }

  private render(): void {
    const items = this.shown.map((u, i) =>
      h(
        'li',
        { 'data-i': i, role: 'option', 'aria-selected': i === this.active ? 'true' : 'false', class: i === this.active ? 'active' : undefined },
        h('span', { class: 'sym', text: u.symbol }),
        h('span', { class: `exch ${u.exchange.toLowerCase()}`, text: u.exchange }),
        h('span', { class: 'kind', text: u.kind === 'index' ? 'index' : `${u.expiries.length} exp` }),
      ),
    );
    if (items.length === 0) items.push(h('li', { class: 'empty', text: 'no match' }));
    this.list.replaceChildren(...items);
  }

  private move(delta: number): void {
    if (this.shown.length === 0) return;
    const prev = this.list.children[this.active];
    this.active = (this.active + delta + this.shown.length) % this.shown.length;
    prev?.classList.remove('active');
    prev?.setAttribute('aria-selected', 'false');
    const next = this.list.children[this.active];
    next?.classList.add('active');
    next?.setAttribute('aria-selected', 'true');
    next?.scrollIntoView({ block: 'nearest' });
  }

  private key(e: KeyboardEvent): void {
    if (e.key === 'ArrowDown') this.move(1);
    else if (e.key === 'ArrowUp') this.move(-1);
    else if (e.key === 'Enter') {
      const u = this.shown[this.active];
      if (u) this.pick(u);
    } else if (e.key === 'Escape') this.input.blur();
    else return;
    e.preventDefault();
  }

  private pick(u: UnderlyingEntry | undefined): void {
    if (!u) return;
    this.current = u;
    this.input.blur();
    this.onPick(u);
  }
}
