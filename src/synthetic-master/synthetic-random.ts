/**
 * Deterministic randomness for the synthetic master: a string hash and a small seeded PRNG.
 * Every random choice is keyed by (seed, what it is for), so the same (trading date, seed)
 * always gives the same file, and adding one instrument does not reshuffle the others.
 *
 * @module
 */

/** 32-bit FNV-1a hash of `text`, mixed with `seed`. */
export function hash32(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche (murmur3 fmix32) so nearby keys give unrelated values.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform number in [0, 1) derived from `text` and `seed`. */
export function unit(text: string, seed = 0): number {
  return hash32(text, seed) / 4294967296;
}

/** A seeded PRNG (mulberry32): small, fast, good enough for test data. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
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
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

/** A PRNG keyed by a label and the seed. */
export function rngFor(label: string, seed: number): Rng {
  return new Rng(hash32(label, seed));
}

const WALK_PERIODS_DAYS = [19, 47, 131, 367, 911];

/**
 * A smooth, deterministic path of log-levels: the sum of a few slow sines with phases drawn
 * from (`key`, `seed`). Consecutive days move a little, months apart move a lot, so spots and
 * the strikes around them drift the way they do between two real masters.
 *
 * @param amplitude roughly the largest log-deviation from the base level (0.1 ≈ ±10 %).
 */
export function levelFactor(key: string, seed: number, date: string, amplitude: number): number {
  const t = (Date.parse(`${date}T00:00:00Z`) - Date.UTC(2026, 0, 1)) / 86_400_000;
  let x = 0;
  let norm = 0;
  for (let i = 0; i < WALK_PERIODS_DAYS.length; i++) {
    const p = WALK_PERIODS_DAYS[i]!;
    // Longer periods carry more weight, as a random walk's spectrum does.
    const a = Math.sqrt(p);
    x += a * Math.sin((2 * Math.PI * t) / p + 2 * Math.PI * unit(`${key}#phase${i}`, seed));
    norm += a;
  }
  return Math.exp((amplitude * x) / norm);
}
