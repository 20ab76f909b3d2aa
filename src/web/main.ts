/**
 * Entry of the live option-chain page (served at `GET /` by the optchain server).
 *
 * One sequential polling loop fetches the selected chain about once a second from the
 * FlatBuffers route (docs/contract.md §5) through the project's typed client, and skips the table
 * pass when the chain's `generation` has not moved (docs/contract.md §5: equal generation ⇒ equal
 * body apart from servedAt). A second, slower loop reads `/health`. Failed requests show a
 * "reconnecting" banner and retry with backoff; the first success after that clears it, so
 * a server restart heals by itself.
 *
 * @module
 */
import { OptchainClient, OptchainClientError, type ChainJson, type FetchLike, type SkeletonSummaryJson } from '../client/index.js';
import { Backoff } from './backoff.js';
import { ChainTable } from './chain-table.js';
import { byId, h, setText } from './dom.js';
import { ExpiryTabs } from './expiry-tabs.js';
import * as fmt from './format.js';
import { HealthBadge } from './health-badge.js';
import { formatHash, parseHash, type Selection } from './selection.js';
import { UnderlyingPicker, type UnderlyingEntry } from './underlying-picker.js';

/** Target refresh period of the chain (ms). */
const REFRESH_MS = 1_000;
/** Health poll period (ms). */
const HEALTH_MS = 2_000;
/** A request slower than this counts as failed (ms). */
const TIMEOUT_MS = 4_000;
const QUICK = ['NIFTY', 'BANKNIFTY', 'SENSEX'];

/** Counters exposed on `window.optchainPage` for tests and for a look from devtools. */
interface PageStats {
  /** Table passes (generation moved or chain changed). */
  renders: number;
  /** Polls answered with an unchanged generation (table pass skipped). */
  skips: number;
  /** Table rebuilds (new chain). */
  rebuilds: number;
  failures: number;
  recoveries: number;
  generation: number;
  lastFetchMs: number;
  lastRenderMs: number;
  chain: string;
  rows: number;
}

declare global {
  interface Window {
    optchainPage: PageStats;
  }
}

const stats: PageStats = { renders: 0, skips: 0, rebuilds: 0, failures: 0, recoveries: 0, generation: -1, lastFetchMs: 0, lastRenderMs: 0, chain: '', rows: 0 };
window.optchainPage = stats;

// Live data must never come from the HTTP cache.
const noStore: FetchLike = (input, init) => fetch(input, { ...init, cache: 'no-store' });
const client = new OptchainClient(location.origin, { fetch: noStore });

const el = {
  banner: byId<HTMLDivElement>('banner'),
  spot: byId<HTMLElement>('spot'),
  atm: byId<HTMLElement>('atm'),
  pcr: byId<HTMLElement>('pcr'),
  forward: byId<HTMLElement>('forward'),
  atmIv: byId<HTMLElement>('atm-iv'),
  maxPain: byId<HTMLElement>('max-pain'),
  greeks: byId<HTMLInputElement>('greeks'),
  title: byId<HTMLElement>('chain-title'),
  status: byId<HTMLElement>('status'),
  quick: byId<HTMLElement>('quick'),
  centre: byId<HTMLButtonElement>('centre'),
};
const table = new ChainTable(byId('scroller'));
el.greeks.addEventListener('change', () => table.showGreeks(el.greeks.checked));
const badge = new HealthBadge(byId('health'));
const tabs = new ExpiryTabs(byId('expiries'), (expiry) => select({ ...selection, expiry }));
const picker = new UnderlyingPicker(byId<HTMLInputElement>('underlying'), byId<HTMLUListElement>('underlying-list'), (u) =>
  select({ symbol: u.symbol, exchange: u.exchange, expiry: null }),
);

let summary: SkeletonSummaryJson | null = null;
let selection: Selection = parseHash(location.hash) ?? { symbol: 'NIFTY', exchange: 'NSE', expiry: null };
/** Server clock minus browser clock, from the last response's servedAt (ms). */
let clockOffset = 0;
/** The generation whose servedAt set {@link clockOffset}. */
let offsetGeneration = -1;
let shownKey = '';
let forceRender = true;
let inflight: AbortController | null = null;
let wakeLoop: (() => void) | null = null;
const backoff = new Backoff();

