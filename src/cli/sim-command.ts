/**
 * `optchain sim [--host H] [--port N] [--seed S] [--rate R] [--stacked] [--keep-alives N]`
 * (docs/contract.md §2): only the Dhan simulator, on one port (`--port`, else OPTCHAIN_SIM_PORT, else 8081). Prints one line
 * each: `master <url>`, `feed <ws-url>`, `api <url ending in /v2>`, `account <clientId>
 * <accessToken>` (simulator credentials are not secrets), then `control-secret <hex>` — the
 * run's random secret for the control API under `/sim` (send `Authorization: Bearer <hex>`)
 * — then runs until SIGINT/SIGTERM and exits 0 after closing cleanly.
 *
 * The trading date is OPTCHAIN_TRADING_DATE, else today in IST when that is a trading day,
 * else the next trading day. `--keep-alives N` (else OPTCHAIN_SIM_KEEP_ALIVES, default 0) sends N
 * all-zero keep-alive headers per second on every feed connection (docs/dhan-protocol.md §2.5).
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { ConfigError } from '../errors.js';
import { startSimulator } from '../sim/sim-server.js';
import { tradingDateFor } from '../time/trading-date.js';

/** Runs the command; resolves with the exit code once a signal stopped the simulator. */
export async function simCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      seed: { type: 'string' },
      rate: { type: 'string' },
      stacked: { type: 'boolean', default: false },
      'keep-alives': { type: 'string' },
    },
    strict: true,
  });
  if (values.port !== undefined && !/^\d{1,5}$/.test(values.port)) throw new ConfigError('--port', 'expected a port number 0-65535');
  const config = loadConfig(process.env, { simPort: values.port, simSeed: values.seed, simRate: values.rate, simKeepAlives: values['keep-alives'] });
  const host = values.host ?? '127.0.0.1';
  const tradingDate = config.tradingDate ?? tradingDateFor(Date.now());
  const sim = await startSimulator({ host, port: config.simPort, tradingDate, seed: config.simSeed, universe: config.simUniverse, rate: config.simRate, stacked: values.stacked, keepAlivesPerSecond: config.simKeepAlives });
  const lines = [`master ${sim.urls.master}`, `feed ${sim.urls.feed}`, `api ${sim.urls.api}`];
  for (const a of sim.accounts) lines.push(`account ${a.clientId} ${a.accessToken}`);
  lines.push(`control-secret ${sim.controlSecret}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stderr.write(`simulator: trading date ${tradingDate}, session clock offset ${sim.clockOffsetMs} ms; stop with Ctrl-C\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await sim.close();
  return 0;
}
