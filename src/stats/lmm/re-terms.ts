/**
 * Random-effects terms of a mixed model as lme4's mkReTrms builds them (Bates, Mächler, Bolker & Walker
 * 2015, JSS 67(1) §2.3): one term per `(lhs | group)` with its grouping-factor codes, lhs columns and
 * the layout of its relative covariance factor θ (lower triangle of the template T_i, column-major).
 */
import { InputError } from '../../errors.js';
import type { ModelFrame } from '../design.js';
import { termBlocks } from '../design.js';

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
