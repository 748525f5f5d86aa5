/**
 * Partial-volume correction of lesion SUVpeak (docs/references/trial.md §4;
 * docs/references/statistics.md §11): log SUVpeak is modelled with a restricted cubic spline (`rms::rcs`
 * knots and basis) of lesion volume (or log volume) on a fitting subset (pre-CART lesions without
 * bridging radiotherapy), by OLS or by a linear mixed model with a random intercept per patient.
 * Each lesion's corrected log SUVpeak is its difference from the spline at its own volume plus the
 * spline at the reference volume (5 mL):  log SUV*_i = log SUV_i − f(x_i) + f(x_ref).
 * Pure computation, no I/O.
 */
import { InputError } from '../errors.js';
import { normalQuantileStd, tQuantileDf } from './distributions.js';
import { ols } from './ols.js';
import { rcsBasisRow, rcsKnots } from './rcs.js';

/** The spline's abscissa: lesion volume in mL or its natural log. */
export type PvcScale = 'volume' | 'log-volume';

/** A fitted-model abstraction the correction needs: fixed effects and their covariance. */
export interface PvcModelFit {
  /** Fixed-effect estimates in design order [intercept, x, x', …]. */
  beta: number[];
  /** Covariance of the fixed effects (same order). */
  covariance: number[][];
  /** Degrees of freedom for the curve's t band (OLS: residual df; LMM: null → normal band). */
  df: number | null;
  warnings: string[];
  /** Extra numbers for the report (e.g. residual SE, variance components). */
  extra: Record<string, number | null>;
}

/**
 * Fits log SUVpeak = [1, rcs(x)]β (+ random intercept per group). Supplied by the caller for the
 * mixed-model method (so this module stays independent of the LMM engine).
 *
 * @param design fitting-subset design rows [1, x, x', …]
 * @param logSuv fitting-subset log SUVpeak
 * @param group fitting-subset group labels
 */
export type PvcLmmFitter = (design: number[][], logSuv: number[], group: string[]) => PvcModelFit;

/** Options of {@link pvcFit}. */
export interface PvcOptions {
  /** 'ols' (default) or 'lmm' (random intercept per `group`, REML; needs `lmmFitter`). */
  method?: 'ols' | 'lmm';
  /** Cluster label per row (patient), required for 'lmm'. */
  group?: readonly string[];
  /** Rows that define the knots and the fit (e.g. pre-CART lesions without radiotherapy). Default all. */
  knotsFrom?: readonly boolean[];
  /** Reference volume in mL (default 5). */
  referenceMl?: number;
  /** Spline abscissa (default 'volume'). */
  scale?: PvcScale;
  /** Number of knots (default 4). */
  nk?: number;
  /** Mixed-model fitter, required for method 'lmm'. */
  lmmFitter?: PvcLmmFitter;
}

/** One coefficient of the spline model. */
export interface PvcCoefficient {
  term: string;
  estimate: number;
  se: number;
}

/** Result of {@link pvcFit}. */
export interface PvcFit {
  method: 'ols' | 'lmm';
  scale: PvcScale;
  referenceMl: number;
  /** Knots on the spline's scale (mL or log mL). */
  knots: number[];
  coefficients: PvcCoefficient[];
  /** Model estimate of log SUVpeak at the reference volume (intercept + spline), i.e. log geometric mean. */
  splineAtReference: number;
  /** exp(splineAtReference): the geometric mean SUVpeak of a reference-volume lesion. */
  geometricMeanAtReference: number;
  /** Corrected SUVpeak per input row (row order). */
  corrected: number[];
  /** Number of rows in the fitting subset. */
  nFit: number;
  /** Number of groups in the fitting subset (null without groups). */
  groupsFit: number | null;
  /** Curve df (null = normal band). */
  df: number | null;
  /** Covariance of the coefficients (coefficient order). */
  covariance: number[][];
  extra: Record<string, number | null>;
  warnings: string[];
}

/** Abscissa of a volume on the given scale. */
export function pvcAbscissa(volumeMl: number, scale: PvcScale): number {
  return scale === 'volume' ? volumeMl : Math.log(volumeMl);
}

/**
 * Fits the partial-volume spline and corrects every row's SUVpeak.
 *
 * @param suv SUVpeak per lesion row (g/mL, > 0)
 * @param volumeMl lesion volume per row (mL, > 0)
 * @param options see {@link PvcOptions}
 * @returns knots, coefficients (with SEs), the estimate at the reference volume and the corrected SUVpeak
 * @throws InputError on non-positive or non-finite SUVpeak/volume, length mismatch, a missing group
 *   or fitter for 'lmm', or too few fitting rows for the spline (≥ 6 and > number of coefficients)
 */
