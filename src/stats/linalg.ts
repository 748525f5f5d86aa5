/**
 * The one home of dense linear algebra in src/stats. All matrices are ROW-MAJOR Float64Array (element
 * (i, j) of an m×p matrix at `i * ld + j`, leading dimension `ld`, usually p), factorised in place.
 *
 * - Cholesky A = L Lᵀ (lower L): {@link cholInPlace} (in place, tiled 2×2 for the lmm's dense Schur
 *   complements, returns false when not PD), {@link cholesky} (copying wrapper returning null, with the
 *   relative pivot tolerance R's coxph uses), solves {@link forwardSolve}, {@link backSolveT},
 *   {@link cholSolve}, {@link solveSymmetric}, inverses {@link cholInverse}, {@link invertSymmetric},
 *   {@link logDetFromChol}.
 * - Householder QR A = QR: {@link householderQrInPlace} (no pivoting; the caller decides what a
 *   negligible column means), triangular {@link backSolveUpper}, {@link upperTriangularInverse},
 *   {@link inverseFromR} ((RᵀR)⁻¹ = (AᵀA)⁻¹), and {@link aliasedColumns} (rank detection with R's
 *   LINPACK dqrdc2 limited pivoting, tol 1e-7, as lm()).
 * Sizes are small to moderate (p ≲ a few thousand): plain loops. Kernels do not throw; callers turn a
 * false/null/skipped column into the error their model needs.
 */

/**
 * In-place Cholesky factorisation of the leading k×k block of a symmetric positive-definite row-major
 * matrix `a` with leading dimension `ld`; the lower triangle becomes L (A = L Lᵀ), the strict upper
 * triangle is left untouched. Returns false when a pivot is ≤ `minPivot` (default 0), NaN or infinite
 * (matrix not numerically positive definite); `a` is then partly overwritten.
 * Left-looking (Cholesky–Banachiewicz) by pairs of columns, each inner loop forming a 2×2 tile of dot
 * products (rows i, i+1 against columns j, j+1): four independent sums per four loads, ≈3× the speed
 * of the one-dot-product loop for the dense Schur complements of crossed random effects (k ≈ 500).
 */
export function cholInPlace(a: Float64Array, k: number, ld: number, off = 0, minPivot = 0): boolean {
  let j = 0;
  for (; j + 1 < k; j += 2) {
    const rj = off + j * ld;
    const rj1 = rj + ld;
    let d0 = 0;
    let e0 = 0;
    let d1 = 0;
    for (let s = 0; s < j; s++) {
      const x = a[rj + s]!;
      const y = a[rj1 + s]!;
      d0 += x * x;
      e0 += y * x;
      d1 += y * y;
    }
    const djj = a[rj + j]! - d0;
    if (!(djj > minPivot) || djj === Infinity) return false;
    const l00 = Math.sqrt(djj);
    a[rj + j] = l00;
    const l10 = (a[rj1 + j]! - e0) / l00;
    a[rj1 + j] = l10;
    const dj1 = a[rj1 + j + 1]! - d1 - l10 * l10;
    if (!(dj1 > minPivot) || dj1 === Infinity) return false;
    const l11 = Math.sqrt(dj1);
    a[rj1 + j + 1] = l11;
    let i = j + 2;
    for (; i + 1 < k; i += 2) {
      const ri = off + i * ld;
      const ri1 = ri + ld;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let s = 0; s < j; s++) {
        const p = a[rj + s]!;
        const q = a[rj1 + s]!;
        const x = a[ri + s]!;
        const y = a[ri1 + s]!;
        s00 += x * p;
        s01 += x * q;
        s10 += y * p;
        s11 += y * q;
      }
      const u = (a[ri + j]! - s00) / l00;
      a[ri + j] = u;
      a[ri + j + 1] = (a[ri + j + 1]! - s01 - u * l10) / l11;
      const w = (a[ri1 + j]! - s10) / l00;
      a[ri1 + j] = w;
      a[ri1 + j + 1] = (a[ri1 + j + 1]! - s11 - w * l10) / l11;
    }
    if (i < k) {
      const ri = off + i * ld;
      let s00 = 0;
      let s01 = 0;
      for (let s = 0; s < j; s++) {
        const x = a[ri + s]!;
        s00 += x * a[rj + s]!;
        s01 += x * a[rj1 + s]!;
      }
      const u = (a[ri + j]! - s00) / l00;
      a[ri + j] = u;
      a[ri + j + 1] = (a[ri + j + 1]! - s01 - u * l10) / l11;
    }
  }
  if (j < k) {
    const rj = off + j * ld;
    let d = a[rj + j]!;
    for (let s = 0; s < j; s++) {
      const v = a[rj + s]!;
      d -= v * v;
    }
    if (!(d > minPivot) || d === Infinity) return false;
    a[rj + j] = Math.sqrt(d);
  }
  return true;
}

