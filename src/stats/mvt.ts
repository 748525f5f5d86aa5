/**
 * The multivariate t (and normal) probability of a family of two-sided contrasts — the single-step (max-|t|)
 * adjustment of multcomp::glht — for any number of contrasts and any correlation matrix, singular ones included:
 *   p(c) = P(max_i |T_i| ≥ c) = 1 − P(−c ≤ T_i ≤ c ∀i),  T = Z / S,  Z ~ N(0, R),  ν S² ~ χ²_ν (S ≡ 1 for ν = ∞).
 *
 * Method: Genz & Bretz's separation of variables with a randomised lattice rule (Genz & Bretz 2002, J Comput Graph
 * Stat 11:950–971; Genz & Bretz 2009, "Computation of Multivariate Normal and t Probabilities", Springer, §4.1–4.2),
 * the algorithm of mvtnorm::pmvt (GenzBretz()):
 * - R = C Cᵀ by a Cholesky factorisation with Genz's variable reordering (at each step the variable whose interval
 *   has the smallest conditional probability, given the truncated-normal means of those before it). A singular R
 *   (Tukey's pair contrasts span only k − 1 dimensions) leaves rows with no residual variance: each is a constraint
 *   on the last variable it loads on, intersected with that variable's own interval (Genz & Bretz 2009 §4.1.3).
 * - With y_j the independent standard normals, constraint i reads −cs ≤ Σ_k C_ik y_k ≤ cs; conditioning in turn,
 *   P_inside = E[Π_j (e_j − d_j)], d_j = Φ(a_j(y_<j, s)), e_j = Φ(b_j(y_<j, s)), y_j = Φ⁻¹(d_j + w_j (e_j − d_j)),
 *   an integral over the unit cube of dimension q − 1 (+1 for s, its first coordinate: s = χ_ν⁻¹(w_0)/√ν).
 * - The cube integral by a randomised rank-1 Korobov lattice rule x_k = {k z / N + Δ} (src/stats/lattice-rule.ts: N
 *   the largest prime ≤ 2^(10 + level), the generator chosen by its P₂ figure of merit), with the baker's
 *   transformation w = 1 − |2x − 1| (periodisation), M = 10 independent random shifts Δ from a fixed seed (so every
 *   result is a deterministic function of its inputs). The estimate is the mean of the M shifted-lattice means; its
 *   error the 99 % confidence half-width t_{9;0.995}·SE (SE their standard error). The rule grows until that error
 *   ≤ absTol or the points run out: after the two smallest rules, straight to the size the last error predicts at
 *   the lattice's N⁻¹ rate (then one doubling at a time), as the intermediate rules' estimates are not used.
 * - The inner loop (src/stats/normal-fast.ts): the constraints as flat arrays divided by their leads, Φ̄ by a
 *   tabulated Taylor polynomial (~1e-16), Φ⁻¹ and s(w_0) by quintic Hermite tables on [1/64, 63/64] (~1e-13 and
 *   ≤ 1e-10 relative), AS 241 and the log-s table in the tails — the estimate moves by ≤ ~1e-10, far below its error.
 * Accuracy: by default absTol = 1e-6 (absolute; the p is computed as 1 − P_inside, as mvtnorm does), with at most
 * 2²¹ points per rule × shifts (the error at the cap is stated, ~1e-6–5e-6 for 15 Tukey contrasts). Checked against
 * the exact Dunnett integral (src/stats/dunnett.ts), the polytope integral (src/lab/max-t.ts) and mvtnorm
 * (test/stats/mvt.test.ts, test/stats/mvt-kernel.test.ts, test/lab/golden/block-posthoc.R, mvt-posthoc.R).
 * Cost (bench/lab-posthoc.bench.ts): ~0.3–0.6 µs per lattice point for 15 Tukey contrasts.
 * No I/O.
 */
import {
  chiKernel,
  chiScaleKernel,
  fastNormalCdf,
  normalQuantileKernel,
  normalUpperFast,
  type ChiKernel,
} from './normal-fast.js';
import { tQuantileDf, tTwoSidedP } from './distributions.js';
import { latticeRule, SHIFTS, SIZES, type LatticeRule } from './lattice-rule.js';
import { decreasingRoot } from './root.js';

export { fastNormalCdf, fastNormalQuantile } from './normal-fast.js';

// ---------------------------------------------------------------------------------------------------------------
// The reordered Cholesky factor.

