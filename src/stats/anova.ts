/**
 * Fixed-effects ANOVA (one- and two-way, any fixed-effects formula) with type I (sequential) sums of squares,
 * exactly as R `anova(lm(...))` / `summary(aov(...))`, and Bonferroni pairwise t-tests with a pooled SD as R
 * `pairwise.t.test(y, g, pool.sd = TRUE, p.adjust.method = "bonferroni")`.
 *
 * Type I SS are order dependent when the design is unbalanced (`a * b` ≠ `b * a`); in balanced designs types I,
 * II and III coincide. The result states which (`sumsOfSquares: 'type I (sequential)'`, `balanced`).
 * Method: Householder QR of the model matrix in column order; the squared effects Qᵀy of the columns of term k
 * sum to its SS (R `lm.fit` effects, `anova.lm`). For type III with random effects use the mixed-model engine.
 */
import { ComputationError, InputError } from '../errors.js';
import type { DataFrame } from './data-frame.js';
import { buildDesign, type DesignOptions } from './design.js';
import { fUpper, tQuantileDf, tTwoSidedP } from './distributions.js';
import { parseFormula } from './formula.js';

/** One row of the ANOVA table. */
export interface AnovaRow {
  term: string;
  df: number;
  sumSq: number;
  meanSq: number;
  F: number;
  pValue: number;
}

/** One pairwise comparison. */
export interface PairwiseComparison {
  /** Level a and level b; diff = mean(a) − mean(b). */
  a: string;
  b: string;
  diff: number;
  se: number;
  t: number;
  df: number;
  /** Unadjusted two-sided p. */
  pValue: number;
  /** Bonferroni: min(1, m·p). */
  pAdjusted: number;
  /** Simultaneous (Bonferroni) CI: diff ± t(1 − α/(2m), df)·se. */
  ciLower: number;
  ciUpper: number;
}

/** Pairwise post-hoc tests over the levels of one grouping. */
export interface PairwiseResult {
  /** Grouping: a factor name or an interaction like "supp:dose" (cells). */
  grouping: string;
  method: 'bonferroni';
  /** Family size m (number of comparisons). */
  familySize: number;
  /** Pooled SD over the grouping's cells (as pairwise.t.test pool.sd = TRUE) and its df (N − k). */
  pooledSd: number;
  df: number;
  /** Per level: n, mean and sample SD (for the usual mean ± SD report). */
  levels: { level: string; n: number; mean: number; sd: number }[];
  comparisons: PairwiseComparison[];
}

/** Result of `fixedEffectsAnova`. */
export interface AnovaResult {
  formula: string;
  response: string;
  n: number;
  nDropped: number;
  sumsOfSquares: 'type I (sequential)';
  /** True when every cell of the factors' crossing has the same count (then types I–III agree). */
  balanced: boolean;
  rows: AnovaRow[];
  residual: { df: number; sumSq: number; meanSq: number };
  posthoc: PairwiseResult | null;
}

/** Options of `fixedEffectsAnova`. */
export interface AnovaOptions extends DesignOptions {
  /** Post-hoc method (only Bonferroni pairwise t-tests). */
  posthoc?: 'bonferroni' | null;
  /** Grouping for the post-hoc: a factor of the formula, or "a:b" for the cells (default: first factor). */
  posthocBy?: string;
  /** Confidence level of the simultaneous CIs (default 0.95). */
  level?: number;
}

/**
 * Fixed-effects ANOVA with type I sums of squares (R `anova(lm(formula, df))`) and optional Bonferroni pairwise
 * t-tests (R `pairwise.t.test(pool.sd = TRUE, p.adjust.method = "bonferroni")`).
 * @param formula R formula without random effects, e.g. "y ~ a * b" (factors: string columns or `types`)
 * @param df data frame (src/stats/data-frame.ts)
 * @returns the ANOVA table, residual line, balance flag and post-hoc comparisons
 * @throws InputError for random-effects terms, missing columns, an unknown post-hoc grouping, or no residual df
 */
