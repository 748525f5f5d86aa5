/**
 * The data side of the blocked sparse PLS (src/stats/lmm/pls.ts): the elimination order and the
 * θ-independent cross-products, computed once per model frame in one O(n·(Σp_t)²) pass.
 *
 * Elimination order (the fill-reducing ordering). Λᵀ Zᵀ Z Λ + I is eliminated in two stages: first a
 * "block part" — every term whose grouping factor is nested in a blocking factor B, so that the block
 * part is block diagonal with one small dense block per level of B (s_b = Σ p_t over the levels inside
 * level b) — then the remaining "crossed" terms together with X and y, W = [Z₂Λ₂ | X | y], whose Schur
 * complement (m = q₂ + p + 1 columns) is factorised densely. Eliminating a block b only touches the W
 * columns its rows use: its n_b crossed-level columns plus X and y, so the Schur update costs
 * s_b·n_b² (not s_b·m² or n·q₂²) and Zᵀ W is stored per block compressed to those columns. B is the
 * grouping factor minimising the flop estimate Σ_b (c + s_b³/3 + s_b²·n_b + s_b·n_b²) + (m − 1)³/3 (c a
 * fixed per-block overhead), i.e. the classical choice of eliminating the many small, sparsely coupled
 * factor first (minimum degree on the level graph: a level of B has degree ≈ n_b, the crossed levels
 * are eliminated last in one dense block). For crossed factors with random co-occurrence the Schur
 * complement of the crossed part is dense (2 000 × 500 levels on 10⁵ rows: each pair of b levels shares
 * an a level with probability ≈ 1), so a dense factor there loses nothing against a general sparse
 * Cholesky; it is also what CHOLMOD's supernodal factorisation does with that block (Bates et al. 2015
 * JSS 67(1) §3.2–3.4; Davis 2006, Direct Methods for Sparse Linear Systems, ch. 7 on minimum degree).
 * Measured on that design, the dense Cholesky of the 503×503 Schur complement is then most of an
 * evaluation and is the same under any ordering, so no general sparse (AMD, left-looking) Cholesky is
 * written; it would pay only for crossed factors whose levels rarely co-occur.
 */
import type { ReTerm } from './re-terms.js';
import { thetaLayout } from './re-terms.js';

/** Precomputed cross-products for the blocked PLS (depends on the data only, not on θ). */
export interface PlsSystem {
  n: number;
  p: number;
  terms: ReTerm[];
  /** Indices (into terms) of the block part and of the dense (crossed) part. */
  blockTerms: number[];
  denseTerms: number[];
  /** Column offset of each dense term within Z₂ (−1 for block terms). */
  denseOffset: number[];
  /** Number of blocks (levels of the blocking factor) and block sizes s_b. */
  nb: number;
  blockSize: Int32Array;
  /** Offsets of block b in the flat s_b×s_b arrays, the s_b×n_b arrays and the s_b vectors. */
  offSS: Int32Array;
  offSC: Int32Array;
  offS: Int32Array;
  /** Segments of each block (CSR by block): term index, level and local start of a p_t-long run. */
  segPtr: Int32Array;
  segTerm: Int32Array;
  segLevel: Int32Array;
  segPos: Int32Array;
  /**
   * W columns used by each block (CSR by block, ascending; always ends with the p + 1 columns of X
   * and y): n_b = colPtr[b+1] − colPtr[b].
   */
  colPtr: Int32Array;
  cols: Int32Array;
  /** Per used column: the dense term whose p_t-run starts there, else −1 (to apply Λ₂ run by run). */
  colRun: Int32Array;
  /**
   * Pre-summed Schur updates (see presumClasses): class of each block (−1: updated block by block) and
   * per class the term, its d = Σ z² over the block's rows and S = Σ_b g_bᵀ g_b (m×m, unscaled).
   */
  blockClass: Int32Array;
  classes: { term: number; d: number; S: Float64Array }[];
  q2: number;
  m: number;
  /** Zᵀ Z per block (s_b² each). */
  zdtzd: Float64Array;
  /** Zᵀ W per block on its used columns (s_b·n_b each, row-major). */
  g: Float64Array;
  /** Wᵀ W (m·m), W = [Z₂ | X | y]. */
  wtw: Float64Array;
  nTheta: number;
  /** Lower bounds of θ (0 for diagonal elements of each T_i, −∞ otherwise). */
  lower: number[];
  /** The data (row-major X n×p and y), kept to recompute the penalised RSS from residuals. */
  X: Float64Array;
  y: Float64Array;
  /**
   * Buffers reused by every evaluation on this system (evaluatePls, and plsSolution inside the residual
   * pass), so a fit allocates nothing per evaluation: r (n) residuals, the factors M (m²), Ld and C, tmp
   * (max s_b²) and the solution u, b (per term) and x (m − 1).
   */
  work: PlsWork;
}