/** Solves L x = b in place (L lower triangular k×k, row-major with leading dimension ld, from offset off). */
export function forwardSolve(L: Float64Array, k: number, ld: number, b: Float64Array, off = 0): void {
  for (let i = 0; i < k; i++) {
    let v = b[i]!;
    for (let s = 0; s < i; s++) v -= L[off + i * ld + s]! * b[s]!;
    b[i] = v / L[off + i * ld + i]!;
  }
}

/** Solves Lᵀ x = b in place (L lower triangular k×k, row-major with leading dimension ld, from offset off). */
export function backSolveT(L: Float64Array, k: number, ld: number, b: Float64Array, off = 0): void {
  for (let i = k - 1; i >= 0; i--) {
    let v = b[i]!;
    for (let s = i + 1; s < k; s++) v -= L[off + s * ld + i]! * b[s]!;
    b[i] = v / L[off + i * ld + i]!;
  }
}

/** (L Lᵀ)⁻¹ for a lower-triangular k×k L (row-major, leading dimension ld); returns a k×k matrix. */
export function cholInverse(L: Float64Array, k: number, ld: number, off = 0): Float64Array {
  const out = new Float64Array(k * k);
  const e = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    e.fill(0);
    e[c] = 1;
    forwardSolve(L, k, ld, e, off);
    backSolveT(L, k, ld, e, off);
    for (let r = 0; r < k; r++) out[r * k + c] = e[r]!;
  }
  return out;
}

/**
 * Cholesky factor L (lower, row-major n×n, strict upper triangle zero) of the symmetric matrix a, or
 * null when a pivot is ≤ tol·max|diag| or not finite (not numerically positive definite).
 * `a` is not modified. Default tol ε^0.75 is R coxph's `toler.chol` (survival::coxph.control).
 */
export function cholesky(
  a: Float64Array,
  n: number,
  tol = Math.pow(Number.EPSILON, 0.75),
): Float64Array | null {
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(a[i * n + i]!));
  const l = Float64Array.from(a.subarray(0, n * n));
  if (!cholInPlace(l, n, n, 0, tol * maxDiag)) return null;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) l[i * n + j] = 0;
  return l;
}

/** Solves L Lᵀ x = b for the Cholesky factor L (row-major n×n); returns a new x, b is unchanged. */
export function cholSolve(l: Float64Array, b: ArrayLike<number>, n: number): Float64Array {
  const y = Float64Array.from({ length: n }, (_, i) => b[i]!);
  forwardSolve(l, n, n, y);
  backSolveT(l, n, n, y);
  return y;
}

/** Solves the symmetric positive-definite system a x = b (row-major n×n), or null if a is not PD. */
export function solveSymmetric(a: Float64Array, b: ArrayLike<number>, n: number): Float64Array | null {
  const l = cholesky(a, n);
  return l === null ? null : cholSolve(l, b, n);
}

