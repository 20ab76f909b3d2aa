/**
 * The one rounding of rupee amounts to paise (2 dp) used everywhere a price or a margin is
 * presented or sent: chain bodies, paper fills and P&L, margin requests and the simulator's
 * margin answers.
 *
 * @module
 */

/**
 * `x` rounded to the paise. Dhan sends prices as float32, so 152.3 arrives as
 * 152.3000030517578 (docs/dhan-protocol.md §2.6). NaN stays NaN. `+ 0` turns -0 into 0, so a
 * FlatBuffers double and the JSON text (which cannot say -0) agree.
 */
export function roundPaise(x: number): number {
  return Math.round(x * 100) / 100 + 0;
}