export function fixedEffectsAnova(formula: string, df: DataFrame, opts: AnovaOptions = {}): AnovaResult {
  const f = parseFormula(formula);
  if (f.random.length > 0) {
    throw new InputError('formula has random-effects terms: use the mixed-model ANOVA (carto stats anova)', {
      field: 'formula',
      value: formula,
    });
  }
  if (f.response === null)
    throw new InputError('formula has no response', { field: 'formula', value: formula });
  const d = buildDesign(f, df, opts);
  const y = d.y;
  if (y === null)
    throw new InputError('response must be a single numeric variable', { field: 'formula', value: formula });
  const n = d.n;
  const p = d.p;
  if (n - p <= 0)
    throw new InputError('no residual degrees of freedom', { field: 'formula', value: formula });
  const effects = qrEffects(d.X, Float64Array.from(y), n, p);
  const nTerms = d.terms.length;
  const ss = new Float64Array(nTerms + 1);
  const dfs = new Int32Array(nTerms + 1);
  for (let j = 0; j < p; j++) {
    const k = d.assign[j]!;
    ss[k] = ss[k]! + effects[j]! ** 2;
    dfs[k] = dfs[k]! + 1;
  }
  let rss = 0;
  for (let i = p; i < n; i++) rss += effects[i]! ** 2;
  const dfRes = n - p;
  const msRes = rss / dfRes;
  const rows: AnovaRow[] = [];
  d.terms.forEach((t, k) => {
    const dfk = dfs[k + 1]!;
    if (dfk === 0) return; // fully aliased term: R drops it from the table
    const meanSq = ss[k + 1]! / dfk;
    const F = meanSq / msRes;
    rows.push({ term: t.label, df: dfk, sumSq: ss[k + 1]!, meanSq, F, pValue: fUpper(F, dfk, dfRes) });
  });
  const factorNames = d.factors.map((x) => x.name);
  const rowsUsed = d.rowsUsed;
  const cellKey = (i: number, names: string[]): string =>
    names.map((nm) => String(df.data[nm]![i])).join(':');
  const cellCounts = new Map<string, number>();
  for (const i of rowsUsed)
    cellCounts.set(cellKey(i, factorNames), (cellCounts.get(cellKey(i, factorNames)) ?? 0) + 1);
  const allCells = d.factors.reduce((s, x) => s * x.levels.length, 1);
  const counts = [...cellCounts.values()];
  const balanced =
    factorNames.length > 0 && cellCounts.size === allCells && counts.every((c) => c === counts[0]);

  let posthoc: PairwiseResult | null = null;
  if (opts.posthoc === 'bonferroni') {
    const by = opts.posthocBy ?? factorNames[0];
    if (by === undefined)
      throw new InputError('post-hoc tests need a factor in the formula', { field: 'posthoc' });
    const parts = by.split(':');
    for (const part of parts) {
      if (!factorNames.includes(part)) {
        throw new InputError('post-hoc grouping is not a factor of the formula', {
          field: 'posthocBy',
          value: by,
        });
      }
    }
    const order = (lv: string[]): string[] => {
      // levels in the factors' order (first factor varies fastest, as R interaction())
      const levelLists = parts.map((pt) => d.factors.find((x) => x.name === pt)!.levels);
      const all: string[] = [];
      const rec = (k: number, acc: string[]): void => {
        if (k < 0) {
          all.push(acc.join(':'));
          return;
        }
        for (const l of levelLists[k]!) rec(k - 1, [l, ...acc]);
      };
      rec(levelLists.length - 1, []);
      return all.filter((l) => lv.includes(l));
    };
    const groups = rowsUsed.map((i) => cellKey(i, parts));
    posthoc = pairwiseTTests(Array.from(y), groups, by, order([...new Set(groups)]), opts.level ?? 0.95);
  }
  return {
    formula,
    response: f.responseLabel ?? '',
    n,
    nDropped: d.nDropped,
    sumsOfSquares: 'type I (sequential)',
    balanced,
    rows,
    residual: { df: dfRes, sumSq: rss, meanSq: msRes },
    posthoc,
  };
}