/** Evaluation buffers of a PlsSystem (contents meaningless between calls). */
export interface PlsWork {
  r: Float64Array;
  M: Float64Array;
  Ld: Float64Array;
  C: Float64Array;
  tmp: Float64Array;
  u: Float64Array[];
  b: Float64Array[];
  x: Float64Array;
}

/** Block of each level of `t` under blocking factor `B` (null when t is not nested in B). */
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

/** Rows grouped by block (counting sort): rows of block b are order[ptr[b]..ptr[b+1]). */
function rowsByBlock(codes: Int32Array, nb: number): { ptr: Int32Array; order: Int32Array } {
  const ptr = new Int32Array(nb + 1);
  for (const c of codes) ptr[c + 1]!++;
  for (let b = 0; b < nb; b++) ptr[b + 1]! += ptr[b]!;
  const fill = ptr.slice(0, nb);
  const order = new Int32Array(codes.length);
  for (let i = 0; i < codes.length; i++) order[fill[codes[i]!]!++] = i;
  return { ptr, order };
}

/** Layout of the dense part for a given split: column offsets, q₂ and the dense column of each row. */
function denseLayout(terms: ReTerm[], denseTerms: number[]): { denseOffset: number[]; q2: number } {
  const denseOffset = terms.map(() => -1);
  let q2 = 0;
  for (const i of denseTerms) {
    denseOffset[i] = q2;
    q2 += terms[i]!.p * terms[i]!.levels.length;
  }
  return { denseOffset, q2 };
}

/**
 * Used dense columns per block, ascending (CSR), by a marker pass over the rows of each block.
 * Every column of a used (term, level) p_t-run is included.
 */
function blockDenseColumns(
  terms: ReTerm[],
  denseTerms: number[],
  denseOffset: number[],
  q2: number,
  rows: { ptr: Int32Array; order: Int32Array },
  nb: number,
): { ptr: Int32Array; cols: Int32Array } {
  const mark = new Int32Array(q2).fill(-1);
  const ptr = new Int32Array(nb + 1);
  const out: number[] = [];
  const cur: number[] = [];
  for (let b = 0; b < nb; b++) {
    cur.length = 0;
    for (let k = rows.ptr[b]!; k < rows.ptr[b + 1]!; k++) {
      const r = rows.order[k]!;
      for (const i of denseTerms) {
        const t = terms[i]!;
        const base = denseOffset[i]! + t.codes[r]! * t.p;
        if (mark[base] === b) continue;
        for (let c = 0; c < t.p; c++) {
          mark[base + c] = b;
          cur.push(base + c);
        }
      }
    }
    cur.sort((x, y) => x - y);
    for (const c of cur) out.push(c);
    ptr[b + 1] = out.length;
  }
  return { ptr, cols: Int32Array.from(out) };
}

/** Fixed cost of visiting one block, in flop units (loop and indexing overhead). */
const PER_BLOCK = 64;

