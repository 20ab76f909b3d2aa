/**
 * A small stand-alone paper server for crash tests and manual trials: a skeleton from a master
 * file, a price table kept fresh by a quote writer (standing in for the feed), the uWS server
 * and the paper routes — the same code `optchain serve` wires, without the feed.
 *
 * Test-only, so it lives here and not in `src/`: build it with
 * `buildTestEntry('paper-harness')` (test/helpers/build-test-entry.ts) and run the result with
 * `node`, with the usual configuration (`OPTCHAIN_DATA_DIR`,
 * `OPTCHAIN_DHAN_API_URL`, `OPTCHAIN_DHAN_ACCOUNTS`, `OPTCHAIN_HOST`, `OPTCHAIN_PORT` — 0 picks a
 * free port) plus `PAPER_HARNESS_MASTER` (a detailed master CSV file) and
 * `PAPER_HARNESS_DATE` (YYYY-MM-DD). Prints `listening <port>` on stdout once it serves.
 *
 * Quotes: every option of the skeleton gets bid 100, ask 100.5 (deep: 100 000 a side),
 * rewritten every 100 ms with the current receive time.
 *
 * Why it ships in `src/` although only tests and people trying things start it: the crash test
 * (test/paper-crash.test.ts) must SIGKILL a real, separate server process, and on Node 20
 * (`engines`) a process can only run compiled JavaScript — the project has no TypeScript loader
 * at run time — so the harness is compiled with the rest into `dist/`. It imports nothing that
 * `optchain serve` does not, so shipping it adds no dependency or code path to the server.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/errors.js';
import { HttpServer } from '../../src/http/http-server.js';
import { createLogger } from '../../src/log/logger.js';
import { parseMaster } from '../../src/master/parse-master.js';
import { F, SLOT_WORDS } from '../../src/price-table/layout.js';
import { PriceTable } from '../../src/price-table/price-table.js';
import { buildSkeleton } from '../../src/skeleton/build-skeleton.js';
import { Market } from '../../src/chain/market.js';
import { registerPaperRoutes } from '../../src/paper/paper-routes.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const masterPath = process.env.PAPER_HARNESS_MASTER;
  const date = process.env.PAPER_HARNESS_DATE ?? config.tradingDate;
  if (!masterPath || !date) throw new ConfigError('PAPER_HARNESS_MASTER', 'PAPER_HARNESS_MASTER and PAPER_HARNESS_DATE (or OPTCHAIN_TRADING_DATE) are required');
  const logger = createLogger(config.logLevel, process.stderr);
  const skeleton = buildSkeleton(parseMaster(readFileSync(masterPath)).instruments, date);
  const table = PriceTable.allocate(skeleton.slotCount, skeleton.chains.length);
  const options = skeleton.tokens.filter((t) => t.kind === 'option').map((t) => t.slot);
  const writeQuotes = (): void => {
    const now = Date.now();
    for (const slot of options) {
      const b = slot * SLOT_WORDS;
      table.beginWrite(slot);
      table.f64[b + F.LTP] = 100.25;
      table.f64[b + F.BID] = 100;
      table.f64[b + F.ASK] = 100.5;
      table.f64[b + F.BID_QTY] = 100_000;
      table.f64[b + F.ASK_QTY] = 100_000;
      table.f64[b + F.UPDATED_AT] = now;
      table.endWrite(slot);
    }
  };
  writeQuotes();
  const ticker = setInterval(writeQuotes, 100);

  const server = new HttpServer({ maxBodyBytes: config.httpMaxBodyBytes, logger });
  const market = new Market(skeleton, table);
  const paper = registerPaperRoutes(server, { getMarket: () => market, config, logger });
  const port = await server.listen(config.host, config.port);
  process.stdout.write(`listening ${port}\n`);

  const stop = async (): Promise<void> => {
    clearInterval(ticker);
    await server.close();
    await paper.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`paper-harness: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
