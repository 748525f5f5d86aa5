/**
 * Restricted cubic splines exactly as R's `rms::rcs` (which calls `Hmisc::rcspline.eval` with
 * `inclx = TRUE, norm = 2, fractied = 0.05`): Harrell's default knot placement and the Stone–Koo
 * truncated-power basis normalised by (t_k − t_1)^{2/3} per factor (i.e. the cubic terms divided by
 * (t_k − t_1)²). Source: harrelfe/Hmisc `R/rcspline.eval.s`, harrelfe/rms `R/rms.trans.s`
 * (docs/references/statistics.md §8). Pure computation, no I/O.
 */
import { InputError } from '../errors.js';
import { chisqUpper } from './distributions.js';
import { solveSymmetric } from './linalg.js';

/** Knot placement result: the knots (ascending, unique) and the warnings R would have raised. */
export interface RcsKnots {
  knots: number[];
  warnings: string[];
}

/** Options of {@link rcsKnots}. */
export interface RcsKnotOptions {
  /**
   * Fraction of observations tied at the minimum (maximum) at or above which the first (last) knot
   * moves to the next distinct value (Hmisc `fractied`; rms default 0.05).
   */
  fractied?: number;
}

/**
 * R's `quantile(x, probs, type = 7)` on an already sorted array, reproducing R's arithmetic
 * (`(1 − h)·x[lo] + h·x[hi]`, interpolation skipped when x[hi] equals x[lo]).
 */
export function quantileType7Sorted(sorted: readonly number[], probs: readonly number[]): number[] {
  const n = sorted.length;
  return probs.map((p) => {
    const index = 1 + Math.max(n - 1, 0) * p;
    const lo = Math.floor(index);
    const hi = Math.ceil(index);
    const qs = sorted[lo - 1]!;
    const xhi = sorted[hi - 1]!;
    if (index > lo && xhi !== qs) {
      const h = index - lo;
      return (1 - h) * qs + h * xhi;
    }
    return qs;
  });
}

/** R's `seq(from, to, length.out = n)` (from + i·by for the interior, `to` exactly at the end). */
function seqLength(from: number, to: number, n: number): number[] {
  if (n === 1) return [from];
  const by = (to - from) / (n - 1);
  const out = [from];
  for (let i = 1; i < n - 1; i++) out.push(from + i * by);
  out.push(to);
  return out;
}

/**
 * Default knots of `rms::rcs(x, nk)` (Hmisc `rcspline.eval(x, nk, fractied = 0.05)`).
 *
 * Quantiles (type 7) at `seq(outer, 1 − outer, length = nk)` with outer = 0.10 for nk = 3, 0.05 for
 * 4 ≤ nk ≤ 6 and 0.025 for nk > 6. When fewer than 100 values remain the outer knots are replaced by
 * the 5th smallest and 5th largest value. When ≥ `fractied` of x equals the minimum (maximum) — and no
 * interior value is that frequent — the first (last) knot becomes the next distinct value and the
 * other knots come from the values strictly inside. With nk ≥ (#unique − 2) the knots are the interior
 * unique values (R warns).
 *
 * @param x values (any units; NaN entries are dropped as R drops NA)
 * @param nk number of knots requested (≥ 3)
 * @throws InputError when fewer than 6 finite values, nk < 3, or fewer than 3 unique knots result
 */
