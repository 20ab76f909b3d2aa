/**
 * The benchmark suite cannot rot: `node bench/run.mjs --quick` (tiny workloads, a few seconds
 * per section) runs every section against the compiled dist/ and must produce every row of
 * the table with real numbers, without touching bench/RESULTS.md. The HTTP rows use Debian's
 * wrk; where it is missing they come from autocannon (devDependency), and a second run with
 * `--no-wrk` checks that path here too. Performance itself is not asserted (bench/ is
 * where it is measured), only that each figure was measured and is plausible.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'RESULTS.md');
const dir = mkdtempSync(join(tmpdir(), 'optchain-bench-quick-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  section: string;
  figure: string;
  value?: number;
  unit?: string;
  cpuPct?: number;
  cpuUsPerReq?: number;
  p50?: number;
  p99?: number;
  baseline?: { label: string; value: number } | null;
  limit?: { label: string; value: number } | null;
  error?: string;
  skipped?: string;
  backend?: string;
}
interface Report {
  env: { mode: string; node: string; cpu: string; commit: string };
  rows: Row[];
  errors: { section: string; message: string }[];
}

const digest = (): string => (existsSync(RESULTS) ? createHash('sha256').update(readFileSync(RESULTS)).digest('hex') : 'absent');
const hasWrk = (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, 'wrk')));

function runBench(args: string[], timeoutMs: number): { status: number | null; out: string; report: Report } {
  const json = join(dir, `report-${args.join('_').replace(/\W+/g, '')}.json`);
  const r = spawnSync(process.execPath, ['bench/run.mjs', ...args, '--json', json], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs });
  const out = `${r.stdout}\n${r.stderr}`;
  if (!existsSync(json)) throw new Error(`bench/run.mjs wrote no report (status ${r.status}, signal ${r.signal})\n${out.slice(-3000)}`);
  return { status: r.status, out, report: JSON.parse(readFileSync(json, 'utf8')) as Report };
}

const find = (rows: Row[], section: string, re: RegExp): Row => {
  const row = rows.find((r) => r.section === section && re.test(r.figure));
  if (!row) throw new Error(`no ${section} row matching ${re}: ${rows.map((r) => `${r.section}:${r.figure}`).join(', ')}`);
  return row;
};
const positive = (r: Row): void => {
  expect(r.error, r.figure).toBeUndefined();
  expect(Number.isFinite(r.value), `${r.figure} = ${r.value}`).toBe(true);
  expect(r.value!, r.figure).toBeGreaterThan(0);
};

describe('bench/run.mjs --quick', () => {
  it('measures every section on a tiny workload, prints one table, and records nothing', () => {
    const before = digest();
    const { status, out, report } = runBench(['--quick', '--no-record'], 240_000);
    expect(digest()).toBe(before);
    expect(report.errors, out.slice(-3000)).toEqual([]);
    expect(status).toBe(0);
    expect(report.env.mode).toBe('quick');
    const rows = report.rows;

    // One table: a header and a line per row.
    expect(out).toMatch(/\| figure \| value \| p50 \/ p99 \| baseline \| × baseline \| limit \| of limit \| server CPU \| CPU-µs\/req \| target \|/);

    // Chain build: JSON and FlatBuffers next to the naive baseline and a raw copy.
    for (const re of [/^chain build JSON/, /^chain build FlatBuffers/]) {
      const r = find(rows, 'build', re);
      positive(r);
      expect(r.baseline!.value).toBeGreaterThan(0);
      expect(r.limit!.value).toBeGreaterThan(0);
    }
    positive(find(rows, 'build', /^snapshot, whole universe/));

    // Feed decode next to raw seqlock writes.
    const decode = find(rows, 'decode', /^feed decode \+ seqlock write/);
    positive(decode);
    expect(decode.limit!.value).toBeGreaterThan(0);

    // Feed end to end: at least one offered rate, with the sender's own rate as its limit.
    const steps = rows.filter((r) => r.section === 'e2e' && /^feed e2e, offered/.test(r.figure));
    expect(steps.length).toBeGreaterThan(0);
    for (const s of steps) {
      positive(s);
      expect(s.limit!.value).toBeGreaterThan(0);
    }
    positive(find(rows, 'e2e', /^packets decoded \/ sent/));

    // Tick → visible through the chain route, next to the 500 ms recompute loop.
    const p50 = find(rows, 'tick', /p50$/);
    positive(p50);
    expect(p50.baseline!.value).toBeGreaterThan(p50.value!);

    // Start-up: skeleton time and heap, RSS with the universe live.
    positive(find(rows, 'startup', /^skeleton build/));
    positive(find(rows, 'startup', /^heap: skeleton/));
    positive(find(rows, 'startup', /^RSS with the whole universe live/));

    // HTTP, by wrk or else autocannon (named on every figure): the same rows on every backend
    // measured, the server's CPU next to each; a backend that cannot run here is a skipped
    // row saying why, never a silent gap.
    const http = rows.filter((r) => r.section === 'http');
    const measured = [...new Set(http.flatMap((r) => (r.backend ? [r.backend] : [])))];
    expect(measured.length, http.map((r) => r.figure).join(', ')).toBeGreaterThan(0);
    for (const [name, prefix] of [['uws', 'uWS '], ['node', 'node:http ']] as const) {
      const skipped = http.find((r) => r.figure === `HTTP rows on the ${name} backend`)?.skipped;
      expect(measured.some((b) => b.startsWith(prefix)) || skipped !== undefined, `${name} backend: neither rows nor a reason`).toBe(true);
    }
    const tool = hasWrk ? 'wrk' : 'autocannon';
    for (const b of measured) {
      for (const re of [/^cached chain JSON/, /^uncached chain JSON/, /^hello route, same server/]) {
        const r = http.find((x) => x.backend === b && re.test(x.figure));
        if (!r) throw new Error(`no ${re} row on ${b}`);
        positive(r);
        expect(r.figure).toContain(`[${b}, ${tool}]`);
        expect(r.p99!).toBeGreaterThanOrEqual(r.p50!);
        expect(r.cpuPct!).toBeGreaterThan(0);
        expect(r.cpuUsPerReq!).toBeGreaterThan(0);
      }
    }
    positive(find(rows, 'http', /^baseline node:http \+ Map/));
    expect(find(rows, 'http', /^cached chain JSON/).baseline!.value).toBeGreaterThan(0);
  }, 250_000);

  it('without wrk, measures the HTTP rows with autocannon and names the tool on every row', () => {
    expect(existsSync(join(ROOT, 'node_modules', 'autocannon', 'autocannon.js')), 'autocannon (a devDependency) is not in node_modules: run npm ci').toBe(true);
    const { status, out, report } = runBench(['--quick', '--no-record', '--no-wrk', '--only', 'http,decode'], 110_000);
    expect(status).toBe(0);
    expect(out).toContain('measured with autocannon');
    const http = report.rows.filter((r) => r.section === 'http' && r.value !== undefined);
    expect(http.length).toBeGreaterThan(0);
    for (const r of http) expect(r.figure).toMatch(/[[ ]autocannon\]$/);
    positive(find(report.rows, 'http', /^cached chain JSON/));
    positive(find(report.rows, 'decode', /^feed decode \+ seqlock write/));
  }, 120_000);
});
