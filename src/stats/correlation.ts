/**
 * Pearson correlation: plain (R's `cor.test(x, y, method = "pearson")`: t-test on n − 2 df and
 * Fisher-z confidence interval) and marginal for clustered data (Lorenz, Datta & Harkema 2011,
 * Stat Med 30(27):3181–3191: inverse-cluster-size weighting, delta-method variance, normal test and
 * CI; the computation of CRAN htestClust `cortestClust(method = "pearson")`, docs/references/statistics.md §9),
 * and Spearman's rank correlation (R's `cor.test(method = "spearman")`, statistics.md §16).
 * Pure computation, no I/O.
 */
import { InputError } from '../errors.js';
import { normalQuantileStd, normalTwoSidedP, normalUpper, tTwoSidedP, tUpper } from './distributions.js';

/** A correlation estimate with its test and 95 % (or `level`) confidence interval. */
export interface CorrelationResult {
  /** Pearson r. */
  r: number;
  /** Standard error of r: delta method (clustered) or √((1 − r²)/(n − 2)) (plain). */
  se: number;
  /** t (plain, df = n − 2), z (clustered) or Spearman's S. */
  statistic: number;
  /** Degrees of freedom of the t statistic (plain only; null for the normal test). */
  df: number | null;
  /** Two-sided p-value. */
  p: number;
  ciLower: number;
  ciUpper: number;
  /** Number of (x, y) pairs used. */
  n: number;
  /** Number of clusters (plain: n). */
  clusters: number;
  method: 'pearson' | 'pearson-clustered-lorenz2011' | 'spearman';
}

function checkPairs(x: readonly number[], y: readonly number[]): void {
  if (x.length !== y.length)
    throw new InputError('x and y differ in length', { value: [x.length, y.length] });
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) throw new InputError('non-finite x value', { row: i + 1, value: x[i] });
    if (!Number.isFinite(y[i]!)) throw new InputError('non-finite y value', { row: i + 1, value: y[i] });
  }
}

/**
 * Pearson correlation with R's `cor.test`: t = r√((n−2)/(1−r²)) on n − 2 df; CI = tanh(atanh(r) ±
 * z_{1−α/2}/√(n−3)) (only for n ≥ 4, else NaN limits).
 *
 * @param x, y paired values (no missing values)
 * @param level confidence level (default 0.95)
 * @throws InputError when lengths differ, values are non-finite, n < 3 or a variable is constant
 */
export function pearson(x: readonly number[], y: readonly number[], level = 0.95): CorrelationResult {
  checkPairs(x, y);
  const n = x.length;
  if (n < 3) throw new InputError('Pearson correlation needs at least 3 pairs', { value: n });
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) throw new InputError('Pearson correlation of a constant variable is undefined');
  const r = sxy / Math.sqrt(sxx * syy);
  const df = n - 2;
  const statistic = (Math.sqrt(df) * r) / Math.sqrt(1 - r * r);
  const p = tTwoSidedP(statistic, df);
  let ciLower = NaN;
  let ciUpper = NaN;
  if (n > 3) {
    const z = Math.atanh(r);
    const sigma = 1 / Math.sqrt(n - 3);
    const q = normalQuantileStd(1 - (1 - level) / 2);
    ciLower = Math.tanh(z - sigma * q);
    ciUpper = Math.tanh(z + sigma * q);
  }
  return {
    r,
    se: Math.sqrt((1 - r * r) / df),
    statistic,
    df,
    p,
    ciLower,
    ciUpper,
    n,
    clusters: n,
    method: 'pearson',
  };
}

/**
 * Marginal Pearson correlation for clustered (repeated) measurements, Lorenz, Datta & Harkema (2011).
 *
 * With M clusters and within-cluster means m_i(·), E[·] = (1/M)Σ m_i(·) (each cluster weighted
 * equally); r = (E[xy] − E[x]E[y]) / √((E[x²] − E[x]²)(E[y²] − E[y]²)). Var(r) = gᵀSg/M with S the
 * sample covariance (denominator M − 1) of (m_i(x), m_i(y), m_i(xy), m_i(x²), m_i(y²)) and g the
 * gradient of r; z = r/√Var(r), p = 2(1 − Φ(|z|)), CI = r ± z_{1−α/2}√Var(r) (not truncated to ±1).
 *
 * @param x, y paired values
 * @param cluster cluster label per pair (e.g. patient ID)
 * @param level confidence level (default 0.95)
 * @throws InputError when lengths differ, values are non-finite, fewer than 3 clusters, or a
 *   variable has no variance
 */
