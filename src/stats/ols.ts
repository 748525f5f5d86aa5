/**
 * Ordinary least squares by Householder QR, with the quantities R's `summary(lm(y ~ X))` reports:
 * coefficients, standard errors, t and p, residual standard error, R² and adjusted R², and the
 * covariance of the coefficients. Pure computation, no I/O.
 */
import { ComputationError, InputError } from '../errors.js';
import { tQuantileDf, tTwoSidedP } from './distributions.js';
import { backSolveUpper, householderQrInPlace, inverseFromR } from './linalg.js';

/** Result of {@link ols}. Coefficient arrays follow the columns of X. */
export interface OlsFit {
  n: number;
  p: number;
  coefficients: number[];
  se: number[];
  tValue: number[];
  pValue: number[];
  /** Var(β̂) = σ̂²(XᵀX)⁻¹, p × p. */
  covariance: number[][];
  /** σ̂ = √(RSS / (n − p)) (R's "Residual standard error"). */
  residualSe: number;
  dfResidual: number;
  rss: number;
  /** R² as `summary.lm`: centred when the model has an intercept, uncentred otherwise. */
  rSquared: number;
  adjRSquared: number;
  hasIntercept: boolean;
  fitted: number[];
  residuals: number[];
}

/** Options of {@link ols}. */
export interface OlsOptions {
  /** Whether X contains an intercept (for R²). Default: true when some column is all ones. */
  hasIntercept?: boolean;
}

/**
 * Fits y = Xβ + ε by least squares through a Householder QR decomposition of X.
 *
 * @param X n × p design matrix (rows = observations), e.g. [1, x, x', x''] per row
 * @param y n responses
 * @returns estimates as R's `summary(lm(y ~ 0 + X))` (with R² centred when X has an intercept column)
 * @throws InputError on ragged X, length mismatch, non-finite values or n ≤ p
 * @throws ComputationError when X is rank-deficient (R would alias a column; we refuse)
 */
export function ols(
  X: readonly (readonly number[])[],
  y: readonly number[],
  options: OlsOptions = {},
): OlsFit {
  const n = X.length;
  if (n !== y.length) throw new InputError('X and y differ in length', { value: [n, y.length] });
  if (n === 0) throw new InputError('no observations for least squares');
  const p = X[0]!.length;
  if (p === 0) throw new InputError('design matrix has no columns');
  for (let i = 0; i < n; i++) {
    const row = X[i]!;
    if (row.length !== p) throw new InputError('ragged design matrix', { row: i + 1, value: row.length });
    for (const v of row)
      if (!Number.isFinite(v)) throw new InputError('non-finite design value', { row: i + 1, value: v });
    if (!Number.isFinite(y[i]!)) throw new InputError('non-finite response', { row: i + 1, value: y[i] });
  }
  if (n <= p) throw new InputError(`least squares needs more observations (${n}) than coefficients (${p})`);

  // Row-major copy for the Householder QR; a column is rank-deficient when its part orthogonal to the
  // earlier columns is below 1e-10 of its norm.
  const A = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) A[i * p + j] = X[i]![j]!;
  const colNorm0 = Array.from({ length: p }, (_, j) => Math.hypot(...X.map((r) => r[j]!)));
  const qty = Float64Array.from(y);
  const skipped = householderQrInPlace(
    A,
    n,
    p,
    qty,
    (j, norm) => norm <= 1e-10 * Math.max(colNorm0[j]!, 1e-300),
  );
  if (skipped.length > 0)
    throw new ComputationError(`design matrix is rank-deficient at column ${skipped[0]! + 1}`);
  const beta = Array.from(backSolveUpper(A, p, p, qty));
  const xtxInv = inverseFromR(A, p, p);
  const fitted = X.map((r) => r.reduce((s, v, j) => s + v * beta[j]!, 0));
  const residuals = y.map((v, i) => v - fitted[i]!);
  const rss = residuals.reduce((s, r) => s + r * r, 0);
  const dfResidual = n - p;
  const sigma2 = rss / dfResidual;
  const covariance: number[][] = Array.from({ length: p }, (_, i) =>
    Array.from({ length: p }, (_, j) => xtxInv[i * p + j]! * sigma2),
  );
  const se = covariance.map((r, i) => Math.sqrt(r[i]!));
  const tValue = beta.map((b, i) => b / se[i]!);
  const pValue = tValue.map((t) => tTwoSidedP(t, dfResidual));
  const hasIntercept =
    options.hasIntercept ?? Array.from({ length: p }, (_, j) => j).some((j) => X.every((r) => r[j] === 1));
  let mss: number;
  if (hasIntercept) {
    const mf = fitted.reduce((s, v) => s + v, 0) / n;
    mss = fitted.reduce((s, v) => s + (v - mf) ** 2, 0);
  } else {
    mss = fitted.reduce((s, v) => s + v * v, 0);
  }
  const rSquared = mss / (mss + rss);
  const dfInt = hasIntercept ? 1 : 0;
  const adjRSquared = 1 - (1 - rSquared) * ((n - dfInt) / dfResidual);
  return {
    n,
    p,
    coefficients: beta,
    se,
    tValue,
    pValue,
    covariance,
    residualSe: Math.sqrt(sigma2),
    dfResidual,
    rss,
    rSquared,
    adjRSquared,
    hasIntercept,
    fitted,
    residuals,
  };
}

/** Fitted mean at design row `x0` with its standard error and t-based confidence interval. */
export interface OlsPrediction {
  estimate: number;
  se: number;
  lower: number;
  upper: number;
}

/**
 * Prediction of the mean response at a design row, as R's `predict(lm, newdata, interval = "confidence")`.
 *
 * @param fit an {@link ols} fit
 * @param x0 design row (same columns as the fit)
 * @param level confidence level (default 0.95)
 */
export function olsPredict(fit: OlsFit, x0: readonly number[], level = 0.95): OlsPrediction {
  if (x0.length !== fit.p)
    throw new InputError('prediction row has the wrong number of columns', { value: x0.length });
  const estimate = x0.reduce((s, v, j) => s + v * fit.coefficients[j]!, 0);
  let v = 0;
  for (let i = 0; i < fit.p; i++)
    for (let j = 0; j < fit.p; j++) v += x0[i]! * fit.covariance[i]![j]! * x0[j]!;
  const se = Math.sqrt(v);
  const q = tQuantileDf(1 - (1 - level) / 2, fit.dfResidual);
  return { estimate, se, lower: estimate - q * se, upper: estimate + q * se };
}
