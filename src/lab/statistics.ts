/**
 * Statistics of one readout as the lab reports it (docs/lab-statistics.md "carto lab"): the values table (the
 * design columns and `value`, one row per sample), its model formula in R syntax, the ANOVA and post-hoc
 * comparisons of the first design factor against its control (or all pairs), per group n, mean, SD and SEM.
 * No I/O.
 *
 * Model, from the design (factors with more than one level among the readout's samples):
 * - factors (and time as `factor(<time>)`) fully crossed: `value ~ condition * factor(day)`;
 * - donors as a block: `value ~ donor + …` (fixed, type I sums of squares: R `anova(lm())`, src/stats/anova.ts);
 * - donors as a random effect: `value ~ … + (1 | donor)` with type III F tests and Satterthwaite df (lmerTest
 *   `anova()`, src/stats/lmm).
 * Post-hoc: the first factor's levels, within each cell of the other factors and time when there are any
 * ("simple effects", Prism's "compare within each row"), each family adjusted on its own, with the whole
 * model's residual MSE and df (fixed) — or, with a donor block in an unbalanced design or a random donor, the fitted
 * model's estimated-marginal-mean contrasts (src/lab/block-posthoc.ts; for the random donor with each contrast's
 * Satterthwaite df).
 */
import { InputError } from '../errors.js';
import {
  fixedEffectsAnova,
  posthocComparisons,
  type PosthocComparison,
  type PosthocMethod,
} from '../stats/anova.js';
import { dataFrameFromRecords } from '../stats/data-frame.js';
import { anovaTypeIII, fitLmm } from '../stats/lmm/index.js';
import { blockModelComparisons, mixedModelComparisons } from './block-posthoc.js';
import type { ExperimentDesign, Sample } from './experiment.js';
import type { Readout } from './readouts.js';

/** One row of a values table. */
export type ValuesRow = Record<string, string | number>;

/** One ANOVA row in `carto stats anova`'s shape (denDf for the mixed model's Satterthwaite tests). */
export interface LabAnovaRow {
  term: string;
  df: number;
  F: number;
  pValue: number;
  sumSq?: number;
  meanSq?: number;
  denDf?: number;
}

/** A post-hoc comparison with the stratum (cell of the other factors and time) it was made in. */
export interface LabComparison extends PosthocComparison {
  /** e.g. "day=7"; null without strata. */
  stratum: string | null;
  /**
   * The absolute error (99 % confidence) of a single-step pAdjusted estimated by the Genz–Bretz lattice
   * (src/stats/mvt.ts: families of more than 4 levels from a fitted model); absent when computed exactly.
   */
  pAdjustedError?: number;
}

/** Per group (level of the compared factor within a stratum): n, mean, SD, SEM. */
export interface LabGroup {
  level: string;
  stratum: string | null;
  n: number;
  mean: number;
  sd: number;
  sem: number;
}

/** The statistics of one readout. */
export interface ReadoutStatistics {
  formula: string;
  model: 'fixed' | 'mixed';
  /** The values table: design columns and `value`, one row per sample. */
  columns: string[];
  values: ValuesRow[];
  rows: LabAnovaRow[];
  residual: { df: number; sumSq: number; meanSq: number } | null;
  balanced: boolean;
  posthoc: {
    method: PosthocMethod;
    family: 'all pairs' | 'against control';
    grouping: string;
    control: string | null;
    level: number;
    comparisons: LabComparison[];
  } | null;
  groups: LabGroup[];
  warnings: string[];
}

/** The values table of a readout: sample, factor levels, donor, replicate, time, value. */
export function valuesTable(
  readout: Readout,
  samples: Map<string, Sample>,
  d: ExperimentDesign,
): { columns: string[]; rows: ValuesRow[] } {
  const columns = [
    'sample',
    ...d.factors.map((f) => f.name),
    ...(d.donors ? [d.donors.name] : []),
    'replicate',
    ...(d.time ? [d.time.name] : []),
    'value',
  ];
  const rows: ValuesRow[] = [];
  for (const s of [...samples.values()].sort((a, b) => a.row - b.row)) {
    const v = readout.values.get(s.id);
    if (v === undefined) continue;
    const row: ValuesRow = { sample: s.id };
    for (const f of d.factors) row[f.name] = s.levels[f.name]!;
    if (d.donors) row[d.donors.name] = s.donor!;
    row['replicate'] = s.replicate;
    if (d.time) row[d.time.name] = s.time!;
    row['value'] = v;
    rows.push(row);
  }
  return { columns, rows };
}

const distinct = (rows: ValuesRow[], c: string): (string | number)[] => [...new Set(rows.map((r) => r[c]!))];

/**
 * ANOVA and post-hoc comparisons of one readout.
 * @throws InputError when the readout has fewer than 2 levels of the first factor or no residual df
 */
