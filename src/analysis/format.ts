/**
 * Number formatting shared by the analysis findings and the report: estimates with 3 significant
 * digits, p-values in the `p < 0.001` style, CIs as `lower–upper`.
 */

/** Formats a number with `digits` significant digits (no exponent for 1e-3 ≤ |x| < 1e6). */
export function formatSig(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || Number.isNaN(x)) return 'NA';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const ax = Math.abs(x);
  if (ax >= 1e6 || ax < 1e-3) return x.toExponential(digits - 1);
  const s = x.toPrecision(digits);
  // toPrecision may answer in exponent form for large integers (e.g. 1.23e+5): expand it.
  return s.includes('e') ? String(Number(s)) : s;
}

/** Formats a p-value: `< 0.001` below 0.001, otherwise 3 decimals (e.g. `0.043`). */
export function formatP(p: number | null | undefined): string {
  if (p === null || p === undefined || Number.isNaN(p)) return 'NA';
  if (p < 0.001) return '< 0.001';
  return p.toFixed(3);
}

/** `p = 0.043` or `p < 0.001`. */
export function formatPEquals(p: number | null | undefined): string {
  const s = formatP(p);
  return s.startsWith('<') ? `p ${s}` : `p = ${s}`;
}

/** Formats an estimate with its CI: `4.02 (3.31–4.88)`. */
export function formatCi(est: number, lower: number, upper: number, digits = 3): string {
  return `${formatSig(est, digits)} (${formatSig(lower, digits)}–${formatSig(upper, digits)})`;
}

/** Median of a numeric array (NaN for empty), average of the two middle values for even n. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Sample quantile by R's default type 7 (`quantile(x, p)`): linear interpolation between order
 * statistics at h = (n − 1)·p.
 */
export function quantile7(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const f = h - lo;
  // R's form: (1 − f)·x[lo] + f·x[hi] (stats::quantile.default, type 7).
  return f === 0 ? s[lo]! : (1 - f) * s[lo]! + f * s[hi]!;
}

/** Geometric mean exp(mean(log x)); NaN when any value is ≤ 0 or the array is empty. */
export function geometricMean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (const v of values) {
    if (!(v > 0)) return NaN;
    s += Math.log(v);
  }
  return Math.exp(s / values.length);
}
