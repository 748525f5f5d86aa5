/**
 * Report section `radiotherapy-dose` (the paper, Methods "statistical analysis": "The described approach
 * for linear mixed models was applied to investigate the dose-response relation for individual tumor
 * lesions in patients who received bridging radiotherapy. Still, a non-linear relation using a restricted
 * cubic spline was also assessed"; Results, irradiated lesions, Fig. 3g/h, Suppl. Fig. 5).
 *
 * Lesions with a dose in radiotherapy.csv (every lesion of the patients bridged with radiotherapy,
 * primary population), outcome the volume-corrected pre-CART SUVpeak on the log scale:
 * - linear: log(SUVpeak) ~ dose + (1 | patient) (REML; slope per Gy, Satterthwaite t CI);
 * - spline: log(SUVpeak) ~ rcs(dose, 3) + (1 | patient) (REML) with rms's default knots, the Wald χ²
 *   tests of dose and of nonlinearity as rms `anova` reports them, and the fitted geometric mean
 *   SUVpeak over dose with its 95 % band.
 */
import { rcsBasisRow, rcsKnots, rcsWaldTests, type RcsWaldTest } from '../stats/rcs.js';
import type { StudyData } from '../study/model.js';
import { scatterFitFigure } from './figures.js';
import { formatCi, formatPEquals, formatSig } from './format.js';
import { countPatients, primaryRows, tumourData } from './lesions.js';
import { contrast, fitMixed, unitContrast, varianceComponents, type ContrastEstimate } from './mixed.js';
import { notRunSection, type AnalysisSection } from './types.js';

/** Knots of the dose spline (rms `rcs(dose, 3)`: few patients, few distinct doses). */
export const DOSE_SPLINE_KNOTS = 3;

/** One lesion of the dose–response model. */
export interface DoseObservation {
  patientId: string;
  lesionId: string;
  doseGy: number;
  /** log of the volume-corrected pre-CART SUVpeak. */
  logSuvPeak: number;
}

/** A fixed-effect coefficient of the spline model. */
export interface DoseCoefficient {
  term: string;
  estimate: number;
  se: number;
}

/** The fitted dose–response (see file header). */
export interface DoseResponseFit {
  knots: number[];
  coefficients: DoseCoefficient[];
  /** Covariance of the coefficients (rows in coefficient order). */
  vcov: number[][];
  residualSd: number;
  patientSd: number;
  /** Wald χ² of all spline terms (dose associated with uptake) and of the nonlinear terms. */
  waldDose: RcsWaldTest;
  waldNonlinear: RcsWaldTest;
  /** Linear model: log SUVpeak per Gy. */
  linearSlopePerGy: ContrastEstimate;
  /** Fitted geometric mean SUVpeak over dose (REML, Satterthwaite t band). */
  curve: { doseGy: number; geometricMean: number; lower: number; upper: number }[];
  warnings: string[];
}

/** `results` of the `radiotherapy-dose` section. */
export interface RadiotherapyDoseResults {
  fit: DoseResponseFit;
  observations: DoseObservation[];
  targetLesions: number;
}

/**
 * Fits the linear and the spline dose–response models with a random intercept per patient.
 * @param obs one row per lesion
 * @param nk spline knots (default `DOSE_SPLINE_KNOTS`)
 * @throws InputError when the knots cannot be placed (too few distinct doses) or the mixed model cannot
 *   be fitted
 * Source: Harrell (2015) §2.4.5 and rms `rcs`/`anova.rms`; lme4 `lmer` (REML); lmerTest (Satterthwaite).
 */
