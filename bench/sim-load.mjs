/**
 * The simulator's own cost at a realistic load (issue #4: "keep the simulator's CPU cost small
 * at realistic rates, since it shares this 2-core machine with the server").
 *
 * Starts `optchain sim` as a child process, subscribes the whole skeleton universe (~27–33k
 * tokens, Full mode) over 2 accounts × 5 connections of ≤ 5000, lets it run, and reports the
 * packets/s the clients received and the simulator process's CPU (user + system from
 * /proc/<pid>/stat) as % of one core, at each requested rate multiplier.
 *
 * Run: `npm run build && node bench/sim-load.mjs [--seconds 20] [--rates 1,3]`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, rates: { type: 'string', default: '1,3' }, date: { type: 'string', default: '2026-08-17' } } });
const seconds = Number(values.seconds);
const rates = values.rates.split(',').map(Number);

const { parseMaster } = await import('../dist/master/parse-master.js');
const { buildSkeleton } = await import('../dist/skeleton/build-skeleton.js');
const { buildSubscribeMessages } = await import('../dist/dhan/subscribe-message.js');

const CLK_TCK = 100;
function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK; // utime + stime
}

const bin = fileURLToPath(new URL('../bin/optchain.js', import.meta.url));
const child = spawn(process.execPath, [bin, 'sim', '--port', '0'], { env: { ...process.env, OPTCHAIN_TRADING_DATE: values.date }, stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
child.stdout.on('data', (d) => (out += d));
while (!out.split('\n').some((l) => l.startsWith('control-secret '))) await new Promise((r) => setTimeout(r, 50));
const lines = out.trim().split('\n');
const masterUrl = lines[0].split(' ')[1];
const feedBase = lines[1].split(' ')[1];
const apiBase = lines[2].split(' ')[1];
const accounts = lines.filter((l) => l.startsWith('account ')).map((l) => ({ clientId: l.split(' ')[1], accessToken: l.split(' ')[2] }));
const controlSecret = lines.find((l) => l.startsWith('control-secret ')).split(' ')[1];

const csv = await (await fetch(masterUrl)).text();
const skeleton = buildSkeleton(parseMaster(csv).instruments, values.date);
const tokens = skeleton.tokens.map((t) => ({ segment: t.segment, securityId: t.securityId }));
console.log(`universe: ${tokens.length} tokens (${skeleton.totals.contracts} options + ${skeleton.totals.spots} spots)`);

let packets = 0;
let bytes = 0;
const sockets = [];
for (let k = 0; k * 5000 < tokens.length; k++) {
  const acc = accounts[Math.floor(k / 5)];
  const part = tokens.slice(k * 5000, (k + 1) * 5000);
  const ws = new WebSocket(`${feedBase}?version=2&token=${acc.accessToken}&clientId=${acc.clientId}&authType=2`);
  ws.on('message', (d) => {
    packets++;
    bytes += d.length;
  });
  await new Promise((r) => ws.once('open', r));
  for (const m of buildSubscribeMessages(21, part)) ws.send(m);
  sockets.push(ws);
}
console.log(`${sockets.length} connections subscribed`);

const control = `${apiBase.replace(/\/v2$/, '')}/sim/faults/rate`;
for (const rate of rates) {
  await fetch(control, { method: 'POST', headers: { authorization: `Bearer ${controlSecret}` }, body: JSON.stringify({ rate }) });
  await new Promise((r) => setTimeout(r, 5000)); // warm-up, snapshots drained
  const c0 = cpuSeconds(child.pid);
  const p0 = packets;
  const b0 = bytes;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const dt = (performance.now() - t0) / 1000;
  const cpu = (cpuSeconds(child.pid) - c0) / dt;
  const pps = (packets - p0) / dt;
  console.log(`rate ×${rate}: ${Math.round(pps)} packets/s, ${((bytes - b0) / dt / 1e6).toFixed(2)} MB/s, simulator CPU ${(cpu * 100).toFixed(1)} % of one core, ${((cpu * 1e6) / pps).toFixed(1)} µs/packet`);
}
for (const ws of sockets) ws.close();
child.kill('SIGTERM');