/** The constraints of one conditioning stage j: rows of C with their loadings on y_0…y_{j−1} and on y_j. */
interface Stage {
  /** Per constraint, the loadings C_i0…C_i(j−1) (concatenated, j per constraint). */
  coef: Float64Array;
  /** Per constraint, C_ij (≠ 0). */
  lead: Float64Array;
}

/** A factorised family: its stages (q = number of stages = rank of R). */
export interface MvtPlan {
  stages: Stage[];
  m: number;
}

/**
 * The reordered (pivoted) Cholesky factor of a correlation matrix for the limits ±c (module doc).
 * @param corr m×m correlation (or covariance) matrix, positive semi-definite
 * @param c the limit used for the ordering (the order does not bias the estimate, only its variance)
 * @throws RangeError when corr is not square or has a negative residual variance (not semi-definite)
 */
export function mvtPlan(corr: number[][], c: number): MvtPlan {
  const m = corr.length;
  if (corr.some((r) => r.length !== m)) throw new RangeError('mvtPlan: the correlation matrix is not square');
  const C = corr.map(() => [] as number[]);
  const resid = corr.map((r, i) => r[i]!);
  let remaining = [...Array(m).keys()];
  const yhat: number[] = [];
  const stages: Stage[] = [];
  const tol = 1e-10;
  const shift = (i: number, j: number): number => C[i]!.slice(0, j).reduce((s, v, k) => s + v * yhat[k]!, 0);
  while (remaining.length > 0) {
    const j = stages.length;
    let piv = -1;
    let best = Infinity;
    for (const i of remaining) {
      const sd = Math.sqrt(resid[i]!);
      const mu = shift(i, j);
      const pr = fastNormalCdf((c - mu) / sd) - fastNormalCdf((-c - mu) / sd);
      if (pr < best || piv < 0) [piv, best] = [i, pr];
    }
    if (!(resid[piv]! > 0))
      throw new RangeError('mvtPlan: the correlation matrix is not positive semi-definite');
    const sd = Math.sqrt(resid[piv]!);
    C[piv]![j] = sd;
    for (const i of remaining) {
      if (i === piv) continue;
      const dotPrev = C[i]!.slice(0, j).reduce((s, v, k) => s + v * C[piv]![k]!, 0);
      C[i]![j] = (corr[i]![piv]! - dotPrev) / sd;
      resid[i] = resid[i]! - C[i]![j] ** 2;
      if (resid[i] < -1e-8 * corr[i]![i]!)
        throw new RangeError('mvtPlan: the correlation matrix is not positive semi-definite');
    }
    resid[piv] = 0;
    const members = remaining.filter((i) => i === piv || resid[i]! <= tol * corr[i]![i]!);
    remaining = remaining.filter((i) => !members.includes(i));
    stages.push({
      coef: Float64Array.from(members.flatMap((i) => C[i]!.slice(0, j))),
      lead: Float64Array.from(members.map((i) => C[i]![j]!)),
    });
    // the truncated-normal mean of y_j on its interval at y_<j = yhat
    let lo = -Infinity;
    let hi = Infinity;
    members.forEach((i) => {
      const b1 = (-c - shift(i, j)) / C[i]![j]!;
      const b2 = (c - shift(i, j)) / C[i]![j]!;
      lo = Math.max(lo, Math.min(b1, b2));
      hi = Math.min(hi, Math.max(b1, b2));
    });
    const mass = fastNormalCdf(hi) - fastNormalCdf(lo);
    const dens = (x: number): number =>
      Number.isFinite(x) ? Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI) : 0;
    yhat.push(mass > 1e-300 && hi > lo ? (dens(lo) - dens(hi)) / mass : Number.isFinite(lo) ? lo : hi);
  }
  return { stages, m };
}

// ---------------------------------------------------------------------------------------------------------------
// The integrand, compiled: every constraint divided by its lead, −cs·half − sh ≤ y_j ≤ cs·half − sh with
// sh = Σ_{k<j} coef_k y_k, coef = C_ik / C_ij and half = 1 / |C_ij| (dividing by a negative lead flips the two limits,
// which are symmetric).

/** A plan as flat arrays for the inner loop. */
interface Kernel {
  q: number;
  /** Per stage, the end (exclusive) of its constraints in `half` (they follow stage by stage). */
  rowsEnd: Int32Array;
  /** Constraint r's coefficients on y_0 … y_{j−1} at r·q … r·q + j − 1. */
  coef: Float64Array;
  half: Float64Array;
}

