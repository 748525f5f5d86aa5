/**
 * Fixed-effects ANOVA (one- and two-way, a donor block `y ~ donor + condition`, any fixed-effects formula) with
 * type I (sequential) sums of squares, exactly as R `anova(lm(...))` / `summary(aov(...))`, and the post-hoc
 * comparisons labs report (GraphPad Prism's menu): all pairs by Bonferroni or Tukey HSD, against a control by
 * Bonferroni or Dunnett, with multiplicity-adjusted p-values, simultaneous CIs, significance stars and per-group
 * n, mean, SD and SEM. Post-hoc tests use the model's residual MSE and df, as R `TukeyHSD(aov(...))`; in a one-way
 * design Bonferroni equals R `pairwise.t.test(y, g, pool.sd = TRUE, p.adjust.method = "bonferroni")`.
 *
 * Type I SS are order dependent when the design is unbalanced (`a * b` ≠ `b * a`); in balanced designs types I,
 * II and III coincide. The result states which (`sumsOfSquares: 'type I (sequential)'`, `balanced`).
 * Method: Householder QR of the model matrix in column order; the squared effects Qᵀy of the columns of term k
 * sum to its SS (R `lm.fit` effects, `anova.lm`). For type III with random effects use the mixed-model engine.
 */
import { ComputationError, InputError } from '../errors.js';
import type { DataFrame } from './data-frame.js';
import { buildDesign, buildModelFrame, type DesignOptions } from './design.js';
import { fUpper, tQuantileDf, tTwoSidedP } from './distributions.js';
import { dunnettAdjustedP, dunnettCriticalValue, dunnettLambdas } from './dunnett.js';
import { parseFormula } from './formula.js';
import { householderQrInPlace } from './linalg.js';
import { ptukeyUpper, qtukey } from './studentized-range.js';

/** One row of the ANOVA table. */
export interface AnovaRow {
  term: string;
  df: number;
  sumSq: number;
  meanSq: number;
  F: number;
  pValue: number;
}

/** Post-hoc methods: Bonferroni t-tests, Tukey HSD (all pairs), Dunnett (against a control). */
export type PosthocMethod = 'bonferroni' | 'tukey' | 'dunnett';

/** One post-hoc comparison (a − b; against a control, b is the control). */
export interface PosthocComparison {
  a: string;
  b: string;
  /** mean(a) − mean(b). */
  diff: number;
  /** SE of diff = √(MSE (1/n_a + 1/n_b)) with the model's residual MSE. */
  se: number;
  /** t = diff / se (Tukey's studentized range statistic is q = √2·|t|). */
  t: number;
  df: number;
  /** Unadjusted two-sided t-test p. */
  pValue: number;
  /** Multiplicity-adjusted p (Bonferroni min(1, m·p); Tukey P(Q ≥ √2|t|); Dunnett P(max|T_i| ≥ |t|)). */
  pAdjusted: number;
  /** Simultaneous CI diff ± criticalValue·se at the requested level. */
  lwr: number;
  upr: number;
  /** GraphPad Prism's summary of pAdjusted (`significanceStars`). */
  stars: string;
}

/** Post-hoc comparisons over the levels of one model term. */
export interface PosthocResult {
  /** Grouping: a factor name or an interaction like "supp:dose" (cells); a term of the formula. */
  grouping: string;
  method: PosthocMethod;
  /** 'all pairs' (Bonferroni, Tukey) or 'against control' (Dunnett, Bonferroni with a control). */
  family: 'all pairs' | 'against control';
  control: string | null;
  /** Family size m (number of comparisons). */
  familySize: number;
  /** √MSE of the ANOVA model and its residual df (the SD pooled over the model's cells). */
  pooledSd: number;
  df: number;
  /** Confidence level of lwr/upr and the critical value on the t scale (diff ± criticalValue·se). */
  level: number;
  criticalValue: number;
  /** Per level: n, mean, sample SD and SEM = SD/√n (for mean ± SD or ± SEM). */
  levels: { level: string; n: number; mean: number; sd: number; sem: number }[];
  comparisons: PosthocComparison[];
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
  posthoc: PosthocResult | null;
}

