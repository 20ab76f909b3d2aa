/**
 * Master parse + skeleton build at both synthetic sizes in one run (issue 16 §2; target
 * parse + skeleton ≤ 2 s at real size, issue 3). For each size (`compact` = the generator
 * before issue 16, ~30k contracts; `real` = the size of Dhan's real master, ~112k) the master
 * for `--date` is generated once (untimed: it is the input), then timed `--runs` times:
 *
 * - `parseMaster(buffer)` and `buildSkeleton(instruments, date)`, best and median;
 * - the line-scan floor: one `Buffer#indexOf(10)` walk over the same bytes counting lines —
 *   the least any parser must do (the machine's limit for this input);
 * - with `--before DIR` (a `dist/` of an older build), that build's parseMaster and
 *   buildSkeleton on the same bytes, interleaved run by run (the baseline);
 * - heap retained by instruments + skeleton after a forced GC (V8 heapUsed Δ).
 *
 * Usage: `node --expose-gc bench/master-parse.bench.mjs [--date 2026-08-17] [--runs 7]
 *        [--sizes compact,real] [--before /path/to/old/dist] [--json FILE]`
 * (`runMasterParse` is what bench/run.mjs's `parse` section calls.) Run through the shared
 * lock on this machine: `flock /work/coord/bench.lock node --expose-gc bench/master-parse.bench.mjs`.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const distOf = (dir) => (p) => (dir ? pathToFileURL(`${dir.replace(/\/$/, '')}/${p}`).href : new URL(`../dist/${p}`, import.meta.url).href);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const best = (xs) => Math.min(...xs);
const mb = (n) => n / 1048576;

function lineScan(buf) {
  let lines = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) lines++;
  return lines;
}

async function loadBuild(dir) {
  const d = distOf(dir);
  const { parseMaster } = await import(d('master/parse-master.js'));
  const { buildSkeleton } = await import(d('skeleton/build-skeleton.js'));
  return { parseMaster, buildSkeleton };
}

function timeOnce(build, buffer, date) {
  const t0 = performance.now();
  const parsed = build.parseMaster(buffer);
  const t1 = performance.now();
  const skeleton = build.buildSkeleton(parsed.instruments, date);
  const t2 = performance.now();
  return { parseMs: t1 - t0, skeletonMs: t2 - t1, parsed, skeleton };
}

function heapRetained(build, buffer, date, gc) {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  let held = timeOnce(build, buffer, date);
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  const keep = held.skeleton.totals.contracts;
  held = null;
  return { heapMB: mb(after - before), keep };
}

/**
 * Resolves `{ rows, detail }`: rows in bench/run.mjs's format, detail per size.
 * `gc` must be `globalThis.gc` (node --expose-gc).
 */
