/**
 * Log-rank test and the Harrington–Fleming Gρ family, as R's `survival::survdiff` computes them.
 */
import { chisqUpper } from '../distributions.js';
import { ComputationError, InputError } from '../../errors.js';
import { factorCodes, factorLevels, labelInput, orderByTime, survInput } from './input.js';
import type { SurvFieldNames } from './input.js';
import { solveSymmetric } from '../linalg.js';

/** Options of `logRank`. */
export interface LogRankOptions {
  /** Merge times closer than √ε (R's `timefix = TRUE`, aeqSurv); default true. */
  timefix?: boolean;
  /** Gρ weight exponent: weight Ŝ(t−)^ρ with Ŝ the pooled (per-stratum) KM; 0 = log-rank (default), 1 = Peto–Peto. */
  rho?: number;
  /** Stratum label per observation (R: `+ strata(x)`); the statistic sums over strata. */
  strata?: ArrayLike<string>;
  /** Group order (default R's factor order of the labels). */
  levels?: readonly string[];
  /** Column names for error messages. */
  names?: SurvFieldNames;
}

/** Result of `logRank` (R `survdiff` object). */
export interface LogRankResult {
  /** χ² statistic. */
  chisq: number;
  /** Degrees of freedom: number of groups with expected > 0, minus 1. */
  df: number;
  /** Upper-tail χ² p-value. */
  p: number;
  /** Weighted observed events per group (summed over strata). */
  observed: number[];
  /** Weighted expected events per group (summed over strata). */
  expected: number[];
  /** Variance matrix of O − E (groups × groups). */
  variance: number[][];
  /** Group labels in the order of the arrays. */
  groups: string[];
  /** Observations per group. */
  n: number[];
}

/**
 * k-sample log-rank / Gρ test (R: `survdiff(Surv(time, status) ~ group [+ strata(s)], rho = ρ)`).
 *
 * At each distinct event time (within stratum), with n at risk, d events, n_k / d_k in group k and
 * weight w = Ŝ(t−)^ρ: O_k += w·d_k, E_k += w·d·n_k/n, and for n > 1
 * V_jk += w²·d·(n − d)/(n − 1)·(n_k/n)(δ_jk − n_j/n). χ² = (O − E)ᵀV⁻(O − E) over the groups with
 * E > 0 minus the first of them; df = (#groups with E > 0) − 1; p = P(χ²_df > χ²). O(n log n).
 *
 * @param time   follow-up times (any unit), ≥ 0.  @param status 1 = event, 0 = censored.
 * @param group  group label per observation (at least 2 distinct labels).
 * @throws InputError for bad time/status/labels or fewer than 2 groups; ComputationError if V is singular.
 * Source: Harrington & Fleming (1982) Biometrika 69:553; R survival `survdiff`, `survdiff2.c`.
 */
