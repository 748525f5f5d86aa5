/**
 * Report section: the partial-volume correction (docs/references/trial.md §4; the paper's Supplementary
 * Fig. 3): the spline fit of log SUVpeak on lesion volume, its knots and coefficients, the estimate at
 * the reference volume, and every lesion's corrected SUVpeak beside the measured one.
 */
import { pvcCurve, type PvcCurvePoint, type PvcFit } from '../stats/pvc.js';
import type { StudyData } from '../study/model.js';
import { formatSig } from './format.js';
import { scatterFitFigure } from './figures.js';
import { countPatients, tumourData } from './lesions.js';
import { notRunSection, type SectionBody } from './types.js';

/** Results of the partial-volume-correction section: the fit, its curve and every lesion corrected. */
export interface PartialVolumeResults extends Pick<
  PvcFit,
  | 'method'
  | 'scale'
  | 'referenceMl'
  | 'knots'
  | 'coefficients'
  | 'covariance'
  | 'splineAtReference'
  | 'geometricMeanAtReference'
  | 'nFit'
  | 'df'
  | 'extra'
> {
  patientsFit: number;
  curve: PvcCurvePoint[];
  lesions: {
    patientId: string;
    lesionId: string;
    timepoint: string;
    volumeMl: number;
    suvPeak: number;
    suvPeakCorrected: number;
    inFit: boolean;
  }[];
}

/** Geometric grid of n volumes between lo and hi (mL). */
export function volumeGrid(lo: number, hi: number, n = 60): number[] {
  const a = Math.log(lo);
  const b = Math.log(hi);
  return Array.from({ length: n }, (_, i) => Math.exp(a + ((b - a) * i) / (n - 1)));
}

/**
 * The partial-volume correction section.
 *
 * @param study the study; settings `analysis.pvc` (method, scale, referenceMl, knots, enabled)
 * @returns status 'not-run' when the correction is disabled, there are no lesions, or the fit fails
 */
export function partialVolumeSection(study: StudyData): SectionBody<PartialVolumeResults> {
  const td = tumourData(study);
  const s = td.settings.pvc;
  const x = s.scale === 'volume' ? 'volume' : 'log(volume)';
  const base = {
    description:
      `log SUVpeak is modelled with a ${s.knots}-knot restricted cubic spline (knots and basis as R rms::rcs) ` +
      `of lesion ${s.scale === 'volume' ? 'volume (mL)' : 'log volume'}, fitted by ` +
      (s.method === 'ols'
        ? 'ordinary least squares'
        : 'a linear mixed model with a random intercept per patient (REML)') +
      ' on pre-CART lesions that were not targets of bridging radiotherapy' +
      (td.settings.excludeEbvPositive ? ', EBV+ DLBCL patients excluded' : '') +
      `. Each lesion's corrected log SUVpeak is its difference from the spline at its own volume plus the spline at ${s.referenceMl} mL; ` +
      'the corrected SUVpeak is used for all tumour endpoints.',
    formula:
      s.method === 'ols'
        ? `log(SUVpeak) ~ rcs(${x}, ${s.knots})`
        : `log(SUVpeak) ~ rcs(${x}, ${s.knots}) + (1 | patient)`,
  };
  const notRun = (reason: string) => notRunSection(base, reason);
  if (!s.enabled) return notRun('the correction is disabled (analysis.pvc.enabled = false)');
  if (td.rows.length === 0) return notRun('no tumour lesions on scans of the study tracer');
  if (!td.pvc) return notRun(td.pvcError ?? 'the correction could not be fitted');
  const fit = td.pvc;
  const fitRows = td.rows.filter((r) => r.inPvcFit);
  const vols = fitRows.map((r) => r.volumeMl);
  const grid = volumeGrid(Math.min(...vols), Math.max(...vols));
  const curve = pvcCurve(fit, grid);
  const results: PartialVolumeResults = {
    method: fit.method,
    scale: fit.scale,
    referenceMl: fit.referenceMl,
    knots: fit.knots,
    coefficients: fit.coefficients,
    covariance: fit.covariance,
    splineAtReference: fit.splineAtReference,
    geometricMeanAtReference: fit.geometricMeanAtReference,
    nFit: fit.nFit,
    patientsFit: countPatients(fitRows),
    df: fit.df,
    extra: fit.extra,
    curve,
    lesions: td.rows.map((r) => ({
      patientId: r.patientId,
      lesionId: r.lesionId,
      timepoint: r.timepoint,
      volumeMl: r.volumeMl,
      suvPeak: r.suvPeak,
      suvPeakCorrected: r.suvPeakCorrected,
      inFit: r.inPvcFit,
    })),
  };
  return {
    ...base,
    status: 'ok',
    n: { patients: countPatients(fitRows), lesions: fit.nFit, observations: td.rows.length },
    results,
    findings: [
      `Fitted on ${fit.nFit} lesions of ${countPatients(fitRows)} patients; knots (${x}) at ${fit.knots.map((k) => formatSig(k)).join(', ')}.`,
      `Estimated geometric mean SUVpeak of a ${fit.referenceMl} mL lesion: ${formatSig(fit.geometricMeanAtReference)}.`,
      `Corrected SUVpeak computed for all ${td.rows.length} lesion measurements (pre and post).`,
    ],
    tables: [
      {
        id: 'pvc-coefficients',
        title: 'Spline coefficients (log SUVpeak scale)',
        columns: ['term', 'estimate', 'se'],
        rows: fit.coefficients.map((c) => ({ term: c.term, estimate: c.estimate, se: c.se })),
      },
      {
        id: 'pvc-lesions',
        title: 'Measured and volume-corrected SUVpeak per lesion measurement',
        columns: ['patient', 'lesion', 'timepoint', 'volume_ml', 'suvpeak', 'suvpeak_corrected', 'in_fit'],
        rows: td.rows.map((r) => ({
          patient: r.patientId,
          lesion: r.lesionId,
          timepoint: r.timepoint,
          volume_ml: r.volumeMl,
          suvpeak: r.suvPeak,
          suvpeak_corrected: r.suvPeakCorrected,
          in_fit: r.inPvcFit,
        })),
      },
    ],
    figures: [
      scatterFitFigure(
        'pvc-fit',
        'SUVpeak vs lesion volume with the spline fit (95% band)',
        fitRows.map((r) => ({ x: r.volumeMl, y: r.suvPeak })),
        curve.map((c) => ({
          x: c.volumeMl,
          estimate: Math.exp(c.estimate),
          lower: Math.exp(c.lower),
          upper: Math.exp(c.upper),
        })),
        { x: 'Lesion volume (mL)', y: 'SUVpeak', xScale: 'log', yScale: 'log' },
        `Pre-CART lesions used for the fit; the correction moves each lesion to the curve's value at ${fit.referenceMl} mL.`,
      ),
    ],
    ...(fit.warnings.length > 0 ? { warnings: fit.warnings } : {}),
  };
}
