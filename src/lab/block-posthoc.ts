/**
 * Post-hoc comparisons from a fitted model's fixed effects — the donor block `value ~ donor + condition (* …)` of
 * an unbalanced design, where the raw group means are not the model's estimates, and the random donor
 * `value ~ condition (* …) + (1 | donor)`. Each comparison a − b (within a stratum: a cell of the other factors and
 * time) is the contrast L β̂ of the estimated marginal means, L = x(a) − x(b), the model-matrix rows of the two
 * levels in the same stratum (and, for the block, the same donor: it enters additively, so the difference does not
 * depend on it and equals emmeans' equal-weight marginal means difference); SE = √(L V Lᵀ), V = Var(β̂).
 * - Donor block (`lm`): V = σ̂² (XᵀX)⁻¹, df the residual df — as R
 *   `multcomp::glht(lm(...), linfct = mcp(condition = "Dunnett" | "Tukey"))`, or with strata the same contrasts
 *   built by hand (`emmeans(fit, pairwise ~ condition | day)`).
 * - Random donor (`lmer`, REML): V = vcov(fit), and each contrast its Satterthwaite df (lmerTest
 *   `contest(fit, L, joint = FALSE)`); a balanced design gives every contrast of a cell the same df, the residual
 *   df of the donor-block model.
 * Adjustment within each family (stratum), each comparison with its own df:
 * - Bonferroni: p_adj = min(1, m·p), CI L β̂ ± t_{1−α/(2m), df}·SE (glht `summary(…, test = adjusted("bonferroni"))`);
 * - single-step Dunnett / Tukey (glht's default): p_adj = P(max_i |T_i| ≥ |t|) for the multivariate t (df of the
 *   comparison) with the family's contrast correlations — these have no product structure here, so
 *   src/stats/dunnett.ts does not apply — by src/lab/max-t.ts: an integral (~1e-10) for up to 4 compared levels
 *   (contrast space ≤ 3-D), the Genz–Bretz lattice of src/stats/mvt.ts beyond (error ≤ ~1e-6, given as
 *   `pAdjustedError`); CI L β̂ ± c·SE, c the simultaneous critical value.
 * No I/O.
 */
import { ComputationError } from '../errors.js';
import { dataFrameFromRecords } from '../stats/data-frame.js';
import { buildDesign } from '../stats/design.js';
import { tQuantileDf, tTwoSidedP } from '../stats/distributions.js';
import { significanceStars, type PosthocMethod } from '../stats/anova.js';
import { satterthwaite, type LmmFit } from '../stats/lmm/index.js';
import { ols } from '../stats/ols.js';
import { singleStepCritical, singleStepUpper, type SingleStep } from './max-t.js';
import type { LabComparison, ValuesRow } from './statistics.js';

/** The fitted fixed effects a family's contrasts come from. */
interface FixedEffects {
  /** Coefficient names (R's model.matrix names), in the order of beta and vcov. */
  names: string[];
  beta: number[];
  vcov: number[][];
  /** The df of the contrast L: the residual df (lm) or its Satterthwaite df (lmer). */
  dfOf: (L: number[]) => number;
}

type Options = { method: PosthocMethod; control: string | null; level: number };

/**
 * Comparisons of `factor`'s levels within each stratum from the fitted donor-block model `formula` (lm; module doc).
 * @param rows the values table; @param levels the compared levels in design order
 * @param stratumOf the stratum of a row (null without strata)
 * @param warnings receives what was stated (a stratum without 2 levels or without the control)
 * @throws ComputationError when the model matrix of the comparisons does not match the fit's
 */
export function blockModelComparisons(
  rows: ValuesRow[],
  formula: string,
  factor: string,
  donor: string,
  levels: string[],
  stratumOf: (r: ValuesRow) => string | null,
  o: Options,
  warnings: string[],
): LabComparison[] {
  const fit = buildDesign(formula, dataFrameFromRecords(rows));
  const p = fit.p;
  const X = Array.from({ length: fit.n }, (_, i) => Array.from(fit.X.subarray(i * p, (i + 1) * p)));
  const f = ols(X, Array.from(fit.y!), { hasIntercept: true });
  const fe: FixedEffects = {
    names: fit.columnNames,
    beta: f.coefficients,
    vcov: f.covariance,
    dfOf: () => f.dfResidual,
  };
  return modelComparisons(
    rows,
    formula,
    factor,
    levels,
    stratumOf,
    { [donor]: String(rows[0]![donor]) },
    fe,
    o,
    warnings,
  );
}

/**
 * Comparisons of `factor`'s levels within each stratum from a fitted mixed model (random donor; module doc):
 * estimates and SE from its fixed effects, Satterthwaite df per contrast.
 * @param fit the lmer fit of `formula` to `rows`; other parameters as `blockModelComparisons`
 * @throws ComputationError when the model matrix of the comparisons does not match the fit's
 */