export function rcsKnots(x: readonly number[], nk: number, options: RcsKnotOptions = {}): RcsKnots {
  const fractied = options.fractied ?? 0.05;
  const warnings: string[] = [];
  let xx = x.filter((v) => !Number.isNaN(v));
  const n = xx.length;
  if (n < 6) throw new InputError('knots not specified, and < 6 non-missing observations', { value: n });
  if (!Number.isInteger(nk) || nk < 3) throw new InputError('nk must be an integer >= 3', { value: nk });
  const sortedAll = [...xx].sort((a, b) => a - b);
  const xu = uniqueSorted(sortedAll);
  const nxu = xu.length;
  let knots: number[];
  if (nxu - 2 <= nk) {
    warnings.push(
      `${nk} knots requested with ${nxu} unique values of x. knots set to ${nxu - 2} interior values.`,
    );
    knots = xu.slice(1, nxu - 1);
  } else {
    let outer = nk > 3 ? 0.05 : 0.1;
    if (nk > 6) outer = 0.025;
    let nke = nk;
    let overrideFirst = false;
    let overrideLast = false;
    const firstknot: number[] = [];
    const lastknot: number[] = [];
    if (fractied > 0 && fractied < 1) {
      // table(xx)/n over sorted unique values
      const freq = xu.map(() => 0);
      let k = 0;
      for (const v of sortedAll) {
        while (xu[k] !== v) k++;
        freq[k]!++;
      }
      const f = freq.map((c) => c / n);
      let maxInterior = -Infinity;
      for (let i = 1; i < f.length - 1; i++) maxInterior = Math.max(maxInterior, f[i]!);
      if (maxInterior < fractied) {
        if (f[0]! >= fractied) {
          const minx = Math.min(...xx);
          const fk = Math.min(...xx.filter((v) => v > minx));
          firstknot.push(fk);
          xx = xx.filter((v) => v > fk);
          nke--;
          overrideFirst = true;
        }
        if (f[f.length - 1]! >= fractied) {
          const maxx = Math.max(...xx);
          const lk = Math.max(...xx.filter((v) => v < maxx));
          lastknot.push(lk);
          xx = xx.filter((v) => v < lk);
          nke--;
          overrideLast = true;
        }
      }
    }
    const sorted = [...xx].sort((a, b) => a - b);
    if (nke === 1) {
      knots = quantileType7Sorted(sorted, [0.5]);
    } else if (nxu <= nke) {
      knots = xu.slice();
    } else {
      const p = nke === 2 ? seqLength(0.5, 1 - outer, nke) : seqLength(outer, 1 - outer, nke);
      knots = quantileType7Sorted(sorted, p);
      if (uniqueSorted([...knots].sort((a, b) => a - b)).length < Math.min(nke, 3)) {
        knots = quantileType7Sorted(sorted, seqLength(outer, 1 - outer, 2 * nke));
        if (firstknot.length > 0 && uniqueSorted([...knots].sort((a, b) => a - b)).length < 3) {
          const midval =
            firstknot.length > 0 && lastknot.length > 0
              ? (firstknot[0]! + lastknot[0]!) / 2
              : quantileType7Sorted(sorted, [0.5])[0]!;
          knots = [
            firstknot[0]!,
            midval,
            lastknot.length > 0 ? lastknot[0]! : quantileType7Sorted(sorted, [1 - outer])[0]!,
          ].sort((a, b) => a - b);
        }
        const nu = uniqueSorted([...knots].sort((a, b) => a - b)).length;
        if (nu < 3) throw new InputError('fewer than 3 unique knots', { value: nu });
        warnings.push(
          `could not obtain ${nke} interior knots with default algorithm. Used alternate algorithm to obtain ${nu} knots`,
        );
      }
      if (sorted.length < 100) {
        if (!overrideFirst) knots[0] = sorted[4]!;
        if (!overrideLast) knots[nke - 1] = sorted[sorted.length - 5]!;
      }
    }
    knots = [...firstknot, ...knots, ...lastknot];
  }
  knots = uniqueSorted([...knots].sort((a, b) => a - b));
  if (knots.length < 3) throw new InputError('fewer than 3 unique knots', { value: knots.length });
  return { knots, warnings };
}

function uniqueSorted(sorted: readonly number[]): number[] {
  const out: number[] = [];
  for (const v of sorted) if (out.length === 0 || out[out.length - 1] !== v) out.push(v);
  return out;
}

/**
 * One row of the `rms::rcs` design for value `x`: [x, x', x'', …] (k − 1 columns for k knots).
 * Column j+1 (j = 1..k−2) = ((x−t_j)₊/kd)³ + ((t_{k−1}−t_j)((x−t_k)₊/kd)³ − (t_k−t_j)((x−t_{k−1})₊/kd)³)/(t_k−t_{k−1}),
 * kd = (t_k − t_1)^{2/3}, with R's order of operations.
 *
 * @param x a value (same units as the knots)
 * @param knots ascending knots (≥ 3)
 */
