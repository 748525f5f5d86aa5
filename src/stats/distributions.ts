/**
 * Distribution functions for p-values and confidence intervals.
 *
 * Upper tails are computed directly (regularised incomplete gamma / beta, erfc), never as 1 − cdf,
 * so that small p-values keep their digits (R's `pt(..., lower.tail = FALSE)` etc.).
 * Kernels return NaN for invalid arguments and never throw.
 */
import betainc from '@stdlib/math-base-special-betainc';
import gammainc from '@stdlib/math-base-special-gammainc';
import erfc from '@stdlib/math-base-special-erfc';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import chisqQuantile from '@stdlib/stats-base-dists-chisquare-quantile';
import fQuantile from '@stdlib/stats-base-dists-f-quantile';

/** Upper tail P(Z > z) of the standard normal (R: `pnorm(z, lower.tail = FALSE)`). */
export function normalUpper(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Two-sided normal p-value 2·P(Z > |z|) (R: `2 * pnorm(-abs(z))`). */
export function normalTwoSidedP(z: number): number {
  if (Number.isNaN(z)) return NaN;
  return erfc(Math.abs(z) / Math.SQRT2);
}

/** Standard normal quantile (R: `qnorm(p)`). */
export function normalQuantileStd(p: number): number {
  return normalQuantile(p, 0, 1);
}

/** Upper tail P(T > t) of Student's t with `df` degrees of freedom (R: `pt(t, df, lower.tail = FALSE)`). */
export function tUpper(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (!Number.isFinite(df)) return normalUpper(t);
  const x = df / (df + t * t);
  const tail = 0.5 * betainc(x, df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}

/** Two-sided t p-value 2·P(T > |t|) (R: `2 * pt(-abs(t), df)`). */
export function tTwoSidedP(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (!Number.isFinite(df)) return normalTwoSidedP(t);
  return betainc(df / (df + t * t), df / 2, 0.5);
}

/** Quantile of Student's t (R: `qt(p, df)`); df = Infinity gives the normal quantile. */
export function tQuantileDf(p: number, df: number): number {
  if (!Number.isFinite(df) && df > 0) return normalQuantile(p, 0, 1);
  return tQuantile(p, df);
}

/** Upper tail P(X > x) of χ² with `df` degrees of freedom (R: `pchisq(x, df, lower.tail = FALSE)`). */
export function chisqUpper(x: number, df: number): number {
  if (Number.isNaN(x) || !(df > 0)) return NaN;
  if (x <= 0) return 1;
  return gammainc(x / 2, df / 2, true, true);
}

/** χ² quantile (R: `qchisq(p, df)`). */
export function chisqQuantileDf(p: number, df: number): number {
  return chisqQuantile(p, df);
}

/** Upper tail P(F > f) of F(df1, df2) (R: `pf(f, df1, df2, lower.tail = FALSE)`). */
export function fUpper(f: number, df1: number, df2: number): number {
  if (Number.isNaN(f) || !(df1 > 0) || !(df2 > 0)) return NaN;
  if (f <= 0) return 1;
  if (!Number.isFinite(df2)) return chisqUpper(f * df1, df1);
  return betainc(df2 / (df2 + df1 * f), df2 / 2, df1 / 2);
}

/** F quantile (R: `qf(p, df1, df2)`). */
export function fQuantileDf(p: number, df1: number, df2: number): number {
  return fQuantile(p, df1, df2);
}

/**
 * Quantile of the beta distribution Beta(a, b) (R: `qbeta(p, a, b)`), by bisection of the regularised
 * incomplete beta function down to adjacent doubles (the lower tail I_x(a, b) for p ≤ 0.5, the upper
 * tail for p > 0.5, so that both ends keep their digits). NaN for p outside [0, 1] or a, b ≤ 0.
 */
export function betaQuantile(p: number, a: number, b: number): number {
  if (!(p >= 0 && p <= 1) || !(a > 0) || !(b > 0)) return NaN;
  if (p === 0) return 0;
  if (p === 1) return 1;
  // f(x) < 0 left of the quantile, ≥ 0 right of it.
  const f =
    p <= 0.5 ? (x: number) => betainc(x, a, b) - p : (x: number) => 1 - p - betainc(x, a, b, true, true);
  let lo = 0;
  let hi = 1;
  for (let k = 0; k < 2200; k++) {
    const mid = lo + (hi - lo) / 2;
    if (mid === lo || mid === hi) break;
    if (f(mid) < 0) lo = mid;
    else hi = mid;
  }
  return Math.abs(f(lo)) < Math.abs(f(hi)) ? lo : hi;
}
