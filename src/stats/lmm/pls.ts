/**
 * Penalised least-squares (PLS) evaluation of lme4's profiled deviance / REML criterion at θ (Bates,
 * Mächler, Bolker & Walker 2015, JSS 67(1) §3, eqs. for `profiledDeviance` and `REMLprofiled`;
 * docs/references/statistics.md §1): the Cholesky factor of
 *   [Λᵀ Zᵀ Z Λ + I   Λᵀ Zᵀ X   Λᵀ Zᵀ y]
 *   [      ·           Xᵀ X      Xᵀ y  ]
 *   [      ·             ·       yᵀ y  ]
 * gives log|L_θ|², log|R_X|² and the penalised RSS.
 *
 * Sparse blocked algorithm (lme4 factorises with CHOLMOD and a fill-reducing ordering; this is the
 * same factorisation written for the structure of random-effects models). The θ-independent
 * cross-products Zᵀ Z, Zᵀ W and Wᵀ W are formed once per model frame (src/stats/lmm/pls-system.ts,
 * which also chooses the elimination order); each evaluation only scales them by Λ(θ) and factorises:
 *  1. Wᵀ W scaled by Λ₂ (the crossed terms' factor) plus I on the crossed part: M (m×m, m = q₂ + p + 1).
 *  2. Per level b of the blocking factor: L_b L_bᵀ = Λ_bᵀ Zᵀ Z_b Λ_b + I (dense s_b×s_b), C_b = L_b⁻¹ Λ_bᵀ
 *     (Zᵀ W)_b Λ₂ on the n_b W columns that block's rows use, and the Schur update M −= C_bᵀ C_b
 *     scattered onto those columns (cost s_b·n_b², summed over blocks ≈ Σ_b nnz_b²).
 *     Blocks of one intercept column with equal Σz² share the weight of their update, which is then
 *     pre-summed once per model frame and subtracted as one m×m matrix (balanced designs).
 *  3. Dense Cholesky of M (its leading q₂ block completes L_θ, then R_X, then the last row gives
 *     ‖l‖² with pwrss = yᵀy − ‖l‖²).
 * The cost per evaluation is independent of n except for the optional residual pass below.
 */
import { ComputationError } from '../../errors.js';
import { backSolveT, cholInPlace, cholInverse, forwardSolve } from '../linalg.js';
import type { PlsSystem } from './pls-system.js';
import { templateOf } from './re-terms.js';

export { buildReTerms, templateOf, thetaLayout, type ReTerm } from './re-terms.js';
export { buildPlsSystem, type PlsSystem } from './pls-system.js';

/** Result of one PLS evaluation at θ. */
export interface PlsEval {
  /** log|L_θ|² (log-determinant of Λᵀ Zᵀ Z Λ + I). */
  ldL2: number;
  /** log|R_X|² (log-determinant of the Schur complement for X). */
  ldRX2: number;
  /** Penalised residual sum of squares ‖y − Xβ − ZΛu‖² + ‖u‖². */
  pwrss: number;
  /** Dense factor of the rest block (m×m, lower triangle). */
  M: Float64Array;
  /**
   * Per-block Cholesky factors L_b (offsets offSS) and solves C_b = L_b⁻¹ Λ_bᵀ (ZᵀW)_b Λ₂ on the
   * block's used W columns (s_b × n_b row-major, offsets offSC).
   */
  Ld: Float64Array;
  C: Float64Array;
}

/** Multiplies the dense-part column blocks of a row-major (rows×m) matrix on the right by Λ₂. */
function applyLambda2Right(sys: PlsSystem, Ts: Float64Array[], A: Float64Array, rows: number): void {
  const m = sys.m;
  for (const i of sys.denseTerms) {
    const t = sys.terms[i]!;
    const T = Ts[i]!;
    const pt = t.p;
    for (let l = 0; l < t.levels.length; l++) {
      const c0 = sys.denseOffset[i]! + l * pt;
      // in place: column c of the result only needs input columns ≥ c
      for (let r = 0; r < rows; r++) {
        const base = r * m + c0;
        for (let c = 0; c < pt; c++) {
          let v = 0;
          for (let k = c; k < pt; k++) v += A[base + k]! * T[k * pt + c]!;
          A[base + c] = v;
        }
      }
    }
  }
}

