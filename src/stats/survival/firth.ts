/**
 * Firth-penalised Cox regression as R's `coxphf` (Heinze & Schemper 2001) does it: Breslow ties,
 * penalised log partial likelihood ℓ*(β) = ℓ(β) + ½·log|I(β)|, profile penalised-likelihood CIs and
 * penalised likelihood-ratio p-values. Finite estimates under monotone likelihood.
 */
import { chisqQuantileDf, chisqUpper } from '../distributions.js';
import { ComputationError, InputError } from '../../errors.js';
import { prepareCox } from './cox.js';
import type { CoxDesign, CoxOptions } from './cox.js';
import type { CoxData } from './cox-core.js';
import { cholesky, cholSolve, invertSymmetric, logDetFromChol } from '../linalg.js';

/** Options of `coxphFirth`. */
export interface FirthOptions {
  /** Confidence level of the profile-likelihood intervals (default 0.95). */
  confLevel?: number;
  /** Maximum Newton iterations (coxphf `maxit`, default 50). */
  maxIter?: number;
  /** Largest allowed |step| of any coefficient on the SD-scaled covariates (coxphf `maxstep`, 0.5). */
  maxStep?: number;
  /** Step-halvings allowed when ℓ* does not increase (coxphf `maxhs`, 5). */
  maxHalving?: number;
  /**
   * Convergence: max|Δβ| ≤ epsilon and max|U*| ≤ gconv (on the SD-scaled covariates). Defaults 1e-10
   * and 1e-10: tighter than coxphf's 1e-6 / 1e-4, so that results are the optimum to ~1e-9.
   */
  epsilon?: number;
  gconv?: number;
  /** Skip the profile CIs / penalised LRT p-values (faster). Default false. */
  skipProfile?: boolean;
  /** Column names for error messages. */
  names?: CoxOptions['names'];
}

/** One Firth coefficient row. */
export interface FirthCoefficient {
  term: string;
  /** Penalised-likelihood estimate of log HR. */
  estimate: number;
  /** √diag I(β̂)⁻¹ (unpenalised information at β̂, as coxphf). */
  se: number;
  /** Penalised LRT statistic 2[ℓ*(β̂) − max ℓ*(β_k = 0)]. */
  chisq: number;
  /** Its upper-tail χ²₁ p-value. */
  p: number;
  hr: number;
  /** exp of the lower profile penalised-likelihood limit. */
  hrLower: number;
  /** exp of the upper profile penalised-likelihood limit. */
  hrUpper: number;
  /** Profile limits of β. */
  lower: number;
  upper: number;
}

/** Result of `coxphFirth`. */
export interface FirthResult {
  coefficients: FirthCoefficient[];
  /** I(β̂)⁻¹, p × p. */
  variance: number[][];
  /** [ℓ*(0), ℓ*(β̂)] with the covariates as given. */
  logLik: [number, number];
  /**
   * [ℓ*(0), ℓ*(β̂)] on SD-scaled covariates, as coxphf's `loglik` reports it
   * (= logLik − Σ_j log sd_j, sd with n − 1).
   */
  logLikCoxphf: [number, number];
  /** Penalised LRT of all coefficients: 2[ℓ*(β̂) − ℓ*(0)], df = p. */
  lrt: { stat: number; df: number; p: number };
  n: number;
  events: number;
  iterations: number;
  converged: boolean;
}

interface PenEval {
  loglik: number;
  /** penalised log-likelihood */
  pll: number;
  /** modified score U* */
  ustar: Float64Array;
  /** information I */
  imat: Float64Array;
  ok: boolean;
}

/**
 * ℓ, I, ∂I/∂β_r (Breslow) and ℓ* = ℓ + ½log|I|, U*_r = U_r + ½tr(I⁻¹∂I/∂β_r). O(n·p³).
 * Ties: Breslow (as coxphf). Strata are not supported by coxphf and not here.
 */
