/**
 * `optchain users add <name> [--funds INR]` (docs/contract.md §2): creates a paper-trading user in the
 * database under the data dir and prints its new API key as the last line of stdout. The key
 * is shown this once; only its SHA-256 is stored (see src/paper/api-keys.ts for why a plain
 * digest suffices for a 256-bit random key).
 *
 * @module
 */
import { loadConfig } from '../config/config.js';
import { createUser } from '../paper/api-keys.js';
import { openPaperDb, PAPER_DB_FILE } from '../paper/paper-db.js';

/** Default paper funds in rupees (docs/contract.md §2). */
export const DEFAULT_FUNDS = 1_000_000;

const usage = 'usage: optchain users add <name> [--funds INR]\n';

/** Entry point; returns the exit code. */
export async function usersCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'add') {
    process.stderr.write(sub === undefined || sub === '--help' || sub === '-h' ? usage : `optchain users: unknown subcommand '${sub}'\n${usage}`);
    return sub === '--help' || sub === '-h' ? 0 : 2;
  }
  let name: string | undefined;
  let funds = DEFAULT_FUNDS;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--funds' || a.startsWith('--funds=')) {
      const v = a === '--funds' ? rest[++i] : a.slice('--funds='.length);
      const n = Number(v);
      if (v === undefined || v.trim() === '' || !Number.isFinite(n) || n < 0) {
        process.stderr.write('optchain users add: --funds needs a non-negative number of rupees\n');
        return 2;
      }
      funds = n;
    } else if (a.startsWith('--')) {
      process.stderr.write(`optchain users add: unknown option ${a}\n${usage}`);
      return 2;
    } else if (name === undefined) {
      name = a;
    } else {
      process.stderr.write(`optchain users add: unexpected argument '${a}'\n${usage}`);
      return 2;
    }
  }
  if (name === undefined || name.trim() === '' || name.length > 100) {
    process.stderr.write(`optchain users add: a name (1–100 characters) is required\n${usage}`);
    return 2;
  }
  const config = loadConfig();
  const db = openPaperDb(config.dataDir);
  try {
    const exists = db.prepare('SELECT 1 FROM users WHERE name = ?').get(name);
    if (exists !== undefined) {
      process.stderr.write(`optchain users add: a user named '${name}' already exists\n`);
      return 1;
    }
    const { user, key } = createUser(db, name, funds);
    process.stdout.write(`created paper user '${user.name}' (id ${user.id}, funds ${user.funds} INR) in ${config.dataDir}/${PAPER_DB_FILE}\n`);
    process.stdout.write('API key (shown once; send it as "Authorization: Bearer <key>"):\n');
    process.stdout.write(`${key}\n`);
    return 0;
  } finally {
    db.close();
  }
}
