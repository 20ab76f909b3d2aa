/**
 * The feed-health badge, from `GET /health` (docs/contract.md §5): status, mode, connections, and
 * unsubscribed tokens as a warning (docs/peers.md §3.4: silently unsubscribed tokens are the
 * classic cause of "frozen" strikes).
 *
 * @module
 */
import type { HealthReport } from '../client/index.js';
import { setText } from './dom.js';
import * as fmt from './format.js';

/** The badge element's content and tooltip. */
export class HealthBadge {
  private readonly el: HTMLElement;
  private last = '';

  constructor(el: HTMLElement) {
    this.el = el;
    this.el.dataset.status = 'unknown';
    setText(this.el, 'health …');
  }

  /** Shows a health report; `now` is the server-clock estimate for packet ages. */
  show(h: HealthReport, now: number): void {
    const f = h.feed;
    const warn = f.unsubscribed > 0;
    const status = h.status === 'ok' && warn ? 'warn' : h.status;
    const text = `${h.status} · ${h.mode} · ${f.connections.length} conn${warn ? ` · ⚠ ${f.unsubscribed} unsubscribed` : ''}`;
    const conns = f.connections.map((c) => `  #${c.index} ${c.account}: ${c.state}, ${c.tokens} tokens, last packet ${c.lastPacketAt === null ? 'never' : `${fmt.age(now - c.lastPacketAt)} ago`}`);
    const title = [
      `feed ${h.status} (${h.mode} mode), trading date ${h.tradingDate ?? '–'}`,
      `skeleton: ${h.skeleton.underlyings} underlyings, ${h.skeleton.chains} chains, ${h.skeleton.contracts} contracts`,
      `subscribed ${f.subscribed}, unsubscribed ${f.unsubscribed}, with data ${f.withData}, packets ${f.packets}`,
      'connections:',
      ...conns,
    ].join('\n');
    this.set(status, text, title);
  }

  /** Shows that /health itself could not be read. */
  unreachable(reason: string): void {
    this.set('down', 'server unreachable', reason);
  }

  private set(status: string, text: string, title: string): void {
    const key = `${status}|${text}|${title}`;
    if (key === this.last) return;
    this.last = key;
    this.el.dataset.status = status;
    this.el.textContent = text;
    this.el.title = title;
  }
}