/** Options of `fixedEffectsAnova`. */
export interface AnovaOptions extends DesignOptions {
  /** Post-hoc method (none by default). */
  posthoc?: PosthocMethod | null;
  /** Grouping for the post-hoc: a factor term of the formula, or "a:b" for an interaction term's cells
   *  (default: the first factor). */
  posthocBy?: string;
  /** Control level: Dunnett compares with it (default: the first level, as R's contr.treatment); Bonferroni
   *  with a control tests only the comparisons with it. Not allowed with Tukey (all pairs). */
  control?: string;
  /** Confidence level of the simultaneous CIs (default 0.95). */
  level?: number;
}

/**
 * Fixed-effects ANOVA with type I sums of squares (R `anova(lm(formula, df))`) and optional post-hoc comparisons
 * over one term's levels (see `posthocComparisons`), with the model's residual MSE and df (R `TukeyHSD(aov())`).
 * Post-hoc means are the raw group means: they are the model's estimates when the grouping is the formula's first
 * term or the design is balanced without numeric covariates; otherwise (e.g. an unbalanced `y ~ donor + condition`)
 * the comparison needs least-squares means and is refused.
 * @param formula R formula without random effects, e.g. "y ~ a * b" (factors: string columns or `types`)
 * @param df data frame (src/stats/data-frame.ts)
 * @returns the ANOVA table, residual line, balance flag and post-hoc comparisons
 * @throws InputError for random-effects terms, missing columns, no residual df, a post-hoc grouping that is not a
 *   factor term of the formula or needs least-squares means, an unknown control level, or Tukey with a control
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
  // factor values per used row, from the model frame (a factor may be an expression such as factor(day))
  const mf = buildModelFrame(f, df, opts);
  const cellKey = (k: number, names: string[]): string =>
    names
      .map((nm) => {
        const v = mf.vars.get(nm)!;
        return v.kind === 'factor' ? v.levels[v.codes[k]!]! : '';
      })
      .join(':');
  const cellCounts = new Map<string, number>();
  for (let k = 0; k < d.rowsUsed.length; k++)
    cellCounts.set(cellKey(k, factorNames), (cellCounts.get(cellKey(k, factorNames)) ?? 0) + 1);
  const allCells = d.factors.reduce((s, x) => s * x.levels.length, 1);
  const counts = [...cellCounts.values()];
  const balanced =
    factorNames.length > 0 && cellCounts.size === allCells && counts.every((c) => c === counts[0]);

  let posthoc: PosthocResult | null = null;
  if (opts.posthoc) {
    const by = opts.posthocBy ?? factorNames[0];
    if (by === undefined)
      throw new InputError('post-hoc tests need a factor in the formula', { field: 'posthoc' });
    const parts = by.split(':');
    const termIndex = d.terms.findIndex(
      (t) => t.variables.length === parts.length && parts.every((x) => t.variables.includes(x)),
    );
    if (termIndex < 0 || parts.some((x) => !factorNames.includes(x))) {
      throw new InputError(
        `post-hoc grouping is not a factor term of the formula (terms: ${d.terms.map((t) => t.label).join(', ')})`,
        { field: 'posthocBy', value: by },
      );
    }
    const numericTerms = f.variables.some((v) => !factorNames.includes(v.label));
    if (termIndex > 0 && (!balanced || numericTerms)) {
      throw new InputError(
        `post-hoc on "${by}" after other terms of an unbalanced design (or with numeric covariates) compares ` +
          'adjusted means, which this ANOVA does not estimate: put the factor first in the formula, or use ' +
          'carto stats emmeans with a mixed model (e.g. "y ~ condition + (1 | donor)")',
        { field: 'posthocBy', value: by },
      );
    }
    const levelLists = parts.map((pt) => d.factors.find((x) => x.name === pt)!.levels);
    const all: string[] = [];
    const rec = (k: number, acc: string[]): void => {
      // levels in the factors' order (first factor varies fastest, as R interaction())
      if (k < 0) all.push(acc.join(':'));
      else for (const l of levelLists[k]!) rec(k - 1, [l, ...acc]);
    };
    rec(levelLists.length - 1, []);
    const groups = d.rowsUsed.map((_, k) => cellKey(k, parts));
    const present = new Set(groups);
    posthoc = posthocComparisons(Array.from(y), groups, {
      grouping: by,
      levels: all.filter((l) => present.has(l)),
      method: opts.posthoc,
      control: opts.control ?? null,
      mse: msRes,
      df: dfRes,
      level: opts.level ?? 0.95,
    });
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

/** Options of `posthocComparisons`. */
export interface PosthocOptions {
  grouping: string;
  /** Level order (comparisons a − b with a after b in it); every group label must be one of them. */
  levels: string[];
  method: PosthocMethod;
  /** Control level (see AnovaOptions.control); null: all pairs, or the first level for Dunnett. */
  control: string | null;
  /** Residual mean square and df of the ANOVA model. */
  mse: number;
  df: number;
  /** Confidence level of the simultaneous CIs (e.g. 0.95). */
  level: number;
}

