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
 * - The cube integral by a randomised rank-1 Kronecker (Richtmyer) lattice x_k = {k α + Δ}, α_d = {√p_d} (p_d the
 *   d-th prime), with the baker's transformation w = 1 − |2x − 1| (periodisation), M = 10 independent random
 *   shifts Δ from a fixed seed (so every result is a deterministic function of its inputs). The estimate is the
 *   mean of the M shifted-lattice means; its error the 99 % confidence half-width t_{9;0.995}·SE (SE their standard
 *   error). The lattice is extended (N doubled per shift) until that error ≤ absTol or the points run out.
 * Accuracy: by default absTol = 1e-6 (absolute; the p is computed as 1 − P_inside, as mvtnorm does). Checked
 * against the exact Dunnett integral (src/stats/dunnett.ts), the polytope integral (src/lab/max-t.ts) and
 * mvtnorm (test/stats/mvt.test.ts, test/lab/golden/block-posthoc.R).
 * No I/O.
 */
import gammainc from '@stdlib/math-base-special-gammainc';
import { Rng } from './prng.js';
import { normalUpper, tQuantileDf, tTwoSidedP } from './distributions.js';
import { decreasingRoot } from './root.js';
import { logGamma } from './studentized-range.js';

// ---------------------------------------------------------------------------------------------------------------
// Fast Φ and Φ⁻¹ for the inner loop (the integrand calls them ~3q times per lattice point).

/** Φ̄ and φ tabulated on [0, 10] in steps of 1/64 (from erfc); between nodes a 9-term Taylor series. */
const PHI_STEP = 1 / 64;
const PHI_NODES = 641;
const PHI_UPPER = Float64Array.from({ length: PHI_NODES }, (_, i) => normalUpper(i * PHI_STEP));
const PHI_DENS = Float64Array.from({ length: PHI_NODES }, (_, i) =>
  Math.exp(-0.5 * (i * PHI_STEP) ** 2 - 0.5 * Math.log(2 * Math.PI)),
);

/**
 * Φ̄(x) = P(Z > x) for x ≥ 0, to ~1e-16 absolute (relative ~1e-14): Φ̄(x0 + h) = Φ̄(x0) − φ(x0) Σ_{k≥1}
 * (−1)^{k−1} He_{k−1}(x0) h^k / k! with x0 the nearest node (|h| ≤ 1/128), He the Hermite polynomials
 * (He_{k+1} = x He_k − k He_{k−1}). 0 beyond 10 (Φ̄(10) = 7.6e-24).
 */
function upperTail(x: number): number {
  if (x >= 10) return 0;
  const i = Math.round(x / PHI_STEP);
  const x0 = i * PHI_STEP;
  const h = x - x0;
  let hePrev = 1; // He_{k-1}
  let he = x0; // He_k
  let term = h; // h^k / k!
  let sum = h; // k = 1: He_0 h
  for (let k = 1; k < 9; k++) {
    term *= h / (k + 1);
    sum += (k % 2 === 0 ? 1 : -1) * he * term;
    const next = x0 * he - k * hePrev;
    hePrev = he;
    he = next;
  }
  return PHI_UPPER[i]! - PHI_DENS[i]! * sum;
}

/** Φ(x), the standard normal distribution function, to ~1e-16 absolute (tested against erfc). */
export function fastNormalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  return x >= 0 ? 1 - upperTail(x) : upperTail(-x);
}

// Wichura (1988), Algorithm AS 241 PPND16 (Appl Stat 37:477–484): rational approximations, ~1e-16 relative.
const AS241 = {
  a: [
    3.3871328727963665, 133.14166789178438, 1971.5909503065513, 13731.69376550946, 45921.95393154987,
    67265.7709270087, 33430.57558358813, 2509.0809287301227,
  ],
  b: [
    1, 42.31333070160091, 687.1870074920579, 5394.196021424751, 21213.794301586597, 39307.89580009271,
    28729.085735721943, 5226.495278852854,
  ],
  c: [
    1.4234371107496835, 4.630337846156546, 5.769497221460691, 3.6478483247632045, 1.2704582524523684,
    0.2417807251774506, 0.022723844989269184, 0.0007745450142783414,
  ],
  d: [
    1, 2.053191626637759, 1.6763848301838038, 0.6897673349851, 0.14810397642748008, 0.015198666563616457,
    0.0005475938084995345, 1.0507500716444169e-9,
  ],
  e: [
    6.657904643501103, 5.463784911164114, 1.7848265399172913, 0.29656057182850487, 0.026532189526576124,
    0.0012426609473880784, 2.7115555687434876e-5, 2.0103343992922881e-7,
  ],
  f: [
    1, 0.599832206555888, 0.1369298809227358, 0.014875361290850615, 0.0007868691311456133,
    1.8463183175100548e-5, 1.421511758316446e-7, 2.0442631033899397e-15,
  ],
};
const poly = (k: number[], x: number): number => {
  let s = 0;
  for (let i = k.length - 1; i >= 0; i--) s = s * x + k[i]!;
  return s;
};

