/**
 * The `Host` check against DNS rebinding (issue 15 §6): a page on `http://evil.example:8080`
 * whose name the attacker re-points at 127.0.0.1 makes the victim's browser talk to this
 * server as a "same-origin" peer and read `/health`, `/metrics` and the chains. The browser
 * still sends `Host: evil.example:8080`, so answering only the configured host names stops it
 * (the defence of webpack-dev-server's `allowedHosts` and Vite's `server.allowedHosts`).
 *
 * Always answered, as Vite does: `localhost`, `*.localhost` (RFC 6761 §6.3: they resolve to
 * loopback only) and every IP literal (a rebinding needs a DNS name; a Host that is an
 * address names the server itself). Configured names add to these: `*.example.com` admits
 * every subdomain of example.com, `*` admits any Host. Names are compared without the port (a
 * rebinding page uses the server's own port) and case-insensitively. A request without `Host`
 * (HTTP/1.0) passes: browsers always send one.
 *
 * @module
 */
import { ErrorCodes, HttpError } from '../errors.js';
import { errorReply } from './error-reply.js';
import type { FastReply, HttpInterceptor, RequestView } from './handler-types.js';

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
/** A host name (RFC 1123 labels, `_` tolerated), an IPv4 or a bracket-less IPv6 literal, optionally `*.`-prefixed. */
const NAME = /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$|^[0-9a-f:.]+$/;

/** The entries of an `OPTCHAIN_ALLOWED_HOSTS` value, lower-case, brackets and trailing dots removed. */
export function parseAllowedHosts(spec: string): string[] {
  return [...new Set(spec.split(',').map(normalizeName).filter((s) => s.length > 0))];
}

/** Why `spec` is not a valid `OPTCHAIN_ALLOWED_HOSTS` value, or null when it is. */
export function allowedHostsProblem(spec: string): string | null {
  for (const name of parseAllowedHosts(spec)) {
    if (name !== '*' && !NAME.test(name)) return `'${name.slice(0, 80)}' is not a host name, an IP address, *.domain or *`;
  }
  return null;
}

function normalizeName(raw: string): string {
  let s = raw.trim().toLowerCase();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  while (s.endsWith('.')) s = s.slice(0, -1);
  return s;
}

/** The host part of a `Host` header value (`name:port`, `[v6]:port`), normalized; '' when unparsable. */
export function hostName(header: string): string {
  let h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? '' : h.slice(1, end);
  }
  const colon = h.indexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  while (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/** True for names always answered: localhost, *.localhost, IP literals. */
function alwaysAllowed(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost') || IPV4.test(name) || name.includes(':');
}

/** A set of allowed host names with `*.domain` suffixes. */
export class HostAllowlist {
  private readonly exact = new Set<string>();
  private readonly suffixes: string[] = [];
  private any = false;
  /** The last Host header judged and its verdict: a client sends the same Host on every request. */
  private lastHeader = '';
  private lastVerdict = true;

  /** `names` as {@link parseAllowedHosts} returns them. */
  constructor(names: readonly string[]) {
    this.add(names);
  }

  /** Admits more names (the bind address, once the server listens). */
  add(names: readonly string[]): void {
    for (const n of names.map(normalizeName)) {
      if (n === '*') this.any = true;
      else if (n.startsWith('*.')) this.suffixes.push(n.slice(1));
      else if (n.length > 0) this.exact.add(n);
    }
    this.lastHeader = '';
    this.lastVerdict = true;
  }

  /** True when a request with this `Host` header value (`''` = none sent) may be answered. */
  allows(header: string): boolean {
    if (this.any || header.length === 0) return true;
    if (header === this.lastHeader) return this.lastVerdict;
    const name = hostName(header);
    const verdict = name.length > 0 && (alwaysAllowed(name) || this.exact.has(name) || this.suffixes.some((s) => name.endsWith(s)));
    this.lastHeader = header;
    this.lastVerdict = verdict;
    return verdict;
  }
}

/** Refuses, with 403 HOST_NOT_ALLOWED, every request whose `Host` the allowlist does not admit. */
export function hostCheckInterceptor(allowlist: HostAllowlist): HttpInterceptor {
  return {
    onRequest(req: RequestView): FastReply | undefined {
      const host = req.getHeader('host');
      if (allowlist.allows(host)) return undefined;
      const shown = host.length > 100 ? `${host.slice(0, 100)}…` : host;
      return errorReply(new HttpError(ErrorCodes.HOST_NOT_ALLOWED, `Host '${shown}' is not one of this server's host names (set OPTCHAIN_ALLOWED_HOSTS to admit it)`));
    },
  };
}
