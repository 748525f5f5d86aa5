/**
 * Cox proportional-hazards regression as R's `survival::coxph` (3.5) fits it: Efron (default) or
 * Breslow ties, strata, case weights, Newton–Raphson with step-halving and R's convergence rule,
 * robust (sandwich) variance with clusters, LRT/Wald/score tests, concordance.
 */
import { chisqUpper, normalQuantileStd, normalTwoSidedP } from '../distributions.js';
import { ComputationError, InputError } from '../../errors.js';
import { coxScoreResiduals, sortCoxData } from './cox-core.js';
import type { CoxData } from './cox-core.js';
import { factorCodes, factorLevels, labelInput, survInput } from './input.js';
import type { SurvFieldNames } from './input.js';
import { cholesky, cholSolve, invertSymmetric } from '../linalg.js';
import { centreAndScale, newtonRaphson } from './cox-fit.js';
import type { NewtonResult } from './cox-fit.js';
import { concordance } from './concordance.js';

/** A numeric design without intercept: named columns (R `model.matrix(fit)`), or rows of numbers. */
export type CoxDesign =
  { names: readonly string[]; columns: readonly ArrayLike<number>[] } | readonly number[][];

/** Options of `coxph`. */
export interface CoxOptions {
  /** Merge times closer than √ε (R's `timefix = TRUE`, aeqSurv); default true. */
  timefix?: boolean;
  /** Tie handling: 'efron' (R default) or 'breslow'. */
  ties?: 'efron' | 'breslow';
  /** Stratum label per observation (R `strata()`): separate baseline hazards. */
  strata?: ArrayLike<string>;
  /** Case weights (> 0, finite). */
  weights?: ArrayLike<number>;
  /** Cluster label per observation (R `cluster()`): robust variance summed within clusters. */
  cluster?: ArrayLike<string>;
  /** Robust variance; default as R: true when `cluster` is given or a weight is not an integer. */
  robust?: boolean;
  /** Confidence level of the HR intervals (default 0.95). */
  confLevel?: number;
  /** Newton–Raphson iteration limit (R `iter.max`, default 20). */
  maxIter?: number;
  /** Convergence: |1 − ℓ_old/ℓ_new| ≤ eps (R `eps`, default 1e-9). */
  eps?: number;
  /** Cholesky singularity tolerance (R `toler.chol`, default ε^0.75). */
  tolerChol?: number;
  /** Column names for error messages. */
  names?: SurvFieldNames & { weights?: string; cluster?: string };
}

/** One coefficient row. */
export interface CoxCoefficient {
  term: string;
  /** log hazard ratio β. */
  estimate: number;
  /** Model-based SE √diag(I⁻¹). */
  se: number;
  /** Robust (sandwich) SE, NaN when the fit is not robust. */
  robustSe: number;
  /** β / SE (the robust SE when robust, as `summary.coxph`). */
  z: number;
  /** Two-sided normal p-value of z. */
  p: number;
  /** Hazard ratio exp(β). */
  hr: number;
  /** exp(β − z·SE) (robust SE when robust). */
  hrLower: number;
  /** exp(β + z·SE). */
  hrUpper: number;
}

/** A χ² test: statistic, df, upper-tail p. */
export interface ChisqTest {
  stat: number;
  df: number;
  p: number;
}

/** Result of `coxph`. */
export interface CoxResult {
  coefficients: CoxCoefficient[];
  /** Variance of β (robust when robust, as `fit$var`), p × p. */
  variance: number[][];
  /** Model-based variance I(β̂)⁻¹ (`fit$naive.var` when robust). */
  naiveVariance: number[][];
  /** [log partial likelihood at β = 0, at β̂]. */
  logLik: [number, number];
  lrt: ChisqTest;
  /** Wald test β̂ᵀV⁻¹β̂ (V robust when robust). */
  wald: ChisqTest;
  /** Score (log-rank) test at β = 0. */
  score: ChisqTest;
  /** Robust score test (R `rscore`), null when not robust. */
  robustScore: ChisqTest | null;
  n: number;
  events: number;
  iterations: number;
  converged: boolean;
  ties: 'efron' | 'breslow';
  robust: boolean;
  /** Centring means used in the linear predictor (R `fit$means`; 0 for columns coded in {−1, 0, 1}). */
  means: number[];
  /** Linear predictor (x − means)ᵀβ̂ per observation in input order (R `fit$linear.predictors`). */
  linearPredictor: Float64Array;
  /** Harrell's C of the linear predictor (reversed), as `fit$concordance`. */
  concordance: number;
  /** Its infinitesimal-jackknife standard error. */
  concordanceSe: number;
  /** Non-fatal problems (non-convergence, possibly infinite coefficients). */
  warnings: string[];
}

