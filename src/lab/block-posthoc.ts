/**
 * Post-hoc comparisons from a fitted fixed-effects model — the donor block `value ~ donor + condition (* …)` of
 * an unbalanced design, where the raw group means are not the model's estimates. Each comparison a − b (within a
 * stratum: a cell of the other factors and time) is the contrast L β̂ of the estimated marginal means, L = x(a) −
 * x(b), the model-matrix rows of the two levels at the same donor and stratum (the donor enters additively, so
 * the difference does not depend on the donor, and equals emmeans' equal-weight marginal means difference);
 * SE = √(L V Lᵀ) with V = σ̂² (XᵀX)⁻¹, df the residual df — as R
 * `multcomp::glht(lm(...), linfct = mcp(condition = "Dunnett" | "Tukey"))` (for strata, with the interaction,
 * `emmeans(fit, pairwise ~ condition | day)`).
 * Adjustment within each family (stratum):
 * - Bonferroni: p_adj = min(1, m·p), CI L β̂ ± t_{1−α/(2m), df}·SE (glht `summary(…, test = adjusted("bonferroni"))`);
 * - single-step Dunnett / Tukey (glht's default): p_adj = P(max_i |T_i| ≥ |t|) for the multivariate t of the
 *   family's contrasts, whose correlations in an unbalanced block have no product structure, so src/stats/dunnett.ts
 *   does not apply; computed by src/lab/max-t.ts (an integral, ~1e-10; glht estimates the same probability by
 *   quasi-Monte Carlo) for up to 4 compared levels (contrast space of dimension ≤ 3); CI L β̂ ± c·SE, c the
 *   simultaneous critical value. With more levels: Bonferroni instead, stated.
 * No I/O.
 */
import { ComputationError } from '../errors.js';
import { dataFrameFromRecords } from '../stats/data-frame.js';
import { buildDesign } from '../stats/design.js';
import { tQuantileDf, tTwoSidedP } from '../stats/distributions.js';
import { significanceStars, type PosthocMethod } from '../stats/anova.js';
import { ols } from '../stats/ols.js';
import { maxAbsTCritical, maxAbsTUpper } from './max-t.js';
import type { LabComparison, ValuesRow } from './statistics.js';

/** Levels compared in one family up to which the single-step adjustment is computed (contrast space ≤ 3-D). */
export const MAX_SINGLE_STEP_LEVELS = 4;

/**
 * Comparisons of `factor`'s levels within each stratum from the fitted model `formula` (module doc).
 * @param rows the values table; @param levels the compared levels in design order
 * @param stratumOf the stratum of a row (null without strata)
 * @param warnings receives what was stated (Bonferroni instead of single-step for a family of > 4 levels)
 * @throws ComputationError when the model matrix of the comparisons does not match the fit's
 */
export function blockModelComparisons(
  rows: ValuesRow[],
  formula: string,
  factor: string,
  donor: string,
  levels: string[],
  stratumOf: (r: ValuesRow) => string | null,
  o: { method: PosthocMethod; control: string | null; level: number },
  warnings: string[],
): LabComparison[] {
  const strata = [...new Set(rows.map(stratumOf))];
  const d0 = String(rows[0]![donor]);
  // one grid row per stratum and level present: a row of the stratum with the level and donor d0
  const grid: { stratum: string | null; level: string }[] = [];
  const gridRows: ValuesRow[] = [];
  for (const st of strata) {
    const sub = rows.filter((r) => stratumOf(r) === st);
    for (const l of levels.filter((x) => sub.some((r) => r[factor] === x))) {
      grid.push({ stratum: st, level: l });
      gridRows.push({ ...sub[0]!, [factor]: l, [donor]: d0, value: 0 });
    }
  }
  const fit = buildDesign(formula, dataFrameFromRecords(rows));
  const aug = buildDesign(formula, dataFrameFromRecords([...rows, ...gridRows]));
  if (aug.columnNames.join('\u0000') !== fit.columnNames.join('\u0000'))
    throw new ComputationError('the comparisons need model columns that the fit does not have', {
      value: formula,
    });
  const p = fit.p;
  const rowOf = (X: Float64Array, i: number): number[] => Array.from(X.subarray(i * p, (i + 1) * p));
  const X = Array.from({ length: fit.n }, (_, i) => rowOf(fit.X, i));
  const f = ols(X, Array.from(fit.y!), { hasIntercept: true });
  const V = f.covariance;
  const xOf = (st: string | null, l: string): number[] =>
    rowOf(aug.X, fit.n + grid.findIndex((g) => g.stratum === st && g.level === l));
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
      const xa = xOf(st, a);
      const xb = xOf(st, b);
      return xa.map((v, k) => v - xb[k]!);
    });
    const VL = L.map((l) => V.map((row) => row.reduce((s, v, k) => s + v * l[k]!, 0)));
    const cov = L.map((li) => VL.map((vl) => li.reduce((s, v, k) => s + v * vl[k]!, 0)));
    const se = cov.map((c, i) => Math.sqrt(c[i]!));
    const m = pairs.length;
    const df = f.dfResidual;
    const singleStep = o.method !== 'bonferroni' && present.length <= MAX_SINGLE_STEP_LEVELS;
    if (o.method !== 'bonferroni' && !singleStep)
      warnings.push(
        `${st ?? 'all samples'}: ${present.length} levels in an unbalanced donor block: the single-step ` +
          `${o.method === 'tukey' ? 'Tukey' : 'Dunnett'} adjustment is computed for up to ` +
          `${MAX_SINGLE_STEP_LEVELS} levels; Bonferroni-adjusted instead`,
      );
    const corr = cov.map((c, i) => c.map((v, j) => v / (se[i]! * se[j]!)));
    const crit = singleStep
      ? maxAbsTCritical(corr, df, o.level)
      : tQuantileDf(1 - (1 - o.level) / (2 * m), df);
    pairs.forEach(([a, b], i) => {
      const diff = L[i]!.reduce((s, v, k) => s + v * f.coefficients[k]!, 0);
      const t = diff / se[i]!;
      const pValue = tTwoSidedP(t, df);
      const pAdjusted = singleStep ? maxAbsTUpper(Math.abs(t), corr, df) : Math.min(1, m * pValue);
      out.push({
        a,
        b,
        diff,
        se: se[i]!,
        t,
        df,
        pValue,
        pAdjusted,
        lwr: diff - crit * se[i]!,
        upr: diff + crit * se[i]!,
        stars: significanceStars(pAdjusted),
        stratum: st,
      });
    });
  }
  return out;
}