/** Multiplies the dense-part row blocks of the row-major m×m matrix A on the left by Λ₂ᵀ. */
function applyLambda2Left(sys: PlsSystem, Ts: Float64Array[], A: Float64Array): void {
  const m = sys.m;
  for (const i of sys.denseTerms) {
    const t = sys.terms[i]!;
    const T = Ts[i]!;
    const pt = t.p;
    for (let l = 0; l < t.levels.length; l++) {
      const r0 = (sys.denseOffset[i]! + l * pt) * m;
      // in place: row c of the result only needs input rows ≥ c
      for (let c = 0; c < pt; c++) {
        const rc = r0 + c * m;
        const tcc = T[c * pt + c]!;
        for (let j = 0; j < m; j++) A[rc + j]! *= tcc;
        for (let k = c + 1; k < pt; k++) {
          const tkc = T[k * pt + c]!;
          if (tkc === 0) continue;
          const rk = r0 + k * m;
          for (let j = 0; j < m; j++) A[rc + j]! += tkc * A[rk + j]!;
        }
      }
    }
  }
}

/**
 * Multiplies the used dense columns of a block's compressed rows (rows × nc, row-major at `off`) on the
 * right by Λ₂, run by run (a run is one level's p_t columns of a crossed term).
 */
function applyLambda2Runs(
  sys: PlsSystem,
  Ts: Float64Array[],
  A: Float64Array,
  off: number,
  rows: number,
  nc: number,
  c0: number,
): void {
  const { colRun, terms } = sys;
  for (let k = 0; k < nc; k++) {
    const ti = colRun[c0 + k]!;
    if (ti < 0) continue;
    const T = Ts[ti]!;
    const pt = terms[ti]!.p;
    if (pt === 1) {
      const s = T[0]!;
      for (let r = 0; r < rows; r++) A[off + r * nc + k]! *= s;
      continue;
    }
    for (let r = 0; r < rows; r++) {
      const base = off + r * nc + k;
      for (let c = 0; c < pt; c++) {
        let v = 0;
        for (let j = c; j < pt; j++) v += A[base + j]! * T[j * pt + c]!;
        A[base + c] = v;
      }
    }
  }
}

/**
 * Evaluates the PLS problem at θ (lme4 order): log|L|², log|R_X|², penalised RSS and the factors.
 * With exactPwrss (default) the penalised RSS is recomputed from the residuals (one O(n) pass);
 * without it, it comes from the factor (cheaper, rounding noise ~1e-14 relative: fine for a coarse search).
 * The returned factors live in sys.work: they are valid until the next evaluation on the same system.
 * @throws ComputationError when the fixed-effects Schur complement is not positive definite
 */
export function evaluatePls(sys: PlsSystem, theta: ArrayLike<number>, exactPwrss = true): PlsEval {
  const { m, nb, q2 } = sys;
  const Ts = sys.terms.map((t) => templateOf(t, theta));
  // M = Λwᵀ WᵀW Λw + diag(I_q2, 0); Λw = diag(Λ₂, I)
  const { M, Ld, C, tmp } = sys.work;
  M.set(sys.wtw);
  // pre-summed Schur updates of classes of intercept-only blocks (pls-system.ts presumClasses), before
  // the Λw scaling they share with Wᵀ W
  for (const cl of sys.classes) {
    const lam = Ts[cl.term]![0]!;
    const w = (lam * lam) / (lam * lam * cl.d + 1);
    if (w === 0) continue;
    const S = cl.S;
    for (let k = 0; k < M.length; k++) M[k]! -= w * S[k]!;
  }
  if (q2 > 0) {
    applyLambda2Right(sys, Ts, M, m);
    applyLambda2Left(sys, Ts, M);
    for (let k = 0; k < q2; k++) M[k * m + k]! += 1;
  }
  let ldL2 = 0;
  for (let b = 0; b < nb; b++) ldL2 += factorBlock(sys, Ts, b, M, Ld, C, tmp);
  if (!cholInPlace(M, m - 1, m)) {
    throw new ComputationError(
      'the fixed-effects cross-product is not positive definite (rank-deficient X?)',
    );
  }
  // last row: l = L⁻¹ r ; pwrss = yᵀy − ‖l‖²
  const lastRow = M.subarray((m - 1) * m, m * m - 1);
  forwardSolve(M, m - 1, m, lastRow);
  let ll = 0;
  for (let c = 0; c < m - 1; c++) ll += lastRow[c]! * lastRow[c]!;
  const pwrss = M[m * m - 1]! - ll;
  M[m * m - 1] = Math.sqrt(Math.max(pwrss, 0));
  for (let k = 0; k < q2; k++) ldL2 += 2 * Math.log(M[k * m + k]!);
  let ldRX2 = 0;
  for (let k = q2; k < m - 1; k++) ldRX2 += 2 * Math.log(M[k * m + k]!);
  const ev: PlsEval = { ldL2, ldRX2, pwrss, M, Ld, C };
  // The factor's last diagonal gives pwrss as yᵀy − ‖l‖², which cancels badly when ‖y‖ ≫ residuals;
  // recompute it from the residuals and ‖u‖² (as lme4 does) so the objective is smooth to ~1e-15.
  if (exactPwrss) ev.pwrss = residualPwrss(sys, ev, theta);
  return ev;
}