/** Normalises a design to named columns and checks its shape. */
export function designColumns(x: CoxDesign, n: number): { names: string[]; columns: ArrayLike<number>[] } {
  if (Array.isArray(x)) {
    const rows = x as readonly number[][];
    if (rows.length !== n)
      throw new InputError(`design has ${rows.length} rows but there are ${n} observations`);
    const p = rows.length > 0 ? rows[0]!.length : 0;
    const columns: Float64Array[] = [];
    for (let j = 0; j < p; j++) {
      const c = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const r = rows[i]!;
        if (r.length !== p) throw new InputError(`design row ${i + 1} has ${r.length} values, expected ${p}`);
        c[i] = r[j]!;
      }
      columns.push(c);
    }
    return { names: columns.map((_, j) => `x${j + 1}`), columns };
  }
  const d = x as { names: readonly string[]; columns: readonly ArrayLike<number>[] };
  if (d.names.length !== d.columns.length) throw new InputError('design names and columns differ in length');
  d.columns.forEach((c, j) => {
    if (c.length !== n) {
      throw new InputError(`covariate has ${c.length} values but there are ${n} observations`, {
        field: d.names[j]!,
      });
    }
  });
  return { names: [...d.names], columns: [...d.columns] };
}

/** Validated and prepared Cox input shared by `coxph` and `coxphFirth`. */
export interface CoxPrepared {
  data: CoxData;
  names: string[];
  n: number;
  events: number;
  weight: Float64Array;
  strataCodes: Int32Array | null;
  strataLabels: string[] | null;
  clusterCodes: Int32Array | null;
  nClusters: number;
  time: Float64Array;
  status: Uint8Array;
  columns: ArrayLike<number>[];
}

/** Validates time/status/design/weights/strata/cluster; throws InputError naming the field. */
export function prepareCox(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  x: CoxDesign,
  opts: CoxOptions,
): CoxPrepared {
  const { time: t, status: s } = survInput(time, status, opts.names, opts.timefix !== false);
  const n = t.length;
  const { names, columns } = designColumns(x, n);
  if (columns.length === 0) throw new InputError('the model has no covariates', { field: 'formula' });
  columns.forEach((c, j) => {
    let first = NaN;
    let constant = true;
    for (let i = 0; i < n; i++) {
      const v = c[i]!;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new InputError('covariate value missing or not finite', {
          field: names[j]!,
          row: i + 1,
          value: v,
        });
      }
      if (i === 0) first = v;
      else if (v !== first) constant = false;
    }
    if (constant) {
      throw new InputError('covariate is constant: its coefficient is not identifiable', {
        field: names[j]!,
        value: first,
      });
    }
  });
  const weight = new Float64Array(n).fill(1);
  if (opts.weights !== undefined) {
    const wf = opts.names?.weights ?? 'weights';
    if (opts.weights.length !== n)
      throw new InputError(`weights have ${opts.weights.length} values, expected ${n}`, { field: wf });
    for (let i = 0; i < n; i++) {
      const v = opts.weights[i]!;
      if (!(v > 0) || !Number.isFinite(v)) {
        throw new InputError('case weights must be finite and > 0', { field: wf, row: i + 1, value: v });
      }
      weight[i] = v;
    }
  }
  let strataCodes: Int32Array | null = null;
  let strataLabels: string[] | null = null;
  let nStrata = 1;
  if (opts.strata !== undefined) {
    const sf = opts.names?.strata ?? 'strata';
    strataLabels = labelInput(opts.strata, n, sf);
    const lev = factorLevels(strataLabels, undefined, sf);
    strataCodes = factorCodes(strataLabels, lev);
    nStrata = lev.length;
  }
  let clusterCodes: Int32Array | null = null;
  let nClusters = 0;
  if (opts.cluster !== undefined) {
    const cf = opts.names?.cluster ?? 'cluster';
    const cl = labelInput(opts.cluster, n, cf);
    const lev = factorLevels(cl, undefined, cf);
    clusterCodes = factorCodes(cl, lev);
    nClusters = lev.length;
  }
  let events = 0;
  for (let i = 0; i < n; i++) events += s[i]!;
  if (events === 0)
    throw new InputError('no events: the Cox model cannot be fitted', {
      field: opts.names?.status ?? 'status',
    });
  const data = sortCoxData(t, s, columns, weight, strataCodes, nStrata);
  return {
    data,
    names,
    n,
    events,
    weight,
    strataCodes,
    strataLabels,
    clusterCodes,
    nClusters,
    time: t,
    status: s,
    columns,
  };
}

