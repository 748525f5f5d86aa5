/**
 * Random-effects structure and the penalised least-squares (PLS) evaluation of lme4's profiled
 * deviance / REML criterion (Bates, Mächler, Bolker & Walker 2015, JSS 67(1), eqs. for
 * `profiledDeviance` and `REMLprofiled`; docs/references/statistics.md §1).
 *
 * Blocked algorithm: a blocking factor B is chosen among the grouping factors; every random-effect
 * term whose grouping factor is nested in B (each of its levels occurs within one level of B, which
 * includes B itself) belongs to the "block part": Λᵀ Zᵀ Z Λ + I restricted to it is block diagonal with
 * one small dense block per level of B (e.g. a patient's intercept/slope, or a patient plus its
 * lesions for (1 | patient/lesion)), factorised block by block. The remaining (crossed) random effects,
 * the fixed effects and the response form a dense "rest" block W = [Z₂Λ₂ | X | y]; its Schur complement
 * is factorised densely, giving log|L|², log|R_X|² and the penalised RSS in one pass. B is chosen to
 * minimise the estimated flop count Σ_b s_b³ + (q₂ + p + 1)³. Cost per evaluation is then independent
 * of n after one O(n) setup (plus one O(n) residual pass for an exact penalised RSS).
 */
import { ComputationError, InputError } from '../../errors.js';
import type { ModelFrame } from '../design.js';
import { termBlocks } from '../design.js';
import { backSolveT, cholInPlace, cholInverse } from './dense.js';

/** One random-effects term `(lhs | group)` on the used rows, in lme4's term order. */
export interface ReTerm {
  /** Grouping factor label (`Subject`, `lesion:patient`). */
  group: string;
  /** Column names of the lhs model matrix (`(Intercept)`, `Days`). */
  cnms: string[];
  /** Number of columns p_i. */
  p: number;
  /** Grouping factor levels (as R sorts them). */
  levels: string[];
  /** Level code per used row. */
  codes: Int32Array;
  /** lhs columns (n each). */
  z: Float64Array[];
  /** Offset of this term's θ block in θ. */
  thetaOffset: number;
  /** Number of θ elements p(p+1)/2. */
  nTheta: number;
}

/** One random-effects term `(lhs | group)` on the used rows, in lme4's term order. */
export interface ReTerm {
  /** Grouping factor label (`Subject`, `lesion:patient`). */
  group: string;
  /** Column names of the lhs model matrix (`(Intercept)`, `Days`). */
  cnms: string[];
  /** Number of columns p_i. */
  p: number;
  /** Grouping factor levels (as R sorts them). */
  levels: string[];
  /** Level code per used row. */
  codes: Int32Array;
  /** lhs columns (n each). */
  z: Float64Array[];
  /** Offset of this term's θ block in θ. */
  thetaOffset: number;
  /** Number of θ elements p(p+1)/2. */
  nTheta: number;
}

/** Precomputed cross-products for the blocked PLS (depends on the data only, not on θ). */
export interface PlsSystem {
  n: number;
  p: number;
  terms: ReTerm[];
  /** Indices (into terms) of the block part and of the dense part. */
  blockTerms: number[];
  denseTerms: number[];
  /** Column offset of each dense term within Z₂ (−1 for block terms). */
  denseOffset: number[];
  /** Number of blocks (levels of the blocking factor) and block sizes s_b. */
  nb: number;
  blockSize: Int32Array;
  /** Offsets of block b in the flat s_b×s_b arrays, the s_b×m arrays and the s_b vectors. */
  offSS: Int32Array;
  offSM: Int32Array;
  offS: Int32Array;
  /** Segments of each block (CSR by block): term index, level and local start of a p_t-long run. */
  segPtr: Int32Array;
  segTerm: Int32Array;
  segLevel: Int32Array;
  segPos: Int32Array;
  /** Block of each used row and, per block term, the local position of the row's level (n × nBlockTerms). */
  rowBlock: Int32Array;
  rowPos: Int32Array;
  q2: number;
  m: number;
  /** Zᵀ Z per block (s_b² each). */
  zdtzd: Float64Array;
  /** Zᵀ W per block (s_b·m each). */
  g: Float64Array;
  /** Wᵀ W (m·m), W = [Z₂ | X | y]. */
  wtw: Float64Array;
  nTheta: number;
  /** Lower bounds of θ (0 for diagonal elements of each T_i, −∞ otherwise). */
  lower: number[];
  /** The data (row-major X n×p and y), kept to recompute the penalised RSS from residuals. */
  X: Float64Array;
  y: Float64Array;
}

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
  /** Per-block Cholesky factors L_b and solves C_b = L_b⁻¹ Λ_bᵀ G_b Λw (flat, offsets offSS/offSM). */
  Ld: Float64Array;
  C: Float64Array;
}

