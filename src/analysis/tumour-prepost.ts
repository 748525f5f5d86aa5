/**
 * Report sections: tumour uptake and volume from pre- to post-CART (docs/references/trial.md §5, Fig. 4a, 4c).
 * - Pre → post: log SUVpeak (volume-corrected) ~ timepoint with random intercepts per patient and per
 *   lesion within patient (setting `prePostRandom`); geometric means per timepoint and post/pre
 *   geometric-mean ratios from the REML fit (Satterthwaite df), timepoint LRT under ML. The same model
 *   for log lesion volume gives the volume change (%) per timepoint.
 * - Lesion-level association (cohort with the `associationTimepoint` scan, day +2): log post SUVpeak ~
 *   log pre SUVpeak + (1 | patient): slope with CI (REML, Satterthwaite), LRT under ML, variance
 *   explained (Nakagawa–Schielzeth marginal and conditional R²), scatter with the fit and 95 % band.
 */
import type { StudyData } from '../study/model.js';
import { formatCi, formatPEquals, formatSig } from './format.js';
import { estimateFigure, scatterFitFigure } from './figures.js';
import { countPatients, primaryRows, tumourData, type LesionRow } from './lesions.js';
import {
  contrast,
  fitMixed,
  lrt,
  r2Nakagawa,
  unitContrast,
  type ContrastEstimate,
  type LrtResult,
  type ModelRecord,
} from './mixed.js';
import { notRunSection, type ResultFigure, type ResultTable, type SectionBody } from './types.js';
import { timepointOrder } from './normal-tissue-summary.js';
import type { PrePostRandom } from './settings.js';

/** lme4 random-effects terms of a pre → post structure. */
export function randomTerms(random: PrePostRandom): string {
  if (random === 'patient') return '(1 | patient)';
  if (random === 'patient/lesion') return '(1 | patient/lesion)';
  return '(1 | patient) + (1 | patient:timepoint) + (1 | patient:lesion)';
}

const RANDOM_WORDS: Record<PrePostRandom, string> = {
  patient: 'per patient',
  'patient/lesion': 'per patient and per lesion within patient',
  'patient/lesion+timepoint':
    'per patient, per patient and timepoint (a patient-specific change at each timepoint) and per lesion within patient',
};

/** Per-timepoint estimate of a pre → post model. */
export interface TimepointEstimate {
  timepoint: string;
  lesions: number;
  patients: number;
  /** Geometric mean (back-transformed). */
  geometricMean: number;
  lower: number;
  upper: number;
  logScale: ContrastEstimate;
}

/** Post/pre ratio of geometric means. */
export interface TimepointRatio {
  timepoint: string;
  ratio: number;
  lower: number;
  upper: number;
  /** 100·(ratio − 1): percentage change. */
  changePercent: number;
  changeLower: number;
  changeUpper: number;
  p: number;
}

/** One pre → post model (uptake or volume). */
export interface PrePostModel {
  formula: string;
  timepoints: TimepointEstimate[];
  ratios: TimepointRatio[];
  lrt: LrtResult;
  droppedTimepoints: string[];
  warnings: string[];
}

/**
 * Fits log(value) ~ timepoint + random effects to lesion rows; timepoints with fewer than 2 patients
 * are left out (named in `droppedTimepoints`).
 */
