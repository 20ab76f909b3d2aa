/**
 * Deterministic randomness for the synthetic master, drawn from the project's one hash and PRNG
 * (src/util/random.ts).
 * Every random choice is keyed by (seed, what it is for), so the same (trading date, seed)
 * always gives the same file, and adding one instrument does not reshuffle the others.
 *
 * @module
 */
import { hash32, Rng } from '../util/random.js';

/** A uniform number in [0, 1) derived from `text` and `seed`. */
export function unit(text: string, seed = 0): number {
  return hash32(text, seed) / 4294967296;
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
