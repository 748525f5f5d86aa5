/**
 * Nonlinear least squares by Levenberg–Marquardt with an analytic Jacobian.
 *
 * Method: Moré (1978) "The Levenberg–Marquardt algorithm: implementation and theory" — scaled damping
 * (D = running max of Jacobian column norms), each step solved as the linear least-squares problem
 * [J; √λ·D] δ ≈ [−r; 0] by Householder QR (no normal equations, so cond(J)² is avoided), damping updated from the
 * gain ratio (Nielsen 1999). Standard errors from σ²(JᵀJ)⁻¹ at the solution with σ² = SSE/(n − p), as R `nls`.
 * Validated against the NIST StRD nonlinear regression problems (certified values) and R drc.
 */
import { ComputationError } from '../../errors.js';
import { backSolveUpper, householderQrInPlace, inverseFromR } from '../linalg.js';

/** Residual function: r(θ) (length n) and its Jacobian ∂r/∂θ (n rows of p). */
export interface NlsProblem {
  /** Number of parameters p. */
  nParams: number;
  /** Residuals r_i(θ) = y_i − f(x_i; θ) or f − y (either sign; SSE and fit are the same). */
  residuals(theta: Float64Array, out: Float64Array): void;
  /** Jacobian of the residuals: jac[i*p + j] = ∂r_i/∂θ_j. */
  jacobian(theta: Float64Array, out: Float64Array): void;
  /** Number of residuals n. */
  nResiduals: number;
}

/** Options of `levenbergMarquardt`. */
export interface LmOptions {
  /** Maximum iterations (default 10 000). */
  maxIterations?: number;
  /** Relative SSE-reduction tolerance (default 1e-15). */
  ftol?: number;
  /** Relative step tolerance (default 1e-12). */
  xtol?: number;
}

/** Result of a least-squares fit. */
export interface LmResult {
  params: number[];
  /** Residual sum of squares. */
  sse: number;
  iterations: number;
  /** True when a convergence criterion was met (not just the iteration limit). */
  converged: boolean;
  /** Why it stopped. */
  reason: 'ftol' | 'xtol' | 'gtol' | 'maxIterations' | 'zeroResidual';
}

/**
 * Minimises ‖r(θ)‖² from `start`.
 * @param problem residuals and analytic Jacobian
 * @param start initial θ (length p)
 * @returns the estimate (check `converged`)
 * @throws ComputationError when the residuals are not finite at the start
 */
export function levenbergMarquardt(problem: NlsProblem, start: number[], options: LmOptions = {}): LmResult {
  const p = problem.nParams;
  const n = problem.nResiduals;
  const maxIt = options.maxIterations ?? 10000;
  const ftol = options.ftol ?? 1e-15;
  const xtol = options.xtol ?? 1e-12;
  let theta = Float64Array.from(start);
  const r = new Float64Array(n);
  const J = new Float64Array(n * p);
  const rNew = new Float64Array(n);
  problem.residuals(theta, r);
  let sse = sumSq(r);
  if (!Number.isFinite(sse))
    throw new ComputationError('residuals are not finite at the starting values', { value: start });
  problem.jacobian(theta, J);
  const D = new Float64Array(p);
  updateScale(J, n, p, D);
  let lambda = 1e-3;
  let nu = 2;
  // Trust-region bound on the scaled step (Moré 1978), enforced by raising λ. Δ₀ = 10·‖Dθ₀‖ (MINPACK
  // `factor` 10; the default 100 lets BoxBOD from start 1 escape to b2 → ∞).
  let dnorm0 = 0;
  for (let j = 0; j < p; j++) dnorm0 += (D[j]! * theta[j]!) ** 2;
  let radius = 10 * (Math.sqrt(dnorm0) || 1);
  let reason: LmResult['reason'] = 'maxIterations';
  let it = 0;
  for (; it < maxIt; it++) {
    if (sse === 0) {
      reason = 'zeroResidual';
      break;
    }
    // gradient test
    let gmax = 0;
    for (let j = 0; j < p; j++) {
      let g = 0;
      for (let i = 0; i < n; i++) g += J[i * p + j]! * r[i]!;
      gmax = Math.max(gmax, Math.abs(g) / Math.max(D[j]!, 1e-300));
    }
    if (gmax <= 1e-15 * Math.sqrt(sse)) {
      reason = 'gtol';
      break;
    }
    let delta = dampedStep(J, r, n, p, D, lambda);
    let stepNorm = scaledNorm2(delta, D);
    for (let k = 0; k < 200 && Math.sqrt(stepNorm) > radius; k++) {
      lambda = Math.max(lambda * 4, 1e-12);
      delta = dampedStep(J, r, n, p, D, lambda);
      stepNorm = scaledNorm2(delta, D);
    }
    const thetaNew = new Float64Array(p);
    let thetaNorm = 0;
    for (let j = 0; j < p; j++) {
      thetaNew[j] = theta[j]! + delta[j]!;
      thetaNorm += (D[j]! * theta[j]!) ** 2;
    }
    problem.residuals(thetaNew, rNew);
    const sseNew = sumSq(rNew);
    // predicted SSE of the linear model: ‖r + Jδ‖²
    let pred = 0;
    for (let i = 0; i < n; i++) {
      let v = r[i]!;
      for (let j = 0; j < p; j++) v += J[i * p + j]! * delta[j]!;
      pred += v * v;
    }
    const predRed = sse - pred;
    const actRed = sse - sseNew;
    const rho = Number.isFinite(sseNew) && predRed > 0 ? actRed / predRed : -1;
    if (rho < 0.25) radius = Math.max(0.5 * Math.sqrt(stepNorm), 1e-300);
    else if (rho > 0.75) radius = Math.max(radius, 2 * Math.sqrt(stepNorm));
    if (rho > 1e-4) {
      theta = thetaNew;
      r.set(rNew);
      const prev = sse;
      sse = sseNew;
      problem.jacobian(theta, J);
      updateScale(J, n, p, D);
      lambda *= Math.max(1 / 3, 1 - (2 * rho - 1) ** 3);
      nu = 2;
      if (actRed <= ftol * prev && predRed <= ftol * prev) {
        reason = 'ftol';
        it++;
        break;
      }
      if (Math.sqrt(stepNorm) <= xtol * (Math.sqrt(thetaNorm) + xtol)) {
        reason = 'xtol';
        it++;
        break;
      }
    } else {
      lambda *= nu;
      nu *= 2;
      if (lambda > 1e20 || Math.sqrt(stepNorm) <= 1e-16 * (Math.sqrt(thetaNorm) + 1e-300)) {
        // no decrease possible any more: at a minimum to machine precision
        reason = 'xtol';
        break;
      }
    }
  }
  return { params: Array.from(theta), sse, iterations: it, converged: reason !== 'maxIterations', reason };
}

