/**
 * Satterthwaite degrees of freedom for linear mixed models as lmerTest 3.1 computes them
 * (Kuznetsova, Brockhoff & Christensen 2017, JSS 82(13); docs/references/statistics.md §2): the Hessian of
 * the unprofiled deviance in φ = (θ, σ) and the Jacobian of Var(β̂)(φ) by numDeriv's Richardson
 * extrapolation (same step rules, so results agree with lmerTest to its own numerical precision),
 * then ν = 2(lᵀCl)² / (gᵀAg) per contrast, and the multi-df F test of lmerTest's contestMD.
 */
import { ComputationError, InputError } from '../../errors.js';
import { fUpper, tQuantileDf, tTwoSidedP } from '../distributions.js';
import { qform, symEigen } from './dense.js';
import type { LmmFit } from './fit.js';
import { evaluatePls, unscaledVcov, type PlsSystem } from './pls.js';

/** Variance-parameter covariance and Var(β) derivatives at the optimum (lmerTest's as_lmerModLT). */
export interface SatterthwaiteState {
  /** A = Cov(φ̂) = 2·H⁺ (k×k, k = nθ + 1). */
  vcovVarpar: Float64Array;
  /** ∂Var(β̂)/∂φ_k, each p×p row-major. */
  jac: Float64Array[];
  /** Eigenvalues of the deviance Hessian (for diagnostics). */
  hessianEigenvalues: number[];
  warnings: string[];
}

const ZERO_TOL = Math.sqrt(2.220446049250313e-16 / 7e-7);

/**
 * PLS results by θ for one state computation: numDeriv's steps in σ (and the cross steps pairing σ with
 * a θ component) revisit θ values already evaluated, and the PLS does not depend on σ.
 */
interface PlsCache {
  dev: Map<string, { ldL2: number; ldRX2: number; pwrss: number }>;
  vcov: Map<string, Float64Array>;
}

function devfunVp(sys: PlsSystem, reml: boolean, varpar: number[], cache: PlsCache): number {
  const k = varpar.length - 1;
  const sigma2 = varpar[k]! ** 2;
  const key = varpar.slice(0, k).join(',');
  let ev = cache.dev.get(key);
  if (!ev) {
    const e = evaluatePls(sys, varpar.slice(0, k));
    ev = { ldL2: e.ldL2, ldRX2: e.ldRX2, pwrss: e.pwrss };
    cache.dev.set(key, ev);
  }
  let dev = ev.ldL2 + ev.pwrss / sigma2 + sys.n * Math.log(2 * Math.PI * sigma2);
  if (reml) dev += ev.ldRX2 - sys.p * Math.log(2 * Math.PI * sigma2);
  return dev;
}

function covBeta(sys: PlsSystem, varpar: number[], cache: PlsCache): Float64Array {
  const k = varpar.length - 1;
  const s2 = varpar[k]! ** 2;
  const key = varpar.slice(0, k).join(',');
  let V = cache.vcov.get(key);
  if (!V) {
    // Var(β̂) needs only the factor, not the penalised RSS: skip the residual pass
    V = unscaledVcov(sys, evaluatePls(sys, varpar.slice(0, k), false));
    cache.vcov.set(key, V);
  }
  return V.map((v) => v * s2);
}

function richardson(a: number[][]): number[] {
  // a[k] = estimate at step h/2^k (vector); Richardson with factor 4^m (v = 2, r = 4)
  let cur = a;
  const r = a.length;
  for (let m = 1; m <= r - 1; m++) {
    const f = 4 ** m;
    const next: number[][] = [];
    for (let k = 0; k < r - m; k++) next.push(cur[k + 1]!.map((v, i) => (v * f - cur[k]![i]!) / (f - 1)));
    cur = next;
  }
  return cur[0]!;
}