export function readoutStatistics(
  readout: Readout,
  samples: Map<string, Sample>,
  d: ExperimentDesign,
): ReadoutStatistics {
  const { columns, rows } = valuesTable(readout, samples, d);
  const warnings: string[] = [];
  const main = d.factors[0]!;
  const levels = main.levels.filter((l) => rows.some((r) => r[main.name] === l));
  if (levels.length < 2)
    throw new InputError(`readout ${readout.id} has values for fewer than 2 levels of ${main.name}`, {
      field: main.name,
      value: levels,
    });
  const others = d.factors.slice(1).filter((f) => distinct(rows, f.name).length > 1);
  const timeTerm = d.time && distinct(rows, d.time.name).length > 1 ? `factor(${d.time.name})` : null;
  const crossed = [main.name, ...others.map((f) => f.name), ...(timeTerm ? [timeTerm] : [])].join(' * ');
  const donors = d.donors && distinct(rows, d.donors.name).length > 1 ? d.donors : null;
  const formula =
    donors === null
      ? `value ~ ${crossed}`
      : donors.model === 'block'
        ? `value ~ ${donors.name} + ${crossed}`
        : `value ~ ${crossed} + (1 | ${donors.name})`;
  const df = dataFrameFromRecords(rows);
  const strataColumns = [...others.map((f) => f.name), ...(timeTerm ? [d.time!.name] : [])];
  const stratumOf = (r: ValuesRow): string | null =>
    strataColumns.length === 0 ? null : strataColumns.map((c) => `${c}=${r[c]}`).join(', ');
  const groups = groupSummaries(rows, main.name, levels, stratumOf);
  const method = d.statistics.posthoc;
  const control = d.statistics.compare === 'control' ? main.control : null;
  const level = d.statistics.level;
  const family = control === null ? ('all pairs' as const) : ('against control' as const);
  if (!levels.includes(main.control) && control !== null)
    warnings.push(`the control ${main.control} has no values: no comparisons against it`);
  const o = { method, control, level };

  if (donors?.model === 'random') {
    const fit = fitLmm(formula, df);
    warnings.push(...fit.warnings);
    const anovaRows = anovaTypeIII(fit).map((r) => ({
      term: r.term,
      df: r.numDf,
      F: r.F,
      pValue: r.p,
      denDf: r.denDf,
    }));
    let posthoc: ReadoutStatistics['posthoc'] = null;
    if (control === null || levels.includes(control)) {
      const comparisons = mixedModelComparisons(
        fit,
        rows,
        formula,
        main.name,
        levels,
        stratumOf,
        o,
        warnings,
      );
      posthoc = { method, family, grouping: main.name, control, level, comparisons };
    }
    return {
      formula,
      model: 'mixed',
      columns,
      values: rows,
      rows: anovaRows,
      residual: null,
      balanced: isBalanced(groups),
      posthoc,
      groups,
      warnings,
    };
  }

  const a = fixedEffectsAnova(formula, df);
  const anovaRows = a.rows.map((r) => ({
    term: r.term,
    df: r.df,
    F: r.F,
    pValue: r.pValue,
    sumSq: r.sumSq,
    meanSq: r.meanSq,
  }));
  if (!a.balanced)
    warnings.push('unbalanced design: type I (sequential) sums of squares depend on the term order');
  let posthoc: ReadoutStatistics['posthoc'] = null;
  if (control !== null && !levels.includes(control)) {
    // stated above
  } else if (donors !== null && !a.balanced) {
    const comparisons = blockModelComparisons(
      rows,
      formula,
      main.name,
      donors.name,
      levels,
      stratumOf,
      o,
      warnings,
    );
    posthoc = { method, family, grouping: main.name, control, level, comparisons };
  } else {
    const comparisons = simpleEffects(rows, main.name, levels, stratumOf, warnings, {
      method,
      control,
      mse: a.residual.meanSq,
      df: a.residual.df,
      level,
    });
    posthoc = { method, family, grouping: main.name, control, level, comparisons };
  }
  return {
    formula,
    model: 'fixed',
    columns,
    values: rows,
    rows: anovaRows,
    residual: a.residual,
    balanced: a.balanced,
    posthoc,
    groups,
    warnings,
  };
}

/**
 * Post-hoc comparisons of `factor`'s levels within each stratum (cell of the other factors and time), each
 * stratum its own family, with the whole model's residual MSE and df (src/stats/anova.ts `posthocComparisons`).
 * A stratum with fewer than 2 groups (or without the control) is skipped with a warning.
 */
function simpleEffects(
  rows: ValuesRow[],
  factor: string,
  levels: string[],
  stratumOf: (r: ValuesRow) => string | null,
  warnings: string[],
  o: { method: PosthocMethod; control: string | null; mse: number; df: number; level: number },
): LabComparison[] {
  const comparisons: LabComparison[] = [];
  for (const st of [...new Set(rows.map(stratumOf))]) {
    const sub = rows.filter((r) => stratumOf(r) === st);
    const present = levels.filter((l) => sub.some((r) => r[factor] === l));
    if (present.length < 2 || (o.control !== null && !present.includes(o.control))) {
      warnings.push(`${st ?? 'all samples'}: fewer than 2 groups (or no control): no comparisons`);
      continue;
    }
    const ph = posthocComparisons(
      sub.map((r) => Number(r['value'])),
      sub.map((r) => String(r[factor])),
      { grouping: factor, levels: present, ...o },
    );
    comparisons.push(...ph.comparisons.map((c) => ({ ...c, stratum: st })));
  }
  return comparisons;
}

function groupSummaries(
  rows: ValuesRow[],
  factor: string,
  levels: string[],
  stratumOf: (r: ValuesRow) => string | null,
): LabGroup[] {
  const strata = [...new Set(rows.map(stratumOf))];
  const out: LabGroup[] = [];
  for (const st of strata)
    for (const level of levels) {
      const v = rows.filter((r) => stratumOf(r) === st && r[factor] === level).map((r) => Number(r['value']));
      if (v.length === 0) continue;
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      const sd = v.length > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1)) : NaN;
      out.push({ level, stratum: st, n: v.length, mean, sd, sem: sd / Math.sqrt(v.length) });
    }
  return out;
}

function isBalanced(groups: LabGroup[]): boolean {
  return groups.every((g) => g.n === groups[0]!.n);
}
