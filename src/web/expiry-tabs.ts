/**
 * Expiry tabs with days to expiry and the expiry's tags (docs/peers.md §2.8: "expiry tabs with
 * DTE"; docs/contract.md §2.1: weekly / monthly / quarterly).
 *
 * @module
 */
import { h } from './dom.js';
import * as fmt from './format.js';
import type { UnderlyingEntry } from './underlying-picker.js';

type ExpiryEntry = UnderlyingEntry['expiries'][number];

const TAG_SHORT: Record<string, string> = { weekly: 'W', monthly: 'M', quarterly: 'Q' };

/** A row of buttons, one per selected expiry of the current underlying. */
export class ExpiryTabs {
  private readonly el: HTMLElement;
  private readonly onPick: (expiry: string) => void;
  private buttons = new Map<string, HTMLButtonElement>();
  private current: string | null = null;

  constructor(el: HTMLElement, onPick: (expiry: string) => void) {
    this.el = el;
    this.onPick = onPick;
    el.setAttribute('role', 'tablist');
    el.addEventListener('click', (e) => {
      const b = (e.target as HTMLElement).closest('button');
      if (b?.dataset.expiry) this.onPick(b.dataset.expiry);
    });
  }

  /** Shows the expiries of an underlying; `tradingDate` gives the days to expiry. */
  setExpiries(expiries: readonly ExpiryEntry[], tradingDate: string): void {
    this.buttons = new Map();
    const tabs = expiries.map((e) => {
      const dte = fmt.daysToExpiry(tradingDate, e.expiry);
      const b = h(
        'button',
        { type: 'button', role: 'tab', 'data-expiry': e.expiry, title: `${e.expiry} · ${e.tags.join(', ')} · ${e.strikes} strikes, ${e.contracts} contracts` },
        h('span', { class: 'date', text: fmt.expiryLabel(e.expiry, tradingDate) }),
        ...e.tags.map((t) => h('span', { class: `tag ${t}`, title: t, text: TAG_SHORT[t] ?? t })),
        h('span', { class: 'dte', text: dte === 0 ? 'expiry day' : `${dte}d` }),
      );
      this.buttons.set(e.expiry, b);
      return b;
    });
    this.el.replaceChildren(...tabs);
    const cur = this.current;
    this.current = null;
    if (cur) this.select(cur);
  }

  /** Marks `expiry` as the shown one. */
  select(expiry: string): void {
    if (this.current === expiry) return;
    if (this.current) this.buttons.get(this.current)?.setAttribute('aria-selected', 'false');
    this.current = expiry;
    this.buttons.get(expiry)?.setAttribute('aria-selected', 'true');
  }
}
