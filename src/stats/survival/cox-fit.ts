/**
 * Newton–Raphson fit of the Cox partial likelihood as R survival's coxfit6.c: covariate centring and
 * scaling, iteration from β = 0 with step-halving. `cox.ts` builds the model and its summary on top.
 * Source: R survival coxfit6.c; Therneau & Grambsch (2000) §3.
 */
import { ComputationError } from '../../errors.js';
import { coxEvaluate } from './cox-core.js';
import type { CoxData } from './cox-core.js';
import { cholesky, cholSolve } from '../linalg.js';

/**
 * Centres and scales the sorted covariates in place as coxfit6.c: columns coded in {−1, 0, 1} are
 * left alone; others are centred at their weighted mean and scaled by Σw/Σw|x − x̄|.
 * @returns the weighted means (0 for unscaled columns) and scale factors (1 for unscaled columns)
 */
export function centreAndScale(data: CoxData, n: number): { means: Float64Array; scale: Float64Array } {
  const p = data.p;
  const means = new Float64Array(p);
  const scale = new Float64Array(p).fill(1);
  let sumW = 0;
  for (let q = 0; q < n; q++) sumW += data.weight[q]!;
  for (let j = 0; j < p; j++) {
    let zeroOne = true;
    for (let q = 0; q < n; q++) {
      const v = data.x[q * p + j]!;
      if (v !== 0 && v !== 1 && v !== -1) {
        zeroOne = false;
        break;
      }
    }
    if (zeroOne) continue;
    let m = 0;
    for (let q = 0; q < n; q++) m += data.weight[q]! * data.x[q * p + j]!;
    m /= sumW;
    means[j] = m;
    let ad = 0;
    for (let q = 0; q < n; q++) {
      data.x[q * p + j]! -= m;
      ad += data.weight[q]! * Math.abs(data.x[q * p + j]!);
    }
    const sc = ad > 0 ? sumW / ad : 1;
    scale[j] = sc;
    for (let q = 0; q < n; q++) data.x[q * p + j]! *= sc;
  }
  return { means, scale };
}

/** Result of the Newton–Raphson iterations, on the scaled covariates. */
export interface NewtonResult {
  /** Evaluation at β = 0. */
  ev0: ReturnType<typeof coxEvaluate>;
  /** Score test statistic at β = 0. */
  scoreStat: number;
  /** Evaluation at the final β. */
  ev: ReturnType<typeof coxEvaluate>;
  /** Final β (scaled covariates). */
  betaScaled: Float64Array;
  iterations: number;
  converged: boolean;
}

/**
 * Newton–Raphson from β = 0 exactly as coxfit6.c: full Newton steps, step-halving when ℓ decreases,
 * stop when |1 − ℓ_old/ℓ_new| ≤ eps, at most maxIter. A non-convergence warning is pushed to `warnings`.
 * @throws ComputationError when the information matrix is singular
 */
export function newtonRaphson(
  data: CoxData,
  efron: boolean,
  maxIter: number,
  eps: number,
  tol: number,
  warnings: string[],
): NewtonResult {
  const p = data.p;
  // Iteration 0.
  let beta = new Float64Array(p);
  const ev0 = coxEvaluate(data, beta, efron);
  const loglik0 = ev0.loglik;
  const chol0 = cholesky(ev0.imat, p, tol);
  if (chol0 === null)
    throw new ComputationError('information matrix at β = 0 is singular (collinear covariates?)');
  const step0 = cholSolve(chol0, ev0.u, p);
  let scoreStat = 0;
  for (let j = 0; j < p; j++) scoreStat += ev0.u[j]! * step0[j]!;
  let newbeta = new Float64Array(p);
  for (let j = 0; j < p; j++) newbeta[j] = beta[j]! + step0[j]!;

  let loglikPrev = loglik0;
  let halving = false;
  let converged = false;
  let iter: number;
  let ev = ev0;
  if (maxIter === 0) newbeta = beta.slice();
  for (iter = 1; iter <= maxIter; iter++) {
    ev = coxEvaluate(data, newbeta, efron);
    const newlk = ev.loglik;
    if (Number.isFinite(newlk) && Math.abs(1 - loglikPrev / newlk) <= eps && !halving) {
      converged = true;
      break;
    }
    if (iter === maxIter) break;
    if (!(newlk >= loglikPrev)) {
      halving = true;
      for (let j = 0; j < p; j++) newbeta[j] = (newbeta[j]! + beta[j]!) / 2;
    } else {
      halving = false;
      loglikPrev = newlk;
      const l = cholesky(ev.imat, p, tol);
      if (l === null) throw new ComputationError('information matrix is singular (collinear covariates?)');
      const step = cholSolve(l, ev.u, p);
      beta = newbeta.slice();
      newbeta = new Float64Array(p);
      for (let j = 0; j < p; j++) {
        newbeta[j] = beta[j]! + step[j]!;
      }
    }
  }
  if (!converged) {
    iter = Math.min(iter, maxIter);
    warnings.push(`Ran out of iterations (${maxIter}) and did not converge`);
  }
  return { ev0, scoreStat, ev, betaScaled: newbeta, iterations: iter, converged };
}
