/**
 * Root of a decreasing function inside a bracket by the Illinois variant of regula falsi (Dowell &
 * Jarratt 1971): secant steps, with the stale end's value halved when one end is kept twice, and a
 * bisection step whenever the secant leaves the bracket. Used for simultaneous critical values
 * (src/stats/dunnett.ts, src/lab/max-t.ts), where g(x) = P(max |T| ≥ x) − α falls with x.
 */

/**
 * The x in [lo, hi] with g(x) = 0 for a decreasing g, to `relTol` relative width of the bracket.
 * Returns `lo` when g(lo) ≤ 0 and `hi` when g(hi) ≥ 0 (the root is at or beyond the bracket).
 * @param g decreasing function on [lo, hi]
 * @param relTol stop when hi − lo ≤ relTol · hi (at most 100 steps)
 */
export function decreasingRoot(g: (x: number) => number, lo: number, hi: number, relTol: number): number {
  let glo = g(lo);
  let ghi = g(hi);
  if (glo <= 0) return lo;
  if (ghi >= 0) return hi;
  let side = 0;
  for (let it = 0; it < 100 && hi - lo > relTol * hi; it++) {
    let x = (lo * ghi - hi * glo) / (ghi - glo);
    if (!(x > lo && x < hi)) x = 0.5 * (lo + hi);
    const gx = g(x);
    if (gx === 0) return x;
    if (gx > 0) {
      lo = x;
      glo = gx;
      if (side === 1) ghi /= 2;
      side = 1;
    } else {
      hi = x;
      ghi = gx;
      if (side === -1) glo /= 2;
      side = -1;
    }
  }
  return (lo * ghi - hi * glo) / (ghi - glo);
}