/**
 * Builds the random-effects terms from a model frame, in lme4's order (mkReTrms: terms reordered by
 * decreasing number of levels, `rev(order(nl))`, when any later term has more levels).
 * @throws InputError for a grouping factor with one level, a term with n ≤ q (more random effects than
 *   observations), or a grouping factor with as many levels as observations
 */
export function buildReTerms(mf: ModelFrame): ReTerm[] {
  const f = mf.formula;
  const raw = f.random.map((r) => {
    const g = mf.groups.get(r.groupLabel)!;
    const blocks = termBlocks(r.terms, r.intercept, mf.vars, mf.n);
    const cnms = blocks.flatMap((b) => b.names);
    const z = blocks.flatMap((b) => b.cols);
    if (cnms.length === 0) throw new InputError('random-effects term has no columns', { field: r.lhsText });
    return { group: r.groupLabel, cnms, p: cnms.length, levels: g.levels, codes: g.codes, z };
  });
  if (raw.length === 0) throw new InputError('formula has no random-effects term such as (1 | patient)');
  let ord = raw.map((_, i) => i);
  const nl = raw.map((r) => r.levels.length);
  if (nl.some((v, i) => i > 0 && v > nl[i - 1]!)) {
    // R: rev(order(nl)) — order() is stable ascending, rev() reverses ties too
    ord = [...ord].sort((a, b) => nl[a]! - nl[b]! || a - b).reverse();
  }
  let off = 0;
  return ord.map((i) => {
    const r = raw[i]!;
    if (r.levels.length < 2) {
      throw new InputError(`grouping factor must have more than one level (it has ${r.levels.length})`, {
        field: r.group,
        value: r.levels[0],
      });
    }
    if (r.levels.length >= mf.n) {
      throw new InputError(
        `number of levels of the grouping factor (${r.levels.length}) must be less than the number of observations (${mf.n})`,
        { field: r.group },
      );
    }
    const q = r.levels.length * r.p;
    if (mf.n <= q) {
      throw new InputError(
        `number of observations (${mf.n}) <= number of random effects (${q}) for term (${r.cnms.join(' + ')} | ${r.group}); the random-effects parameters and the residual variance are unidentifiable`,
        { field: r.group },
      );
    }
    const nTheta = (r.p * (r.p + 1)) / 2;
    const t: ReTerm = { ...r, thetaOffset: off, nTheta };
    off += nTheta;
    return t;
  });
}

/** θ lower bounds and start value as lme4 (diagonal ≥ 0 start 1; off-diagonal free start 0). */
export function thetaLayout(terms: ReTerm[]): { lower: number[]; start: number[] } {
  const lower: number[] = [];
  const start: number[] = [];
  for (const t of terms) {
    for (let c = 0; c < t.p; c++) {
      for (let r = c; r < t.p; r++) {
        lower.push(r === c ? 0 : -Infinity);
        start.push(r === c ? 1 : 0);
      }
    }
  }
  return { lower, start };
}

/** The p×p lower-triangular template T_i (row-major) of term `t` from θ (column-major lower triangle). */
export function templateOf(t: ReTerm, theta: ArrayLike<number>): Float64Array {
  const T = new Float64Array(t.p * t.p);
  let k = t.thetaOffset;
  for (let c = 0; c < t.p; c++) for (let r = c; r < t.p; r++) T[r * t.p + c] = theta[k++]!;
  return T;
}

