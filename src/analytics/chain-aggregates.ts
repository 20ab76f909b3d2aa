/**
 * Chain-level figures that need no model: the ATM strike, open-interest and volume totals,
 * put-call ratios, OI change from the previous session and max pain. Layout in
 * chain-layout.ts; a missing (NaN) OI or volume counts as nothing, and a figure with nothing
 * to stand on is NaN (null), never 0.
 *
 * "Previous day" is the previous trading session's closing OI as the exchange reports it in
 * Dhan's Prev Close packet (code 6, u32 at offset 12; docs/dhan-protocol.md §2, "Prev Close"),
 * kept in the price table as `prevOi`. A leg without it has no OI change and is left out of
 * the chain's change totals (the totals then cover the legs that have it).
 *
 * @module
 */
import { C, LEG_WORDS, L, QUOTE_WORDS, Q } from './chain-layout.js';

/** Index of the strike nearest `forward` (the lower one on a tie); −1 when none or no forward. */
export function atmIndex(strikes: Float64Array, forward: number): number {
  const n = strikes.length;
  if (n === 0 || !(forward > 0)) return -1;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (strikes[mid]! <= forward) lo = mid;
    else hi = mid;
  }
  return Math.abs(strikes[hi]! - forward) < Math.abs(forward - strikes[lo]!) ? hi : lo;
}

/**
 * Max pain: the strike K minimising the holders' total intrinsic value at expiry,
 * Σ CE_OI·(K − Kᵢ)⁺ + PE_OI·(Kᵢ − K)⁺, over the chain's strikes (the lowest on a tie). O(n)
 * with running sums. NaN when the chain has no OI.
 */
export function maxPain(strikes: Float64Array, quotes: Float64Array): number {
  const n = strikes.length;
  let peTotal = 0;
  let peTotalK = 0;
  for (let i = 0; i < n; i++) {
    const oi = oiOf(quotes, 2 * i + 1);
    peTotal += oi;
    peTotalK += oi * strikes[i]!;
  }
  let ceBelow = 0;
  let ceBelowK = 0;
  let peUpTo = 0;
  let peUpToK = 0;
  let best = Number.NaN;
  let bestPain = Number.POSITIVE_INFINITY;
  for (let j = 0; j < n; j++) {
    const k = strikes[j]!;
    const ce = oiOf(quotes, 2 * j);
    const pe = oiOf(quotes, 2 * j + 1);
    ceBelow += ce;
    ceBelowK += ce * k;
    peUpTo += pe;
    peUpToK += pe * k;
    const pain = k * ceBelow - ceBelowK + (peTotalK - peUpToK) - k * (peTotal - peUpTo);
    if (pain < bestPain) {
      bestPain = pain;
      best = k;
    }
  }
  return ceBelow + peTotal > 0 ? best : Number.NaN;
}

function oiOf(quotes: Float64Array, leg: number): number {
  const v = quotes[leg * QUOTE_WORDS + Q.OI]!;
  return v > 0 ? v : 0;
}

/**
 * Writes the OI and volume totals, their put-call ratios, the OI changes and max pain into
 * `chain` (C.CE_OI … C.PE_OI_CHANGE, C.PCR_OI, C.PCR_VOLUME, C.MAX_PAIN), and each leg's
 * OI change into `legs` (L.OI_CHANGE).
 */
export function writeOpenInterest(strikes: Float64Array, quotes: Float64Array, legs: Float64Array, chain: Float64Array): void {
  const n = strikes.length;
  let ceOi = 0;
  let peOi = 0;
  let ceVol = 0;
  let peVol = 0;
  let ceChange = 0;
  let peChange = 0;
  let ceOiLegs = 0;
  let peOiLegs = 0;
  let ceChangeLegs = 0;
  let peChangeLegs = 0;
  let volLegs = 0;
  for (let leg = 0; leg < 2 * n; leg++) {
    const q = leg * QUOTE_WORDS;
    const oi = quotes[q + Q.OI]!;
    const prev = quotes[q + Q.PREV_OI]!;
    const vol = quotes[q + Q.VOLUME]!;
    const change = oi >= 0 && prev >= 0 ? oi - prev : Number.NaN;
    legs[leg * LEG_WORDS + L.OI_CHANGE] = change;
    const isCall = (leg & 1) === 0;
    if (oi >= 0) {
      if (isCall) {
        ceOi += oi;
        ceOiLegs++;
      } else {
        peOi += oi;
        peOiLegs++;
      }
    }
    if (change === change) {
      if (isCall) {
        ceChange += change;
        ceChangeLegs++;
      } else {
        peChange += change;
        peChangeLegs++;
      }
    }
    if (vol >= 0) {
      volLegs++;
      if (isCall) ceVol += vol;
      else peVol += vol;
    }
  }
  chain[C.CE_OI] = ceOiLegs > 0 ? ceOi : Number.NaN;
  chain[C.PE_OI] = peOiLegs > 0 ? peOi : Number.NaN;
  chain[C.CE_OI_CHANGE] = ceChangeLegs > 0 ? ceChange : Number.NaN;
  chain[C.PE_OI_CHANGE] = peChangeLegs > 0 ? peChange : Number.NaN;
  chain[C.PCR_OI] = ceOi > 0 && peOiLegs > 0 ? peOi / ceOi : Number.NaN;
  chain[C.PCR_VOLUME] = volLegs > 0 && ceVol > 0 ? peVol / ceVol : Number.NaN;
  chain[C.MAX_PAIN] = maxPain(strikes, quotes);
}
