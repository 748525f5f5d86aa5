/**
 * The mixed-model steps the analysis plan repeats (docs/references/trial.md §3), on top of
 * the LMM engine (src/stats/lmm): fits from plain records, linear contrasts of the fixed effects with
 * Satterthwaite df and t-based CIs (lmerTest), likelihood-ratio tests under ML (anova(m0, m1)), Wald F
 * tests under REML (lmerTest type III), and Nakagawa–Schielzeth R². No I/O.
 */
import { InputError } from '../errors.js';
import { dataFrameFromRecords } from '../stats/data-frame.js';
import { chisqUpper } from '../stats/distributions.js';
import { anovaTypeIII, fitLmm, satterthwaite, type LmmFit } from '../stats/lmm/index.js';

/** A record of model data (numbers, strings, booleans; null = missing). */
export type ModelRecord = Record<string, number | string | boolean | null>;

/** An estimate of a linear combination of fixed effects. */
export interface ContrastEstimate {
  estimate: number;
  se: number;
  /** Satterthwaite denominator df. */
  df: number;
  t: number;
  p: number;
  lower: number;
  upper: number;
}

/** Likelihood-ratio test of nested ML fits. */
export interface LrtResult {
  chisq: number;
  df: number;
  p: number;
  logLikFull: number;
  logLikReduced: number;
}

/** Wald F test of a model term (Satterthwaite ddf). */
export interface WaldFResult {
  term: string;
  f: number;
  numDf: number;
  denDf: number;
  p: number;
}

/**
 * Fits `formula` to records by REML (default) or ML.
 *
 * When the fit ends on the boundary (a zero variance parameter), it is refitted from the boundary θ
 * with its zero diagonal entries set to 1, and the fit with the lower criterion is kept: the bounded optimiser can stop at a boundary point that is
 * not the optimum (seen against lme4 on nested and random-slope models).
 *
 * @param formula lme4 formula, e.g. `log_y ~ group + (1 | patient)`
 * @param records one record per observation
 * @param opts reml (default true) and reference levels per factor
 * @throws InputError from the engine for unusable data
 */
export function fitMixed(
  formula: string,
  records: ModelRecord[],
  opts: { reml?: boolean; ref?: Record<string, string> } = {},
): LmmFit {
  if (records.length === 0) throw new InputError('no observations for the mixed model', { value: formula });
  const df = dataFrameFromRecords(records);
  const base = { reml: opts.reml ?? true, ...(opts.ref ? { ref: opts.ref } : {}) };
  const first = fitLmm(formula, df, base);
  if (!first.singular) return first;
  const diag = diagonalPositions(first);
  const starts: number[][] = [first.theta.map((t, i) => (diag.has(i) && t === 0 ? 1 : t))];
  let best = first;
  for (const thetaStart of starts) {
    try {
      const f = fitLmm(formula, df, { ...base, thetaStart });
      if (f.criterion < best.criterion - 1e-10) best = f;
    } catch {
      // A start that fails is skipped; the first fit stands.
    }
  }
  return best;
}

/** Indices of the diagonal elements of θ (lme4 order: per term, lower triangle column-major). */
function diagonalPositions(fit: LmmFit): Set<number> {
  const perGroup = new Map<string, number>();
  for (const s of fit.varcorr.sd)
    if (s.group !== 'Residual') perGroup.set(s.group, (perGroup.get(s.group) ?? 0) + 1);
  const out = new Set<number>();
  let k = 0;
  for (const nc of perGroup.values()) {
    for (let col = 0; col < nc; col++) {
      for (let row = col; row < nc; row++) {
        if (row === col) out.add(k);
        k++;
      }
    }
  }
  return out;
}

/**
 * Estimate, SE, Satterthwaite df, t-test and CI of lᵀβ (lmerTest contest1D).
 *
 * @param fit a REML (or ML) fit
 * @param l contrast vector in the fit's coefficient order
 * @param level confidence level (default 0.95)
 */