/** A fitted Cox model before its tests and summaries: coefficients and variances on the original scale. */
interface CoxFit {
  efron: boolean;
  tol: number;
  means: Float64Array;
  scale: Float64Array;
  nr: NewtonResult;
  /** β̂ on the original covariate scale. */
  betaHat: Float64Array;
  /** Model-based variance V = I⁻¹ (p × p, row-major), original scale. */
  naive: Float64Array;
}

/**
 * Fits the model: centre and scale, Newton–Raphson, back to the original scale, and R's check for
 * infinite coefficients (coxph.fit: |u · V| large relative to β; a warning per coefficient).
 * @throws ComputationError when the information matrix is singular
 */
function fitCox(prep: CoxPrepared, opts: CoxOptions, efron: boolean, warnings: string[]): CoxFit {
  const { data, n, names } = prep;
  const p = data.p;
  const maxIter = opts.maxIter ?? 20;
  const eps = opts.eps ?? 1e-9;
  const tol = opts.tolerChol ?? Math.pow(Number.EPSILON, 0.75);
  // Centre and scale (coxfit6.c), on the sorted copy.
  const { means, scale } = centreAndScale(data, n);
  const nr = newtonRaphson(data, efron, maxIter, eps, tol, warnings);
  const { ev } = nr;
  const infoInvScaled = invertSymmetric(ev.imat, p);
  if (infoInvScaled === null) throw new ComputationError('information matrix at β̂ is singular');
  const betaHat = new Float64Array(p);
  const naive = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    betaHat[i] = nr.betaScaled[i]! * scale[i]!;
    for (let j = 0; j < p; j++) naive[i * p + j] = infoInvScaled[i * p + j]! * scale[i]! * scale[j]!;
  }

  // R's check for infinite coefficients (coxph.fit): |u · V| large relative to β.
  const uOrig = new Float64Array(p);
  for (let j = 0; j < p; j++) uOrig[j] = ev.u[j]! / scale[j]!;
  for (let j = 0; j < p; j++) {
    let inf = 0;
    for (let k = 0; k < p; k++) inf += uOrig[k]! * naive[k * p + j]!;
    inf = Math.abs(inf);
    const tolInf = Math.sqrt(Number.EPSILON);
    if (inf > tolInf && inf > tolInf * Math.abs(betaHat[j]!)) {
      warnings.push(`Loglik converged before variable ${names[j]}; coefficient may be infinite`);
    }
  }
  return { efron, tol, means, scale, nr, betaHat, naive };
}

/**
 * Robust (sandwich) variance and the robust score test at β = 0 (null when its cluster
 * crossproduct is singular).
 */
function robustVariance(
  prep: CoxPrepared,
  fit: CoxFit,
): { variance: Float64Array; robustScore: ChisqTest | null } {
  const { scale, efron, naive, tol, nr } = fit;
  const p = prep.data.p;
  const variance = sandwich(prep, nr.betaScaled, scale, efron, naive);
  let robustScore: ChisqTest | null = null;
  const zero = new Float64Array(p);
  const b0 = clusterScoreCrossprod(prep, zero, scale, efron);
  const l0 = cholesky(b0, p, tol);
  if (l0 !== null) {
    const u0 = new Float64Array(p);
    for (let j = 0; j < p; j++) u0[j] = nr.ev0.u[j]! / scale[j]!;
    const sol = cholSolve(l0, u0, p);
    let st = 0;
    for (let j = 0; j < p; j++) st += u0[j]! * sol[j]!;
    robustScore = { stat: st, df: p, p: chisqUpper(st, p) };
  }
  return { variance, robustScore };
}