/** numDeriv::hessian (method "Richardson", d = 0.1, eps = 1e-4, r = 4, v = 2) of a scalar function. */
export function numDerivHessian(fn: (x: number[]) => number, x: number[]): Float64Array {
  const n = x.length;
  const d = 0.1;
  const eps = 1e-4;
  const r = 4;
  const f0 = fn(x);
  const h0 = x.map((v) => Math.abs(d * v) + eps * (Math.abs(v) < ZERO_TOL ? 1 : 0));
  const Hdiag = new Array<number>(n).fill(0);
  const H = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const h = [...h0];
    const approx: number[][] = [];
    for (let k = 0; k < r; k++) {
      const xp = [...x];
      xp[i] = xp[i]! + h[i]!;
      const xm = [...x];
      xm[i] = xm[i]! - h[i]!;
      const f1 = fn(xp);
      const f2 = fn(xm);
      approx.push([(f1 - 2 * f0 + f2) / (h[i]! * h[i]!)]);
      for (let j = 0; j < n; j++) h[j] = h[j]! / 2;
    }
    Hdiag[i] = richardson(approx)[0]!;
    H[i * n + i] = Hdiag[i]!;
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const h = [...h0];
      const approx: number[][] = [];
      for (let k = 0; k < r; k++) {
        const xp = [...x];
        xp[i] = xp[i]! + h[i]!;
        xp[j] = xp[j]! + h[j]!;
        const xm = [...x];
        xm[i] = xm[i]! - h[i]!;
        xm[j] = xm[j]! - h[j]!;
        const f1 = fn(xp);
        const f2 = fn(xm);
        approx.push([
          (f1 - 2 * f0 + f2 - Hdiag[i]! * h[i]! * h[i]! - Hdiag[j]! * h[j]! * h[j]!) / (2 * h[i]! * h[j]!),
        ]);
        for (let q = 0; q < n; q++) h[q] = h[q]! / 2;
      }
      const v = richardson(approx)[0]!;
      H[i * n + j] = v;
      H[j * n + i] = v;
    }
  }
  return H;
}

/** numDeriv::jacobian (method "Richardson", d = 1e-4, eps = 1e-4, r = 4, v = 2) of a vector function. */
export function numDerivJacobian(fn: (x: number[]) => Float64Array, x: number[]): Float64Array[] {
  const n = x.length;
  const d = 1e-4;
  const eps = 1e-4;
  const r = 4;
  const out: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    let h = Math.abs(d * x[i]!) + eps * (Math.abs(x[i]!) < ZERO_TOL ? 1 : 0);
    const approx: number[][] = [];
    for (let k = 0; k < r; k++) {
      const xp = [...x];
      xp[i] = xp[i]! + h;
      const xm = [...x];
      xm[i] = xm[i]! - h;
      const f1 = fn(xp);
      const f2 = fn(xm);
      approx.push(Array.from(f1, (v, j) => (v - f2[j]!) / (2 * h)));
      h /= 2;
    }
    out.push(Float64Array.from(richardson(approx)));
  }
  return out;
}

const stateCache = new WeakMap<LmmFit, SatterthwaiteState>();

/**
 * Computes (and caches on the fit) the Satterthwaite ingredients as lmerTest's as_lmerModLT does.
 * Warns (in the returned state) on negative or near-zero Hessian eigenvalues (tol 1e-8).
 */
export function satterthwaiteState(fit: LmmFit): SatterthwaiteState {
  const cached = stateCache.get(fit);
  if (cached) return cached;
  const sys = fit.internal.sys;
  const varpar = [...fit.theta, fit.sigma];
  const cache: PlsCache = { dev: new Map(), vcov: new Map() };
  const H = numDerivHessian((v) => devfunVp(sys, fit.reml, v, cache), varpar);
  const k = varpar.length;
  const eig = symEigen(H, k);
  const tol = 1e-8;
  const warnings: string[] = [];
  const neg = eig.values.filter((v) => v < -tol);
  const zero = eig.values.filter((v) => Math.abs(v) <= tol);
  if (neg.length > 0) warnings.push(`Model failed to converge with ${neg.length} negative eigenvalue(s)`);
  if (zero.length > 0)
    warnings.push(`Model may not have converged with ${zero.length} eigenvalue(s) close to zero`);
  const A = new Float64Array(k * k);
  eig.values.forEach((lam, e) => {
    if (!(lam > tol)) return;
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++)
        A[a * k + b]! += (2 * eig.vectors[a * k + e]! * eig.vectors[b * k + e]!) / lam;
    }
  });
  const jac = numDerivJacobian((v) => covBeta(sys, v, cache), varpar);
  const state = { vcovVarpar: A, jac, hessianEigenvalues: eig.values, warnings };
  stateCache.set(fit, state);
  return state;
}

/** One contrast test with Satterthwaite df (lmerTest contest1D). */
export interface ContrastTest {
  estimate: number;
  se: number;
  df: number;
  t: number;
  p: number;
  ciLower: number;
  ciUpper: number;
}