export function contrast(fit: LmmFit, l: readonly number[], level = 0.95): ContrastEstimate {
  if (l.length !== fit.beta.length)
    throw new InputError('contrast length differs from the number of coefficients', { value: l.length });
  const c = satterthwaite(fit, [...l], level);
  return { estimate: c.estimate, se: c.se, df: c.df, t: c.t, p: c.p, lower: c.ciLower, upper: c.ciUpper };
}

/** Unit contrast for the coefficient named `name` (e.g. `groupEBV+`). */
export function unitContrast(fit: LmmFit, name: string): number[] {
  const j = fit.coefNames.indexOf(name);
  if (j < 0) throw new InputError('no such coefficient in the model', { field: name, value: fit.coefNames });
  return fit.coefNames.map((_, k) => (k === j ? 1 : 0));
}

/**
 * Likelihood-ratio test of two nested fits, both refitted by ML when fitted by REML (as lme4's anova).
 *
 * @param full the larger model (ML fit)
 * @param reduced the nested model (ML fit)
 */
export function lrt(full: LmmFit, reduced: LmmFit): LrtResult {
  if (full.reml || reduced.reml) throw new InputError('likelihood-ratio tests need ML fits');
  const chisq = Math.max(0, 2 * (full.logLik - reduced.logLik));
  const df = full.df - reduced.df;
  return { chisq, df, p: chisqUpper(chisq, df), logLikFull: full.logLik, logLikReduced: reduced.logLik };
}

/**
 * Type III Wald F test of `term` with Satterthwaite denominator df (lmerTest `anova(fit)`, its own
 * hypothesis matrices).
 *
 * @param fit a REML fit
 * @param term the term label, e.g. `group`
 * @throws InputError when the model has no such term
 */
export function waldF(fit: LmmFit, term: string): WaldFResult {
  const row = anovaTypeIII(fit).find((r) => r.term === term);
  if (!row) throw new InputError('no such term in the model', { field: term, value: fit.coefNames });
  return { term, f: row.F, numDf: row.numDf, denDf: row.denDf, p: row.p };
}

/** Variance components of a random-intercept model: patient (and other groups) and residual. */
export function varianceComponents(fit: LmmFit): { group: string; variance: number }[] {
  return fit.varcorr.sd.map((s) => ({
    group: s.group === 'Residual' ? 'Residual' : `${s.group} (${s.term})`,
    variance: s.sd * s.sd,
  }));
}

/**
 * Marginal and conditional R² of a random-intercept model (Nakagawa & Schielzeth 2013):
 * R²m = σ²_f / (σ²_f + Σσ²_u + σ²), R²c = (σ²_f + Σσ²_u) / (σ²_f + Σσ²_u + σ²), σ²_f = var(Xβ̂)
 * (denominator n − 1, as MuMIn::r.squaredGLMM).
 *
 * @param fit the fit
 * @param X the fixed-effects design rows (n × p) the fit used
 */
export function r2Nakagawa(
  fit: LmmFit,
  X: readonly (readonly number[])[],
): { marginal: number; conditional: number } {
  const eta = X.map((row) => row.reduce((s, v, j) => s + v * fit.beta[j]!, 0));
  const m = eta.reduce((a, b) => a + b, 0) / eta.length;
  const vf = eta.reduce((a, b) => a + (b - m) ** 2, 0) / (eta.length - 1);
  let vu = 0;
  let ve = 0;
  for (const s of fit.varcorr.sd) {
    if (s.group === 'Residual') ve = s.sd * s.sd;
    else if (s.term === '(Intercept)') vu += s.sd * s.sd;
  }
  const tot = vf + vu + ve;
  return { marginal: vf / tot, conditional: (vf + vu) / tot };
}

/** Element (i, j) of the fit's row-major p × p covariance. */
export function vcovAt(fit: LmmFit, i: number, j: number): number {
  return fit.vcov[i * fit.beta.length + j]!;
}
