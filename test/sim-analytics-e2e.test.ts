/**
 * End to end in sim mode (issue 13): the simulator prices every option with Black-76
 * (src/sim/black76.ts) on a smile around its underlying's vol and quotes it on the 0.05 tick;
 * optchain, through the real feed, price table, analytics worker and HTTP, must recover that
 * vol from the quotes, within what the tick rounding allows.
 *
 * The simulator runs at a crawl (OPTCHAIN_SIM_RATE 0.001), so the chain is the subscription
 * snapshot: every option of the chain priced off the same spot within the subscribe burst.
 *
 * How close (per leg, in vol points): the simulator's book puts the mid within one tick of
 * its fair value (bid = floor((fair − w/2)/tick)·tick, ask = bid + w, so mid ≤ fair < mid + tick:
 * src/sim/market-model.ts makeBook). A price error of one tick moves the IV by tick / vega.
 * The forward optchain solved with is its parity median; where it differs from the
 * simulator's (spot · e^{rT} at the moment it priced that leg), the IV absorbs |∂V/∂F|·ΔF / vega.
 * ΔF ≤ |F̂ − F_ref| + 0.5 (half an index tick and rounding) + the spot's drift while the
 * snapshot burst lasted (4 σ of the simulator's walk over the spread of the legs' receive
 * times: σ·F·√(burst / (252 · 22 500 s))). Tolerance = (0.05 + df·|Δ|·ΔF + 5e-7·F) / vega, the
 * last term for the simulator's A&S normal CDF (|error| < 1.5e-7).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { YEAR_MS } from '../src/analytics/time-to-expiry.js';
import { startApp, type App } from '../src/app.js';
import type { ChainJson } from '../src/client/types.js';
import { loadConfig } from '../src/config/config.js';
import { moneyness, smileVol } from '../src/sim/black76.js';
import { INDICES } from '../src/synthetic-master/synthetic-indices.js';

const RATE = 0.065;
const TICK = 0.05;
let app: App;
let dir: string;

async function chain(): Promise<ChainJson> {
  return (await (await fetch(`${app.url}/v1/chains/NIFTY`)).json()) as ChainJson;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'optchain-iv-e2e-'));
  const config = loadConfig({ OPTCHAIN_PORT: '0', OPTCHAIN_SIM_PORT: '0', OPTCHAIN_DATA_DIR: dir, OPTCHAIN_LOG_LEVEL: 'silent', OPTCHAIN_SIM_RATE: '0.001', OPTCHAIN_RISK_FREE_RATE: String(RATE) });
  app = await startApp(config, pino({ level: 'silent' }));
}, 180_000);

afterAll(async () => {
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('sim mode: IV recovered from the simulator quotes', () => {
  it('matches the vol the simulator priced with, within the tick rounding, on every near-the-money leg', async () => {
    // Analytics computed after every quote of the chain arrived.
    let c: ChainJson | null = null;
    const deadline = Date.now() + 90_000;
    for (;;) {
      c = await chain();
      const a = c.analytics;
      const last = Math.max(...c.rows.flatMap((r) => [r.ce?.updatedAt ?? 0, r.pe?.updatedAt ?? 0]), c.spot?.updatedAt ?? 0);
      if (a !== null && a.computedAt !== null && a.computedAt > last && last > 0 && a.forwardSource === 'parity') break;
      if (Date.now() > deadline) throw new Error(`analytics never caught up: ${JSON.stringify(c.analytics)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const a = c.analytics!;
    const atmVol = INDICES.find((i) => i.symbol === 'NIFTY')!.annualVol;
    const T = a.yearsToExpiry!;
    const df = Math.exp(-RATE * T);
    const Fhat = a.forward!;
    const received = c.rows.flatMap((r) => [r.ce?.updatedAt, r.pe?.updatedAt]).filter((x): x is number => typeof x === 'number');
    const burstS = (Math.max(...received, c.spot!.updatedAt!) - Math.min(...received, c.spot!.updatedAt!)) / 1000;
    const drift = 4 * atmVol * Fhat * Math.sqrt(burstS / (252 * 22_500));
    let compared = 0;
    let worst = 0;
    let worstRatio = 0;
    for (const row of c.rows) {
      if (Math.abs(Math.log(row.strike / Fhat)) > 0.03) continue;
      for (const leg of [row.ce, row.pe]) {
        if (leg === null || leg.ivFrom !== 'mid' || leg.iv === null || leg.vega === null || leg.delta === null) continue;
        // The simulator priced at its session time when the quote was made (earlier than asOf).
        const tSim = T + (a.computedAt! - leg.updatedAt!) / YEAR_MS;
        const Fref = c.spot!.ltp! * Math.exp(RATE * tSim);
        const expected = 100 * smileVol(atmVol, moneyness(Fref, row.strike, tSim, atmVol));
        const tolerance = (TICK + df * Math.abs(leg.delta) * (Math.abs(Fhat - Fref) + 0.5 + drift) + 5e-7 * Fref) / leg.vega;
        const err = Math.abs(leg.iv - expected);
        expect(err, `strike ${row.strike} iv ${leg.iv} vs simulator ${expected.toFixed(4)}, tolerance ${tolerance.toFixed(4)} vol points`).toBeLessThanOrEqual(tolerance);
        compared++;
        worst = Math.max(worst, err);
        worstRatio = Math.max(worstRatio, err / tolerance);
      }
    }
    console.log(`IV e2e (NIFTY ${c.expiry}, T ${T.toFixed(5)} y, forward ${Fhat} parity of ${a.parityPairs}, burst ${burstS.toFixed(2)} s → drift allowance ${drift.toFixed(2)}): ${compared} legs, worst |iv − simulator| ${worst.toFixed(4)} vol points = ${(100 * worstRatio).toFixed(0)} % of its tick tolerance`);
    expect(compared).toBeGreaterThanOrEqual(20);
    // Every leg is either solved or says why not; none is pending once computed.
    for (const row of c.rows) for (const leg of [row.ce, row.pe]) if (leg) expect(leg.iv === null ? leg.ivNullReason : leg.ivFrom).not.toBeNull();
    expect(c.rows.flatMap((r) => [r.ce, r.pe]).some((l) => l !== null && l.ivNullReason === 'pending')).toBe(false);
    // oiChange: the simulator sends Prev Close (code 6, previous session's OI) for every
    // subscription as Dhan's docs say (docs/dhan-protocol.md §2.7), so every option leg has one,
    // equal to its OI minus the simulator's previous-day OI.
    const legs = c.rows.flatMap((r) => [r.ce, r.pe]).filter((l) => l !== null && l.oi !== null);
    expect(legs.length).toBeGreaterThan(20);
    const missing = legs.filter((l) => l!.oiChange === null).map((l) => `${l!.securityId} oi ${l!.oi} prevClose ${l!.prevClose}`);
    expect(missing, `${missing.length} of ${legs.length}`).toEqual([]);
    expect(legs.some((l) => l!.oiChange !== 0)).toBe(true);
    expect(a.ceOiChange).not.toBeNull();
    expect(a.peOiChange).not.toBeNull();
  }, 120_000);

  it('reports the analytics thread in /health and /metrics', async () => {
    const h = (await (await fetch(`${app.url}/health`)).json()) as { threads: Record<string, { up: boolean; passes: number; busy: number }> };
    expect(h.threads.analytics!.up).toBe(true);
    expect(h.threads.analytics!.passes).toBeGreaterThan(0);
    const m = await (await fetch(`${app.url}/metrics`)).text();
    expect(m).toMatch(/optchain_thread_up\{thread="analytics"\} 1/);
    expect(m).toMatch(/optchain_analytics_chains_computed_total \d+/);
    expect(m).toMatch(/optchain_analytics_busy_ratio /);
  }, 30_000);
});
