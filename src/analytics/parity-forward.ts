/**
 * The forward of an (underlying, expiry) implied by put-call parity, C − P = df·(F − K), so
 * each strike with both legs quoted gives F = K + (C − P)/df. This is the forward the market
 * itself prices the options on (for index options it includes the futures basis and any
 * dividends), which is why Black-76 on it fits calls and puts with one volatility, while
 * spot·e^{rT} would put a spurious skew between them.
 *
 * Robustness: only sane two-sided quotes (iv-price.ts) count, priced at their mids; of those,
 * the {@link PARITY_STRIKES} nearest the money, where quotes are tightest and C − P is least
 * sensitive to a stale leg, and then the median of their estimates, so up to three bad pairs
 * out of seven cannot move it. "Nearest the money" ranks by |C − P| (= df·|F − K|), which needs
 * no forward to start from: the smallest |C − P| is the ATM strike, and the search widens
 * outward from it to whichever neighbour has the smaller |C − P|.
 *
 * @module
 */
import { QUOTE_WORDS, Q } from './chain-layout.js';
import { isSaneQuote, type SpreadRules } from './iv-price.js';

/** How many near-the-money strikes the median is taken over. */
export const PARITY_STRIKES = 7;

// Scratch reused across calls (the worker calls this for every changed chain); grown when a
// chain has more strikes than any before.
let candidateF = new Float64Array(256);
let candidateGap = new Float64Array(256);
const picked = new Float64Array(PARITY_STRIKES);

/**
 * The parity forward of a chain (layout in chain-layout.ts): writes the median estimate to
 * `out[0]` (NaN when no strike has two sane legs) and the number of strikes used to `out[1]`.
 * `df` = e^{−rT} of the expiry.
 */
export function parityForward(strikes: Float64Array, quotes: Float64Array, df: number, rules: SpreadRules, out: Float64Array): void {
  const n = strikes.length;
  if (n > candidateF.length) {
    candidateF = new Float64Array(n);
    candidateGap = new Float64Array(n);
  }
  let m = 0;
  let best = -1;
  let bestGap = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const c = i * 2 * QUOTE_WORDS;
    const p = c + QUOTE_WORDS;
    const cb = quotes[c + Q.BID]!;
    const ca = quotes[c + Q.ASK]!;
    const pb = quotes[p + Q.BID]!;
    const pa = quotes[p + Q.ASK]!;
    if (!isSaneQuote(cb, ca, rules) || !isSaneQuote(pb, pa, rules)) continue;
    const d = 0.5 * (cb + ca) - 0.5 * (pb + pa);
    const f = strikes[i]! + d / df;
    if (!(f > 0)) continue;
    candidateF[m] = f;
    candidateGap[m] = Math.abs(d);
    if (candidateGap[m]! < bestGap) {
      bestGap = candidateGap[m]!;
      best = m;
    }
    m++;
  }
  if (best < 0) {
    out[0] = Number.NaN;
    out[1] = 0;
    return;
  }
  let k = 0;
  picked[k++] = candidateF[best]!;
  let left = best - 1;
  let right = best + 1;
  while (k < PARITY_STRIKES && (left >= 0 || right < m)) {
    if (right >= m || (left >= 0 && candidateGap[left]! <= candidateGap[right]!)) picked[k++] = candidateF[left--]!;
    else picked[k++] = candidateF[right++]!;
  }
  out[0] = median(picked, k);
  out[1] = k;
}

/** Median of a[0..k), sorting that prefix in place (k ≤ PARITY_STRIKES: insertion sort). */
function median(a: Float64Array, k: number): number {
  for (let i = 1; i < k; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= 0 && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
  const h = k >> 1;
  return k % 2 === 1 ? a[h]! : 0.5 * (a[h - 1]! + a[h]!);
}
