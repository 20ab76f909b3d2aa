/**
 * The simulator's Dhan accounts: client ids and their access tokens, with the token life
 * cycle the tests need (a token can be expired and replaced, as Dhan's 24 h tokens are,
 * docs/dhan-protocol.md §6). Simulator credentials are not secrets (docs/contract.md §2).
 *
 * Verdicts follow the annexure codes (docs/dhan-protocol.md §2.11): an unknown client id or a token of another
 * client → 808 (authentication failed); a token this client id never had → 809 (invalid);
 * a token that was this client's but has been expired → 807 (expired).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { ErrorCodes, OptchainError } from '../errors.js';

/** One account as handed to the server (docs/contract.md §4 accounts file shape). */
export interface SimAccount {
  readonly clientId: string;
  readonly accessToken: string;
}

/** Outcome of a credential check: `ok` or the disconnect reason to answer with. */
export type AuthVerdict = 'ok' | 807 | 808 | 809;

interface AccountState {
  token: string;
  expired: Set<string>;
  serial: number;
}

function b64url(s: string): string {
  return Buffer.from(s).toString('base64url');
}

/**
 * A JWT-shaped token (some clients read the `exp` claim, docs/dhan-protocol.md §6). Deterministic in (seed, client
 * id, serial) so a seeded simulator hands out the same credentials every run.
 */
export function makeSimToken(clientId: string, seed: number, serial: number, issuedAtMs = Date.UTC(2026, 0, 1)): string {
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'HS512' }));
  const iat = Math.floor(issuedAtMs / 1000);
  const payload = b64url(JSON.stringify({ iss: 'dhan-sim', dhanClientId: clientId, tokenConsumerType: 'SELF', iat, exp: iat + 86_400 * 3650, serial }));
  const sig = createHash('sha256').update(`${seed}:${clientId}:${serial}`).digest('base64url');
  return `${header}.${payload}.${sig}`;
}

/**
 * The default simulator accounts: five client ids, because the real-size universe (~111.6k
 * option tokens + 413 spots, issue 16 §2) needs ⌈112,040 / 25,000⌉ = 5 accounts of 5 × 5000.
 */
export const DEFAULT_SIM_ACCOUNTS = 5;

/** `count` simulator accounts (client ids 1100000001…), default {@link DEFAULT_SIM_ACCOUNTS}. */
export function defaultSimAccounts(seed: number, count = DEFAULT_SIM_ACCOUNTS): SimAccount[] {
  const out: SimAccount[] = [];
  for (let k = 1; k <= count; k++) {
    const clientId = String(1100000000 + k);
    out.push({ clientId, accessToken: makeSimToken(clientId, seed, 0) });
  }
  return out;
}

/** Client id → current token, plus every token it ever had. */
export class AccountRegistry {
  private readonly byClient = new Map<string, AccountState>();
  private readonly owner = new Map<string, string>();

  constructor(
    accounts: readonly SimAccount[],
    private readonly seed: number,
  ) {
    for (const a of accounts) {
      this.byClient.set(a.clientId, { token: a.accessToken, expired: new Set(), serial: 0 });
      this.owner.set(a.accessToken, a.clientId);
    }
  }

  /** Current credentials of every account. */
  list(): SimAccount[] {
    return [...this.byClient].map(([clientId, s]) => ({ clientId, accessToken: s.token }));
  }

  has(clientId: string): boolean {
    return this.byClient.has(clientId);
  }

  /** Checks a (client id, token) pair; `clientId` may be null when only a token is known (REST). */
  verify(clientId: string | null, token: string): AuthVerdict {
    if (clientId !== null) {
      const s = this.byClient.get(clientId);
      if (!s) return 808;
      if (token === s.token) return 'ok';
      if (s.expired.has(token)) return 807;
      return this.owner.has(token) ? 808 : 809;
    }
    const who = this.owner.get(token);
    if (who === undefined) return 809;
    const s = this.byClient.get(who)!;
    return token === s.token ? 'ok' : 807;
  }

  /** The client id a token belongs (or belonged) to. */
  ownerOf(token: string): string | undefined {
    return this.owner.get(token);
  }

  /**
   * Expires the client's current token and installs `newToken` (or a fresh one). Returns the
   * new credentials. Throws a RangeError for an unknown client id.
   */
  expire(clientId: string, newToken?: string): SimAccount {
    const s = this.byClient.get(clientId);
    if (!s) throw new OptchainError(ErrorCodes.SIM_FAILED, `unknown simulator client id ${clientId}`);
    s.expired.add(s.token);
    s.serial++;
    s.token = newToken ?? makeSimToken(clientId, this.seed, s.serial, Date.UTC(2026, 0, 1) + s.serial * 1000);
    this.owner.set(s.token, clientId);
    return { clientId, accessToken: s.token };
  }
}
