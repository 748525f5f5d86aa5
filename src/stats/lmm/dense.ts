/**
 * Small dense linear-algebra kernels for the mixed-model code (row-major Float64Array matrices).
 * Sizes here are small to moderate (p, q₂ ≲ a few thousand): plain loops, the Cholesky tiled 2×2.
 */

/**
 * In-place Cholesky factorisation of the leading k×k block of a symmetric positive-definite row-major
 * matrix `a` with leading dimension `ld`; the lower triangle becomes L (A = L Lᵀ), the strict upper
 * triangle is left untouched. Returns false when a pivot is not positive (matrix not PD).
 * Left-looking (Cholesky–Banachiewicz) by pairs of columns, each inner loop forming a 2×2 tile of dot
 * products (rows i, i+1 against columns j, j+1): four independent sums per four loads, ≈3× the speed
 * of the one-dot-product loop for the dense Schur complements of crossed random effects (k ≈ 500).
 */
export function cholInPlace(a: Float64Array, k: number, ld: number, off = 0): boolean {
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
    if (!(djj > 0)) return false;
    const l00 = Math.sqrt(djj);
    a[rj + j] = l00;
    const l10 = (a[rj1 + j]! - e0) / l00;
    a[rj1 + j] = l10;
    const dj1 = a[rj1 + j + 1]! - d1 - l10 * l10;
    if (!(dj1 > 0)) return false;
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
    if (!(d > 0)) return false;
    a[rj + j] = Math.sqrt(d);
  }
  return true;
}

/** Solves L x = b in place (L lower triangular k×k, row-major with leading dimension ld). */
export function forwardSolve(L: Float64Array, k: number, ld: number, b: Float64Array, off = 0): void {
  for (let i = 0; i < k; i++) {
    let v = b[i]!;
    for (let s = 0; s < i; s++) v -= L[off + i * ld + s]! * b[s]!;
    b[i] = v / L[off + i * ld + i]!;
  }
}

/** Solves Lᵀ x = b in place (L lower triangular k×k). */
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
