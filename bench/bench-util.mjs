/**
 * Small helpers shared by bench/run.mjs and its sections: child processes pinned with
 * `taskset`, per-process CPU and RSS from /proc (docs/engineering.md §6.3: report the server's CPU
 * next to every HTTP figure), `wrk` runs with their output parsed (autocannon when wrk is
 * missing), a keep-alive HTTP GET.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';

/** Resolves after `ms`. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Absolute path of an executable on PATH (or the usual Debian place), or null. */
export function which(name) {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = `${dir}/${name}`;
    if (dir && existsSync(p)) return p;
  }
  return null;
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** utime and stime of a process (all its threads), seconds. */
export function cpuTimes(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return { user: Number(rest[11]) / CLK_TCK, sys: Number(rest[12]) / CLK_TCK };
}

/** utime + stime of a process (all its threads), seconds. */
export function cpuSeconds(pid) {
  const t = cpuTimes(pid);
  return t.user + t.sys;
}

/** Resident set size of a process, MB (VmRSS). */
export function rssMB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * CPU time of a process over a stretch of wall time: call `start()`, later `stop()` →
 * { pct, seconds, user, sys } (user = JS, V8 and uWS code; sys = the kernel, mostly socket copies).
 */
export function cpuMeter(pid) {
  let c0 = { user: 0, sys: 0 };
  let t0 = 0;
  return {
    start() {
      c0 = cpuTimes(pid);
      t0 = performance.now();
    },
    stop() {
      const c1 = cpuTimes(pid);
      const user = c1.user - c0.user;
      const sys = c1.sys - c0.sys;
      const wall = (performance.now() - t0) / 1000;
      return { seconds: user + sys, user, sys, pct: ((user + sys) / wall) * 100 };
    },
  };
}

/** argv prefix pinning a command to `cpus` ("0", "1", "0-1"), or none when taskset is missing. */
export function pinned(cpus) {
  const taskset = which('taskset');
  return taskset && cpus !== null ? [taskset, '-c', cpus] : [];
}

/** Re-pins every thread of a running process (`taskset -a -p`); false when taskset is missing. */
export function repin(pid, cpus) {
  const taskset = which('taskset');
  if (!taskset) return false;
  return spawnSync(taskset, ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' }).status === 0;
}

/**
 * Spawns a node script (optionally pinned) and resolves with the child and the first stdout
 * line parsed as JSON whose `type` is 'ready'. Rejects when the child exits first or after
 * `timeoutMs`. stderr is collected for the error message.
 */
export function spawnReady(script, args, { cpus = null, nodeArgs = [], env = process.env, timeoutMs = 120_000 } = {}) {
  const argv = [...pinned(cpus), process.execPath, ...nodeArgs, script, ...args];
  // stdin stays open as a lifeline: the bench children exit when it closes (runner killed).
  const child = spawn(argv[0], argv.slice(1), { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => {
    err = (err + d).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} not ready within ${timeoutMs} ms\n${err}`));
    }, timeoutMs);
    const onData = (d) => {
      out += d;
      for (;;) {
        const nl = out.indexOf('\n');
        if (nl < 0) return;
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        let msg = null;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (msg?.type === 'ready') {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          child.stdout.resume();
          child.off('exit', onExit);
          resolve({ child, ready: msg, stderr: () => err });
          return;
        }
      }
    };
    const onExit = (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code ?? signal}) before it was ready\n${err}`));
    };
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
}

/** In a bench child: exit when the runner goes away (its end of our stdin closes). */
export function exitWithParent(shutdown) {
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}

/** Sends SIGTERM and waits (SIGKILL after `graceMs`). */
export async function stopChild(child, graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(t);
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** GET over a keep-alive connection; resolves { status, headers, body (string) }. */
export function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** GET and JSON.parse, throwing on a non-2xx status. */
export async function getJson(url) {
  const r = await get(url);
  if (r.status < 200 || r.status >= 300) throw new Error(`GET ${url} → ${r.status} ${r.body.slice(0, 200)}`);
  return JSON.parse(r.body);
}

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** Parses `wrk --latency` output. */
export function parseWrk(text) {
  const num = (re) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : NaN;
  };
  const pct = {};
  for (const m of text.matchAll(/^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$/gm)) pct[m[1]] = Number(m[2]) * UNIT_MS[m[3]];
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(text);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    requests: total ? Number(total[1]) : NaN,
    seconds: total ? (Number(total[2]) * UNIT_MS[total[3]]) / 1000 : NaN,
    p50: pct['50'] ?? NaN,
    p90: pct['90'] ?? NaN,
    p99: pct['99'] ?? NaN,
    non2xx: num(/Non-2xx or 3xx responses:\s+(\d+)/) || 0,
    socketErrors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

/**
 * Runs wrk (pinned to `cpus`) against `url` for `seconds`, with `connections` connections on
 * one thread, and parses its report.
 */
export function runWrk(url, { seconds, connections = 50, cpus = '1', headers = [] }) {
  const argv = [...pinned(cpus), which('wrk'), '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...headers.flatMap((h) => ['-H', h]), url];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`wrk exited ${code}: ${out.slice(0, 500)}`));
      else resolve({ ...parseWrk(out), raw: out });
    });
  });
}

/** Sum of a Prometheus counter's samples whose line starts with `prefix` (name + labels). */
export function promValue(text, prefix) {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(prefix)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

const AUTOCANNON = fileURLToPath(new URL('../node_modules/autocannon/autocannon.js', import.meta.url));

/** The load generator bench runs use: Debian's wrk when on PATH, else autocannon (devDependency). */
export function loadTool({ noWrk = false } = {}) {
  if (!noWrk && which('wrk')) return 'wrk';
  return existsSync(AUTOCANNON) ? 'autocannon' : null;
}

/**
 * autocannon (the pinned devDependency, in its own process pinned to `cpus`, like wrk) against
 * `url`: same options and result shape as runWrk. It is slower than wrk per request on the
 * client side, so the two tools' figures are not comparable; every row says which produced it.
 */
export function runAutocannon(url, { seconds, connections = 50, cpus = '1', headers = [] }) {
  const argv = [...pinned(cpus), process.execPath, AUTOCANNON, '-j', '-c', String(connections), '-d', String(seconds), ...headers.flatMap((h) => ['-H', h]), url];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      let r;
      try {
        r = JSON.parse(out);
      } catch {
        reject(new Error(`autocannon exited ${code}: ${(err || out).slice(0, 500)}`));
        return;
      }
      const secs = r.duration ?? seconds;
      resolve({
        rps: r.requests.total / secs, requests: r.requests.total, seconds: secs,
        p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99,
        non2xx: r.non2xx ?? 0, socketErrors: (r.errors ?? 0) + (r.timeouts ?? 0), raw: out,
      });
    });
  });
}

/** runWrk or runAutocannon by `tool` ('wrk' | 'autocannon'); the result carries `tool`. */
export async function runLoad(tool, url, opts) {
  const r = tool === 'wrk' ? await runWrk(url, opts) : await runAutocannon(url, opts);
  return { ...r, tool };
}
