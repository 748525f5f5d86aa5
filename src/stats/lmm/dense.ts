/**
 * Dense helpers specific to the mixed-model code (row-major Float64Array matrices): symmetric eigen,
 * quadratic form, projection residuals, zapsmall. Cholesky and triangular solves live in
 * src/stats/linalg.ts.
 */

/**
 * Eigen-decomposition of a symmetric k×k matrix by cyclic Jacobi rotations.
 * @returns values sorted decreasing (as R's eigen) and vectors as columns of a row-major k×k matrix
 */
export function symEigen(a: ArrayLike<number>, k: number): { values: number[]; vectors: Float64Array } {
  const A = Float64Array.from(a);
  const V = new Float64Array(k * k);
  for (let i = 0; i < k; i++) V[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) off += A[i * k + j]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = A[p * k + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const app = A[p * k + p]!;
        const aqq = A[q * k + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < k; r++) {
          const arp = A[r * k + p]!;
          const arq = A[r * k + q]!;
          A[r * k + p] = c * arp - s * arq;
          A[r * k + q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = A[p * k + r]!;
          const aqr = A[q * k + r]!;
          A[p * k + r] = c * apr - s * aqr;
          A[q * k + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = V[r * k + p]!;
          const vrq = V[r * k + q]!;
          V[r * k + p] = c * vrp - s * vrq;
          V[r * k + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const order = Array.from({ length: k }, (_, i) => i).sort((x, y) => A[y * k + y]! - A[x * k + x]!);
  const vectors = new Float64Array(k * k);
  order.forEach((src, dst) => {
    for (let r = 0; r < k; r++) vectors[r * k + dst] = V[r * k + src]!;
  });
  return { values: order.map((i) => A[i * k + i]!), vectors };
}

/** xᵀ A x for a k×k row-major A. */
export function qform(x: ArrayLike<number>, A: ArrayLike<number>, k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) {
    let r = 0;
    for (let j = 0; j < k; j++) r += A[i * k + j]! * x[j]!;
    s += x[i]! * r;
  }
  return s;
}

/**
 * Residuals of the least-squares projection of each column of B (r×cb) on the column space of A (r×ca),
 * as R's resid(lm.fit(A, B)) (rank-deficient A allowed: dependent columns, tol 1e-7, are skipped).
 * Matrices are arrays of columns.
 */
export function projectionResidual(A: Float64Array[], B: Float64Array[]): Float64Array[] {
  const basis: Float64Array[] = [];
  for (const col of A) {
    const v = Float64Array.from(col);
    const n0 = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        let d = 0;
        for (let i = 0; i < v.length; i++) d += q[i]! * v[i]!;
        for (let i = 0; i < v.length; i++) v[i]! -= d * q[i]!;
      }
    }
    const nv = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    if (n0 === 0 || nv < 1e-7 * n0) continue;
    for (let i = 0; i < v.length; i++) v[i]! /= nv;
    basis.push(v);
  }
  return B.map((col) => {
    const v = Float64Array.from(col);
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        let d = 0;
        for (let i = 0; i < v.length; i++) d += q[i]! * v[i]!;
        for (let i = 0; i < v.length; i++) v[i]! -= d * q[i]!;
      }
    }
    return v;
  });
}

/** R's zapsmall(x, digits): rounds to `digits` significant digits relative to max |x| (default 7). */
export function zapsmall(x: Float64Array, digits = 7): Float64Array {
  let mx = 0;
  for (const v of x) if (Number.isFinite(v)) mx = Math.max(mx, Math.abs(v));
  const d = mx > 0 ? Math.max(0, digits - Math.ceil(Math.log10(mx))) : digits;
  const f = 10 ** d;
  return x.map((v) => Math.round(v * f) / f);
}