function serverNow(): number {
  return Date.now() + clockOffset;
}

function underlyingOf(s: Selection): UnderlyingEntry | undefined {
  return summary?.underlyings.find((u) => u.symbol === s.symbol && u.exchange === s.exchange);
}

/** Resolves a selection against the summary: unknown underlying → NIFTY (or the first), no expiry → nearest. */
function resolve(s: Selection): Selection {
  if (!summary || summary.underlyings.length === 0) return s;
  const u = underlyingOf(s) ?? summary.underlyings.find((x) => x.symbol === 'NIFTY') ?? summary.underlyings[0];
  if (!u) return s;
  const expiry = u.expiries.some((e) => e.expiry === s.expiry) ? s.expiry : (u.expiries[0]?.expiry ?? null);
  return { symbol: u.symbol, exchange: u.exchange, expiry };
}

function showSelection(): void {
  const u = underlyingOf(selection);
  picker.setCurrent(u ?? null);
  if (u && summary) tabs.setExpiries(u.expiries, summary.tradingDate);
  if (selection.expiry) tabs.select(selection.expiry);
  for (const b of el.quick.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.symbol === selection.symbol && selection.exchange === (b.dataset.exchange ?? 'NSE')));
  history.replaceState(null, '', formatHash(selection));
}

function select(s: Selection): void {
  const next = resolve(s);
  const same = next.symbol === selection.symbol && next.exchange === selection.exchange;
  selection = next;
  if (same) {
    if (next.expiry) tabs.select(next.expiry);
    history.replaceState(null, '', formatHash(selection));
  } else showSelection();
  // Abandon the request for the old chain and poll the new one now.
  inflight?.abort(new DOMException('selection changed', 'AbortError'));
  wakeLoop?.();
}

async function loadSummary(signal: AbortSignal): Promise<void> {
  summary = await client.getUnderlyings(signal);
  picker.setEntries(summary.underlyings);
  el.quick.replaceChildren(
    ...QUICK.flatMap((sym) => {
      const u = summary?.underlyings.find((x) => x.symbol === sym);
      return u ? [h('button', { type: 'button', 'data-symbol': u.symbol, 'data-exchange': u.exchange, text: u.symbol })] : [];
    }),
  );
  selection = resolve(selection);
  showSelection();
}

el.quick.addEventListener('click', (e) => {
  const b = (e.target as HTMLElement).closest('button');
  if (b?.dataset.symbol) select({ symbol: b.dataset.symbol, exchange: (b.dataset.exchange as 'NSE' | 'BSE') ?? 'NSE', expiry: null });
});
el.centre.addEventListener('click', () => table.centre());
window.addEventListener('hashchange', () => {
  const s = parseHash(location.hash);
  if (s && formatHash(resolve(s)) !== formatHash(selection)) select(s);
});

function banner(text: string | null): void {
  if (text === null) {
    if (!el.banner.hidden) el.banner.hidden = true;
    return;
  }
  setText(el.banner, text);
  el.banner.hidden = false;
}

function render(chain: ChainJson, fetchMs: number): void {
  const key = `${chain.exchange}:${chain.symbol}:${chain.expiry}:${chain.tradingDate}`;
  stats.lastFetchMs = fetchMs;
  if (!forceRender && key === shownKey && chain.generation === stats.generation) {
    stats.skips++;
    table.ages(serverNow());
  } else {
    const t0 = performance.now();
    const rebuilt = table.update(chain, serverNow());
    if (rebuilt) {
      table.centre();
      stats.rebuilds++;
    }
    stats.renders++;
    stats.lastRenderMs = performance.now() - t0;
    stats.generation = chain.generation;
    stats.chain = key;
    stats.rows = table.rowCount;
    shownKey = key;
    forceRender = false;
    const st = table.stats();
    setText(el.title, `${chain.symbol} ${chain.exchange} · ${chain.expiry}`);
    setText(el.spot, fmt.bigPrice(chain.spot?.ltp ?? null) || '–');
    const a = chain.analytics;
    // The server's aggregates (forward-based ATM, PCR over every leg) when analytics run; the page's own otherwise.
    const atmStrike = a?.atmStrike ?? st.atmStrike;
    const pcr = a?.pcrOi ?? st.pcr;
    setText(el.atm, atmStrike === null ? '–' : fmt.strike(atmStrike));
    setText(el.pcr, pcr === null ? '–' : pcr.toFixed(2));
    setText(el.forward, a?.forward == null ? '–' : `${fmt.bigPrice(a.forward)}${a.forwardSource === 'spot' ? ' (spot)' : ''}`);
    setText(el.atmIv, a?.atmIv == null ? '–' : `${a.atmIv.toFixed(2)} %`);
    setText(el.maxPain, a?.maxPain == null ? '–' : fmt.strike(a.maxPain));
  }
  setText(el.status, `gen ${chain.generation} · served ${fmt.clock(chain.servedAt)} IST · fetch ${fetchMs.toFixed(0)} ms · render ${stats.lastRenderMs.toFixed(1)} ms · ${chain.rows.length} strikes`);
}