/** Block of each level of `t` under blocking factor `B` (−1 when t is not nested in B). */
function nestingMap(t: ReTerm, B: ReTerm): Int32Array | null {
  const map = new Int32Array(t.levels.length).fill(-1);
  for (let i = 0; i < t.codes.length; i++) {
    const l = t.codes[i]!;
    const b = B.codes[i]!;
    if (map[l] === -1) map[l] = b;
    else if (map[l] !== b) return null;
  }
  return map;
}

/**
 * Precomputes the data cross-products of the blocked PLS.
 * @param terms random-effects terms (lme4 order); X row-major n×p; y length n
 */
export function buildPlsSystem(terms: ReTerm[], X: Float64Array, p: number, y: Float64Array): PlsSystem {
  const n = y.length;
  // choose the blocking factor by estimated cost
  let best: { B: number; maps: (Int32Array | null)[]; cost: number } | null = null;
  for (let cand = 0; cand < terms.length; cand++) {
    const B = terms[cand]!;
    if (terms.slice(0, cand).some((t) => t.group === B.group)) continue;
    const maps = terms.map((t) => nestingMap(t, B));
    const size = new Float64Array(B.levels.length);
    let q2 = 0;
    terms.forEach((t, i) => {
      const mp = maps[i];
      if (mp) for (let l = 0; l < t.levels.length; l++) size[mp[l]!]! += t.p;
      else q2 += t.p * t.levels.length;
    });
    const m = q2 + p + 1;
    let cost = m ** 3;
    for (const sb of size) cost += sb ** 3 + sb * sb * m + sb * m * m;
    if (!best || cost < best.cost) best = { B: cand, maps, cost };
  }
  const maps = best!.maps;
  const nb = terms[best!.B]!.levels.length;
  const blockTerms: number[] = [];
  const denseTerms: number[] = [];
  terms.forEach((_, i) => (maps[i] ? blockTerms : denseTerms).push(i));
  const denseOffset = terms.map(() => -1);
  let q2 = 0;
  for (const i of denseTerms) {
    denseOffset[i] = q2;
    q2 += terms[i]!.p * terms[i]!.levels.length;
  }
  const m = q2 + p + 1;
  // segments: per block, for each block term (in order), its levels in that block (ascending), p_t each
  const blockSize = new Int32Array(nb);
  const segCount = new Int32Array(nb);
  for (const i of blockTerms) {
    const mp = maps[i]!;
    for (let l = 0; l < mp.length; l++) {
      blockSize[mp[l]!]! += terms[i]!.p;
      segCount[mp[l]!]!++;
    }
  }
  const segPtr = new Int32Array(nb + 1);
  for (let b = 0; b < nb; b++) segPtr[b + 1] = segPtr[b]! + segCount[b]!;
  const nSeg = segPtr[nb]!;
  const segTerm = new Int32Array(nSeg);
  const segLevel = new Int32Array(nSeg);
  const segPos = new Int32Array(nSeg);
  const fill = Int32Array.from(segPtr.subarray(0, nb));
  const posFill = new Int32Array(nb);
  const levelPos: Int32Array[] = terms.map((t) => new Int32Array(t.levels.length).fill(-1));
  for (const i of blockTerms) {
    const mp = maps[i]!;
    for (let l = 0; l < mp.length; l++) {
      const b = mp[l]!;
      const k = fill[b]!++;
      segTerm[k] = i;
      segLevel[k] = l;
      segPos[k] = posFill[b]!;
      levelPos[i]![l] = posFill[b]!;
      posFill[b]! += terms[i]!.p;
    }
  }
  const offSS = new Int32Array(nb + 1);
  const offSM = new Int32Array(nb + 1);
  const offS = new Int32Array(nb + 1);
  for (let b = 0; b < nb; b++) {
    const sb = blockSize[b]!;
    offSS[b + 1] = offSS[b]! + sb * sb;
    offSM[b + 1] = offSM[b]! + sb * m;
    offS[b + 1] = offS[b]! + sb;
  }
  const nbt = blockTerms.length;
  const rowBlock = new Int32Array(n);
  const rowPos = new Int32Array(n * nbt);
  const Bt = terms[best!.B]!;
  for (let r = 0; r < n; r++) {
    rowBlock[r] = Bt.codes[r]!;
    blockTerms.forEach((i, k) => (rowPos[r * nbt + k] = levelPos[i]![terms[i]!.codes[r]!]!));
  }
  const zdtzd = new Float64Array(offSS[nb]!);
  const g = new Float64Array(offSM[nb]!);
  const wtw = new Float64Array(m * m);
  const P = blockTerms.reduce((s2, i) => s2 + terms[i]!.p, 0);
  const zd = new Float64Array(P);
  const zpos = new Int32Array(P);
  const wIdx = new Int32Array(denseTerms.reduce((s2, i) => s2 + terms[i]!.p, 0));
  const wVal = new Float64Array(wIdx.length);
  for (let r = 0; r < n; r++) {
    // block-part entries of the row: local positions and values
    let k = 0;
    blockTerms.forEach((i, bt) => {
      const t = terms[i]!;
      const pos = rowPos[r * nbt + bt]!;
      for (let c = 0; c < t.p; c++) {
        zpos[k] = pos + c;
        zd[k++] = t.z[c]![r]!;
      }
    });
    // sparse Z2 entries of the row
    let s2 = 0;
    for (const i of denseTerms) {
      const t = terms[i]!;
      const base = denseOffset[i]! + t.codes[r]! * t.p;
      for (let c = 0; c < t.p; c++) {
        wIdx[s2] = base + c;
        wVal[s2] = t.z[c]![r]!;
        s2++;
      }
    }
    const b = rowBlock[r]!;
    const sb = blockSize[b]!;
    const zoff = offSS[b]!;
    for (let a = 0; a < P; a++) {
      for (let c = 0; c < P; c++) zdtzd[zoff + zpos[a]! * sb + zpos[c]!]! += zd[a]! * zd[c]!;
    }
    const goff = offSM[b]!;
    const xo = r * p;
    for (let a = 0; a < P; a++) {
      const za = zd[a]!;
      if (za === 0) continue;
      const row = goff + zpos[a]! * m;
      for (let e = 0; e < s2; e++) g[row + wIdx[e]!]! += za * wVal[e]!;
      for (let c = 0; c < p; c++) g[row + q2 + c]! += za * X[xo + c]!;
      g[row + m - 1]! += za * y[r]!;
    }
    // WᵀW (full symmetric)
    for (let e = 0; e < s2; e++) {
      const ie = wIdx[e]!;
      const ve = wVal[e]!;
      for (let f2 = 0; f2 < s2; f2++) wtw[ie * m + wIdx[f2]!]! += ve * wVal[f2]!;
      for (let c = 0; c < p; c++) {
        const v = ve * X[xo + c]!;
        wtw[ie * m + q2 + c]! += v;
        wtw[(q2 + c) * m + ie]! += v;
      }
      const vy = ve * y[r]!;
      wtw[ie * m + m - 1]! += vy;
      wtw[(m - 1) * m + ie]! += vy;
    }
    for (let c = 0; c < p; c++) {
      const xc = X[xo + c]!;
      for (let d = 0; d < p; d++) wtw[(q2 + c) * m + q2 + d]! += xc * X[xo + d]!;
      const v = xc * y[r]!;
      wtw[(q2 + c) * m + m - 1]! += v;
      wtw[(m - 1) * m + q2 + c]! += v;
    }
    wtw[m * m - 1]! += y[r]! * y[r]!;
  }
  const { lower } = thetaLayout(terms);
  return {
    n,
    p,
    terms,
    blockTerms,
    denseTerms,
    denseOffset,
    nb,
    blockSize,
    offSS,
    offSM,
    offS,
    segPtr,
    segTerm,
    segLevel,
    segPos,
    rowBlock,
    rowPos,
    q2,
    m,
    zdtzd,
    g,
    wtw,
    nTheta: lower.length,
    lower,
    X,
    y,
  };
}