export function pvcFit(
  suv: readonly number[],
  volumeMl: readonly number[],
  options: PvcOptions = {},
): PvcFit {
  const method = options.method ?? 'ols';
  const scale = options.scale ?? 'volume';
  const referenceMl = options.referenceMl ?? 5;
  const nk = options.nk ?? 4;
  const n = suv.length;
  if (volumeMl.length !== n)
    throw new InputError('suv and volume differ in length', { value: [n, volumeMl.length] });
  if (!(referenceMl > 0))
    throw new InputError('reference volume must be > 0 mL', { field: 'referenceMl', value: referenceMl });
  for (let i = 0; i < n; i++) {
    if (!(suv[i]! > 0) || !Number.isFinite(suv[i]!))
      throw new InputError('SUVpeak must be positive and finite', {
        row: i + 1,
        field: 'suv',
        value: suv[i],
      });
    if (!(volumeMl[i]! > 0) || !Number.isFinite(volumeMl[i]!))
      throw new InputError('volume must be positive and finite (mL)', {
        row: i + 1,
        field: 'volume',
        value: volumeMl[i],
      });
  }
  const mask = options.knotsFrom ?? suv.map(() => true);
  if (mask.length !== n)
    throw new InputError('knotsFrom differs in length from the data', { value: mask.length });
  if (method === 'lmm') {
    if (!options.group)
      throw new InputError('the mixed-model correction needs a group (patient) per row', { field: 'group' });
    if (!options.lmmFitter)
      throw new InputError('the mixed-model correction needs a mixed-model fitter', { field: 'method' });
  }
  if (options.group && options.group.length !== n)
    throw new InputError('group differs in length from the data', { value: options.group.length });

  const xs = volumeMl.map((v) => pvcAbscissa(v, scale));
  const fitIdx: number[] = [];
  for (let i = 0; i < n; i++) if (mask[i]) fitIdx.push(i);
  const { knots, warnings } = rcsKnots(
    fitIdx.map((i) => xs[i]!),
    nk,
  );
  const design = fitIdx.map((i) => [1, ...rcsBasisRow(xs[i]!, knots)]);
  const y = fitIdx.map((i) => Math.log(suv[i]!));
  const p = design[0]!.length;
  if (fitIdx.length <= p)
    throw new InputError(`the spline needs more than ${p} fitting lesions`, { value: fitIdx.length });

  let model: PvcModelFit;
  let groupsFit: number | null = null;
  if (method === 'ols') {
    const f = ols(design, y);
    model = {
      beta: f.coefficients,
      covariance: f.covariance,
      df: f.dfResidual,
      warnings: [],
      extra: { residualSe: f.residualSe, rSquared: f.rSquared, dfResidual: f.dfResidual },
    };
  } else {
    const g = fitIdx.map((i) => options.group![i]!);
    groupsFit = new Set(g).size;
    model = options.lmmFitter!(design, y, g);
  }
  if (options.group) groupsFit = new Set(fitIdx.map((i) => options.group![i]!)).size;
  const gamma = model.beta.slice(1);
  const spline = (x: number): number => rcsBasisRow(x, knots).reduce((s, b, j) => s + b * gamma[j]!, 0);
  const xRef = pvcAbscissa(referenceMl, scale);
  const fRef = spline(xRef);
  const corrected = xs.map((x, i) => Math.exp(Math.log(suv[i]!) - spline(x) + fRef));
  const base = scale === 'volume' ? 'volume' : 'log(volume)';
  const terms = ['(Intercept)', ...Array.from({ length: p - 1 }, (_, j) => base + "'".repeat(j))];
  const splineAtReference = model.beta[0]! + fRef;
  return {
    method,
    scale,
    referenceMl,
    knots,
    coefficients: terms.map((term, j) => ({
      term,
      estimate: model.beta[j]!,
      se: Math.sqrt(model.covariance[j]![j]!),
    })),
    splineAtReference,
    geometricMeanAtReference: Math.exp(splineAtReference),
    corrected,
    nFit: fitIdx.length,
    groupsFit,
    df: model.df,
    covariance: model.covariance,
    extra: model.extra,
    warnings: [...warnings, ...model.warnings],
  };
}

/** A point of the fitted volume–uptake curve (log SUVpeak scale) with its 95 % band. */
export interface PvcCurvePoint {
  volumeMl: number;
  estimate: number;
  lower: number;
  upper: number;
}

/**
 * The fitted curve log SUVpeak(volume) = [1, rcs(x)]β with a pointwise confidence band
 * (t on the model's df, normal when df is null), for the report.
 *
 * @param fit a {@link pvcFit} result
 * @param volumesMl volumes (mL) at which to evaluate
 * @param level confidence level (default 0.95)
 */
export function pvcCurve(fit: PvcFit, volumesMl: readonly number[], level = 0.95): PvcCurvePoint[] {
  const beta = fit.coefficients.map((c) => c.estimate);
  const q =
    fit.df === null ? normalQuantileStd(1 - (1 - level) / 2) : tQuantileDf(1 - (1 - level) / 2, fit.df);
  return volumesMl.map((v) => {
    const row = [1, ...rcsBasisRow(pvcAbscissa(v, fit.scale), fit.knots)];
    const estimate = row.reduce((s, b, j) => s + b * beta[j]!, 0);
    let var_ = 0;
    for (let i = 0; i < row.length; i++) {
      for (let j = 0; j < row.length; j++) var_ += row[i]! * fit.covariance[i]![j]! * row[j]!;
    }
    const se = Math.sqrt(var_);
    return { volumeMl: v, estimate, lower: estimate - q * se, upper: estimate + q * se };
  });
}