export function rcsBasisRow(x: number, knots: readonly number[]): number[] {
  const k = knots.length;
  const t1 = knots[0]!;
  const tk = knots[k - 1]!;
  const tk1 = knots[k - 2]!;
  const kd = Math.pow(tk - t1, 2 / 3);
  const row = [x];
  const cube = (v: number): number => {
    return Math.pow(Math.max(v / kd, 0), 3);
  };
  for (let j = 0; j < k - 2; j++) {
    const tj = knots[j]!;
    row.push(cube(x - tj) + ((tk1 - tj) * cube(x - tk) - (tk - tj) * cube(x - tk1)) / (tk - tk1));
  }
  return row;
}

/**
 * The `rms::rcs(x, knots)` design matrix: one row per value, columns [x, x', x'', …].
 *
 * @param x values (units of the knots)
 * @param knots ascending, unique knots (≥ 3), e.g. from {@link rcsKnots}
 * @throws InputError when fewer than 3 knots or knots not strictly increasing
 */
export function rcsBasis(x: readonly number[], knots: readonly number[]): number[][] {
  if (knots.length < 3)
    throw new InputError('a restricted cubic spline needs at least 3 knots', {
      value: knots.length,
    });
  for (let i = 1; i < knots.length; i++) {
    if (!(knots[i]! > knots[i - 1]!)) {
      throw new InputError('knots must be strictly increasing', { value: knots });
    }
  }
  return x.map((v) => rcsBasisRow(v, knots));
}

/** A Wald χ² test of a set of coefficients. */
export interface RcsWaldTest {
  chisq: number;
  df: number;
  p: number;
}

/**
 * The Wald χ² tests `anova()` of an rms fit reports for one restricted-cubic-spline term: the whole term
 * (all k − 1 spline coefficients: the association) and its nonlinear part (the k − 2 cubic coefficients:
 * H0 linear in x). χ² = bᵀV⁻¹b over the chosen coefficients.
 *
 * @param beta the fitted coefficients (any order)
 * @param vcov their covariance, p × p row-major (Float64Array or array of rows)
 * @param spline indices in `beta` of the term's columns [x, x', x'', …] in basis order (≥ 2)
 * @throws InputError when fewer than 2 spline indices, an index out of range, or the covariance of the
 *   tested coefficients is not positive definite
 * Source: Harrell, Regression Modeling Strategies (2015) §2.4.5, §9.2; rms `anova.rms`.
 */
export function rcsWaldTests(
  beta: readonly number[],
  vcov: ArrayLike<number> | readonly (readonly number[])[],
  spline: readonly number[],
): { overall: RcsWaldTest; nonlinear: RcsWaldTest } {
  const p = beta.length;
  if (spline.length < 2)
    throw new InputError('a spline term has at least 2 coefficients', { value: spline.length });
  for (const j of spline)
    if (!Number.isInteger(j) || j < 0 || j >= p)
      throw new InputError('spline index out of range', { value: j });
  const at = (i: number, j: number): number =>
    Array.isArray(vcov)
      ? (vcov as readonly (readonly number[])[])[i]![j]!
      : (vcov as ArrayLike<number>)[i * p + j]!;
  const wald = (idx: readonly number[]): RcsWaldTest => {
    const k = idx.length;
    const v = new Float64Array(k * k);
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) v[a * k + b] = at(idx[a]!, idx[b]!);
    const b = idx.map((j) => beta[j]!);
    const sol = solveSymmetric(v, b, k);
    if (sol === null)
      throw new InputError('covariance of the spline coefficients is not positive definite', {});
    const chisq = b.reduce((s, bj, a) => s + bj * sol[a]!, 0);
    return { chisq, df: k, p: chisqUpper(chisq, k) };
  };
  return { overall: wald(spline), nonlinear: wald(spline.slice(1)) };
}