/** Φ⁻¹(u), the standard normal quantile (AS 241), ±∞ at 0 and 1. */
export function fastNormalQuantile(u: number): number {
  const q = u - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * poly(AS241.a, r)) / poly(AS241.b, r);
  }
  let r = q < 0 ? u : 1 - u;
  if (r <= 0) return q < 0 ? -Infinity : Infinity;
  r = Math.sqrt(-Math.log(r));
  const x =
    r <= 5 ? poly(AS241.c, r - 1.6) / poly(AS241.d, r - 1.6) : poly(AS241.e, r - 5) / poly(AS241.f, r - 5);
  return q < 0 ? -x : x;
}

// ---------------------------------------------------------------------------------------------------------------
// S = √(χ²_ν / ν) as a function of a standard normal quantile z: log s(z) tabulated on [−9, 9] with its
// derivative (d log s / dz = φ(z) / (s f_S(s))), cubic Hermite interpolation in between (error ~1e-13).

const CHI_Z = 9;
const CHI_STEP = 1 / 32;
const chiTables = new Map<number, { logS: Float64Array; slope: Float64Array }>();

/** χ²_ν quantile at the normal quantile z (lower tail Φ(z) for z ≤ 0, upper tail Φ̄(z) above), by Newton. */
function chisqAtNormalQuantile(z: number, df: number): number {
  const lower = z <= 0;
  const logTarget = Math.log(normalUpper(Math.abs(z)));
  const a = df / 2;
  const logDensityX = (x: number): number => (a - 1) * Math.log(x) - x / 2 - a * Math.LN2 - logGamma(a);
  // Wilson–Hilferty start, then Newton on log P against log x (safeguarded by bisection on log x)
  const wh = 1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df));
  let t = Math.log(wh > 0.05 ? df * wh ** 3 : df * 1e-3);
  let lo = -800;
  let hi = 800;
  for (let it = 0; it < 200; it++) {
    const x = Math.exp(t);
    const tail = gammainc(x / 2, a, true, !lower);
    const g = Math.log(tail) - logTarget; // increasing in t for the lower tail, decreasing for the upper
    if (Math.abs(g) < 1e-14) break;
    if (lower === g > 0) hi = t;
    else lo = t;
    const slope = ((lower ? 1 : -1) * Math.exp(logDensityX(x) + t)) / tail;
    let next = t - g / slope;
    if (!(next > lo && next < hi) || !Number.isFinite(next)) next = 0.5 * (lo + hi);
    if (Math.abs(next - t) < 1e-15 * Math.max(1, Math.abs(t))) break;
    t = next;
  }
  return Math.exp(t);
}

function chiTable(df: number): { logS: Float64Array; slope: Float64Array } {
  let tab = chiTables.get(df);
  if (tab) return tab;
  const n = Math.round((2 * CHI_Z) / CHI_STEP) + 1;
  const logS = new Float64Array(n);
  const slope = new Float64Array(n);
  const logC = Math.LN2 + 0.5 * df * Math.log(0.5 * df) - logGamma(0.5 * df);
  for (let i = 0; i < n; i++) {
    const z = -CHI_Z + i * CHI_STEP;
    const ls = 0.5 * Math.log(chisqAtNormalQuantile(z, df) / df);
    const s = Math.exp(ls);
    const logDensityS = logC + (df - 1) * ls - 0.5 * df * s * s;
    logS[i] = ls;
    slope[i] = Math.exp(-0.5 * z * z - 0.5 * Math.log(2 * Math.PI) - logDensityS - ls);
  }
  tab = { logS, slope };
  chiTables.set(df, tab);
  return tab;
}

/** s = √(χ²_ν⁻¹(u) / ν) through the table (u the lattice coordinate). */
function chiScale(u: number, tab: { logS: Float64Array; slope: Float64Array }): number {
  const z = Math.min(CHI_Z, Math.max(-CHI_Z, fastNormalQuantile(u)));
  const x = (z + CHI_Z) / CHI_STEP;
  const i = Math.min(tab.logS.length - 2, Math.floor(x));
  const t = x - i;
  const t2 = t * t;
  const t3 = t2 * t;
  const v =
    (2 * t3 - 3 * t2 + 1) * tab.logS[i]! +
    (t3 - 2 * t2 + t) * CHI_STEP * tab.slope[i]! +
    (-2 * t3 + 3 * t2) * tab.logS[i + 1]! +
    (t3 - t2) * CHI_STEP * tab.slope[i + 1]!;
  return Math.exp(v);
}

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