/**
 * Bonferroni pairwise t-tests with a pooled SD over all groups, as R
 * `pairwise.t.test(y, g, pool.sd = TRUE, p.adjust.method = "bonferroni")`: t = (ȳ_a − ȳ_b)/(s_p √(1/n_a + 1/n_b)),
 * df = N − k, p_adj = min(1, m·p) with m = k(k − 1)/2.
 * @param y responses; @param groups group label per response; @param levels level order (comparisons a > b in it)
 * @throws ComputationError with fewer than 2 groups or no residual df
 */
export function pairwiseTTests(
  y: number[],
  groups: string[],
  grouping: string,
  levels: string[] = [...new Set(groups)],
  level = 0.95,
): PairwiseResult {
  const stats = levels.map((lv) => {
    const v = y.filter((_, i) => groups[i] === lv);
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const ss = v.reduce((s, x) => s + (x - mean) ** 2, 0);
    return { level: lv, n: v.length, mean, ss };
  });
  const k = stats.length;
  const N = stats.reduce((s, g) => s + g.n, 0);
  const df = N - k;
  if (k < 2 || df <= 0)
    throw new ComputationError('pairwise tests need ≥ 2 groups and residual df', { value: [k, df] });
  const pooledSd = Math.sqrt(stats.reduce((s, g) => s + g.ss, 0) / df);
  const m = (k * (k - 1)) / 2;
  const q = tQuantileDf(1 - (1 - level) / (2 * m), df);
  const comparisons: PairwiseComparison[] = [];
  // R's order: for each column j (earlier level) the rows i > j
  for (let j = 0; j < k; j++) {
    for (let i = j + 1; i < k; i++) {
      const a = stats[i]!;
      const b = stats[j]!;
      const diff = a.mean - b.mean;
      const se = pooledSd * Math.sqrt(1 / a.n + 1 / b.n);
      const t = diff / se;
      const pValue = tTwoSidedP(t, df);
      comparisons.push({
        a: a.level,
        b: b.level,
        diff,
        se,
        t,
        df,
        pValue,
        pAdjusted: Math.min(1, m * pValue),
        ciLower: diff - q * se,
        ciUpper: diff + q * se,
      });
    }
  }
  return {
    grouping,
    method: 'bonferroni',
    familySize: m,
    pooledSd,
    df,
    levels: stats.map(({ level: l, n, mean, ss }) => ({
      level: l,
      n,
      mean,
      sd: n > 1 ? Math.sqrt(ss / (n - 1)) : NaN,
    })),
    comparisons,
  };
}

/** Qᵀy of a Householder QR of X (row-major n×p, full column rank: aliased columns already removed). */
function qrEffects(Xrm: Float64Array, y: Float64Array, n: number, p: number): Float64Array {
  const A = Float64Array.from(Xrm);
  for (let j = 0; j < p; j++) {
    let norm = 0;
    for (let i = j; i < n; i++) norm += A[i * p + j]! ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) throw new ComputationError('rank-deficient model matrix');
    const alpha = A[j * p + j]! > 0 ? -norm : norm;
    const v0 = A[j * p + j]! - alpha;
    let vn2 = v0 * v0;
    for (let i = j + 1; i < n; i++) vn2 += A[i * p + j]! ** 2;
    const reflect = (get: (i: number) => number, set: (i: number, v: number) => void): void => {
      let dot = v0 * get(j);
      for (let i = j + 1; i < n; i++) dot += A[i * p + j]! * get(i);
      const fct = (2 * dot) / vn2;
      set(j, get(j) - fct * v0);
      for (let i = j + 1; i < n; i++) set(i, get(i) - fct * A[i * p + j]!);
    };
    for (let c = j + 1; c < p; c++) {
      reflect(
        (i) => A[i * p + c]!,
        (i, v) => (A[i * p + c] = v),
      );
    }
    reflect(
      (i) => y[i]!,
      (i, v) => (y[i] = v),
    );
    A[j * p + j] = alpha;
  }
  return y;
}
