/**
 * `optchain serve`: loads the configuration, starts the app, prints the URL, and shuts down
 * cleanly on SIGINT/SIGTERM (listen socket closed, workers ended, exit 0).
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { startApp } from '../app.js';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../log/logger.js';

/** Longest a shutdown may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 10_000;

/** Runs the server until a signal; returns the exit code. */
export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { host: { type: 'string' }, port: { type: 'string' } }, strict: true });
  const config = loadConfig(process.env, { host: values.host, port: values.port });
  const log = createLogger(config.logLevel);
  const app = await startApp(config, log);
  process.stdout.write(`optchain ${app.mode} mode, trading date ${app.tradingDate()}: ${app.url}\n`);
  const http = app.server.http.backend;
  process.stdout.write(`http backend ${http.name} (${http.source} ${http.version})${http.fallbackReason ? `; not used: ${http.fallbackReason}` : ''}\n`);
  log.info({ url: app.url, mode: app.mode, tradingDate: app.tradingDate(), http }, 'serving');
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      const deadline = setTimeout(() => {
        log.error('shutdown deadline passed; exiting');
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS);
      deadline.unref();
      app.close().then(
        () => {
          // Everything we own is closed; uWS's own loop timer would keep the process around
          // for a few more seconds (docs/engineering.md §1.3 rule 9), so leave now.
          process.exitCode = 0;
          setImmediate(() => process.exit(0));
          resolve(0);
        },
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