/**
 * Step 2 of the module doc for block b: factorises L_b, forms C_b and subtracts C_bᵀ C_b from the
 * lower triangle of M on the block's used columns. Returns log|L_b|².
 * @throws ComputationError when the block is not positive definite
 */
function factorBlock(
  sys: PlsSystem,
  Ts: Float64Array[],
  b: number,
  M: Float64Array,
  Ld: Float64Array,
  C: Float64Array,
  tmp: Float64Array,
): number {
  const { m, segPtr, segTerm, segPos, terms, cols } = sys;
  const zdtzd = sys.zdtzd;
  const G = sys.g;
  const sb = sys.blockSize[b]!;
  const zoff = sys.offSS[b]!;
  const coff = sys.offSC[b]!;
  const c0 = sys.colPtr[b]!;
  const nc = sys.colPtr[b + 1]! - c0;
  const s0 = segPtr[b]!;
  const s1 = segPtr[b + 1]!;
  // tmp = ZᵀZ_b Λ_b (columns of each segment mixed by its T)
  for (let a = 0; a < sb; a++) {
    for (let sg = s0; sg < s1; sg++) {
      const T = Ts[segTerm[sg]!]!;
      const pt = terms[segTerm[sg]!]!.p;
      const pos = segPos[sg]!;
      for (let c = 0; c < pt; c++) {
        let v = 0;
        for (let k = c; k < pt; k++) v += zdtzd[zoff + a * sb + pos + k]! * T[k * pt + c]!;
        tmp[a * sb + pos + c] = v;
      }
    }
  }
  // Ld_b = Λ_bᵀ tmp + I (lower triangle), then Cholesky in place
  for (let sg = s0; sg < s1; sg++) {
    const T = Ts[segTerm[sg]!]!;
    const pt = terms[segTerm[sg]!]!.p;
    const pos = segPos[sg]!;
    for (let c = 0; c < pt; c++) {
      const row = pos + c;
      for (let col = 0; col <= row; col++) {
        let v = row === col ? 1 : 0;
        for (let k = c; k < pt; k++) v += T[k * pt + c]! * tmp[(pos + k) * sb + col]!;
        Ld[zoff + row * sb + col] = v;
      }
    }
  }
  if (!cholInPlace(Ld, sb, sb, zoff))
    throw new ComputationError('random-effects system is not positive definite');
  let ld = 0;
  for (let a = 0; a < sb; a++) ld += 2 * Math.log(Ld[zoff + a * sb + a]!);
  // C_b = Λ_bᵀ G_b, then Λ₂ on the right, then L_b⁻¹ (forward substitution in place; kept apart from
  // linalg.forwardSolve: all nc right-hand sides at once, row-wise, skipping zero entries of L_b)
  for (let sg = s0; sg < s1; sg++) {
    const T = Ts[segTerm[sg]!]!;
    const pt = terms[segTerm[sg]!]!.p;
    const pos = segPos[sg]!;
    for (let c = 0; c < pt; c++) {
      const row = coff + (pos + c) * nc;
      for (let col = 0; col < nc; col++) {
        let v = 0;
        for (let k = c; k < pt; k++) v += T[k * pt + c]! * G[coff + (pos + k) * nc + col]!;
        C[row + col] = v;
      }
    }
  }
  if (nc > sys.p + 1) applyLambda2Runs(sys, Ts, C, coff, sb, nc, c0);
  for (let a = 0; a < sb; a++) {
    const row = coff + a * nc;
    for (let s2 = 0; s2 < a; s2++) {
      const las = Ld[zoff + a * sb + s2]!;
      if (las === 0) continue;
      const srow = coff + s2 * nc;
      for (let c = 0; c < nc; c++) C[row + c]! -= las * C[srow + c]!;
    }
    const laa = Ld[zoff + a * sb + a]!;
    for (let c = 0; c < nc; c++) C[row + c]! /= laa;
  }
  // M −= C_bᵀ C_b on the used columns (ascending, so the lower triangle maps to the lower triangle)
  if (sys.blockClass[b]! >= 0) return ld; // pre-summed in evaluatePls
  for (let a = 0; a < sb; a++) {
    const row = coff + a * nc;
    for (let r = 0; r < nc; r++) {
      const v = C[row + r]!;
      if (v === 0) continue;
      const mr = cols[c0 + r]! * m;
      for (let c = 0; c <= r; c++) M[mr + cols[c0 + c]!]! -= v * C[row + c]!;
    }
  }
  return ld;
}

