/**
 * `optchain` command dispatch. Each command lives in its own file under `cli/`.
 *
 * @module
 */
import { isOptchainError } from '../errors.js';

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve-command.js')).serveCommand,
  skeleton: async () => (await import('./skeleton-command.js')).skeletonCommand,
  sim: async () => (await import('./sim-command.js')).simCommand,
  users: async () => (await import('./users-command.js')).usersCommand,
  master: async () => (await import('./master-command.js')).masterCommand,
};

const usage = `usage: optchain <command> [options]

commands:
  serve                                         the option-chain server (sim mode when no accounts are configured)
  sim [--host H] [--port N]                     only the Dhan simulator
  skeleton --master <file-or-url> --date D [--json]
  master --date D --out <file>                  write the synthetic detailed master
  users add <name> [--funds INR]                create a paper-trading user; prints its API key
`;

/** Entry point used by `bin/optchain.js`. Sets the exit code; never throws. */
export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const { describeConfig } = await import('../config/config.js');
    process.stdout.write(`${usage}\nenvironment (every option can be set this way):\n${describeConfig().join('\n')}\n`);
    process.exitCode = name ? 0 : 1;
    return;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`optchain: unknown command '${name}'\n${usage}`);
    process.exitCode = 2;
    return;
  }
  try {
    const code = await (await load())(rest);
    if (code !== 0) process.exitCode = code;
  } catch (err) {
    const msg = isOptchainError(err) ? err.message : err instanceof Error ? err.message : String(err);
    process.stderr.write(`optchain ${name}: ${msg}\n`);
    process.exitCode = 1;
  }
}