function firthEvaluate(data: CoxData, beta: Float64Array): PenEval {
  const { n, p, time, status, weight, x } = data;
  const p2 = p * p;
  const s1 = new Float64Array(p);
  const s2 = new Float64Array(p2);
  const s3 = new Float64Array(p2 * p);
  const u = new Float64Array(p);
  const imat = new Float64Array(p2);
  const di = new Float64Array(p2 * p);
  let s0 = 0;
  let loglik = 0;
  let q = n - 1;
  while (q >= 0) {
    const tq = time[q]!;
    let deadwt = 0;
    while (q >= 0 && time[q] === tq) {
      const off = q * p;
      let zb = 0;
      for (let j = 0; j < p; j++) zb += beta[j]! * x[off + j]!;
      const wq = weight[q]!;
      const risk = Math.exp(zb) * wq;
      s0 += risk;
      for (let i = 0; i < p; i++) {
        const ri = risk * x[off + i]!;
        s1[i]! += ri;
        for (let j = 0; j < p; j++) {
          const rij = ri * x[off + j]!;
          s2[i * p + j]! += rij;
          for (let r = 0; r < p; r++) s3[(i * p + j) * p + r]! += rij * x[off + r]!;
        }
      }
      if (status[q] === 1) {
        deadwt += wq;
        loglik += wq * zb;
        for (let i = 0; i < p; i++) u[i]! += wq * x[off + i]!;
      }
      q--;
    }
    if (deadwt === 0) continue;
    loglik -= deadwt * Math.log(s0);
    const inv0 = 1 / s0;
    for (let i = 0; i < p; i++) {
      u[i]! -= deadwt * s1[i]! * inv0;
      for (let j = 0; j < p; j++) {
        imat[i * p + j]! += deadwt * (s2[i * p + j]! * inv0 - s1[i]! * s1[j]! * inv0 * inv0);
        for (let r = 0; r < p; r++) {
          const v =
            s3[(i * p + j) * p + r]! * inv0 -
            (s2[i * p + j]! * s1[r]! + s2[i * p + r]! * s1[j]! + s1[i]! * s2[j * p + r]!) * inv0 * inv0 +
            2 * s1[i]! * s1[j]! * s1[r]! * inv0 * inv0 * inv0;
          di[(i * p + j) * p + r]! += deadwt * v;
        }
      }
    }
  }
  const l = cholesky(imat, p, 1e-300);
  if (l === null) return { loglik, pll: -Infinity, ustar: u, imat, ok: false };
  const pll = loglik + 0.5 * logDetFromChol(l, p);
  const inv = invertSymmetric(imat, p)!;
  const ustar = new Float64Array(p);
  for (let r = 0; r < p; r++) {
    let tr = 0;
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) tr += inv[i * p + j]! * di[(j * p + i) * p + r]!;
    ustar[r] = u[r]! + 0.5 * tr;
  }
  return { loglik, pll, ustar, imat, ok: Number.isFinite(pll) };
}

/**
 * Maximises ℓ* over the free coefficients (fixed[k] = true keeps beta[k]) by coxphf's iteration:
 * δ = I_ff⁻¹ U*_f, capped so that max|δ| ≤ maxStep, halved up to maxHalving times while ℓ* decreases.
 */