/** Wald statistic β̂ᵀ V⁻¹ β̂ with the reported variance (NaN when V is not positive definite). */
function waldStatistic(betaHat: Float64Array, variance: Float64Array, p: number, tol: number): number {
  const l = cholesky(variance, p, tol);
  const vInvBeta = l === null ? null : cholSolve(l, betaHat, p);
  let waldStat = NaN;
  if (vInvBeta !== null) {
    waldStat = 0;
    for (let j = 0; j < p; j++) waldStat += betaHat[j]! * vInvBeta[j]!;
  }
  return waldStat;
}

/**
 * Coefficient table: estimate, model-based and robust SE, z and p (robust when `robust`), hazard
 * ratio with its confidence interval at `confLevel`.
 */
function coefficientTable(
  names: readonly string[],
  fit: CoxFit,
  variance: Float64Array,
  robust: boolean,
  confLevel: number,
): CoxCoefficient[] {
  const { betaHat, naive } = fit;
  const p = betaHat.length;
  const z = normalQuantileStd(1 - (1 - confLevel) / 2);
  return names.map((term, j) => {
    const b = betaHat[j]!;
    const se = Math.sqrt(naive[j * p + j]!);
    const rse = robust ? Math.sqrt(variance[j * p + j]!) : NaN;
    const useSe = robust ? rse : se;
    const zz = b / useSe;
    return {
      term,
      estimate: b,
      se,
      robustSe: rse,
      z: zz,
      p: normalTwoSidedP(zz),
      hr: Math.exp(b),
      hrLower: Math.exp(b - z * useSe),
      hrUpper: Math.exp(b + z * useSe),
    };
  });
}

/** Linear predictor in input order, centred as R: Σ β_j (x_j − mean_j). */
function linearPredictor(prep: CoxPrepared, fit: CoxFit): Float64Array {
  const { betaHat, means } = fit;
  const p = betaHat.length;
  const n = prep.n;
  const lp = new Float64Array(n);
  let off = 0;
  for (let j = 0; j < p; j++) off += betaHat[j]! * means[j]!;
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let j = 0; j < p; j++) v += betaHat[j]! * prep.columns[j]![i]!;
    lp[i] = v - off;
  }
  return lp;
}

/**
 * Cox proportional-hazards model (R: `coxph(Surv(time, status) ~ x, ties, weights, strata, cluster)`).
 *
 * Newton–Raphson from β = 0 exactly as coxfit6.c: covariates centred at their weighted means and scaled
 * by Σw/Σw|x − x̄| (not for columns coded in {−1, 0, 1}); full Newton steps (no step clamp, as 3.5);
 * step-halving when ℓ decreases; stop when |1 − ℓ_old/ℓ_new| ≤ eps (1e-9), at most maxIter (20).
 * Robust variance: V·(Σ_c s_c s_cᵀ)·V with s_c the cluster sums of weighted score residuals
 * (R `crossprod(residuals(fit, "dfbeta", collapse = cluster, weighted = TRUE))`).
 *
 * @param time follow-up times (any unit), ≥ 0. @param status 1 event / 0 censored.
 * @param x covariates without intercept, one column per coefficient (`{names, columns}` or rows).
 * @throws InputError for bad time/status, a missing or constant covariate, bad weights/labels, no events;
 *   ComputationError when the information matrix is singular (collinear covariates).
 * Source: Cox (1972); Efron (1977) JASA 72:557; Lin & Wei (1989) JASA 84:1074; R survival coxph/coxfit6.c.
 */
export function coxph(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  x: CoxDesign,
  opts: CoxOptions = {},
): CoxResult {
  const prep = prepareCox(time, status, x, opts);
  const ties = opts.ties ?? 'efron';
  if (ties !== 'efron' && ties !== 'breslow') {
    throw new InputError('ties must be efron or breslow', { field: 'ties', value: ties });
  }
  const warnings: string[] = [];
  const fit = fitCox(prep, opts, ties === 'efron', warnings);
  return summariseCox(prep, fit, opts, ties, warnings);
}