/** Multiplies the dense-part column blocks of a row-major (rows×m) matrix on the right by Λ₂. */
function applyLambda2Right(sys: PlsSystem, Ts: Float64Array[], A: Float64Array, rows: number, off = 0): void {
  const m = sys.m;
  for (const i of sys.denseTerms) {
    const t = sys.terms[i]!;
    const T = Ts[i]!;
    const pt = t.p;
    const tmp = new Float64Array(pt);
    for (let l = 0; l < t.levels.length; l++) {
      const c0 = sys.denseOffset[i]! + l * pt;
      for (let r = 0; r < rows; r++) {
        const base = off + r * m + c0;
        for (let c = 0; c < pt; c++) {
          let v = 0;
          for (let k = c; k < pt; k++) v += A[base + k]! * T[k * pt + c]!;
          tmp[c] = v;
        }
        for (let c = 0; c < pt; c++) A[base + c] = tmp[c]!;
      }
    }
  }
}

/**
 * Evaluates the PLS problem at θ (lme4 order): log|L|², log|R_X|², penalised RSS and the factors.
 * With exactPwrss (default) the penalised RSS is recomputed from the residuals (one O(n) pass);
 * without it, it comes from the factor (cheaper, rounding noise ~1e-14 relative: fine for a coarse search).
 * @throws ComputationError when the fixed-effects Schur complement is not positive definite
 */