function scaledNorm2(delta: Float64Array, D: Float64Array): number {
  let s = 0;
  for (let j = 0; j < delta.length; j++) s += (D[j]! * delta[j]!) ** 2;
  return s;
}

function sumSq(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return s;
}

function updateScale(J: Float64Array, n: number, p: number, D: Float64Array): void {
  for (let j = 0; j < p; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += J[i * p + j]! ** 2;
    D[j] = Math.max(D[j]!, Math.sqrt(s));
    if (D[j] === 0) D[j] = 1;
  }
}

/** Solves min ‖Jδ + r‖² + λ‖Dδ‖² by Householder QR of the stacked matrix. */
function dampedStep(
  J: Float64Array,
  r: Float64Array,
  n: number,
  p: number,
  D: Float64Array,
  lambda: number,
): Float64Array {
  const m = n + p;
  const A = new Float64Array(m * p);
  const b = new Float64Array(m);
  A.set(J);
  const sl = Math.sqrt(lambda);
  for (let j = 0; j < p; j++) A[(n + j) * p + j] = sl * D[j]!;
  for (let i = 0; i < n; i++) b[i] = -r[i]!;
  return qrSolve(A, b, m, p);
}

/**
 * Least-squares solution of A x ≈ b (m ≥ p, row-major A) by Householder QR; A and b are overwritten.
 * @throws ComputationError when A is rank deficient
 */
export function qrSolve(A: Float64Array, b: Float64Array, m: number, p: number): Float64Array {
  householderQrInPlace(A, m, p, b);
  for (let j = 0; j < p; j++)
    if (A[j * p + j] === 0) throw new ComputationError('rank-deficient least-squares problem');
  return backSolveUpper(A, p, p, b);
}

/**
 * (JᵀJ)⁻¹ from the QR factor of J (row-major n×p Jacobian).
 * @throws ComputationError when J is rank deficient (parameters not identifiable)
 */
export function inverseNormalMatrix(J: Float64Array, n: number, p: number): number[][] {
  const R = Float64Array.from(J);
  householderQrInPlace(R, n, p);
  for (let j = 0; j < p; j++)
    if (Math.abs(R[j * p + j]!) < 1e-300)
      throw new ComputationError('singular Jacobian: parameters are not identifiable');
  const inv = inverseFromR(R, p, p);
  return Array.from({ length: p }, (_, i) => Array.from(inv.subarray(i * p, (i + 1) * p)));
}