export async function runMasterParse({ date = '2026-08-17', runs = 7, sizes = ['compact', 'real'], before = null, log = console.log } = {}) {
  const gc = globalThis.gc;
  if (typeof gc !== 'function') throw new Error('master-parse bench needs node --expose-gc');
  const cur = await loadBuild(null);
  const old = before ? await loadBuild(before) : null;
  const { generateMaster } = await import(distOf(null)('synthetic-master/synthetic-master.js'));
  const rows = [];
  const detail = {};
  for (const universe of sizes) {
    const tg = performance.now();
    const master = generateMaster(date, { universe });
    const generateMs = performance.now() - tg;
    const buffer = master.buffer;
    const d = { universe, bytes: master.bytes, masterRows: master.rows, generateMs, parse: [], skeleton: [], scan: [], oldParse: [], oldSkeleton: [] };
    let totals = null;
    let instruments = 0;
    let oldTotals = null;
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      lineScan(buffer);
      d.scan.push(performance.now() - t);
      if (old) {
        gc();
        const o = timeOnce(old, buffer, date);
        d.oldParse.push(o.parseMs);
        d.oldSkeleton.push(o.skeletonMs);
        oldTotals = { ...o.skeleton.totals, instruments: o.parsed.instruments.length, fingerprint: o.skeleton.fingerprint };
      }
      gc();
      const r = timeOnce(cur, buffer, date);
      d.parse.push(r.parseMs);
      d.skeleton.push(r.skeletonMs);
      totals = { ...r.skeleton.totals, fingerprint: r.skeleton.fingerprint };
      instruments = r.parsed.instruments.length;
      t = performance.now();
    }
    d.totals = totals;
    d.instruments = instruments;
    d.heap = heapRetained(cur, buffer, date, gc).heapMB;
    if (old) {
      d.oldTotals = oldTotals;
      d.oldHeap = heapRetained(old, buffer, date, gc).heapMB;
      d.sameResult = oldTotals.fingerprint === totals.fingerprint && oldTotals.instruments === instruments;
    }
    detail[universe] = d;
    const tot = d.parse.map((p, i) => p + d.skeleton[i]);
    const oldTot = d.oldParse.map((p, i) => p + d.oldSkeleton[i]);
    log(`  ${universe}: ${mb(d.bytes).toFixed(1)} MB, ${d.masterRows.toLocaleString('en-US')} rows → ${instruments.toLocaleString('en-US')} instruments → ${totals.underlyings} / ${totals.chains} / ${totals.contracts.toLocaleString('en-US')} / ${totals.spots} (generated in ${generateMs.toFixed(0)} ms)`);
    log(`    parse best ${best(d.parse).toFixed(0)} median ${median(d.parse).toFixed(0)} ms; skeleton best ${best(d.skeleton).toFixed(0)} median ${median(d.skeleton).toFixed(0)} ms; total best ${best(tot).toFixed(0)} median ${median(tot).toFixed(0)} ms; line scan ${median(d.scan).toFixed(0)} ms; heap retained ${d.heap.toFixed(1)} MB`);
    if (old) log(`    before: parse best ${best(d.oldParse).toFixed(0)} median ${median(d.oldParse).toFixed(0)} ms; skeleton best ${best(d.oldSkeleton).toFixed(0)} median ${median(d.oldSkeleton).toFixed(0)} ms; total median ${median(oldTot).toFixed(0)} ms; heap ${d.oldHeap.toFixed(1)} MB; same result: ${d.sameResult}`);
    const sizeNote = `${universe}: ${mb(d.bytes).toFixed(1)} MB, ${d.masterRows.toLocaleString('en-US')} rows, ${totals.contracts.toLocaleString('en-US')} contracts`;
    rows.push({ section: 'parse', figure: `master parse, ${universe} (median of ${runs})`, value: median(d.parse), unit: 'ms', better: 'lower', baseline: old ? { text: 'before', value: median(d.oldParse) } : undefined, limit: { text: 'line scan', value: median(d.scan) }, note: `best ${best(d.parse).toFixed(0)} ms; ${sizeNote}` });
    rows.push({ section: 'parse', figure: `skeleton build, ${universe} (median of ${runs})`, value: median(d.skeleton), unit: 'ms', better: 'lower', baseline: old ? { text: 'before', value: median(d.oldSkeleton) } : undefined, note: `best ${best(d.skeleton).toFixed(0)} ms` });
    rows.push({ section: 'parse', figure: `master parse + skeleton, ${universe} (median of ${runs})`, value: median(tot), unit: 'ms', better: 'lower', baseline: old ? { text: 'before', value: median(oldTot) } : undefined, ...(universe === 'real' ? { target: { text: '≤ 2000 ms (issue 3, 16)', met: median(tot) <= 2000 } } : {}) });
    rows.push({ section: 'parse', figure: `heap retained: instruments + skeleton, ${universe}`, value: d.heap, unit: 'MB', better: 'lower', baseline: old ? { text: 'before', value: d.oldHeap } : undefined });
  }
  return { rows, detail };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      date: { type: 'string', default: '2026-08-17' },
      runs: { type: 'string', default: '7' },
      sizes: { type: 'string', default: 'compact,real' },
      before: { type: 'string' },
      json: { type: 'string' },
    },
  });
  console.log(`master-parse bench, Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const out = await runMasterParse({ date: values.date, runs: Number(values.runs), sizes: values.sizes.split(','), before: values.before ?? null });
  console.log(`load average after ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (values.json) writeFileSync(values.json, JSON.stringify(out, null, 2));
}