/** Chooses the blocking factor by the flop estimate of the module doc; returns its index and nesting maps. */
function chooseBlocking(
  terms: ReTerm[],
  p: number,
  blockBy?: number,
): { B: number; maps: (Int32Array | null)[] } {
  let best: { B: number; maps: (Int32Array | null)[]; cost: number } | null = null;
  for (let cand = 0; cand < terms.length; cand++) {
    const Bt = terms[cand]!;
    if (blockBy !== undefined && cand !== blockBy) continue;
    if (blockBy === undefined && terms.slice(0, cand).some((t) => t.group === Bt.group)) continue;
    const maps = terms.map((t) => nestingMap(t, Bt));
    const nb = Bt.levels.length;
    const size = new Float64Array(nb);
    const dense: number[] = [];
    terms.forEach((t, i) => {
      const mp = maps[i];
      if (mp) for (let l = 0; l < t.levels.length; l++) size[mp[l]!]! += t.p;
      else dense.push(i);
    });
    const { denseOffset, q2 } = denseLayout(terms, dense);
    const m = q2 + p + 1;
    const used = blockDenseColumns(terms, dense, denseOffset, q2, rowsByBlock(Bt.codes, nb), nb);
    let cost = (m - 1) ** 3 / 3;
    for (let b = 0; b < nb; b++) {
      const sb = size[b]!;
      const nc = used.ptr[b + 1]! - used.ptr[b]! + p + 1;
      cost += PER_BLOCK + sb ** 3 / 3 + sb * sb * nc + sb * nc * nc;
    }
    if (!best || cost < best.cost) best = { B: cand, maps, cost };
  }
  return best!;
}

/**
 * Precomputes the data cross-products of the blocked PLS: the elimination order, Zᵀ Z per block,
 * Zᵀ W per block on its used columns and Wᵀ W.
 * @param terms random-effects terms (lme4 order); X row-major n×p; y length n
 * @param blockBy index (into terms) of the blocking factor to use instead of the cheapest one (tests
 *   compare elimination orders with it; any term gives the same factorisation up to rounding)
 */
export function buildPlsSystem(
  terms: ReTerm[],
  X: Float64Array,
  p: number,
  y: Float64Array,
  blockBy?: number,
): PlsSystem {
  const n = y.length;
  const { B, maps } = chooseBlocking(terms, p, blockBy);
  const Bt = terms[B]!;
  const nb = Bt.levels.length;
  const blockTerms: number[] = [];
  const denseTerms: number[] = [];
  terms.forEach((_, i) => (maps[i] ? blockTerms : denseTerms).push(i));
  const { denseOffset, q2 } = denseLayout(terms, denseTerms);
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
  // used W columns per block: its dense columns, then X and y
  const rows = rowsByBlock(Bt.codes, nb);
  const dc = blockDenseColumns(terms, denseTerms, denseOffset, q2, rows, nb);
  const colPtr = new Int32Array(nb + 1);
  for (let b = 0; b < nb; b++) colPtr[b + 1] = dc.ptr[b + 1]! + (b + 1) * (p + 1);
  const cols = new Int32Array(colPtr[nb]!);
  const colRun = new Int32Array(colPtr[nb]!).fill(-1);
  const runStart = new Int32Array(q2).fill(-1);
  for (const i of denseTerms) {
    const t = terms[i]!;
    for (let l = 0; l < t.levels.length; l++) runStart[denseOffset[i]! + l * t.p] = i;
  }
  for (let b = 0; b < nb; b++) {
    let k = colPtr[b]!;
    for (let j = dc.ptr[b]!; j < dc.ptr[b + 1]!; j++) {
      const g = dc.cols[j]!;
      colRun[k] = runStart[g]!;
      cols[k++] = g;
    }
    for (let c = q2; c < m; c++) cols[k++] = c;
  }
  const offSS = new Int32Array(nb + 1);
  const offSC = new Int32Array(nb + 1);
  const offS = new Int32Array(nb + 1);
  for (let b = 0; b < nb; b++) {
    const sb = blockSize[b]!;
    offSS[b + 1] = offSS[b]! + sb * sb;
    offSC[b + 1] = offSC[b]! + sb * (colPtr[b + 1]! - colPtr[b]!);
    offS[b + 1] = offS[b]! + sb;
  }
  const { zdtzd, g, wtw } = crossProducts(terms, blockTerms, denseTerms, denseOffset, q2, m, X, p, y, {
    rows,
    levelPos,
    blockSize,
    offSS,
    offSC,
    colPtr,
    cols,
  });
  const { blockClass, classes } = presumClasses(
    terms,
    segPtr,
    segTerm,
    blockSize,
    offSS,
    offSC,
    colPtr,
    cols,
    zdtzd,
    g,
    m,
  );
  const { lower } = thetaLayout(terms);
  return {
    n,
    p,
    blockClass,
    classes,
    terms,
    blockTerms,
    denseTerms,
    denseOffset,
    nb,
    blockSize,
    offSS,
    offSC,
    offS,
    segPtr,
    segTerm,
    segLevel,
    segPos,
    colPtr,
    cols,
    colRun,
    q2,
    m,
    zdtzd,
    g,
    wtw,
    nTheta: lower.length,
    lower,
    X,
    y,
    work: {
      r: new Float64Array(n),
      M: new Float64Array(m * m),
      Ld: new Float64Array(offSS[nb]!),
      C: new Float64Array(offSC[nb]!),
      tmp: new Float64Array(Math.max(0, ...blockSize) ** 2),
      u: terms.map((t) => new Float64Array(t.levels.length * t.p)),
      b: terms.map((t) => new Float64Array(t.levels.length * t.p)),
      x: new Float64Array(m - 1),
    },
  };
}