/**
 * Post-hoc comparisons of group means with the ANOVA model's residual MSE (t = diff / √(MSE (1/n_a + 1/n_b)),
 * df = residual df). All pairs are in R's order (for each earlier level b, the later levels a); against a control,
 * a runs over the other levels in order.
 * - Bonferroni: p_adj = min(1, m·p), CI diff ± t_{1−α/(2m)}·se (all pairs: R `pairwise.t.test(pool.sd = TRUE)` in
 *   a one-way design; in general the Bonferroni step of multcomp::glht on the model's contrasts).
 * - Tukey HSD (Tukey–Kramer for unequal n): p_adj = P(Q_{k,df} ≥ √2|t|), CI diff ± q_{1−α;k,df}/√2·se
 *   (R `TukeyHSD(aov(...))`; src/stats/studentized-range.ts).
 * - Dunnett: p_adj = P(max_i |T_i| ≥ |t|) for the k − 1 comparisons with the control, CI diff ± d·se
 *   (Dunnett 1955; src/stats/dunnett.ts; multcomp::glht(mcp(g = "Dunnett")) estimates the same).
 * @param y responses; @param groups group label per response
 * @throws InputError for an unknown control level or a control with Tukey; ComputationError with < 2 groups
 */
export function posthocComparisons(y: number[], groups: string[], o: PosthocOptions): PosthocResult {
  const stats = o.levels.map((lv) => {
    const v = y.filter((_, i) => groups[i] === lv);
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const sd = v.length > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1)) : NaN;
    return { level: lv, n: v.length, mean, sd, sem: sd / Math.sqrt(v.length) };
  });
  const k = stats.length;
  if (k < 2 || !(o.df > 0))
    throw new ComputationError('post-hoc tests need ≥ 2 groups and residual df', { value: [k, o.df] });
  if (o.control !== null && o.method === 'tukey') {
    throw new InputError('Tukey HSD compares all pairs: a control applies to dunnett or bonferroni', {
      field: 'control',
      value: o.control,
    });
  }
  if (o.control !== null && !o.levels.includes(o.control)) {
    throw new InputError(`control is not a level of ${o.grouping} (levels: ${o.levels.join(', ')})`, {
      field: 'control',
      value: o.control,
    });
  }
  const control = o.method === 'dunnett' ? (o.control ?? o.levels[0]!) : o.control;
  const pairs: [number, number][] = [];
  if (control === null) for (let j = 0; j < k; j++) for (let i = j + 1; i < k; i++) pairs.push([i, j]);
  else {
    const c = o.levels.indexOf(control);
    for (let i = 0; i < k; i++) if (i !== c) pairs.push([i, c]);
  }
  const m = pairs.length;
  const lambdas =
    control === null
      ? []
      : dunnettLambdas(
          stats[pairs[0]![1]]!.n,
          pairs.map(([i]) => stats[i]!.n),
        );
  const { criticalValue, adjust } = posthocFamily(o.method, { k, m, lambdas, df: o.df, level: o.level });
  const comparisons = pairs.map(([i, j]): PosthocComparison => {
    const a = stats[i]!;
    const b = stats[j]!;
    const diff = a.mean - b.mean;
    const se = Math.sqrt(o.mse * (1 / a.n + 1 / b.n));
    const t = diff / se;
    const pValue = tTwoSidedP(t, o.df);
    const pAdjusted = adjust(t, pValue);
    return {
      a: a.level,
      b: b.level,
      diff,
      se,
      t,
      df: o.df,
      pValue,
      pAdjusted,
      lwr: diff - criticalValue * se,
      upr: diff + criticalValue * se,
      stars: significanceStars(pAdjusted),
    };
  });
  return {
    grouping: o.grouping,
    method: o.method,
    family: control === null ? 'all pairs' : 'against control',
    control,
    familySize: m,
    pooledSd: Math.sqrt(o.mse),
    df: o.df,
    level: o.level,
    criticalValue,
    levels: stats,
    comparisons,
  };
}