export function doseResponse(obs: readonly DoseObservation[], nk = DOSE_SPLINE_KNOTS): DoseResponseFit {
  const doses = obs.map((o) => o.doseGy);
  const { knots, warnings } = rcsKnots(doses, nk);
  const names = knots.slice(1).map((_, j) => `dose${j}`);
  const records = obs.map((o) => {
    const r: Record<string, number | string> = { y: o.logSuvPeak, patient: o.patientId, dose: o.doseGy };
    rcsBasisRow(o.doseGy, knots).forEach((v, j) => (r[names[j]!] = v));
    return r;
  });
  const fit = fitMixed(`y ~ ${names.join(' + ')} + (1 | patient)`, records, { reml: true });
  const p = fit.beta.length;
  const vcov = Array.from({ length: p }, (_, i) =>
    Array.from({ length: p }, (__, j) => fit.vcov[i * p + j]!),
  );
  const spline = names.map((n) => fit.coefNames.indexOf(n));
  const { overall, nonlinear } = rcsWaldTests(fit.beta, vcov, spline);
  const linear = fitMixed('y ~ dose + (1 | patient)', records, { reml: true });
  const lo = Math.min(...doses);
  const hi = Math.max(...doses);
  const curve = Array.from({ length: 41 }, (_, i) => lo + ((hi - lo) * i) / 40).map((d) => {
    const row = rcsBasisRow(d, knots);
    const l = fit.coefNames.map((n) => (n === '(Intercept)' ? 1 : row[names.indexOf(n)]!));
    const c = contrast(fit, l);
    return {
      doseGy: d,
      geometricMean: Math.exp(c.estimate),
      lower: Math.exp(c.lower),
      upper: Math.exp(c.upper),
    };
  });
  const vc = varianceComponents(fit);
  return {
    knots,
    coefficients: fit.coefNames.map((term, j) => ({
      term,
      estimate: fit.beta[j]!,
      se: Math.sqrt(vcov[j]![j]!),
    })),
    vcov,
    residualSd: fit.sigma,
    patientSd: Math.sqrt(vc.find((v) => v.group !== 'Residual')?.variance ?? NaN),
    waldDose: overall,
    waldNonlinear: nonlinear,
    linearSlopePerGy: contrast(linear, unitContrast(linear, 'dose')),
    curve,
    warnings: [...warnings, ...fit.warnings, ...linear.warnings],
  };
}