function maximise(
  data: CoxData,
  start: Float64Array,
  fixed: boolean[],
  o: Required<Pick<FirthOptions, 'maxIter' | 'maxStep' | 'maxHalving' | 'epsilon' | 'gconv'>>,
): { beta: Float64Array; ev: PenEval; iterations: number; converged: boolean } {
  const p = data.p;
  const free: number[] = [];
  for (let j = 0; j < p; j++) if (!fixed[j]) free.push(j);
  const m = free.length;
  let beta = start.slice();
  let ev = firthEvaluate(data, beta);
  if (!ev.ok) throw new ComputationError('Firth: information matrix singular at the start values');
  if (m === 0) return { beta, ev, iterations: 0, converged: true };
  let iterations = 0;
  let converged = false;
  for (let it = 1; it <= o.maxIter; it++) {
    iterations = it;
    const sub = new Float64Array(m * m);
    const g = new Float64Array(m);
    for (let a = 0; a < m; a++) {
      g[a] = ev.ustar[free[a]!]!;
      for (let b = 0; b < m; b++) sub[a * m + b] = ev.imat[free[a]! * p + free[b]!]!;
    }
    const l = cholesky(sub, m, 1e-300);
    if (l === null) throw new ComputationError('Firth: information matrix singular during iteration');
    const delta = cholSolve(l, g, m);
    let mx = 0;
    for (let a = 0; a < m; a++) mx = Math.max(mx, Math.abs(delta[a]!));
    if (mx > o.maxStep) for (let a = 0; a < m; a++) delta[a]! *= o.maxStep / mx;
    let next = beta.slice();
    for (let a = 0; a < m; a++) next[free[a]!]! += delta[a]!;
    let evNext = firthEvaluate(data, next);
    let hs = 0;
    while ((!evNext.ok || evNext.pll < ev.pll) && hs < o.maxHalving) {
      hs++;
      for (let a = 0; a < m; a++) delta[a]! /= 2;
      next = beta.slice();
      for (let a = 0; a < m; a++) next[free[a]!]! += delta[a]!;
      evNext = firthEvaluate(data, next);
    }
    if (!evNext.ok) throw new ComputationError('Firth: penalised likelihood not finite');
    let maxDelta = 0;
    for (let a = 0; a < m; a++) maxDelta = Math.max(maxDelta, Math.abs(delta[a]!));
    beta = next;
    ev = evNext;
    let maxU = 0;
    for (let a = 0; a < m; a++) maxU = Math.max(maxU, Math.abs(ev.ustar[free[a]!]!));
    if (maxDelta <= o.epsilon && maxU <= o.gconv) {
      converged = true;
      break;
    }
  }
  return { beta, ev, iterations, converged };
}

/**
 * Firth-penalised Cox model (R: `coxphf(Surv(time, status) ~ x)`, Breslow ties, penalty ½).
 *
 * Covariates are centred (harmless: ℓ and I do not change) and divided by their SD (as coxphf) for the
 * iteration; results are on the scale of the covariates as given. Profile CI for β_k: the two roots of
 * 2[ℓ*(β̂) − max_{β−k} ℓ*(β_k, β−k)] = χ²₁(confLevel), found by bracketing and Brent's method;
 * p-value: penalised LRT with β_k fixed at 0.
 *
 * @param time follow-up times (≥ 0). @param status 1 event / 0 censored.
 * @param x covariates without intercept (`{names, columns}` or rows).
 * @throws InputError for bad input (as `coxph`); ComputationError when the information is singular.
 * Source: Firth (1993) Biometrika 80:27; Heinze & Schemper (2001) Biometrics 57:114; R coxphf 1.13.
 */