export function clusteredPearson(
  x: readonly number[],
  y: readonly number[],
  cluster: readonly (string | number)[],
  level = 0.95,
): CorrelationResult {
  checkPairs(x, y);
  if (cluster.length !== x.length) {
    throw new InputError('cluster and x differ in length', { value: [cluster.length, x.length] });
  }
  const groups = new Map<string | number, number[]>();
  cluster.forEach((c, i) => {
    const g = groups.get(c);
    if (g) g.push(i);
    else groups.set(c, [i]);
  });
  const M = groups.size;
  if (M < 3) throw new InputError('clustered correlation needs at least 3 clusters', { value: M });
  const mi: number[][] = [];
  for (const idx of groups.values()) {
    let sx = 0;
    let sy = 0;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (const i of idx) {
      const a = x[i]!;
      const b = y[i]!;
      sx += a;
      sy += b;
      sxy += a * b;
      sxx += a * a;
      syy += b * b;
    }
    const k = idx.length;
    mi.push([sx / k, sy / k, sxy / k, sxx / k, syy / k]);
  }
  const E = [0, 1, 2, 3, 4].map((j) => mi.reduce((s, v) => s + v[j]!, 0) / M);
  const [ex, ey, exy, exx, eyy] = E as [number, number, number, number, number];
  const vx = exx - ex * ex;
  const vy = eyy - ey * ey;
  if (!(vx > 0) || !(vy > 0))
    throw new InputError('clustered correlation of a constant variable is undefined');
  const sd = Math.sqrt(vx * vy);
  const r = (exy - ex * ey) / sd;
  const g = [(r * ex) / vx - ey / sd, (r * ey) / vy - ex / sd, 1 / sd, -r / (2 * vx), -r / (2 * vy)];
  let quad = 0;
  for (let a = 0; a < 5; a++) {
    for (let b = 0; b < 5; b++) {
      let s = 0;
      for (const v of mi) s += (v[a]! - E[a]!) * (v[b]! - E[b]!);
      quad += g[a]! * (s / (M - 1)) * g[b]!;
    }
  }
  const se = Math.sqrt(quad / M);
  const statistic = r / se;
  const q = normalQuantileStd(1 - (1 - level) / 2);
  return {
    r,
    se,
    statistic,
    df: null,
    p: normalTwoSidedP(statistic),
    ciLower: r - q * se,
    ciUpper: r + q * se,
    n: x.length,
    clusters: M,
    method: 'pearson-clustered-lorenz2011',
  };
}

