/**
 * The closing report of .ci/run: per-stage wall times (timings.tsv written by lib.sh's
 * `stage`) and the run's own wall time (`started`, written by .ci/run), one vitest summary
 * line per Node × platform cell (the JSON reporter's files), and
 * a plain closing line `ci: N passed, N failed, N skipped; N stage(s) failed` over all cells.
 * Usage: node .ci/summary.mjs RESULTS_DIR
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const CELLS = {
  'node20-host': 'Node 20 (this machine, Debian 12), npm test',
  'node22-host': 'Node 22 (this machine, Debian 12), HTTP suites + serve e2e',
  'node24-host': 'Node 24 (this machine, Debian 12), HTTP suites + serve e2e',
  'node24-trixie': 'Node 24 (Debian 13 chroot), HTTP suites + serve e2e',
};

console.log('\n==================== CI summary ====================');
const tsv = join(dir, 'timings.tsv');
let total = 0;
const failedStages = [];
if (existsSync(tsv)) {
  console.log('stage times:');
  for (const line of readFileSync(tsv, 'utf8').split('\n').filter(Boolean)) {
    const [name, secs, result] = line.split('\t');
    total += Number(secs);
    if (result !== 'ok') failedStages.push(name);
    console.log(`  ${String(secs).padStart(5)} s  ${result.padEnd(10)} ${name}`);
  }
  console.log(`  ${String(total).padStart(5)} s  sum of the stages (${(total / 60).toFixed(1)} min; the background build overlaps npm test)`);
}
const started = join(dir, 'started');
if (existsSync(started)) {
  const wall = Math.round(Date.now() / 1000) - Number(readFileSync(started, 'utf8'));
  console.log(`  ${String(wall).padStart(5)} s  wall time of the whole run (${(wall / 60).toFixed(1)} min)`);
}

const sum = { passed: 0, failed: 0, skipped: 0 };
console.log('tests per cell:');
for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
  const cell = f.slice(0, -5);
  let r;
  try {
    r = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  } catch (err) {
    console.log(`  ${cell}: unreadable results (${err.message})`);
    sum.failed += 1;
    continue;
  }
  const skipped = r.numPendingTests + r.numTodoTests;
  // A file that failed to load counts as a failure even when it reported no test.
  const files = r.testResults.length;
  const badFiles = r.testResults.filter((t) => t.status === 'failed').length;
  const failed = r.numFailedTests + (badFiles > 0 && r.numFailedTests === 0 ? badFiles : 0);
  sum.passed += r.numPassedTests;
  sum.failed += failed;
  sum.skipped += skipped;
  const failing = r.testResults.filter((t) => t.status === 'failed').map((t) => t.name.replace(/^.*\/test\//, 'test/'));
  console.log(`  ${CELLS[cell] ?? cell}: Test Files ${files - badFiles} passed, ${badFiles} failed; Tests ${r.numPassedTests} passed, ${failed} failed, ${skipped} skipped${failing.length ? ` (failing: ${failing.join(', ')})` : ''}`);
}
// A stage without vitest results (a probe, a build) fails the run as loudly as a test.
if (failedStages.length) console.log(`failed stages:\n${failedStages.map((n) => `  ${n}`).join('\n')}`);
console.log(`ci: ${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped; ${failedStages.length} stage(s) failed`);