function compile(plan: MvtPlan): Kernel {
  const q = plan.stages.length;
  const rows = plan.stages.reduce((s, st) => s + st.lead.length, 0);
  const rowsEnd = new Int32Array(q);
  const coef = new Float64Array(rows * q);
  const half = new Float64Array(rows);
  let r = 0;
  plan.stages.forEach(({ coef: c, lead }, j) => {
    for (let i = 0; i < lead.length; i++, r++) {
      const l = lead[i]!;
      for (let k = 0; k < j; k++) coef[r * q + k] = c[i * j + k]! / l;
      half[r] = 1 / Math.abs(l);
    }
    rowsEnd[j] = r;
  });
  return { q, rowsEnd, coef, half };
}

/**
 * Σ over the N points of one shifted rule of P_inside at the point, Π_j (e_j − d_j) (module doc), at the limit c (and
 * s from the first coordinate when `chi` is given). Points x_k = {k z / N + Δ}, advanced by adding z / N (mod 1)
 * (the rounding drift over 10⁶ steps is ~1e-10), baker-transformed w = 1 − |2x − 1|.
 * @param x scratch of the lattice dimension; y scratch of length q
 */
function shiftedSum(
  kernel: Kernel,
  c: number,
  chi: ChiKernel | null,
  n: number,
  step: Float64Array,
  shift: Float64Array,
  x: Float64Array,
  y: Float64Array,
): number {
  const { q, rowsEnd, coef, half } = kernel;
  const dim = step.length;
  const off = chi === null ? 0 : 1;
  x.set(shift);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const cs = chi === null ? c : c * chiScaleKernel(1 - Math.abs(2 * x[0]! - 1), chi);
    let prod = 1;
    let r = 0;
    for (let j = 0; j < q; j++) {
      let lo = -Infinity;
      let hi = Infinity;
      for (const end = rowsEnd[j]!; r < end; r++) {
        let sh = 0;
        const b = r * q;
        for (let i = 0; i < j; i++) sh += coef[b + i]! * y[i]!;
        const h = cs * half[r]!;
        if (-h - sh > lo) lo = -h - sh;
        if (h - sh < hi) hi = h - sh;
      }
      if (!(hi > lo)) {
        prod = 0;
        break;
      }
      const last = j === q - 1;
      if (lo > 0) {
        // upper tail: keep the digits of Φ̄
        const dU = normalUpperFast(lo);
        const width = dU - normalUpperFast(hi);
        prod *= width;
        if (!last) y[j] = -normalQuantileKernel(dU - (1 - Math.abs(2 * x[off + j]! - 1)) * width);
      } else {
        const d = normalUpperFast(-lo);
        const width = (hi >= 0 ? 1 - normalUpperFast(hi) : normalUpperFast(-hi)) - d;
        prod *= width;
        if (!last) y[j] = normalQuantileKernel(d + (1 - Math.abs(2 * x[off + j]! - 1)) * width);
      }
      if (prod === 0) break;
    }
    sum += prod;
    for (let d = 0; d < dim; d++) {
      const next = x[d]! + step[d]!;
      x[d] = next >= 1 ? next - 1 : next;
    }
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------------------------
// The randomised lattice.

/** t_{9; 0.995}: the 99 % two-sided confidence factor for the mean of 10 shifted-lattice means. */
const T9_995 = 3.2498355415921263;

/** One problem: its kernel, ν's chi table (null for the normal) and the lattice dimension. */
interface Problem {
  kernel: Kernel;
  chi: ChiKernel | null;
  dim: number;
}

function problemOf(plan: MvtPlan, df: number): Problem {
  const chi = Number.isFinite(df) ? chiKernel(df) : null;
  return { kernel: compile(plan), chi, dim: plan.stages.length - 1 + (chi === null ? 0 : 1) };
}

/** P_inside(c) on one rule: the mean of its SHIFTS shifted-rule means, with the 99 % confidence half-width. */
function latticeMean(pr: Problem, rule: LatticeRule, c: number): { mean: number; error: number } {
  const x = new Float64Array(pr.dim);
  const y = new Float64Array(pr.kernel.q);
  const step = Float64Array.from(rule.z, (z) => z / rule.n);
  const means = rule.shifts.map((sh) => shiftedSum(pr.kernel, c, pr.chi, rule.n, step, sh, x, y) / rule.n);
  const mean = means.reduce((a, b) => a + b, 0) / SHIFTS;
  const v = means.reduce((a, b) => a + (b - mean) ** 2, 0) / (SHIFTS - 1);
  return { mean, error: T9_995 * Math.sqrt(v / SHIFTS) };
}

/** A multivariate-t tail probability with its error (99 % confidence half-width) and the points used. */
export interface MvtResult {
  value: number;
  error: number;
  /** Integrand evaluations (lattice points × shifts, summed over the rules tried); 0 in closed form. */
  points: number;
}

/** Options: absolute error target (default 1e-6); cap on the points of one rule × shifts (default 2²¹ ≈ 2.1·10⁶). */
export interface MvtOptions {
  absTol?: number;
  maxPoints?: number;
}

/** The largest level whose rule × SHIFTS fits in maxPoints (at least 0). */
const maxLevel = (maxPoints: number): number => {
  let l = 0;
  while (l + 1 < SIZES.length && SHIFTS * SIZES[l + 1]! <= maxPoints) l++;
  return l;
};

/**
 * P_inside(c) on rules of growing size until the error ≤ absTol or the cap. The first two levels are always run;
 * from then on the next level is the one the last error predicts to meet absTol at the lattice's N⁻¹ rate
 * (at least one level up, at most the cap), so the rules between are not computed for nothing.
 * @returns the estimate, its error, the level of the last rule and the points used
 */
function adaptiveInside(
  pr: Problem,
  c: number,
  o: Required<MvtOptions>,
): { mean: number; error: number; level: number; points: number } {
  const top = maxLevel(o.maxPoints);
  let points = 0;
  for (let level = 0; ;) {
    const e = latticeMean(pr, latticeRule(pr.dim, level), c);
    points += SHIFTS * SIZES[level]!;
    if (e.error <= o.absTol || level >= top) return { ...e, level, points };
    const ahead = level < 1 ? 1 : Math.max(1, Math.ceil(Math.log2(e.error / o.absTol)));
    level = Math.min(top, level + ahead);
  }
}

const withDefaults = (o: MvtOptions): Required<MvtOptions> => ({
  absTol: o.absTol ?? 1e-6,
  maxPoints: o.maxPoints ?? 2 ** 21,
});

const checkArgs = (corr: number[][], df: number): void => {
  if (corr.length === 0) throw new RangeError('mvt: empty correlation matrix');
  if (!(df > 0)) throw new RangeError(`mvt: degrees of freedom must be > 0 (got ${df})`);
};

/**
 * P(max_i |T_i| ≥ c) for T multivariate t with correlation matrix `corr` and ν = `df` (Infinity: normal), by
 * Genz–Bretz's randomised lattice (module doc); as mvtnorm `1 - pmvt(-c, c, corr = R, df = ν)`.
 * @param c ≥ 0 the limit (observed |t|); @param corr m×m correlation matrix (may be singular)
 * @param df ν > 0 (non-integer allowed), Infinity for the normal
 * @returns the probability with its absolute error (99 % confidence) and the points used; exact (error 0) when
 *   the rank is 1
 * @throws RangeError for an empty or non-square matrix, a matrix that is not positive semi-definite, or ν ≤ 0
 */
export function mvtMaxAbsUpper(c: number, corr: number[][], df: number, opts: MvtOptions = {}): MvtResult {
  checkArgs(corr, df);
  if (!(c > 0)) return { value: 1, error: 0, points: 0 };
  const plan = mvtPlan(corr, c);
  if (plan.stages.length === 1) {
    const lead = Math.max(...Array.from(plan.stages[0]!.lead, Math.abs));
    return { value: tTwoSidedP(c / lead, df), error: 0, points: 0 };
  }
  const e = adaptiveInside(problemOf(plan, df), c, withDefaults(opts));
  return { value: Math.min(1, Math.max(0, 1 - e.mean)), error: e.error, points: e.points };
}

/** The rule level of the coarse root search of `mvtMaxAbsCritical` (4093 points × 10 shifts). */
const COARSE_LEVEL = 2;

/**
 * Root of a decreasing g by secant steps from x0 and x1 (superlinear: p(c) on one rule is smooth in c), kept inside
 * the bracket [lo, hi] narrowed by every evaluation's sign; a step leaving it hands over to Illinois regula falsi
 * (src/stats/root.ts) on that bracket. Converged when a step is ≤ relTol relative.
 * @returns the root and the last evaluated point
 */
function secantRoot(
  g: (x: number) => number,
  x0: number,
  x1: number,
  lo: number,
  hi: number,
  relTol: number,
): { root: number; lastEvaluated: number } {
  let [xa, ga] = [x0, g(x0)];
  let [xb, gb] = [x1, g(x1)];
  for (const [x, v] of [
    [xa, ga],
    [xb, gb],
  ] as const)
    if (v > 0) lo = Math.max(lo, x);
    else hi = Math.min(hi, x);
  for (let it = 0; it < 30 && gb !== 0 && gb !== ga; it++) {
    const x = xb - (gb * (xb - xa)) / (gb - ga);
    if (!(x > lo && x < hi)) break;
    if (Math.abs(x - xb) <= relTol * x) return { root: x, lastEvaluated: xb };
    [xa, ga] = [xb, gb];
    [xb, gb] = [x, g(x)];
    if (gb > 0) lo = Math.max(lo, xb);
    else hi = Math.min(hi, xb);
  }
  if (gb === 0) return { root: xb, lastEvaluated: xb };
  const root = decreasingRoot(g, lo, hi, relTol);
  return { root, lastEvaluated: root };
}

/**
 * The two-sided simultaneous critical value c with P(max_i |T_i| ≥ c) = 1 − level (the quantile of max |T_i|,
 * mvtnorm `qmvt(level, tail = "both.tails")`). Every c is evaluated on one rule (same points and shifts), so the
 * estimated p(c) is a smooth deterministic function of c: its root c₀ first on a small rule (4093 points × 10 shifts,
 * Illinois regula falsi inside the single-test and Bonferroni t quantiles, to 1e-6); then the rule is the one
 * `mvtMaxAbsUpper` settles on at c₀, and the root on it by secant steps from c₀ and the Newton step that uses the
 * small rule's slope at c₀, to 1e-10 relative (src/stats/root.ts's regula falsi if a step leaves the bracket).
 * @param level confidence level in (0, 1); other arguments as `mvtMaxAbsUpper`
 * @returns value: c (to 1e-10 relative of the rule's p(c) = α); error: the error of p (99 %) at the last c
 *   evaluated (within 1e-10 relative of value), whence the error of c is ≈ error / |dp/dc|; points: integrand
 *   evaluations
 * @throws RangeError as `mvtMaxAbsUpper`, and for a level outside (0, 1)
 */
export function mvtMaxAbsCritical(
  corr: number[][],
  df: number,
  level: number,
  opts: MvtOptions = {},
): MvtResult {
  checkArgs(corr, df);
  const alpha = 1 - level;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`mvt: level must be in (0, 1) (got ${level})`);
  const lo = tQuantileDf(1 - alpha / 2, df);
  const hi = tQuantileDf(1 - alpha / (2 * corr.length), df);
  const plan = mvtPlan(corr, hi);
  if (plan.stages.length === 1) return { value: lo, error: 0, points: 0 };
  const pr = problemOf(plan, df);
  const o = withDefaults(opts);
  let points = 0;
  const onRule = (ruleLevel: number): ((c: number) => { mean: number; error: number }) => {
    const rule = latticeRule(pr.dim, ruleLevel);
    const memo = new Map<number, { mean: number; error: number }>();
    return (c) => {
      let e = memo.get(c);
      if (e === undefined) {
        points += SHIFTS * rule.n;
        e = latticeMean(pr, rule, c);
        memo.set(c, e);
      }
      return e;
    };
  };
  const coarse = onRule(Math.min(COARSE_LEVEL, maxLevel(o.maxPoints)));
  const gCoarse = (c: number): number => 1 - coarse(c).mean - alpha;
  const c0 = decreasingRoot(gCoarse, lo, hi, 1e-6);
  const slope = (gCoarse(c0 * (1 + 1e-3)) - gCoarse(c0 * (1 - 1e-3))) / (2e-3 * c0);
  const start = adaptiveInside(pr, c0, o);
  points += start.points - SHIFTS * SIZES[start.level]!; // the last rule's points are counted by `fine`
  const fine = onRule(start.level);
  const gFine = (c: number): number => 1 - fine(c).mean - alpha;
  const g0 = gFine(c0);
  const c1 = slope < 0 ? Math.min(hi, Math.max(lo, c0 - g0 / slope)) : c0;
  if (g0 === 0 || c1 === c0) return { value: c0, error: fine(c0).error, points };
  const r = secantRoot(gFine, c0, c1, lo, hi, 1e-10);
  return { value: r.root, error: fine(r.lastEvaluated).error, points };
}