export function prePostModel(
  rows: LesionRow[],
  value: (r: LesionRow) => number,
  random: PrePostRandom,
): PrePostModel | string {
  const byTp = new Map<string, Set<string>>();
  for (const r of rows) byTp.set(r.timepoint, (byTp.get(r.timepoint) ?? new Set()).add(r.patientId));
  const dropped = [...byTp.entries()].filter(([t, p]) => t !== 'pre' && p.size < 2).map(([t]) => t);
  const kept = rows.filter((r) => !dropped.includes(r.timepoint) && value(r) > 0);
  const tps = [...new Set(kept.map((r) => r.timepoint))].sort(timepointOrder);
  if (!tps.includes('pre')) return 'no pre-CART lesions';
  if (tps.length < 2) {
    return dropped.length > 0
      ? `no post-CART timepoint with at least 2 patients (left out: ${dropped.join(', ')})`
      : 'no post-CART scans';
  }
  const re = randomTerms(random);
  const formula = `log_y ~ timepoint + ${re}`;
  const records: ModelRecord[] = kept.map((r) => ({
    log_y: Math.log(value(r)),
    timepoint: r.timepoint,
    patient: r.patientId,
    lesion: r.lesionId,
  }));
  const ref = { timepoint: 'pre' };
  const fit = fitMixed(formula, records, { reml: true, ref });
  const timepoints: TimepointEstimate[] = tps.map((t) => {
    const l = fit.coefNames.map((n, j) => (j === 0 || n === `timepoint${t}` ? 1 : 0));
    const c = contrast(fit, l);
    const sub = kept.filter((r) => r.timepoint === t);
    return {
      timepoint: t,
      lesions: sub.length,
      patients: countPatients(sub),
      geometricMean: Math.exp(c.estimate),
      lower: Math.exp(c.lower),
      upper: Math.exp(c.upper),
      logScale: c,
    };
  });
  const ratios: TimepointRatio[] = tps
    .filter((t) => t !== 'pre')
    .map((t) => {
      const c = contrast(fit, unitContrast(fit, `timepoint${t}`));
      const ratio = Math.exp(c.estimate);
      return {
        timepoint: t,
        ratio,
        lower: Math.exp(c.lower),
        upper: Math.exp(c.upper),
        changePercent: 100 * (ratio - 1),
        changeLower: 100 * (Math.exp(c.lower) - 1),
        changeUpper: 100 * (Math.exp(c.upper) - 1),
        p: c.p,
      };
    });
  const t = lrt(
    fitMixed(formula, records, { reml: false, ref }),
    fitMixed(`log_y ~ 1 + ${re}`, records, { reml: false }),
  );
  return { formula, timepoints, ratios, lrt: t, droppedTimepoints: dropped, warnings: fit.warnings };
}

/** Results of the pre → post section: the uptake model and, when it could be fitted, the volume model. */
export interface TumourPrePostResults {
  uptake: PrePostModel;
  volume?: PrePostModel;
}