/**
 * Satterthwaite t test and 95% (or `level`) CI for the contrast lᵀβ.
 * @param fit fitted model; contrast: l (length p, coefficient order of fit.coefNames)
 * @throws InputError when the contrast length differs from the number of coefficients
 * Source: lmerTest contest1D.lmerModLmerTest; waldCI.
 */
export function satterthwaite(fit: LmmFit, contrast: number[], level = 0.95): ContrastTest {
  const p = fit.beta.length;
  if (contrast.length !== p) {
    throw new InputError(`contrast has ${contrast.length} elements but the model has ${p} coefficients`, {
      field: 'contrast',
    });
  }
  const st = satterthwaiteState(fit);
  const estimate = contrast.reduce((s, v, i) => s + v * fit.beta[i]!, 0);
  const varCon = qform(contrast, fit.vcov, p);
  const g = st.jac.map((J) => qform(contrast, J, p));
  const denom = qform(g, st.vcovVarpar, g.length);
  const df = (2 * varCon * varCon) / denom;
  const se = Math.sqrt(varCon);
  const t = estimate / se;
  const q = tQuantileDf(1 - (1 - level) / 2, df);
  return {
    estimate,
    se,
    df,
    t,
    p: tTwoSidedP(t, df),
    ciLower: estimate - q * se,
    ciUpper: estimate + q * se,
  };
}

/** Multi-df F test (lmerTest contestMD): F, numerator df q, Satterthwaite denominator df, p. */
export interface FTest {
  F: number;
  numDf: number;
  denDf: number;
  p: number;
}

/**
 * F test of H0: Lβ = 0 with Satterthwaite denominator df, as lmerTest's contestMD.
 * @param L rows of length p (coefficient order of fit.coefNames)
 */
export function contestMD(fit: LmmFit, L: number[][]): FTest {
  const p = fit.beta.length;
  if (L.length === 0) throw new InputError('empty hypothesis matrix', { field: 'L' });
  for (const row of L) {
    if (row.length !== p) throw new InputError(`hypothesis row has ${row.length} elements, expected ${p}`);
  }
  if (L.length === 1) {
    const r = satterthwaite(fit, L[0]!);
    return { F: r.t * r.t, numDf: 1, denDf: r.df, p: fUpper(r.t * r.t, 1, r.df) };
  }
  const st = satterthwaiteState(fit);
  const m = L.length;
  const VL = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < m; b++) {
      let s = 0;
      for (let i = 0; i < p; i++)
        for (let j = 0; j < p; j++) s += L[a]![i]! * fit.vcov[i * p + j]! * L[b]![j]!;
      VL[a * m + b] = s;
    }
  }
  const eig = symEigen(VL, m);
  const tol = Math.max(Math.sqrt(2.220446049250313e-16) * eig.values[0]!, 0);
  const q = eig.values.filter((v) => v > tol).length;
  if (q === 0) throw new ComputationError('hypothesis matrix has rank 0 under Var(β)');
  const PtL: number[][] = [];
  for (let e = 0; e < q; e++) {
    const row = new Array<number>(p).fill(0);
    for (let a = 0; a < m; a++) for (let i = 0; i < p; i++) row[i]! += eig.vectors[a * m + e]! * L[a]![i]!;
    PtL.push(row);
  }
  if (q === 1) {
    const r = satterthwaite(fit, PtL[0]!);
    return { F: r.t * r.t, numDf: 1, denDf: r.df, p: fUpper(r.t * r.t, 1, r.df) };
  }
  let Fsum = 0;
  const nu: number[] = [];
  for (let e = 0; e < q; e++) {
    const est = PtL[e]!.reduce((s, v, i) => s + v * fit.beta[i]!, 0);
    Fsum += (est * est) / eig.values[e]!;
    const g = st.jac.map((J) => qform(PtL[e]!, J, p));
    nu.push((2 * eig.values[e]! ** 2) / qform(g, st.vcovVarpar, g.length));
  }
  const F = Fsum / q;
  let ddf: number;
  const allEqual = nu.every((v, i) => i === 0 || Math.abs(v - nu[i - 1]!) < 1e-8);
  if (allEqual) ddf = nu.reduce((s, v) => s + v, 0) / q;
  else if (nu.some((v) => v <= 2)) ddf = 2;
  else {
    const E = nu.reduce((s, v) => s + v / (v - 2), 0);
    ddf = (2 * E) / (E - q);
  }
  return { F, numDf: q, denDf: ddf, p: fUpper(F, q, ddf) };
}
