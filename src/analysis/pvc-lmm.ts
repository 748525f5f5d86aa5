/**
 * The mixed-model fit of the partial-volume correction: log SUVpeak = [1, rcs(x)]β + b_patient + ε,
 * b ~ N(0, σ²_b), by REML (lme4::lmer(log_suv ~ rcs(x, knots) + (1 | patient))). Plugs into
 * `pvcFit(..., { method: 'lmm', lmmFitter })` (src/stats/pvc.ts).
 */
import type { PvcModelFit } from '../stats/pvc.js';
import { fitMixed, varianceComponents } from './mixed.js';

/**
 * Fits the spline model with a random intercept per group by REML.
 *
 * @param design rows [1, x, x', …] of the fitting subset
 * @param logSuv log SUVpeak of the fitting subset
 * @param group patient per row
 * @returns fixed effects, their covariance, df null (normal band), warnings, variance components
 * @throws InputError/ComputationError from the LMM engine
 */
export function pvcLmmFitter(design: number[][], logSuv: number[], group: string[]): PvcModelFit {
  const k = design[0]!.length - 1;
  const names = Array.from({ length: k }, (_, j) => `b${j + 1}`);
  const records = design.map((row, i) => {
    const r: Record<string, number | string> = { y: logSuv[i]!, patient: group[i]! };
    names.forEach((n, j) => (r[n] = row[j + 1]!));
    return r;
  });
  const fit = fitMixed(`y ~ ${names.join(' + ')} + (1 | patient)`, records, { reml: true });
  const p = fit.beta.length;
  const covariance = Array.from({ length: p }, (_, i) =>
    Array.from({ length: p }, (__, j) => fit.vcov[i * p + j]!),
  );
  const vc = varianceComponents(fit);
  return {
    beta: fit.beta,
    covariance,
    df: null,
    warnings: fit.warnings,
    extra: {
      residualSd: fit.sigma,
      patientSd: Math.sqrt(vc.find((v) => v.group !== 'Residual')?.variance ?? NaN),
      remlCriterion: fit.criterion,
    },
  };
}