/**
 * Inverse of the symmetric positive-definite matrix a (row-major n×n), symmetrised against rounding,
 * or null if a is not PD (pivot tolerance as {@link cholesky}).
 */
export function invertSymmetric(a: Float64Array, n: number): Float64Array | null {
  const l = cholesky(a, n);
  if (l === null) return null;
  const inv = cholInverse(l, n, n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const m = 0.5 * (inv[i * n + j]! + inv[j * n + i]!);
      inv[i * n + j] = m;
      inv[j * n + i] = m;
    }
  }
  return inv;
}

/** log det A of a symmetric PD matrix A = L Lᵀ from its Cholesky factor L (row-major n×n). */
export function logDetFromChol(l: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(l[i * n + i]!);
  return 2 * s;
}

/**
 * Householder QR of the row-major m×p matrix A (m ≥ p) in place, without pivoting: on return the upper
 * triangle of A holds R (diagonal r_jj = −sign(a_jj)·‖a_j‖, the sign convention of LINPACK dqrdc2 and so
 * of R's qr()), the strict lower triangle is zeroed. The same reflections are applied to `rhs` (length m)
 * when given, which becomes Qᵀ rhs (R's qr.qty, "effects").
 * Column j is skipped (left as is, reported in the result) when `negligible(j, norm)` is true for the
 * norm of its part on and below the diagonal; default: norm 0.
 * @returns indices of skipped columns (empty for full column rank)
 * Source: Golub & Van Loan, Matrix Computations (4th ed.) §5.2.2.
 */
export function householderQrInPlace(
  A: Float64Array,
  m: number,
  p: number,
  rhs: Float64Array | null = null,
  negligible: (j: number, norm: number) => boolean = (_j, norm) => norm === 0,
): number[] {
  const skipped: number[] = [];
  for (let j = 0; j < p; j++) {
    let norm = 0;
    for (let i = j; i < m; i++) norm += A[i * p + j]! ** 2;
    norm = Math.sqrt(norm);
    if (negligible(j, norm)) {
      skipped.push(j);
      continue;
    }
    const alpha = A[j * p + j]! > 0 ? -norm : norm;
    // v = a_j − alpha e_j: v_j kept apart, the rest stored in place below the diagonal
    const v0 = A[j * p + j]! - alpha;
    let vnorm2 = v0 * v0;
    for (let i = j + 1; i < m; i++) vnorm2 += A[i * p + j]! ** 2;
    if (vnorm2 === 0) {
      skipped.push(j);
      continue;
    }
    for (let k = j + 1; k < p; k++) {
      let dot = v0 * A[j * p + k]!;
      for (let i = j + 1; i < m; i++) dot += A[i * p + j]! * A[i * p + k]!;
      const f = (2 * dot) / vnorm2;
      A[j * p + k] = A[j * p + k]! - f * v0;
      for (let i = j + 1; i < m; i++) A[i * p + k] = A[i * p + k]! - f * A[i * p + j]!;
    }
    if (rhs !== null) {
      let dot = v0 * rhs[j]!;
      for (let i = j + 1; i < m; i++) dot += A[i * p + j]! * rhs[i]!;
      const f = (2 * dot) / vnorm2;
      rhs[j] = rhs[j]! - f * v0;
      for (let i = j + 1; i < m; i++) rhs[i] = rhs[i]! - f * A[i * p + j]!;
    }
    A[j * p + j] = alpha;
    for (let i = j + 1; i < m; i++) A[i * p + j] = 0;
  }
  return skipped;
}

/**
 * Solves R x = b for the upper-triangular p×p R stored in the upper triangle of a row-major matrix with
 * leading dimension ld (e.g. the factor left by {@link householderQrInPlace}); returns a new x.
 * A zero diagonal gives ±Infinity/NaN: check the diagonal first where that matters.
 */