/** Pre → post tumour uptake and volume section. */
export function tumourPrePost(study: StudyData): SectionBody<TumourPrePostResults> {
  const td = tumourData(study);
  const s = td.settings;
  const re = randomTerms(s.prePostRandom);
  const base = {
    description:
      'Linear mixed models of log volume-corrected SUVpeak and of log lesion volume with the scan timepoint as fixed effect and random ' +
      `intercepts ${RANDOM_WORDS[s.prePostRandom]}` +
      (s.excludeEbvPositive ? ' (EBV+ DLBCL excluded)' : '') +
      '. Geometric means per timepoint and post/pre ratios with 95% CIs from the REML fit (Satterthwaite df); timepoint p from the likelihood-ratio test under ML. ' +
      'Volume change (%) = 100·(ratio − 1).',
    formula: `log(SUVpeak) ~ timepoint + ${re};  log(volume) ~ timepoint + ${re}`,
  };
  const notRun = (reason: string) => notRunSection(base, reason);
  if (td.pvcError) return notRun(td.pvcError);
  const rows = primaryRows(td);
  if (!rows.some((r) => r.timepoint !== 'pre')) return notRun('no post-CART scans with tumour lesions');
  let uptake: PrePostModel | string;
  let volume: PrePostModel | string;
  try {
    uptake = prePostModel(rows, (r) => r.suvPeakCorrected, s.prePostRandom);
    volume = prePostModel(rows, (r) => r.volumeMl, s.prePostRandom);
  } catch (e) {
    return notRun(`the mixed model could not be fitted: ${(e as Error).message}`);
  }
  if (typeof uptake === 'string') return notRun(uptake);
  const warnings = [
    ...uptake.warnings,
    ...uptake.droppedTimepoints.map((t) => `timepoint ${t} left out: fewer than 2 patients`),
  ];
  const results: TumourPrePostResults = { uptake };
  const tables: ResultTable[] = [
    {
      id: 'tumour-prepost-uptake',
      title: 'Geometric-mean SUVpeak (volume-corrected) per timepoint and ratio to pre-CART',
      columns: [
        'timepoint',
        'lesions',
        'patients',
        'geomean',
        'ci_lower',
        'ci_upper',
        'ratio_to_pre',
        'ratio_lower',
        'ratio_upper',
        'p',
      ],
      rows: uptake.timepoints.map((t) => {
        const r = uptake.ratios.find((x) => x.timepoint === t.timepoint);
        return {
          timepoint: t.timepoint,
          lesions: t.lesions,
          patients: t.patients,
          geomean: t.geometricMean,
          ci_lower: t.lower,
          ci_upper: t.upper,
          ratio_to_pre: r?.ratio ?? 1,
          ratio_lower: r?.lower ?? null,
          ratio_upper: r?.upper ?? null,
          p: r?.p ?? null,
        };
      }),
    },
  ];
  const figures: ResultFigure[] = [
    estimateFigure(
      'tumour-prepost-uptake',
      'Geometric-mean SUVpeak (volume-corrected) by timepoint',
      uptake.timepoints.map((t) => ({
        label: t.timepoint,
        estimate: t.geometricMean,
        lower: t.lower,
        upper: t.upper,
      })),
      'SUVpeak (geometric mean, 95% CI)',
      'log',
      `Timepoint LRT ${formatPEquals(uptake.lrt.p)}.`,
    ),
  ];
  const findings = [
    `Geometric-mean SUVpeak: ${uptake.timepoints.map((t) => `${t.timepoint} ${formatCi(t.geometricMean, t.lower, t.upper)}`).join('; ')}; timepoint LRT ${formatPEquals(uptake.lrt.p)}.`,
    ...uptake.ratios.map(
      (r) => `${r.timepoint}/pre ratio ${formatCi(r.ratio, r.lower, r.upper)}, ${formatPEquals(r.p)}.`,
    ),
  ];
  if (typeof volume === 'string') warnings.push(`volume model not done: ${volume}`);
  else volumeOutputs(volume, s.volumeChangeTimepoint, { results, tables, figures, findings, warnings });
  return {
    ...base,
    status: 'ok',
    n: {
      patients: countPatients(rows),
      lesions: new Set(rows.map((r) => `${r.patientId}\u0000${r.lesionId}`)).size,
      observations: rows.length,
    },
    results,
    findings,
    tables,
    figures,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/** One lesion measured pre-CART and at the association timepoint (volume-corrected SUVpeak, g/mL). */
export interface LesionPair {
  patientId: string;
  lesionId: string;
  pre: number;
  post: number;
}

/** Results of the lesion-level association section. */
export interface TumourAssociationResults {
  /** The post-CART timepoint (settings `associationTimepoint`). */
  timepoint: string;
  intercept: number;
  slope: ContrastEstimate;
  lrt: LrtResult;
  r2Marginal: number;
  r2Conditional: number;
  pairs: LesionPair[];
}

/** Lesion-level association of pre-CART with post-CART (`associationTimepoint`) uptake. */
export function tumourAssociation(study: StudyData): SectionBody<TumourAssociationResults> {
  const td = tumourData(study);
  const tp = td.settings.associationTimepoint;
  const base = {
    description:
      `Lesions measured both pre-CART and at ${tp}: linear mixed model of log ${tp} SUVpeak on log pre-CART SUVpeak (both volume-corrected) ` +
      'with a random patient intercept. Slope with 95% CI from the REML fit (Satterthwaite df); p from the likelihood-ratio test under ML; ' +
      'variance explained as the marginal R² (Nakagawa & Schielzeth 2013; conditional R² also given).',
    formula: 'log(SUVpeak_post) ~ log(SUVpeak_pre) + (1 | patient)',
  };
  const notRun = (reason: string) => notRunSection(base, reason);
  if (td.pvcError) return notRun(td.pvcError);
  const rows = primaryRows(td);
  const pre = new Map(
    rows.filter((r) => r.timepoint === 'pre').map((r) => [`${r.patientId}\u0000${r.lesionId}`, r]),
  );
  const pairs = rows
    .filter((r) => r.timepoint === tp)
    .flatMap((r): LesionPair[] => {
      const p = pre.get(`${r.patientId}\u0000${r.lesionId}`);
      return p
        ? [
            {
              patientId: r.patientId,
              lesionId: r.lesionId,
              pre: p.suvPeakCorrected,
              post: r.suvPeakCorrected,
            },
          ]
        : [];
    });
  const patients = countPatients(pairs);
  if (pairs.length === 0) return notRun(`no lesions measured both pre-CART and at ${tp}`);
  if (patients < 3) return notRun(`only ${patients} patient(s) with lesions at ${tp} (need 3)`);
  const records: ModelRecord[] = pairs.map((p) => ({
    log_post: Math.log(p.post),
    log_pre: Math.log(p.pre),
    patient: p.patientId,
  }));
  let slope: ContrastEstimate;
  let test: LrtResult;
  let r2: { marginal: number; conditional: number };
  let curve: { x: number; estimate: number; lower: number; upper: number }[];
  let intercept: number;
  const warnings: string[] = [];
  try {
    const fit = fitMixed('log_post ~ log_pre + (1 | patient)', records, { reml: true });
    warnings.push(...fit.warnings);
    slope = contrast(fit, unitContrast(fit, 'log_pre'));
    intercept = fit.beta[0]!;
    test = lrt(
      fitMixed('log_post ~ log_pre + (1 | patient)', records, { reml: false }),
      fitMixed('log_post ~ 1 + (1 | patient)', records, { reml: false }),
    );
    r2 = r2Nakagawa(
      fit,
      records.map((r) => [1, r['log_pre'] as number]),
    );
    const lo = Math.min(...pairs.map((p) => Math.log(p.pre)));
    const hi = Math.max(...pairs.map((p) => Math.log(p.pre)));
    curve = Array.from({ length: 25 }, (_, i) => lo + ((hi - lo) * i) / 24).map((x) => {
      const c = contrast(fit, [1, x]);
      return {
        x: Math.exp(x),
        estimate: Math.exp(c.estimate),
        lower: Math.exp(c.lower),
        upper: Math.exp(c.upper),
      };
    });
  } catch (e) {
    return notRun(`the mixed model could not be fitted: ${(e as Error).message}`);
  }
  return {
    ...base,
    status: 'ok',
    n: { patients, lesions: pairs.length },
    results: {
      timepoint: tp,
      intercept,
      slope,
      lrt: test,
      r2Marginal: r2.marginal,
      r2Conditional: r2.conditional,
      pairs,
    },
    findings: [
      `log SUVpeak ${tp} = ${formatSig(intercept)} + ${formatSig(slope.estimate)} × log SUVpeak pre (95% CI ${formatSig(slope.lower)} to ${formatSig(slope.upper)}); LRT ${formatPEquals(test.p)}; ` +
        `variance explained (marginal R²) ${formatSig(100 * r2.marginal)}% (${pairs.length} lesions, ${patients} patients).`,
    ],
    tables: [
      {
        id: 'tumour-association',
        title: `Slope of log ${tp} on log pre-CART SUVpeak`,
        columns: [
          'slope',
          'ci_lower',
          'ci_upper',
          'df',
          'lrt_chisq',
          'lrt_p',
          'r2_marginal',
          'r2_conditional',
          'lesions',
          'patients',
        ],
        rows: [
          {
            slope: slope.estimate,
            ci_lower: slope.lower,
            ci_upper: slope.upper,
            df: slope.df,
            lrt_chisq: test.chisq,
            lrt_p: test.p,
            r2_marginal: r2.marginal,
            r2_conditional: r2.conditional,
            lesions: pairs.length,
            patients,
          },
        ],
      },
    ],
    figures: [
      scatterFitFigure(
        'tumour-association',
        `SUVpeak at ${tp} vs pre-CART (volume-corrected), LMM fit with 95% band`,
        pairs.map((p) => ({ x: p.pre, y: p.post })),
        curve,
        { x: 'Pre-CART SUVpeak', y: `${tp} SUVpeak`, xScale: 'log', yScale: 'log' },
      ),
    ],
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

// step: the volume model's table, figure and finding (volume change at `changeTimepoint`).
function volumeOutputs(
  volume: PrePostModel,
  changeTimepoint: string,
  out: {
    results: TumourPrePostResults;
    tables: ResultTable[];
    figures: ResultFigure[];
    findings: string[];
    warnings: string[];
  },
): void {
  const { results, tables, figures, findings, warnings } = out;
  results.volume = volume;
  tables.push({
    id: 'tumour-prepost-volume',
    title: 'Geometric-mean lesion volume (mL) per timepoint and change from pre-CART',
    columns: [
      'timepoint',
      'lesions',
      'geomean_ml',
      'ci_lower',
      'ci_upper',
      'change_percent',
      'change_lower',
      'change_upper',
      'p',
    ],
    rows: volume.timepoints.map((t) => {
      const r = volume.ratios.find((x) => x.timepoint === t.timepoint);
      return {
        timepoint: t.timepoint,
        lesions: t.lesions,
        geomean_ml: t.geometricMean,
        ci_lower: t.lower,
        ci_upper: t.upper,
        change_percent: r?.changePercent ?? 0,
        change_lower: r?.changeLower ?? null,
        change_upper: r?.changeUpper ?? null,
        p: r?.p ?? null,
      };
    }),
  });
  figures.push(
    estimateFigure(
      'tumour-prepost-volume',
      'Geometric-mean lesion volume by timepoint',
      volume.timepoints.map((t) => ({
        label: t.timepoint,
        estimate: t.geometricMean,
        lower: t.lower,
        upper: t.upper,
      })),
      'Volume (mL, geometric mean, 95% CI)',
      'log',
    ),
  );
  const v = volume.ratios.find((r) => r.timepoint === changeTimepoint);
  if (v)
    findings.push(
      `Tumour volume change pre → ${v.timepoint}: ${formatSig(v.changePercent)}% (95% CI ${formatSig(v.changeLower)} to ${formatSig(v.changeUpper)}), ${formatPEquals(v.p)}.`,
    );
  else warnings.push(`no volume estimate at ${changeTimepoint} (analysis.volumeChangeTimepoint)`);
}