/**
 * P_inside at one lattice point: Π_j (e_j − d_j) (module doc).
 * @param w the point's coordinates (baker-transformed) from `offset`: q − 1 normal coordinates
 * @param cs the limit c·s; y scratch of length q
 */
function insideAtPoint(plan: MvtPlan, cs: number, w: Float64Array, offset: number, y: Float64Array): number {
  const q = plan.stages.length;
  let prod = 1;
  for (let j = 0; j < q; j++) {
    const { coef, lead } = plan.stages[j]!;
    let lo = -Infinity;
    let hi = Infinity;
    for (let r = 0; r < lead.length; r++) {
      let sh = 0;
      for (let k = 0; k < j; k++) sh += coef[r * j + k]! * y[k]!;
      const l = lead[r]!;
      const b1 = (-cs - sh) / l;
      const b2 = (cs - sh) / l;
      if (l > 0) {
        if (b1 > lo) lo = b1;
        if (b2 < hi) hi = b2;
      } else {
        if (b2 > lo) lo = b2;
        if (b1 < hi) hi = b1;
      }
    }
    if (!(hi > lo)) return 0;
    if (lo > 0) {
      // upper tail: keep the digits of Φ̄
      const dU = upperTail(lo);
      const width = dU - upperTail(hi);
      prod *= width;
      if (j < q - 1) y[j] = -fastNormalQuantile(dU - w[offset + j]! * width);
    } else {
      const d = fastNormalCdf(lo);
      const width = fastNormalCdf(hi) - d;
      prod *= width;
      if (j < q - 1) y[j] = fastNormalQuantile(d + w[offset + j]! * width);
    }
    if (prod === 0) return 0;
  }
  return prod;
}

// ---------------------------------------------------------------------------------------------------------------
// The randomised lattice.

const SHIFTS = 10;
/** t_{9; 0.995}: the 99 % two-sided confidence factor for the mean of 10 shifted-lattice means. */
const T9_995 = 3.2498355415921263;
const SEED = 20021101;
const CANDIDATES = 40;

const isPrime = (n: number): boolean => {
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return n > 1;
};
/** Lattice sizes: the largest prime ≤ 2^k, k = 10 … 20. */
const SIZES = Array.from({ length: 11 }, (_, i) => {
  let n = 2 ** (10 + i);
  while (!isPrime(n)) n--;
  return n;
});

/** A rank-1 Korobov lattice rule: N points k z / N (mod 1), z = (1, a, a², …) mod N, and the random shifts. */
interface LatticeRule {
  n: number;
  z: Float64Array;
  shifts: Float64Array[];
}
const rules = new Map<string, LatticeRule>();

/**
 * Korobov's P₂ figure of merit with product weights γ_j = 1/j² (the earlier coordinates, the chi variable and
 * the first conditioned variables, matter most): P₂ = −1 + (1/N) Σ_k Π_j (1 + γ_j 2π² B₂({k z_j / N})),
 * B₂(x) = x² − x + 1/6 (Sloan & Joe 1994, "Lattice Methods for Multiple Integration", §4.3).
 */
function p2(n: number, z: Float64Array): number {
  let s = 0;
  for (let k = 0; k < n; k++) {
    let prod = 1;
    for (let j = 0; j < z.length; j++) {
      const x = ((k * z[j]!) % n) / n;
      prod *= 1 + (2 * Math.PI * Math.PI * (x * x - x + 1 / 6)) / ((j + 1) * (j + 1));
    }
    s += prod;
  }
  return s / n - 1;
}

/**
 * The rule of size SIZES[level] in `dim` dimensions: the Korobov generator a with the smallest P₂ among
 * CANDIDATES drawn from a fixed seed (a deterministic search; cached), and SHIFTS uniform shifts.
 */
function latticeRule(dim: number, level: number): LatticeRule {
  const key = `${dim}/${level}`;
  const cached = rules.get(key);
  if (cached) return cached;
  const n = SIZES[level]!;
  const rng = new Rng(SEED, `mvt-korobov-${key}`);
  let best: Float64Array | null = null;
  let bestP2 = Infinity;
  for (let t = 0; t < (dim === 1 ? 1 : CANDIDATES); t++) {
    const a = 2 + Math.floor(rng.uniform() * (n / 2 - 2));
    const z = new Float64Array(dim);
    z[0] = 1;
    for (let j = 1; j < dim; j++) z[j] = (z[j - 1]! * a) % n;
    const v = dim === 1 ? 0 : p2(n, z);
    if (v < bestP2) [best, bestP2] = [z, v];
  }
  const shifts = Array.from({ length: SHIFTS }, () =>
    Float64Array.from({ length: dim }, () => rng.uniform()),
  );
  const rule = { n, z: best!, shifts };
  rules.set(key, rule);
  return rule;
}