/**
 * The multiplicity adjustment of one post-hoc family, for comparisons given as t statistics on `df` degrees of
 * freedom (from the ANOVA's residual MSE, or a mixed model's Satterthwaite tests of a balanced design):
 * Bonferroni p_adj = min(1, m·p), critical t_{1−α/(2m), df}; Tukey p_adj = P(Q_{k,df} ≥ √2|t|), critical
 * q_{1−α;k,df}/√2; Dunnett p_adj = P(max_i |T_i| ≥ |t|) with correlations λ_iλ_j, critical d_{1−α}.
 * @param method post-hoc method; `k` groups, `m` comparisons, `lambdas` Dunnett's λ_i = √(n_i/(n_i + n_0))
 *   (ignored otherwise), `df` error df, `level` confidence level of the simultaneous CIs
 * @returns the critical value on the t scale and adjust(t, unadjusted two-sided p) → adjusted p
 */
export function posthocFamily(
  method: PosthocMethod,
  o: { k: number; m: number; lambdas: number[]; df: number; level: number },
): { criticalValue: number; adjust: (t: number, pValue: number) => number } {
  const alpha = 1 - o.level;
  if (method === 'bonferroni')
    return {
      criticalValue: tQuantileDf(1 - alpha / (2 * o.m), o.df),
      adjust: (_t, p) => Math.min(1, o.m * p),
    };
  if (method === 'tukey')
    return {
      criticalValue: qtukey(o.level, o.k, o.df) / Math.SQRT2,
      adjust: (t) => ptukeyUpper(Math.SQRT2 * Math.abs(t), o.k, o.df),
    };
  return {
    criticalValue: dunnettCriticalValue(o.level, o.lambdas, o.df),
    adjust: (t) => dunnettAdjustedP(t, o.lambdas, o.df),
  };
}

/**
 * GraphPad Prism's significance summary of a (multiplicity-adjusted) p-value: "ns" p > 0.05, "*" p ≤ 0.05,
 * "**" p ≤ 0.01, "***" p ≤ 0.001, "****" p ≤ 0.0001 — Prism's "GP" P-value style (GraphPad FAQ "What is the meaning
 * of * or ** or *** in reports of statistical significance from Prism or InStat?"; Prism Statistics Guide,
 * "Extremely significant results"). Prism's APA/NEJM styles stop at "***"; this function does not.
 * @returns the star string; "" for NaN
 */
export function significanceStars(p: number): string {
  if (Number.isNaN(p)) return '';
  if (p <= 0.0001) return '****';
  if (p <= 0.001) return '***';
  if (p <= 0.01) return '**';
  if (p <= 0.05) return '*';
  return 'ns';
}

/** Qᵀy of a Householder QR of X (row-major n×p, full column rank: aliased columns already removed). */
function qrEffects(Xrm: Float64Array, y: Float64Array, n: number, p: number): Float64Array {
  const A = Float64Array.from(Xrm);
  if (householderQrInPlace(A, n, p, y).length > 0) throw new ComputationError('rank-deficient model matrix');
  return y;
}