export function coxphFirth(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  x: CoxDesign,
  opts: FirthOptions = {},
): FirthResult {
  const prep = prepareCox(time, status, x, opts.names ? { names: opts.names } : {});
  const { data, names, n, events } = prep;
  const p = data.p;
  const o = {
    maxIter: opts.maxIter ?? 50,
    maxStep: opts.maxStep ?? 0.5,
    maxHalving: opts.maxHalving ?? 5,
    epsilon: opts.epsilon ?? 1e-10,
    gconv: opts.gconv ?? 1e-10,
  };
  const confLevel = opts.confLevel ?? 0.95;
  if (!(confLevel > 0 && confLevel < 1))
    throw new InputError('confLevel must lie in (0, 1)', { field: 'confLevel' });

  // Centre and divide by the SD (n − 1), in place on the sorted copy.
  const sd = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let m = 0;
    for (let q = 0; q < n; q++) m += data.x[q * p + j]!;
    m /= n;
    let ss = 0;
    for (let q = 0; q < n; q++) {
      data.x[q * p + j]! -= m;
      ss += data.x[q * p + j]! ** 2;
    }
    sd[j] = Math.sqrt(ss / (n - 1));
    for (let q = 0; q < n; q++) data.x[q * p + j]! /= sd[j]!;
  }
  let sumLogSd = 0;
  for (let j = 0; j < p; j++) sumLogSd += Math.log(sd[j]!);

  const zero = new Float64Array(p);
  const ev0 = firthEvaluate(data, zero);
  const fit = maximise(data, zero, new Array<boolean>(p).fill(false), o);
  const pllHat = fit.ev.pll;
  const inv = invertSymmetric(fit.ev.imat, p);
  if (inv === null) throw new ComputationError('Firth: information matrix singular at the estimate');
  const crit = chisqQuantileDf(confLevel, 1);

  const coefficients: FirthCoefficient[] = names.map((term, k) => {
    const bs = fit.beta[k]!;
    const se = Math.sqrt(inv[k * p + k]!);
    let chisq = NaN;
    let lower = NaN;
    let upper = NaN;
    if (!opts.skipProfile) {
      const fixed = new Array<boolean>(p).fill(false);
      fixed[k] = true;
      // profile ℓ* at β_k = b (scaled), warm-started from the last solution
      let warm: Float64Array = fit.beta.slice();
      const profile = (b: number): number => {
        const start = warm.slice();
        start[k] = b;
        const r = maximise(data, start, fixed, o);
        warm = r.beta;
        return 2 * (pllHat - r.ev.pll);
      };
      warm = fit.beta.slice();
      chisq = Math.max(0, profile(0));
      const f = (b: number): number => profile(b) - crit;
      warm = fit.beta.slice();
      lower = profileRoot(f, bs, -se);
      warm = fit.beta.slice();
      upper = profileRoot(f, bs, se);
    }
    const est = bs / sd[k]!;
    const lo = lower / sd[k]!;
    const up = upper / sd[k]!;
    return {
      term,
      estimate: est,
      se: se / sd[k]!,
      chisq,
      p: chisqUpper(chisq, 1),
      hr: Math.exp(est),
      hrLower: Math.exp(lo),
      hrUpper: Math.exp(up),
      lower: lo,
      upper: up,
    };
  });
  const variance: number[][] = [];
  for (let i = 0; i < p; i++) {
    const row: number[] = [];
    for (let j = 0; j < p; j++) row.push(inv[i * p + j]! / (sd[i]! * sd[j]!));
    variance.push(row);
  }
  const lrtStat = 2 * (pllHat - ev0.pll);
  return {
    coefficients,
    variance,
    logLik: [ev0.pll + sumLogSd, pllHat + sumLogSd],
    logLikCoxphf: [ev0.pll, pllHat],
    lrt: { stat: lrtStat, df: p, p: chisqUpper(lrtStat, p) },
    n,
    events,
    iterations: fit.iterations,
    converged: fit.converged,
  };
}

/**
 * Root of f on the side of `center` given by the sign of `step` (f(center) < 0): expands the bracket
 * geometrically, then Brent's method to |Δ| ≤ 1e-12·(1 + |b|). NaN if no sign change within 60 steps.
 */
function profileRoot(f: (b: number) => number, center: number, step: number): number {
  let a = center;
  let fa = f(a);
  let h = step === 0 ? 1 : step;
  let b = center + h;
  let fb = f(b);
  let k = 0;
  while (fb < 0 && k < 60) {
    a = b;
    fa = fb;
    h *= 1.6;
    b = center + h;
    fb = f(b);
    k++;
  }
  if (fb < 0) return NaN;
  // Brent's method on [a, b] with fa < 0 ≤ fb.
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let it = 0; it < 200; it++) {
    if (Math.sign(fb) === Math.sign(fc)) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol = 1e-12 * (1 + Math.abs(b));
    const m = 0.5 * (c - b);
    if (Math.abs(m) <= tol || fb === 0) return b;
    if (Math.abs(e) >= tol && Math.abs(fa) > Math.abs(fb)) {
      let pp: number;
      let qq: number;
      const s = fb / fa;
      if (a === c) {
        pp = 2 * m * s;
        qq = 1 - s;
      } else {
        const q0 = fa / fc;
        const r = fb / fc;
        pp = s * (2 * m * q0 * (q0 - r) - (b - a) * (r - 1));
        qq = (q0 - 1) * (r - 1) * (s - 1);
      }
      if (pp > 0) qq = -qq;
      else pp = -pp;
      if (2 * pp < Math.min(3 * m * qq - Math.abs(tol * qq), Math.abs(e * qq))) {
        e = d;
        d = pp / qq;
      } else {
        d = m;
        e = m;
      }
    } else {
      d = m;
      e = m;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol ? d : m > 0 ? tol : -tol;
    fb = f(b);
  }
  return b;
}
