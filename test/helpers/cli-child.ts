/** `optchain` commands run as child processes by tests that start real servers (loopback only). */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI entry (runs the built dist/). */
export const OPTCHAIN_BIN = fileURLToPath(new URL('../../bin/optchain.js', import.meta.url));

/** A running command, its stdout and stderr interleaved, and its exit code once it exited. */
export interface CliChild {
  readonly proc: ChildProcess;
  out: string;
  exit: number | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Spawns `optchain <args>` with exactly `env`. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv): CliChild {
  const c: CliChild = { proc: spawn(process.execPath, [OPTCHAIN_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }), out: '', exit: null };
  c.proc.stdout!.on('data', (d) => (c.out += String(d)));
  c.proc.stderr!.on('data', (d) => (c.out += String(d)));
  c.proc.on('exit', (code) => (c.exit = code));
  return c;
}

/** Polls `cond` every 200 ms; throws `what` with the output's tail if the child exits or `ms` passes first. */
export async function untilCli(what: string, c: CliChild, cond: () => boolean | Promise<boolean>, ms = 90_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (c.exit !== null || Date.now() > end) throw new Error(`${what}:\n${c.out.slice(-3000)}`);
    await sleep(200);
  }
}

/** SIGTERM, then SIGKILL after `graceMs` for what is still running; resolves once all exited. */
export async function stopCli(children: readonly (CliChild | undefined)[], graceMs = 10_000): Promise<void> {
  const live = children.filter((c): c is CliChild => c !== undefined && c.exit === null);
  await Promise.all(live.map(async (c) => {
    const gone = new Promise<void>((r) => (c.exit !== null ? r() : c.proc.once('exit', () => r())));
    c.proc.kill('SIGTERM');
    const t = setTimeout(() => c.proc.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(t);
  }));
}
