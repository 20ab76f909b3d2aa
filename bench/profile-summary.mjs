/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time by function and by file,
 * main thread only, so a bench can say where the HTTP thread's time went.
 *
 * `--stalls MS` also lists the stretches of at least MS milliseconds in which the thread never
 * went idle (what a request that arrived then waited behind: the event-loop delay's tail), each
 * with its heaviest call paths; `--after S` ignores the first S seconds of the profile (start-up).
 *
 * Usage: `node bench/profile-summary.mjs FILE.cpuprofile [--top N] [--stalls MS] [--after S]`
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opt, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, stalls: { type: 'string' }, after: { type: 'string', default: '0' } } });
const prof = JSON.parse(readFileSync(positionals[0], 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (id) => {
  const f = byId.get(id).callFrame;
  const file = (f.url || '(native)').replace(/^file:\/\/.*?\/(dist|node_modules|bench)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
};
const dts = prof.timeDeltas;
const skipUs = Number(opt.after) * 1e6;
const self = new Map();
let clock = 0;
/** Samples after --after: [time µs, node id, duration µs]. */
const samples = [];
for (let i = 0; i < prof.samples.length; i++) {
  const dt = dts[i + 1] ?? 0; // a sample's duration is the gap to the next one
  clock += dts[i] ?? 0;
  if (clock < skipUs) continue;
  samples.push([clock, prof.samples[i], dt]);
  self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fnTime = new Map();
const fileTime = new Map();
for (const [id, us] of self) {
  const f = byId.get(id).callFrame;
  const file = (f.url || '(native)').replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/');
  fnTime.set(name(id), (fnTime.get(name(id)) ?? 0) + us);
  fileTime.set(file, (fileTime.get(file) ?? 0) + us);
}
const show = (title, m) => {
  console.log(`\n${title} (of ${(total / 1000).toFixed(0)} ms sampled)`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(opt.top))) console.log(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`);
};
show('self time by file', fileTime);
show('self time by function', fnTime);

if (opt.stalls !== undefined) {
  const minUs = Number(opt.stalls) * 1000;
  const idle = (id) => byId.get(id).callFrame.functionName === '(idle)';
  /** Call path of a sample, leaf first, 4 frames, skipping the root. */
  const path = (id) => {
    const out = [];
    for (let at = id; at !== undefined && out.length < 4; at = parent.get(at)) {
      if (byId.get(at).callFrame.functionName === '(root)') break;
      out.push(name(at));
    }
    return out.join(' ← ');
  };
  const stalls = [];
  let start = -1;
  for (let i = 0; i <= samples.length; i++) {
    const busy = i < samples.length && !idle(samples[i][1]);
    if (busy && start < 0) start = i;
    if (!busy && start >= 0) {
      const dur = samples.slice(start, i).reduce((a, s) => a + s[2], 0);
      if (dur >= minUs) stalls.push({ at: samples[start][0], dur, from: start, to: i });
      start = -1;
    }
  }
  const paths = new Map();
  for (const s of stalls) for (let i = s.from; i < s.to; i++) {
    const p = path(samples[i][1]);
    paths.set(p, (paths.get(p) ?? 0) + samples[i][2]);
  }
  const stalled = stalls.reduce((a, s) => a + s.dur, 0);
  console.log(`\n${stalls.length} stretches busy ≥ ${opt.stalls} ms (${(stalled / 1000).toFixed(0)} ms in all, longest ${((stalls.reduce((a, s) => Math.max(a, s.dur), 0)) / 1000).toFixed(1)} ms); heaviest call paths in them:`);
  for (const [p, us] of [...paths].sort((a, b) => b[1] - a[1]).slice(0, Number(opt.top))) console.log(`${((100 * us) / stalled).toFixed(1).padStart(5)} %  ${p}`);
}
