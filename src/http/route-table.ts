/**
 * Route matching for backends that have no router of their own (node:http), with uWS's
 * rules so both backends route every URL the same way: patterns are `/`-separated segments,
 * `:name` matches one non-empty segment, a final `*` matches the rest (even nothing after the
 * slash: `/assets/*` matches `/assets/`); at each segment a static segment wins over a
 * parameter, a parameter over a wildcard, and when a branch has no route for the method the
 * next branch is tried (a method-specific route wins over an `any` route on the same pattern).
 *
 * A path with no parameter route on the way is found with one Map lookup (the common case:
 * `/health`, `/metrics`, `/`); the others walk a segment tree, and what the walk found for a
 * short path is remembered (a client polls the same `/v1/chains/NIFTY` over and over; the
 * split and walk cost node:http's chain route ~2 % of its time, measured with --cpu-prof).
 *
 * @module
 */

/** What a match gives back: the handler and the raw (undecoded) parameter values in order. */
export interface RouteMatch<H> {
  readonly handler: H;
  readonly params: readonly string[];
}

interface Node<H> {
  readonly statics: Map<string, Node<H>>;
  param: Node<H> | null;
  /** Handlers of the pattern ending with `/*` at this node. */
  wildcard: Handlers<H> | null;
  /** Handlers of the pattern ending exactly here. */
  handlers: Handlers<H> | null;
}

/** Handlers of one pattern by method; `*` = any method. */
type Handlers<H> = Map<string, H>;

const NO_PARAMS: readonly string[] = Object.freeze([]);
/** Walked matches remembered at most (then the memo starts over), and the longest path remembered. */
const MEMO_LIMIT = 4096;
const MEMO_PATH_LIMIT = 160;

function newNode<H>(): Node<H> {
  return { statics: new Map(), param: null, wildcard: null, handlers: null };
}

function pick<H>(handlers: Handlers<H> | null, method: string): H | undefined {
  if (handlers === null) return undefined;
  return handlers.get(method) ?? handlers.get('*');
}

/** A route table; `H` is the handler type. */
export class RouteTable<H> {
  private readonly root: Node<H> = newNode();
  /** Patterns without parameters or wildcards, by path: the one-lookup fast path. */
  private readonly exact = new Map<string, Handlers<H>>();
  private hasDynamic = false;
  /** Walked matches by method and path (bounded: see {@link MEMO_LIMIT}); emptied by add(). */
  private readonly memo = new Map<string, Map<string, RouteMatch<H> | null>>();
  private memoSize = 0;

  /** Adds `handler` for `method` (upper case, or `*` for any) on `pattern`. A second add for the same pair replaces the first. */
  add(method: string, pattern: string, handler: H): void {
    this.memo.clear();
    this.memoSize = 0;
    const segments = pattern.split('/').slice(1);
    let node = this.root;
    let dynamic = false;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      if (seg === '*' && i === segments.length - 1) {
        node.wildcard ??= new Map();
        node.wildcard.set(method, handler);
        this.hasDynamic = true;
        return;
      }
      if (seg.startsWith(':')) {
        node.param ??= newNode();
        node = node.param;
        dynamic = true;
        continue;
      }
      let next = node.statics.get(seg);
      if (next === undefined) {
        next = newNode();
        node.statics.set(seg, next);
      }
      node = next;
    }
    node.handlers ??= new Map();
    node.handlers.set(method, handler);
    if (dynamic) this.hasDynamic = true;
    else this.exact.set(pattern, node.handlers);
  }

  /** The handler for `method` on `path` (no query string), or null. */
  match(method: string, path: string): RouteMatch<H> | null {
    const exact = this.exact.get(path);
    if (exact !== undefined) {
      const h = pick(exact, method);
      // A static pattern beats every dynamic one at each segment, so a hit here is final.
      if (h !== undefined) return { handler: h, params: NO_PARAMS };
    }
    if (!this.hasDynamic) return null;
    const remember = path.length <= MEMO_PATH_LIMIT;
    let byPath: Map<string, RouteMatch<H> | null> | undefined;
    if (remember) {
      byPath = this.memo.get(method);
      const known = byPath?.get(path);
      if (known !== undefined) return known;
    }
    const segments = path.split('/');
    const params: string[] = [];
    const h = this.walk(this.root, segments, 1, method, params);
    const found = h === undefined ? null : { handler: h, params: params.length === 0 ? NO_PARAMS : Object.freeze(params) };
    if (remember) {
      if (this.memoSize >= MEMO_LIMIT) {
        this.memo.clear();
        this.memoSize = 0;
        byPath = undefined;
      }
      if (byPath === undefined) {
        byPath = new Map();
        this.memo.set(method, byPath);
      }
      byPath.set(path, found);
      this.memoSize++;
    }
    return found;
  }

  private walk(node: Node<H>, segments: readonly string[], i: number, method: string, params: string[]): H | undefined {
    if (i === segments.length) return pick(node.handlers, method);
    const seg = segments[i]!;
    const next = node.statics.get(seg);
    if (next !== undefined) {
      const h = this.walk(next, segments, i + 1, method, params);
      if (h !== undefined) return h;
    }
    if (node.param !== null && seg.length > 0) {
      params.push(seg);
      const h = this.walk(node.param, segments, i + 1, method, params);
      if (h !== undefined) return h;
      params.pop();
    }
    return pick(node.wildcard, method);
  }
}