export function logRank(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  group: ArrayLike<string>,
  opts: LogRankOptions = {},
): LogRankResult {
  const { time: t, status: s } = survInput(time, status, opts.names, opts.timefix !== false);
  const nObs = t.length;
  const gField = opts.names?.group ?? 'group';
  const labels = labelInput(group, nObs, gField);
  const groups = factorLevels(labels, opts.levels, gField);
  if (groups.length < 2) throw new InputError('log-rank needs at least 2 groups', { field: gField });
  const g = factorCodes(labels, groups);
  const rho = opts.rho ?? 0;
  if (!Number.isFinite(rho))
    throw new InputError('rho must be a finite number', { field: 'rho', value: rho });
  const k = groups.length;

  let strataCodes: Int32Array | null = null;
  let nStrata = 1;
  if (opts.strata !== undefined) {
    const sField = opts.names?.strata ?? 'strata';
    const sl = labelInput(opts.strata, nObs, sField);
    const sLev = factorLevels(sl, undefined, sField);
    strataCodes = factorCodes(sl, sLev);
    nStrata = sLev.length;
  }

  const order = orderByTime(t);
  // Stable partition of the time order by stratum.
  const starts = new Int32Array(nStrata + 1);
  let sorted = order;
  if (strataCodes !== null) {
    for (let i = 0; i < nObs; i++) starts[strataCodes[i]! + 1]!++;
    for (let h = 1; h <= nStrata; h++) starts[h]! += starts[h - 1]!;
    const pos = starts.slice();
    sorted = new Uint32Array(nObs);
    for (let q = 0; q < nObs; q++) {
      const i = order[q]!;
      sorted[pos[strataCodes[i]!]!++] = i;
    }
  } else {
    starts[1] = nObs;
  }

  const obs = new Float64Array(k);
  const exp = new Float64Array(k);
  const v = new Float64Array(k * k);
  const nPer = new Array<number>(k).fill(0);
  for (let i = 0; i < nObs; i++) nPer[g[i]!]!++;
  const risk = new Float64Array(k);
  const dk = new Float64Array(k);
  const ck = new Float64Array(k);

  for (let h = 0; h < nStrata; h++) {
    const from = starts[h]!;
    const to = starts[h + 1]!;
    risk.fill(0);
    for (let q = from; q < to; q++) risk[g[sorted[q]!]!]!++;
    let nRisk = to - from;
    let km = 1;
    let q = from;
    while (q < to) {
      const tq = t[sorted[q]!]!;
      dk.fill(0);
      ck.fill(0);
      let d = 0;
      let leaving = 0;
      while (q < to && t[sorted[q]!] === tq) {
        const i = sorted[q]!;
        if (s[i] === 1) {
          dk[g[i]!]!++;
          d++;
        }
        ck[g[i]!]!++;
        leaving++;
        q++;
      }
      if (d > 0) {
        const w = rho === 0 ? 1 : Math.pow(km, rho);
        for (let j = 0; j < k; j++) {
          obs[j]! += w * dk[j]!;
          exp[j]! += (w * d * risk[j]!) / nRisk;
        }
        if (nRisk > 1) {
          const kt = (w * w * d * (nRisk - d)) / (nRisk * (nRisk - 1));
          for (let j = 0; j < k; j++) {
            const pj = risk[j]! / nRisk;
            v[j * k + j]! += kt * risk[j]! * (1 - pj);
            for (let l = j + 1; l < k; l++) {
              const off = (kt * risk[j]! * risk[l]!) / nRisk;
              v[j * k + l]! -= off;
              v[l * k + j]! -= off;
            }
          }
        }
        km *= (nRisk - d) / nRisk;
      }
      for (let j = 0; j < k; j++) risk[j]! -= ck[j]!;
      nRisk -= leaving;
    }
  }

  const keep: number[] = [];
  for (let j = 0; j < k; j++) if (exp[j]! > 0) keep.push(j);
  let chisq = 0;
  if (keep.length >= 2) {
    const idx = keep.slice(1);
    const m = idx.length;
    const vv = new Float64Array(m * m);
    const diff = new Float64Array(m);
    for (let a = 0; a < m; a++) {
      diff[a] = obs[idx[a]!]! - exp[idx[a]!]!;
      for (let b = 0; b < m; b++) vv[a * m + b] = v[idx[a]! * k + idx[b]!]!;
    }
    const sol = solveSymmetric(vv, diff, m);
    if (sol === null) throw new ComputationError('log-rank variance matrix is singular');
    for (let a = 0; a < m; a++) chisq += sol[a]! * diff[a]!;
  }
  const df = keep.length - 1;
  const variance: number[][] = [];
  for (let j = 0; j < k; j++) variance.push(Array.from(v.subarray(j * k, j * k + k)));
  return {
    chisq,
    df,
    p: df > 0 ? chisqUpper(chisq, df) : NaN,
    observed: Array.from(obs),
    expected: Array.from(exp),
    variance,
    groups,
    n: nPer,
  };
}
