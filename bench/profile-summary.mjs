/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time by function and by file,
 * main thread only, so a bench can say where the HTTP thread's time went.
 *
 * Usage: `node bench/profile-summary.mjs FILE.cpuprofile [--top N]`
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opt, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
const prof = JSON.parse(readFileSync(positionals[0], 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
const dts = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dts[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fnTime = new Map();
const fileTime = new Map();
for (const [id, us] of self) {
  const f = byId.get(id).callFrame;
  const file = (f.url || '(native)').replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/');
  const fn = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
  fnTime.set(fn, (fnTime.get(fn) ?? 0) + us);
  fileTime.set(file, (fileTime.get(file) ?? 0) + us);
}
const show = (title, m) => {
  console.log(`\n${title} (of ${(total / 1000).toFixed(0)} ms sampled)`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(opt.top))) console.log(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`);
};
show('self time by file', fileTime);
show('self time by function', fnTime);