/** One pass over the rows, block by block: Zᵀ Z and compressed Zᵀ W per block, and Wᵀ W. */
function crossProducts(
  terms: ReTerm[],
  blockTerms: number[],
  denseTerms: number[],
  denseOffset: number[],
  q2: number,
  m: number,
  X: Float64Array,
  p: number,
  y: Float64Array,
  L: {
    rows: { ptr: Int32Array; order: Int32Array };
    levelPos: Int32Array[];
    blockSize: Int32Array;
    offSS: Int32Array;
    offSC: Int32Array;
    colPtr: Int32Array;
    cols: Int32Array;
  },
): { zdtzd: Float64Array; g: Float64Array; wtw: Float64Array } {
  const nb = L.blockSize.length;
  const zdtzd = new Float64Array(L.offSS[nb]!);
  const g = new Float64Array(L.offSC[nb]!);
  const wtw = new Float64Array(m * m);
  const P = blockTerms.reduce((s, i) => s + terms[i]!.p, 0);
  const zd = new Float64Array(P);
  const zpos = new Int32Array(P);
  const wIdx = new Int32Array(denseTerms.reduce((s, i) => s + terms[i]!.p, 0));
  const wPos = new Int32Array(wIdx.length);
  const wVal = new Float64Array(wIdx.length);
  const local = new Int32Array(m); // W column → position among the current block's used columns
  for (let b = 0; b < nb; b++) {
    const sb = L.blockSize[b]!;
    const c0 = L.colPtr[b]!;
    const nc = L.colPtr[b + 1]! - c0;
    for (let k = 0; k < nc; k++) local[L.cols[c0 + k]!] = k;
    const zoff = L.offSS[b]!;
    const goff = L.offSC[b]!;
    const xcol = nc - p - 1; // local position of the first X column
    for (let k = L.rows.ptr[b]!; k < L.rows.ptr[b + 1]!; k++) {
      const r = L.rows.order[k]!;
      let e = 0;
      for (const i of blockTerms) {
        const t = terms[i]!;
        const pos = L.levelPos[i]![t.codes[r]!]!;
        for (let c = 0; c < t.p; c++) {
          zpos[e] = pos + c;
          zd[e++] = t.z[c]![r]!;
        }
      }
      let s2 = 0;
      for (const i of denseTerms) {
        const t = terms[i]!;
        const base = denseOffset[i]! + t.codes[r]! * t.p;
        for (let c = 0; c < t.p; c++) {
          wIdx[s2] = base + c;
          wPos[s2] = local[base + c]!;
          wVal[s2++] = t.z[c]![r]!;
        }
      }
      const xo = r * p;
      const yr = y[r]!;
      for (let a = 0; a < P; a++) {
        const za = zd[a]!;
        for (let c = 0; c < P; c++) zdtzd[zoff + zpos[a]! * sb + zpos[c]!]! += za * zd[c]!;
        if (za === 0) continue;
        const row = goff + zpos[a]! * nc;
        for (let f = 0; f < s2; f++) g[row + wPos[f]!]! += za * wVal[f]!;
        for (let c = 0; c < p; c++) g[row + xcol + c]! += za * X[xo + c]!;
        g[row + nc - 1]! += za * yr;
      }
      // WᵀW (full symmetric)
      for (let f = 0; f < s2; f++) {
        const ie = wIdx[f]!;
        const ve = wVal[f]!;
        for (let f2 = 0; f2 < s2; f2++) wtw[ie * m + wIdx[f2]!]! += ve * wVal[f2]!;
        for (let c = 0; c < p; c++) {
          const v = ve * X[xo + c]!;
          wtw[ie * m + q2 + c]! += v;
          wtw[(q2 + c) * m + ie]! += v;
        }
        const vy = ve * yr;
        wtw[ie * m + m - 1]! += vy;
        wtw[(m - 1) * m + ie]! += vy;
      }
      for (let c = 0; c < p; c++) {
        const xc = X[xo + c]!;
        for (let d = 0; d < p; d++) wtw[(q2 + c) * m + q2 + d]! += xc * X[xo + d]!;
        const v = xc * yr;
        wtw[(q2 + c) * m + m - 1]! += v;
        wtw[(m - 1) * m + q2 + c]! += v;
      }
      wtw[m * m - 1]! += yr * yr;
    }
  }
  return { zdtzd, g, wtw };
}