export function evaluatePls(sys: PlsSystem, theta: ArrayLike<number>, exactPwrss = true): PlsEval {
  const { m, nb } = sys;
  const Ts = sys.terms.map((t) => templateOf(t, theta));
  // M = Λwᵀ WᵀW Λw + diag(I_q2, 0)
  const M = Float64Array.from(sys.wtw);
  applyLambda2Right(sys, Ts, M, m);
  // left multiplication by Λwᵀ = (right multiplication of the transpose); M symmetric so transpose trick
  transposeInPlace(M, m);
  applyLambda2Right(sys, Ts, M, m);
  for (let k = 0; k < sys.q2; k++) M[k * m + k]! += 1;
  const Ld = new Float64Array(sys.offSS[nb]!);
  const C = new Float64Array(sys.offSM[nb]!);
  let ldL2 = 0;
  const zdtzd = sys.zdtzd;
  const G = sys.g;
  const hasDense = sys.denseTerms.length > 0;
  const { segPtr, segTerm, segPos } = sys;
  let maxS = 0;
  for (const sb of sys.blockSize) maxS = Math.max(maxS, sb);
  const tmp = new Float64Array(maxS * maxS);
  for (let b = 0; b < nb; b++) {
    const sb = sys.blockSize[b]!;
    const zoff = sys.offSS[b]!;
    const goff = sys.offSM[b]!;
    const s0 = segPtr[b]!;
    const s1 = segPtr[b + 1]!;
    // tmp = ZᵀZ_b Λ_b (columns of each segment mixed by its T)
    for (let a = 0; a < sb; a++) {
      for (let sg = s0; sg < s1; sg++) {
        const T = Ts[segTerm[sg]!]!;
        const pt = sys.terms[segTerm[sg]!]!.p;
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
      const pt = sys.terms[segTerm[sg]!]!.p;
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
    for (let a = 0; a < sb; a++) ldL2 += 2 * Math.log(Ld[zoff + a * sb + a]!);
    // C_b = Λ_bᵀ G_b, then Λw on the right, then L_b⁻¹ (forward substitution in place)
    for (let sg = s0; sg < s1; sg++) {
      const T = Ts[segTerm[sg]!]!;
      const pt = sys.terms[segTerm[sg]!]!.p;
      const pos = segPos[sg]!;
      for (let c = 0; c < pt; c++) {
        const row = goff + (pos + c) * m;
        for (let col = 0; col < m; col++) {
          let v = 0;
          for (let k = c; k < pt; k++) v += T[k * pt + c]! * G[goff + (pos + k) * m + col]!;
          C[row + col] = v;
        }
      }
    }
    if (hasDense) applyLambda2Right(sys, Ts, C, sb, goff);
    for (let a = 0; a < sb; a++) {
      const row = goff + a * m;
      for (let s2 = 0; s2 < a; s2++) {
        const las = Ld[zoff + a * sb + s2]!;
        if (las === 0) continue;
        const srow = goff + s2 * m;
        for (let c = 0; c < m; c++) C[row + c]! -= las * C[srow + c]!;
      }
      const laa = Ld[zoff + a * sb + a]!;
      for (let c = 0; c < m; c++) C[row + c]! /= laa;
    }
    // M -= C_bᵀ C_b (lower triangle)
    for (let a = 0; a < sb; a++) {
      const row = goff + a * m;
      for (let r = 0; r < m; r++) {
        const v = C[row + r]!;
        if (v === 0) continue;
        const mr = r * m;
        for (let c = 0; c <= r; c++) M[mr + c]! -= v * C[row + c]!;
      }
    }
  }
  if (!cholInPlace(M, m - 1, m)) {
    throw new ComputationError(
      'the fixed-effects cross-product is not positive definite (rank-deficient X?)',
    );
  }
  // last row: l = L⁻¹ r ; pwrss = yᵀy − ‖l‖²
  let ll = 0;
  for (let c = 0; c < m - 1; c++) {
    let v = M[(m - 1) * m + c]!;
    for (let s2 = 0; s2 < c; s2++) v -= M[(m - 1) * m + s2]! * M[c * m + s2]!;
    v /= M[c * m + c]!;
    M[(m - 1) * m + c] = v;
    ll += v * v;
  }
  const pwrss = M[m * m - 1]! - ll;
  M[m * m - 1] = Math.sqrt(Math.max(pwrss, 0));
  for (let k = 0; k < sys.q2; k++) ldL2 += 2 * Math.log(M[k * m + k]!);
  let ldRX2 = 0;
  for (let k = sys.q2; k < m - 1; k++) ldRX2 += 2 * Math.log(M[k * m + k]!);
  const ev: PlsEval = { ldL2, ldRX2, pwrss, M, Ld, C };
  // The factor's last diagonal gives pwrss as yᵀy − ‖l‖², which cancels badly when ‖y‖ ≫ residuals;
  // recompute it from the residuals and ‖u‖² (as lme4 does) so the objective is smooth to ~1e-15.
  if (exactPwrss) ev.pwrss = residualPwrss(sys, ev, theta);
  return ev;
}

/** ‖y − Xβ̂ − ZΛû‖² + ‖û‖² at θ from an evaluation's factors. */
export function residualPwrss(sys: PlsSystem, ev: PlsEval, theta: ArrayLike<number>): number {
  const sol = plsSolution(sys, ev, theta);
  const { X, y, p, n } = sys;
  // column-wise passes keep the inner loops tight (n can be 10⁵–10⁶)
  const r = Float64Array.from(y);
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

function transposeInPlace(A: Float64Array, m: number): void {
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      const t = A[i * m + j]!;
      A[i * m + j] = A[j * m + i]!;
      A[j * m + i] = t;
    }
  }
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

/** Solution of the PLS system: β, spherical u (per term, level-major) and b = Λu. */
export function plsSolution(
  sys: PlsSystem,
  ev: PlsEval,
  theta: ArrayLike<number>,
): { beta: Float64Array; u: Float64Array[]; b: Float64Array[] } {
  const { m, q2, p, nb } = sys;
  const M = ev.M;
  const k = m - 1;
  const x = new Float64Array(k);
  for (let c = 0; c < k; c++) x[c] = M[(m - 1) * m + c]!;
  backSolveT(M, k, m, x);
  const beta = x.slice(q2, q2 + p);
  const u: Float64Array[] = sys.terms.map((t) => new Float64Array(t.levels.length * t.p));
  for (const i of sys.denseTerms) {
    const t = sys.terms[i]!;
    u[i]!.set(x.subarray(sys.denseOffset[i], sys.denseOffset[i]! + t.levels.length * t.p));
  }
  let maxS = 0;
  for (const sb of sys.blockSize) maxS = Math.max(maxS, sb);
  const ud = new Float64Array(maxS);
  for (let b = 0; b < nb; b++) {
    const sb = sys.blockSize[b]!;
    const goff = sys.offSM[b]!;
    for (let a = 0; a < sb; a++) {
      let v = ev.C[goff + a * m + m - 1]!;
      for (let c = 0; c < k; c++) v -= ev.C[goff + a * m + c]! * x[c]!;
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
    const out = new Float64Array(u[i]!.length);
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