/** Ranks with ties given their average rank (R: `rank(x)`, ties.method = "average"), 1-based. */
export function averageRanks(x: readonly number[]): number[] {
  const order = x.map((_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const ranks = new Array<number>(x.length);
  let k = 0;
  while (k < order.length) {
    let j = k;
    while (j + 1 < order.length && x[order[j + 1]!] === x[order[k]!]) j++;
    for (let m = k; m <= j; m++) ranks[order[m]!] = (k + j) / 2 + 1;
    k = j + 1;
  }
  return ranks;
}

/**
 * Spearman's rank correlation as R's `cor.test(x, y, method = "spearman")`: ρ = the Pearson correlation
 * of the average ranks; S = (n³ − n)(1 − ρ)/6. Two-sided p = min(1, 2 × the tail on the side of ρ):
 * - `exact` (R's default when n < 1290 and there are no ties): P(S ≥ round(S)) for ρ ≤ 0, or
 *   1 − P(S ≥ round(S) + 2) for ρ > 0, from `spearmanUpperTail` (exact for n ≤ 9, Edgeworth series of
 *   AS 89 above);
 * - otherwise (ties, n ≥ 1290, or `exact: false`): the t approximation t = ρ√((n − 2)/(1 − ρ²)) on
 *   n − 2 df (R 4.2, `continuity = FALSE`).
 * No confidence interval (NaN), as R gives none. `pMethod` says which p was computed.
 *
 * @param x, y paired values (no missing values)
 * @param opts.exact force (true, refused with ties) or forbid (false) the exact / Edgeworth p-value
 * @throws InputError when lengths differ, values are non-finite, n < 3, a variable is constant, or
 *   an exact p-value is asked for with ties
 */
export function spearman(
  x: readonly number[],
  y: readonly number[],
  opts: { exact?: boolean } = {},
): CorrelationResult & { pMethod: 'exact' | 'edgeworth' | 't-approximation' } {
  checkPairs(x, y);
  const n = x.length;
  if (n < 3) throw new InputError('Spearman correlation needs at least 3 pairs', { value: n });
  const rx = averageRanks(x);
  const ry = averageRanks(y);
  const ties = new Set(x).size < n || new Set(y).size < n;
  if (opts.exact === true && ties)
    throw new InputError('an exact Spearman p-value cannot be computed with ties', {
      field: 'exact',
      value: true,
    });
  const r = pearson(rx, ry).r;
  const den = (n * (n * n - 1)) / 6;
  const s = den * (1 - r);
  const df = n - 2;
  const exact = (opts.exact ?? n < 1290) && !ties;
  let tail: number;
  if (exact) {
    const q = Math.round(s);
    tail = s > den ? spearmanUpperTail(q, n) : 1 - spearmanUpperTail(q + 2, n);
  } else {
    const t = r / Math.sqrt((1 - r * r) / df);
    tail = s > den ? tUpper(-t, df) : tUpper(t, df);
  }
  return {
    r,
    se: NaN,
    statistic: s,
    df,
    p: Math.min(2 * tail, 1),
    ciLower: NaN,
    ciUpper: NaN,
    n,
    clusters: n,
    method: 'spearman',
    pMethod: exact ? (n <= 9 ? 'exact' : 'edgeworth') : 't-approximation',
  };
}

/** Distribution of S = Σ d² over all n! permutations (n ≤ 9): count per S value, and n!. */
const exactSCounts = new Map<number, { counts: Map<number, number>; total: number }>();
function sDistribution(n: number): { counts: Map<number, number>; total: number } {
  const hit = exactSCounts.get(n);
  if (hit) return hit;
  const counts = new Map<number, number>();
  const used = new Array<boolean>(n).fill(false);
  let total = 0;
  const walk = (i: number, sum: number): void => {
    if (i === n) {
      counts.set(sum, (counts.get(sum) ?? 0) + 1);
      total++;
      return;
    }
    for (let j = 0; j < n; j++) {
      if (used[j]) continue;
      used[j] = true;
      walk(i + 1, sum + (i - j) * (i - j));
      used[j] = false;
    }
  };
  walk(0, 0);
  const out = { counts, total };
  exactSCounts.set(n, out);
  return out;
}

/**
 * P(S ≥ s) for Spearman's S = Σ d² under independence (no ties): exact by enumerating the n!
 * permutations for n ≤ 9, else the Edgeworth series of algorithm AS 89 (Best & Roberts 1975), clipped
 * to [0, 1] — R's `prho`, which `cor.test(method = "spearman")` calls for n < 1290 without ties.
 */
export function spearmanUpperTail(s: number, n: number): number {
  if (n <= 1 || s <= 0) return 1;
  const max = (n * (n * n - 1)) / 3;
  if (s > max) return 0;
  if (n <= 9) {
    const { counts, total } = sDistribution(n);
    let k = 0;
    for (const [v, c] of counts) if (v >= s) k += c;
    return k / total;
  }
  const b = 1 / n;
  const x = ((6 * (s - 1) * b) / (n * n - 1) - 1) * Math.sqrt(1 / b - 1);
  let y = x * x;
  const u =
    x *
    b *
    (0.2274 +
      b * (0.2531 + 0.1745 * b) +
      y *
        (-0.0758 +
          b * (0.1033 + 0.3932 * b) -
          y * b * (0.0879 + 0.0151 * b - y * (0.0072 - 0.0831 * b + y * b * (0.0131 - 4.6e-4 * y)))));
  y = u / Math.exp(y / 2);
  return Math.min(1, Math.max(0, y + normalUpper(x)));
}