export function backSolveUpper(R: Float64Array, p: number, ld: number, b: ArrayLike<number>): Float64Array {
  const x = new Float64Array(p);
  for (let j = p - 1; j >= 0; j--) {
    let s = b[j]!;
    for (let k = j + 1; k < p; k++) s -= R[j * ld + k]! * x[k]!;
    x[j] = s / R[j * ld + j]!;
  }
  return x;
}

/** R⁻¹ (upper triangular, row-major p×p) of the upper-triangular R (row-major, leading dimension ld). */
export function upperTriangularInverse(R: Float64Array, p: number, ld: number): Float64Array {
  const Ri = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    Ri[j * p + j] = 1 / R[j * ld + j]!;
    for (let i = j - 1; i >= 0; i--) {
      let s = 0;
      for (let k = i + 1; k <= j; k++) s += R[i * ld + k]! * Ri[k * p + j]!;
      Ri[i * p + j] = -s / R[i * ld + i]!;
    }
  }
  return Ri;
}

/**
 * (RᵀR)⁻¹ = R⁻¹R⁻ᵀ as a row-major p×p matrix, for the upper-triangular R of a QR of A (so (AᵀA)⁻¹, the
 * unscaled covariance of least squares, R's chol2inv(qr.R(qr(A)))). R row-major with leading dimension ld.
 */
export function inverseFromR(R: Float64Array, p: number, ld: number): Float64Array {
  const Ri = upperTriangularInverse(R, p, ld);
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = Math.max(i, j); k < p; k++) s += Ri[i * p + k]! * Ri[j * p + k]!;
      out[i * p + j] = s;
    }
  }
  return out;
}

/**
 * Indices of columns that are linearly dependent on earlier columns, by Householder QR with R's
 * limited pivoting (LINPACK dqrdc2, tol 1e-7 relative to the column's original norm), as lm() and
 * lme4's chkRank.drop.cols use it: a column whose norm orthogonal to the kept columns falls below
 * tol·(its original norm) is aliased (dqrdc2 moves it to the end; the kept order is R's qr()$pivot).
 * Columns are given as arrays (column-major), each of length n. Left-looking, column by column, with
 * the remaining norm computed exactly (dqrdc2 down-dates it), so a column lying within rounding of the
 * threshold could be classed differently from R.
 * Source: R src/appl/dqrdc2.f; stats::lm.fit.
 */
export function aliasedColumns(cols: Float64Array[], tol = 1e-7): number[] {
  const n = cols[0]?.length ?? 0;
  const norms0 = cols.map((c) => Math.sqrt(dot(c, c)));
  // Householder vectors, each stored in the copy of the column it came from (one copy per kept
  // column, made when the column is reached: at most p + 1 columns of n at a time).
  const kept: Float64Array[] = [];
  const keptStart: number[] = [];
  const aliased: number[] = [];
  for (let j = 0; j < cols.length; j++) {
    const v = Float64Array.from(cols[j]!);
    // apply previous reflections
    for (let k = 0; k < kept.length; k++) {
      const h = kept[k]!;
      const s = keptStart[k]!;
      let d = 0;
      for (let i = s; i < n; i++) d += h[i]! * v[i]!;
      for (let i = s; i < n; i++) v[i]! -= 2 * d * h[i]!;
    }
    const s = kept.length;
    let rem = 0;
    for (let i = s; i < n; i++) rem += v[i]! * v[i]!;
    rem = Math.sqrt(rem);
    if (norms0[j] === 0 || rem < tol * norms0[j]! || s >= n) {
      aliased.push(j);
      continue;
    }
    // The reflector h (zero above s; only its entries from s on are ever read) overwrites v.
    const alpha = v[s]! >= 0 ? -rem : rem;
    v[s] = v[s]! - alpha;
    let hh = 0;
    for (let i = s; i < n; i++) hh += v[i]! * v[i]!;
    const hn = Math.sqrt(hh);
    for (let i = s; i < n; i++) v[i]! /= hn;
    kept.push(v);
    keptStart.push(s);
  }
  return aliased;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
