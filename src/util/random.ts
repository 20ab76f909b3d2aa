/**
 * The one seeded randomness of the project: a string hash and the mulberry32 generator. The
 * exchange simulator's market model, the synthetic master and the tests' fuzzers draw from it,
 * so a seed reproduces the same market, file or failing input everywhere.
 *
 * The generator's state is a slot of a `Uint32Array`. The market model keeps one stream per
 * instrument in a typed array without an object per stream, and {@link Rng} wraps a single slot.
 *
 * @module
 */

/** murmur3's fmix32 avalanche: nearby inputs give unrelated outputs. Returns a u32. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32-bit FNV-1a hash of `text`, mixed with `seed`, then avalanched ({@link fmix32}). */
export function hash32(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** Next uniform in [0, 1) of the mulberry32 stream whose state is `state[k]` (advanced in place). */
export function nextUniform(state: Uint32Array, k: number): number {
  const s = (state[k]! + 0x6d2b79f5) >>> 0;
  state[k] = s;
  let t = Math.imul(s ^ (s >>> 15), s | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A standard normal from the stream `state[k]` (Box–Muller, one of the pair). */
export function nextGaussian(state: Uint32Array, k: number): number {
  const u = nextUniform(state, k) || 1e-12;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * nextUniform(state, k));
}

/** A seeded mulberry32 stream as an object: small, fast, good enough for simulation and tests. */
export class Rng {
  private readonly state = new Uint32Array(1);

  constructor(seed: number) {
    this.state[0] = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return nextUniform(this.state, 0);
  }

  /** Uniform integer in [0, 2^32). */
  uint32(): number {
    return Math.floor(nextUniform(this.state, 0) * 4294967296);
  }

  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    return nextGaussian(this.state, 0);
  }

  /** One element of `items` (which must not be empty). */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}
