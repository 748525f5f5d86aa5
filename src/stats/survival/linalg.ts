/**
 * Small dense symmetric linear algebra for the survival models (p × p with p ≲ 100), row-major
 * Float64Array storage. Kernels return null instead of throwing.
 */

/**
 * Cholesky factor L (lower, row-major) of the symmetric matrix a (n × n), or null when a pivot is
 * ≤ tol·max|diag| (not numerically positive definite; R coxph's `toler.chol` = ε^0.75 by default).
 */
export function cholesky(
  a: Float64Array,
  n: number,
  tol = Math.pow(Number.EPSILON, 0.75),
): Float64Array | null {
  const l = new Float64Array(n * n);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(a[i * n + i]!));
  const eps = tol * maxDiag;
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= l[j * n + k]! * l[j * n + k]!;
    if (!(d > eps) || !Number.isFinite(d)) return null;
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let x = a[i * n + j]!;
      for (let k = 0; k < j; k++) x -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = x / ljj;
    }
  }
  return l;
}

/** Solves L Lᵀ x = b for the Cholesky factor L (n × n). */
export function cholSolve(l: Float64Array, b: ArrayLike<number>, n: number): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let x = b[i]!;
    for (let k = 0; k < i; k++) x -= l[i * n + k]! * y[k]!;
    y[i] = x / l[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let x = y[i]!;
    for (let k = i + 1; k < n; k++) x -= l[k * n + i]! * y[k]!;
    y[i] = x / l[i * n + i]!;
  }
  return y;
}

/** Solves the symmetric positive-definite system a x = b (n × n), or null if a is not PD. */
export function solveSymmetric(a: Float64Array, b: ArrayLike<number>, n: number): Float64Array | null {
  const l = cholesky(a, n);
  return l === null ? null : cholSolve(l, b, n);
}

/** Inverse of the symmetric positive-definite matrix a (n × n), or null if a is not PD. */
export function invertSymmetric(a: Float64Array, n: number): Float64Array | null {
  const l = cholesky(a, n);
  if (l === null) return null;
  const inv = new Float64Array(n * n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e.fill(0);
    e[j] = 1;
    const col = cholSolve(l, e, n);
    for (let i = 0; i < n; i++) inv[i * n + j] = col[i]!;
  }
  // symmetrise against rounding
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const m = 0.5 * (inv[i * n + j]! + inv[j * n + i]!);
      inv[i * n + j] = m;
      inv[j * n + i] = m;
    }
  }
  return inv;
}

/** log-determinant of a symmetric PD matrix from its Cholesky factor. */
export function logDetFromChol(l: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(l[i * n + i]!);
  return 2 * s;
}
