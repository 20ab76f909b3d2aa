/**
 * A tiny element helper: the page is plain TypeScript (no framework) because its one hot
 * path, the chain table, updates cells in place and a virtual DOM would only add a diff.
 *
 * @module
 */

/** Attributes of {@link h}: `class`, `text`, `title` and any other string attribute. */
export type Attrs = Record<string, string | number | boolean | undefined>;

/** Creates an element with attributes and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string | null | undefined)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

/** The element with `id`, or an error naming it (index.html and the code disagree). */
export function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from index.html`);
  return el as T;
}

/** Sets `textContent` only when it differs from the cached copy; returns whether it wrote. */
export function setText(el: HTMLElement, text: string): boolean {
  if (el.textContent === text) return false;
  el.textContent = text;
  return true;
}