/**
 * The mean of f over the SHIFTS shifted copies of a rule (baker-transformed coordinates), with the 99 %
 * confidence half-width of that mean.
 */
function latticeMean(rule: LatticeRule, f: (w: Float64Array) => number): { mean: number; error: number } {
  const dim = rule.z.length;
  const w = new Float64Array(dim);
  const x = new Float64Array(dim);
  const step = Float64Array.from(rule.z, (z) => z / rule.n);
  const means: number[] = [];
  for (const sh of rule.shifts) {
    let s = 0;
    x.set(sh);
    // x_k = {k z / N + Δ}, advanced by adding z / N (mod 1): the rounding drift over 10⁶ steps is ~1e-10
    for (let k = 0; k < rule.n; k++) {
      for (let d = 0; d < dim; d++) {
        w[d] = 1 - Math.abs(2 * x[d]! - 1);
        const next = x[d]! + step[d]!;
        x[d] = next >= 1 ? next - 1 : next;
      }
      s += f(w);
    }
    means.push(s / rule.n);
  }
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

/** The integrand f(w) of P_inside at the limit c (chi coordinate first when ν < ∞). */
function integrandAt(plan: MvtPlan, c: number, df: number): (w: Float64Array) => number {
  const y = new Float64Array(plan.stages.length);
  if (!Number.isFinite(df)) return (w) => insideAtPoint(plan, c, w, 0, y);
  const tab = chiTable(df);
  return (w) => insideAtPoint(plan, c * chiScale(w[0]!, tab), w, 1, y);
}

const latticeDim = (plan: MvtPlan, df: number): number =>
  plan.stages.length - 1 + (Number.isFinite(df) ? 1 : 0);

/**
 * P_inside(c) on rules of growing size until the error ≤ absTol or the next rule would exceed maxPoints.
 * @returns the estimate, its error, the level of the last rule and the points used
 */
function adaptiveInside(
  plan: MvtPlan,
  c: number,
  df: number,
  o: Required<MvtOptions>,
): { mean: number; error: number; level: number; points: number } {
  const dim = latticeDim(plan, df);
  const f = integrandAt(plan, c, df);
  let points = 0;
  for (let level = 0; ; level++) {
    const e = latticeMean(latticeRule(dim, level), f);
    points += SHIFTS * SIZES[level]!;
    const next = SIZES[level + 1];
    if (e.error <= o.absTol || next === undefined || SHIFTS * next > o.maxPoints)
      return { ...e, level, points };
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
  const e = adaptiveInside(plan, c, df, withDefaults(opts));
  return { value: Math.min(1, Math.max(0, 1 - e.mean)), error: e.error, points: e.points };
}

/**
 * The two-sided simultaneous critical value c with P(max_i |T_i| ≥ c) = 1 − level (the quantile of max |T_i|,
 * mvtnorm `qmvt(level, tail = "both.tails")`): the rule is the one `mvtMaxAbsUpper` settles on at the Bonferroni
 * quantile, and every c is evaluated on that same rule (same points and shifts), so the estimated p(c) is a smooth
 * deterministic function of c; its root by Illinois regula falsi, first on a rule 8× smaller (to 1e-7), then on
 * the full rule inside ±0.5 % of that first root (widened to the single-test and Bonferroni t quantiles if needed).
 * @param level confidence level in (0, 1); other arguments as `mvtMaxAbsUpper`
 * @returns value: c (to 1e-10 relative of the rule's p(c) = α); error: the error of p at c (99 %), whence the
 *   error of c is ≈ error / |dp/dc|; points: integrand evaluations
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
  const start = adaptiveInside(plan, hi, df, withDefaults(opts));
  const dim = latticeDim(plan, df);
  let points = start.points;
  const g = (rule: LatticeRule): ((c: number) => number) => {
    const memo = new Map<number, number>();
    return (c) => {
      let v = memo.get(c);
      if (v === undefined) {
        points += SHIFTS * rule.n;
        v = 1 - latticeMean(rule, integrandAt(plan, c, df)).mean - alpha;
        memo.set(c, v);
      }
      return v;
    };
  };
  const coarse = decreasingRoot(g(latticeRule(dim, Math.max(0, start.level - 3))), lo, hi, 1e-7);
  const fine = g(latticeRule(dim, start.level));
  let [a, b] = [Math.max(lo, coarse * 0.995), Math.min(hi, coarse * 1.005)];
  if (fine(a) < 0) a = lo;
  if (fine(b) > 0) b = hi;
  const value = decreasingRoot(fine, a, b, 1e-10);
  const error = latticeMean(latticeRule(dim, start.level), integrandAt(plan, value, df)).error;
  return { value, error, points: points + SHIFTS * SIZES[start.level]! };
}