/** The `radiotherapy-dose` section (see file header). Not run without radiotherapy.csv doses. */
export function radiotherapyDoseSection(study: StudyData): AnalysisSection {
  const base = {
    id: 'radiotherapy-dose',
    title: 'Radiotherapy dose per lesion and pre-CART uptake',
    description:
      'Lesions of patients bridged with radiotherapy (radiotherapy.csv: dose per lesion in Gy, 0 outside the ' +
      'target): volume-corrected pre-CART SUVpeak on the log scale against dose, by the linear mixed model ' +
      'log(SUVpeak) ~ dose + (1 | patient) and by a restricted cubic spline with 3 knots at rms defaults, ' +
      'log(SUVpeak) ~ rcs(dose, 3) + (1 | patient) (REML); Wald χ² tests of dose and of nonlinearity as rms anova.',
    formula: 'log(SUVpeak_corrected) ~ rcs(dose_gy, 3) + (1 | patient)',
  };
  const doses = study.lesionOutcomes?.lesionRadiotherapy ?? [];
  if (doses.length === 0)
    return notRunSection(base, 'no radiotherapy doses: the bundle has no radiotherapy.csv rows');
  const td = tumourData(study);
  if (td.pvcError) return notRunSection(base, td.pvcError);
  const doseOf = new Map(doses.map((d) => [`${d.patientId}\u0000${d.lesionId}`, d.doseGy]));
  const targets = new Map(
    study.vois
      .filter((v) => v.kind === 'lesion')
      .map((v) => [`${v.patientId}\u0000${v.lesionId}`, v.irradiated]),
  );
  const observations: DoseObservation[] = primaryRows(td)
    .filter((r) => r.timepoint === 'pre' && doseOf.has(`${r.patientId}\u0000${r.lesionId}`))
    .map((r) => ({
      patientId: r.patientId,
      lesionId: r.lesionId,
      doseGy: doseOf.get(`${r.patientId}\u0000${r.lesionId}`)!,
      logSuvPeak: Math.log(r.suvPeakCorrected),
    }));
  const patients = countPatients(observations);
  if (patients < 3)
    return notRunSection(base, `only ${patients} patient(s) with dosed pre-CART lesions (need 3)`);
  let fit: DoseResponseFit;
  try {
    fit = doseResponse(observations);
  } catch (e) {
    return notRunSection(base, (e as Error).message);
  }
  const targetLesions = observations.filter(
    (o) => targets.get(`${o.patientId}\u0000${o.lesionId}`) === true,
  ).length;
  const results: RadiotherapyDoseResults = { fit, observations, targetLesions };
  const s = fit.linearSlopePerGy;
  return {
    ...base,
    status: 'ok',
    n: { patients, lesions: observations.length },
    ...(fit.warnings.length > 0 ? { warnings: fit.warnings } : {}),
    results: { ...results },
    findings: [
      `${observations.length} lesions (${targetLesions} radiotherapy targets) of ${patients} patients, dose ` +
        `${formatSig(Math.min(...observations.map((o) => o.doseGy)))}–${formatSig(Math.max(...observations.map((o) => o.doseGy)))} Gy.`,
      `Linear: SUVpeak ratio per 10 Gy ${formatCi(Math.exp(10 * s.estimate), Math.exp(10 * s.lower), Math.exp(10 * s.upper))}, ${formatPEquals(s.p)}.`,
      `Spline (knots ${fit.knots.map((k) => formatSig(k)).join(', ')} Gy): dose χ² = ${formatSig(fit.waldDose.chisq)} ` +
        `(${fit.waldDose.df} df), ${formatPEquals(fit.waldDose.p)}; nonlinearity χ² = ${formatSig(fit.waldNonlinear.chisq)} ` +
        `(${fit.waldNonlinear.df} df), ${formatPEquals(fit.waldNonlinear.p)}.`,
    ],
    tables: [
      {
        id: 'radiotherapy-dose-model',
        title: 'Dose–response of pre-CART SUVpeak (log scale): spline coefficients and Wald tests',
        columns: ['term', 'estimate', 'se', 'chisq', 'df', 'p'],
        rows: [
          ...fit.coefficients.map((c) => ({
            term: c.term,
            estimate: c.estimate,
            se: c.se,
            chisq: null,
            df: null,
            p: null,
          })),
          { term: 'Wald: dose (all spline terms)', estimate: null, se: null, ...fit.waldDose },
          { term: 'Wald: nonlinear', estimate: null, se: null, ...fit.waldNonlinear },
          {
            term: 'linear model: dose (per Gy)',
            estimate: s.estimate,
            se: s.se,
            chisq: null,
            df: s.df,
            p: s.p,
          },
        ],
      },
      {
        id: 'radiotherapy-dose-knots',
        title: 'Knots of the dose spline (Gy)',
        columns: ['knot', 'dose_gy'],
        rows: fit.knots.map((k, i) => ({ knot: i + 1, dose_gy: k })),
      },
    ],
    figures: [
      scatterFitFigure(
        'radiotherapy-dose',
        'Pre-CART SUVpeak (volume-corrected) against radiotherapy dose per lesion',
        observations.map((o) => ({ x: o.doseGy, y: Math.exp(o.logSuvPeak) })),
        fit.curve.map((c) => ({ x: c.doseGy, estimate: c.geometricMean, lower: c.lower, upper: c.upper })),
        { x: 'Dose (Gy)', y: 'SUVpeak (volume-corrected)', yScale: 'log' },
        `Restricted cubic spline (knots ${fit.knots.map((k) => formatSig(k)).join(', ')} Gy) with a random intercept per patient; 95% band. Nonlinearity ${formatPEquals(fit.waldNonlinear.p)}.`,
      ),
    ],
  };
}