/** Memory cap for the pre-summed class matrices (doubles). */
const PRESUM_MAX = 1 << 23;

/**
 * Groups the blocks of one intercept-like column (s_b = 1: one term with p_t = 1) by their d = Σ z²:
 * for such a block C_bᵀ C_b = w(θ)·Λwᵀ g_bᵀ g_b Λw with w = λ²/(λ²d + 1) (λ the term's θ), the same w for
 * every block of a class, so Σ_b g_bᵀ g_b is summed once here and each evaluation subtracts w·S
 * (m² flops per class) instead of visiting the class's blocks (Σ_b n_b² scattered flops). Used for a
 * class when that is cheaper (Σ_b n_b² > m²) and within PRESUM_MAX; balanced designs (every level with
 * the same number of rows, e.g. 2 000 × 500 crossed levels with 50 rows per level) have one class.
 */
function presumClasses(
  terms: ReTerm[],
  segPtr: Int32Array,
  segTerm: Int32Array,
  blockSize: Int32Array,
  offSS: Int32Array,
  offSC: Int32Array,
  colPtr: Int32Array,
  cols: Int32Array,
  zdtzd: Float64Array,
  g: Float64Array,
  m: number,
): { blockClass: Int32Array; classes: { term: number; d: number; S: Float64Array }[] } {
  const nb = blockSize.length;
  const blockClass = new Int32Array(nb).fill(-1);
  const candidates = new Map<string, { term: number; d: number; blocks: number[]; cost: number }>();
  for (let b = 0; b < nb; b++) {
    if (blockSize[b] !== 1) continue;
    const term = segTerm[segPtr[b]!]!;
    if (terms[term]!.p !== 1) continue;
    const d = zdtzd[offSS[b]!]!;
    const key = `${term}:${d}`;
    let c = candidates.get(key);
    if (!c) candidates.set(key, (c = { term, d, blocks: [], cost: 0 }));
    c.blocks.push(b);
    c.cost += (colPtr[b + 1]! - colPtr[b]!) ** 2;
  }
  const classes: { term: number; d: number; S: Float64Array }[] = [];
  const chosen = [...candidates.values()].filter((c) => c.cost > m * m).sort((a, b) => b.cost - a.cost);
  for (const c of chosen) {
    if ((classes.length + 1) * m * m > PRESUM_MAX) break;
    const S = new Float64Array(m * m);
    for (const b of c.blocks) {
      const c0 = colPtr[b]!;
      const nc = colPtr[b + 1]! - c0;
      const off = offSC[b]!;
      for (let r = 0; r < nc; r++) {
        const v = g[off + r]!;
        if (v === 0) continue;
        const mr = cols[c0 + r]! * m;
        for (let k = 0; k < nc; k++) S[mr + cols[c0 + k]!]! += v * g[off + k]!;
      }
      blockClass[b] = classes.length;
    }
    classes.push({ term: c.term, d: c.d, S });
  }
  return { blockClass, classes };
}