/**
 * The summary of a fitted model as `summary(coxph(...))` reports it: robust variance when asked
 * (default: with clusters or non-integer weights), coefficient table, likelihood-ratio, Wald and
 * score tests, linear predictor and concordance (R `concordance(fit)`).
 */
function summariseCox(
  prep: CoxPrepared,
  fit: CoxFit,
  opts: CoxOptions,
  ties: 'efron' | 'breslow',
  warnings: string[],
): CoxResult {
  const { names, n, events, weight } = prep;
  const p = prep.data.p;
  const { nr, naive, means } = fit;
  const loglik0 = nr.ev0.loglik;
  const loglik1 = nr.ev.loglik;
  const robust = opts.robust ?? (prep.clusterCodes !== null || hasNonInteger(weight));
  let variance: Float64Array = naive;
  let robustScore: ChisqTest | null = null;
  if (robust) ({ variance, robustScore } = robustVariance(prep, fit));
  // Wald test with the reported variance.
  const waldStat = waldStatistic(fit.betaHat, variance, p, fit.tol);
  const coefficients = coefficientTable(names, fit, variance, robust, opts.confLevel ?? 0.95);
  const lp = linearPredictor(prep, fit);
  const conc = concordance(prep.time, prep.status, lp, {
    reverse: true,
    ...(prep.strataLabels ? { strata: prep.strataLabels } : {}),
    ...(opts.weights !== undefined ? { weights: weight } : {}),
    ...(robust && opts.cluster !== undefined ? { cluster: opts.cluster } : {}),
  });

  const lrtStat = 2 * (loglik1 - loglik0);
  return {
    coefficients,
    variance: toRows(variance, p),
    naiveVariance: toRows(naive, p),
    logLik: [loglik0, loglik1],
    lrt: { stat: lrtStat, df: p, p: chisqUpper(lrtStat, p) },
    wald: { stat: waldStat, df: p, p: chisqUpper(waldStat, p) },
    score: { stat: nr.scoreStat, df: p, p: chisqUpper(nr.scoreStat, p) },
    robustScore,
    n,
    events,
    iterations: nr.iterations,
    converged: nr.converged,
    ties,
    robust,
    means: Array.from(means),
    linearPredictor: lp,
    concordance: conc.concordance,
    concordanceSe: conc.se,
    warnings,
  };
}

function hasNonInteger(w: Float64Array): boolean {
  for (let i = 0; i < w.length; i++) if (w[i] !== Math.floor(w[i]!)) return true;
  return false;
}

function toRows(m: Float64Array, p: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < p; i++) out.push(Array.from(m.subarray(i * p, i * p + p)));
  return out;
}

/** B = Σ_c s_c s_cᵀ with s_c the cluster sums of weighted score residuals (original scale). */
function clusterScoreCrossprod(
  prep: CoxPrepared,
  betaScaled: Float64Array,
  scale: Float64Array,
  efron: boolean,
): Float64Array {
  const { data, n, weight, clusterCodes, nClusters } = prep;
  const p = data.p;
  const res = coxScoreResiduals(data, betaScaled, efron);
  const nc = clusterCodes !== null ? nClusters : n;
  const sums = new Float64Array(nc * p);
  for (let i = 0; i < n; i++) {
    const c = clusterCodes !== null ? clusterCodes[i]! : i;
    for (let j = 0; j < p; j++) sums[c * p + j]! += (weight[i]! * res[i * p + j]!) / scale[j]!;
  }
  const b = new Float64Array(p * p);
  for (let c = 0; c < nc; c++) {
    for (let i = 0; i < p; i++) {
      const si = sums[c * p + i]!;
      for (let j = 0; j < p; j++) b[i * p + j]! += si * sums[c * p + j]!;
    }
  }
  return b;
}

/** Robust variance V B V. */
function sandwich(
  prep: CoxPrepared,
  betaScaled: Float64Array,
  scale: Float64Array,
  efron: boolean,
  v: Float64Array,
): Float64Array {
  const p = prep.data.p;
  const b = clusterScoreCrossprod(prep, betaScaled, scale, efron);
  const vb = new Float64Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k < p; k++) s += v[i * p + k]! * b[k * p + j]!;
      vb[i * p + j] = s;
    }
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k < p; k++) s += vb[i * p + k]! * v[k * p + j]!;
      out[i * p + j] = s;
    }
  return out;
}