function describe(err: unknown): string {
  if (err instanceof OptchainClientError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((res) => {
    const done = (): void => {
      clearTimeout(t);
      wakeLoop = null;
      res();
    };
    const t = setTimeout(done, ms);
    wakeLoop = done;
  });
}

function whenVisible(): Promise<void> {
  if (document.visibilityState !== 'hidden') return Promise.resolve();
  return new Promise((res) => document.addEventListener('visibilitychange', () => res(), { once: true }));
}

async function chainLoop(): Promise<never> {
  for (;;) {
    await whenVisible();
    const started = performance.now();
    const ac = new AbortController();
    inflight = ac;
    const timer = setTimeout(() => ac.abort(new DOMException('timed out', 'TimeoutError')), TIMEOUT_MS);
    let delay = REFRESH_MS;
    try {
      if (!summary) await loadSummary(ac.signal);
      const sel = selection;
      const chain = await client.getChain(sel.symbol, { exchange: sel.exchange, ...(sel.expiry ? { expiry: sel.expiry } : {}), format: 'flatbuffers', signal: ac.signal });
      // A body whose generation did not move may be the browser's revalidated copy (ETag → 304):
      // its servedAt is from when it was first served, so only a moved generation resets the clock.
      if (chain.generation !== offsetGeneration) clockOffset = chain.servedAt - Date.now();
      offsetGeneration = chain.generation;
      if (backoff.attempts > 0) {
        stats.recoveries++;
        table.setDisconnected(false);
        // A restarted server may be on a new trading date with a new universe.
        if (summary && chain.tradingDate !== summary.tradingDate) summary = null;
      }
      backoff.reset();
      banner(null);
      if (sel === selection) render(chain, performance.now() - started);
      delay = Math.max(50, REFRESH_MS - (performance.now() - started));
    } catch (err) {
      const reason = ac.signal.aborted ? ac.signal.reason : err;
      if (reason instanceof DOMException && reason.message === 'selection changed') {
        delay = 0;
      } else if (err instanceof OptchainClientError && err.status === 404) {
        // The expiry or symbol left the universe (a rollover): re-read the summary.
        summary = null;
        selection = { ...selection, expiry: null };
        delay = backoff.fail();
      } else {
        stats.failures++;
        forceRender = true;
        table.setDisconnected(true);
        delay = backoff.fail();
        const starting = err instanceof OptchainClientError && err.status === 503;
        // Say so at once rather than at the next health poll.
        if (!(err instanceof OptchainClientError)) badge.unreachable(describe(reason));
        banner(`${starting ? 'Server is starting' : 'Reconnecting'}… attempt ${backoff.attempts}, next try in ${(delay / 1000).toFixed(1)} s (${describe(reason)})`);
        table.ages(serverNow());
      }
    } finally {
      clearTimeout(timer);
      if (inflight === ac) inflight = null;
    }
    await sleep(delay);
  }
}

async function healthLoop(): Promise<never> {
  for (;;) {
    await whenVisible();
    try {
      badge.show(await client.getHealth(AbortSignal.timeout(TIMEOUT_MS)), serverNow());
    } catch (err) {
      badge.unreachable(describe(err));
    }
    await new Promise((res) => setTimeout(res, HEALTH_MS));
  }
}

void chainLoop();
void healthLoop();