export function mixedModelComparisons(
  fit: LmmFit,
  rows: ValuesRow[],
  formula: string,
  factor: string,
  levels: string[],
  stratumOf: (r: ValuesRow) => string | null,
  o: Options,
  warnings: string[],
): LabComparison[] {
  const p = fit.beta.length;
  const fe: FixedEffects = {
    names: fit.coefNames,
    beta: fit.beta,
    vcov: Array.from({ length: p }, (_, i) => Array.from(fit.vcov.subarray(i * p, (i + 1) * p))),
    dfOf: (L) => satterthwaite(fit, L).df,
  };
  return modelComparisons(rows, formula, factor, levels, stratumOf, {}, fe, o, warnings);
}

/** The comparisons of every stratum (`pin` holds the columns fixed in the grid rows, e.g. the block's donor). */
function modelComparisons(
  rows: ValuesRow[],
  formula: string,
  factor: string,
  levels: string[],
  stratumOf: (r: ValuesRow) => string | null,
  pin: ValuesRow,
  fe: FixedEffects,
  o: Options,
  warnings: string[],
): LabComparison[] {
  const strata = [...new Set(rows.map(stratumOf))];
  // one grid row per stratum and level present: a row of the stratum with the level (and the pinned columns)
  const grid: { stratum: string | null; level: string }[] = [];
  const gridRows: ValuesRow[] = [];
  for (const st of strata) {
    const sub = rows.filter((r) => stratumOf(r) === st);
    for (const l of levels.filter((x) => sub.some((r) => r[factor] === x))) {
      grid.push({ stratum: st, level: l });
      gridRows.push({ ...sub[0]!, [factor]: l, ...pin, value: 0 });
    }
  }
  const aug = buildDesign(formula, dataFrameFromRecords([...rows, ...gridRows]));
  if (aug.columnNames.join('\u0000') !== fe.names.join('\u0000'))
    throw new ComputationError('the comparisons need model columns that the fit does not have', {
      value: formula,
    });
  const n = rows.length;
  const xOf = (st: string | null, l: string): number[] => {
    const i = n + grid.findIndex((g) => g.stratum === st && g.level === l);
    return Array.from(aug.X.subarray(i * aug.p, (i + 1) * aug.p));
  };
  const out: LabComparison[] = [];
  for (const st of strata) {
    const present = levels.filter((l) => grid.some((g) => g.stratum === st && g.level === l));
    if (present.length < 2 || (o.control !== null && !present.includes(o.control))) {
      warnings.push(`${st ?? 'all samples'}: fewer than 2 groups (or no control): no comparisons`);
      continue;
    }
    const pairs: [string, string][] = [];
    if (o.control === null)
      for (let j = 0; j < present.length; j++)
        for (let i = j + 1; i < present.length; i++) pairs.push([present[i]!, present[j]!]);
    else for (const l of present) if (l !== o.control) pairs.push([l, o.control]);
    const L = pairs.map(([a, b]) => {
      const xb = xOf(st, b);
      return xOf(st, a).map((v, k) => v - xb[k]!);
    });
    out.push(...familyComparisons(st, pairs, L, fe, o));
  }
  return out;
}

/** One family's comparisons: estimates, SE, df, p and the adjustment (module doc). */
function familyComparisons(
  stratum: string | null,
  pairs: [string, string][],
  L: number[][],
  fe: FixedEffects,
  o: Options,
): LabComparison[] {
  const VL = L.map((l) => fe.vcov.map((row) => row.reduce((s, v, k) => s + v * l[k]!, 0)));
  const cov = L.map((li) => VL.map((vl) => li.reduce((s, v, k) => s + v * vl[k]!, 0)));
  const se = cov.map((c, i) => Math.sqrt(c[i]!));
  const corr = cov.map((c, i) => c.map((v, j) => v / (se[i]! * se[j]!)));
  const m = pairs.length;
  const critical = new Map<number, SingleStep>();
  const criticalAt = (df: number): SingleStep => {
    let c = critical.get(df);
    if (c === undefined) {
      c =
        o.method === 'bonferroni'
          ? { value: tQuantileDf(1 - (1 - o.level) / (2 * m), df), error: 0 }
          : singleStepCritical(corr, df, o.level);
      critical.set(df, c);
    }
    return c;
  };
  return pairs.map(([a, b], i) => {
    const diff = L[i]!.reduce((s, v, k) => s + v * fe.beta[k]!, 0);
    const df = fe.dfOf(L[i]!);
    const t = diff / se[i]!;
    const pValue = tTwoSidedP(t, df);
    const adj =
      o.method === 'bonferroni'
        ? { value: Math.min(1, m * pValue), error: 0 }
        : singleStepUpper(Math.abs(t), corr, df);
    const crit = criticalAt(df).value;
    return {
      a,
      b,
      diff,
      se: se[i]!,
      t,
      df,
      pValue,
      pAdjusted: adj.value,
      ...(adj.error > 0 ? { pAdjustedError: adj.error } : {}),
      lwr: diff - crit * se[i]!,
      upr: diff + crit * se[i]!,
      stars: significanceStars(adj.value),
      stratum,
    };
  });
}