/** ‖y − Xβ̂ − ZΛû‖² + ‖û‖² at θ from an evaluation's factors. */
export function residualPwrss(sys: PlsSystem, ev: PlsEval, theta: ArrayLike<number>): number {
  const sol = plsSolution(sys, ev, theta, true);
  const { X, y, p, n } = sys;
  // column-wise passes keep the inner loops tight (n can be 10⁵–10⁶)
  const r = sys.work.r;
  r.set(y);
  for (let c = 0; c < p; c++) {
    const bc = sol.beta[c]!;
    if (bc === 0) continue;
    for (let i = 0, k = c; i < n; i++, k += p) r[i]! -= X[k]! * bc;
  }
  for (let ti = 0; ti < sys.terms.length; ti++) {
    const t = sys.terms[ti]!;
    const b = sol.b[ti]!;
    const codes = t.codes;
    const pt = t.p;
    for (let c = 0; c < pt; c++) {
      const zc = t.z[c]!;
      for (let i = 0; i < n; i++) r[i]! -= zc[i]! * b[codes[i]! * pt + c]!;
    }
  }
  let rss = 0;
  for (let i = 0; i < n; i++) rss += r[i]! * r[i]!;
  let uu = 0;
  for (const u of sol.u) for (const v of u) uu += v * v;
  return rss + uu;
}

/** lme4's objective: REML criterion (reml) or ML deviance from a PLS evaluation. */
export function objective(sys: PlsSystem, ev: PlsEval, reml: boolean): number {
  const n = sys.n;
  if (reml) {
    const nmp = n - sys.p;
    return ev.ldL2 + ev.ldRX2 + nmp * (1 + Math.log((2 * Math.PI * ev.pwrss) / nmp));
  }
  return ev.ldL2 + n * (1 + Math.log((2 * Math.PI * ev.pwrss) / n));
}

/**
 * Solution of the PLS system: β, spherical u (per term, level-major) and b = Λu.
 * With reuse the arrays are sys.work's (valid until the next evaluation; for the residual pass).
 */
export function plsSolution(
  sys: PlsSystem,
  ev: PlsEval,
  theta: ArrayLike<number>,
  reuse = false,
): { beta: Float64Array; u: Float64Array[]; b: Float64Array[] } {
  const { m, q2, p, nb } = sys;
  const M = ev.M;
  const k = m - 1;
  const x = reuse ? sys.work.x : new Float64Array(k);
  for (let c = 0; c < k; c++) x[c] = M[(m - 1) * m + c]!;
  backSolveT(M, k, m, x);
  const beta = reuse ? x.subarray(q2, q2 + p) : x.slice(q2, q2 + p);
  const u: Float64Array[] = reuse
    ? sys.work.u
    : sys.terms.map((t) => new Float64Array(t.levels.length * t.p));
  for (const i of sys.denseTerms) {
    const t = sys.terms[i]!;
    u[i]!.set(x.subarray(sys.denseOffset[i], sys.denseOffset[i]! + t.levels.length * t.p));
  }
  let maxS = 0;
  for (const sb of sys.blockSize) maxS = Math.max(maxS, sb);
  const ud = new Float64Array(maxS);
  for (let b = 0; b < nb; b++) {
    const sb = sys.blockSize[b]!;
    const coff = sys.offSC[b]!;
    const c0 = sys.colPtr[b]!;
    const nc = sys.colPtr[b + 1]! - c0;
    for (let a = 0; a < sb; a++) {
      const row = coff + a * nc;
      let v = ev.C[row + nc - 1]!;
      for (let c = 0; c < nc - 1; c++) v -= ev.C[row + c]! * x[sys.cols[c0 + c]!]!;
      ud[a] = v;
    }
    backSolveT(ev.Ld, sb, sb, ud, sys.offSS[b]);
    for (let sg = sys.segPtr[b]!; sg < sys.segPtr[b + 1]!; sg++) {
      const ti = sys.segTerm[sg]!;
      const pt = sys.terms[ti]!.p;
      const l = sys.segLevel[sg]!;
      const pos = sys.segPos[sg]!;
      for (let c = 0; c < pt; c++) u[ti]![l * pt + c] = ud[pos + c]!;
    }
  }
  const bvals = sys.terms.map((t, i) => {
    const T = templateOf(t, theta);
    const out = reuse ? sys.work.b[i]! : new Float64Array(u[i]!.length);
    for (let l = 0; l < t.levels.length; l++) {
      for (let r = 0; r < t.p; r++) {
        let v = 0;
        for (let c = 0; c <= r; c++) v += T[r * t.p + c]! * u[i]![l * t.p + c]!;
        out[l * t.p + r] = v;
      }
    }
    return out;
  });
  return { beta, u, b: bvals };
}

/** (R_Xᵀ R_X)⁻¹ from a PLS evaluation (p×p row-major); Var(β̂) = σ² times this. */
export function unscaledVcov(sys: PlsSystem, ev: PlsEval): Float64Array {
  return cholInverse(ev.M, sys.p, sys.m, sys.q2 * sys.m + sys.q2);
}
