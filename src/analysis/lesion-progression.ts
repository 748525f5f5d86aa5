/**
 * Report section `lesion-progression` (docs/references/trial.md §5–§6; the paper, Results "outcomes" ¶2,
 * Suppl. Table 3, Fig. 3a/b): the lesions that relapsed with their pre- and post-CART uptake, the
 * lesion-level hazard of progression at that lesion per 10 SUVpeak units with patients as clusters,
 * and the per-patient lesion strip plot at every timepoint (size and site encoded).
 *
 * Firth's penalised likelihood and a clustered (sandwich) variance are not combined by R's standard
 * tools (coxphf has no cluster term; coxph(cluster =) has no Firth penalty), so the section gives both:
 * the Firth fit (coxphf's model: Breslow ties, profile penalised-likelihood CI, penalised LRT p) with
 * lesions treated as independent, and the ordinary Cox fit with the robust SE clustered by patient.
 */
import { coxph, coxphFirth, type CoxCoefficient } from '../stats/survival/index.js';
import type { LesionProgression } from '../study/lesion-outcomes.js';
import type { StudyData } from '../study/model.js';
import { vegaLiteFigure } from './figures.js';
import { formatCi, formatPEquals } from './format.js';
import { countPatients, primaryRows, tumourData, type LesionRow } from './lesions.js';
import { deriveOutcomes } from './outcomes.js';
import { notRunSection, type AnalysisSection, type ResultFigure } from './types.js';

/** SUVpeak units per hazard-ratio step (the paper: "per 10-unit increase in SUVpeak"). */
export const SUVPEAK_STEP = 10;

/** One lesion in the lesion-level time-to-progression data. */
export interface LesionTimeRow {
  patientId: string;
  lesionId: string;
  /** Volume-corrected pre-CART SUVpeak (g/mL). */
  suvPeak: number;
  /** Days from infusion to progression at the lesion, or to the lesion's censoring. */
  days: number;
  /** 1: progression at this lesion; 0: censored (patient progressed elsewhere, or no progression). */
  status: 0 | 1;
}

/** The Firth-penalised estimate of the log HR per `SUVPEAK_STEP`. */
export interface LesionFirthEstimate {
  estimate: number;
  se: number;
  /** Profile penalised-likelihood limits of the log HR (95 %). */
  lower: number;
  upper: number;
  hr: number;
  hrLower: number;
  hrUpper: number;
  /** Penalised likelihood-ratio χ²₁ and its p. */
  chisq: number;
  p: number;
}

/**
 * The Cox estimate of the log HR per `SUVPEAK_STEP` with the robust SE clustered by patient: the
 * coefficient of `coxph` (z, p and the CI from the robust SE, as `summary.coxph`) without its term name.
 */
export type LesionClusteredCoxEstimate = Omit<CoxCoefficient, 'term'>;

/** Both fits of the lesion-level hazard. */
export interface LesionHazard {
  firth: LesionFirthEstimate;
  clusteredCox: LesionClusteredCoxEstimate;
  lesions: number;
  events: number;
  patients: number;
  warnings: string[];
}

/** One relapsed lesion (Suppl. Table 3). */
export interface RelapsedLesion {
  patientId: string;
  cohort: string;
  lesionId: string;
  label: string;
  site: string;
  progressionDay: number;
  /** Pre-CART SUVpeak as measured and volume-corrected (null when the lesion has no eligible pre-CART scan). */
  preSuvPeak: number | null;
  preSuvPeakCorrected: number | null;
  /** Below the median volume-corrected pre-CART SUVpeak of all primary lesions. */
  preBelowMedian: boolean | null;
  /** Post-CART scan (first eligible) and its SUVpeak. */
  postTimepoint: string | null;
  postSuvPeak: number | null;
  postBelowMedian: boolean | null;
}

/** `results` of the `lesion-progression` section. */
export interface LesionProgressionResults {
  suvPeakStep: number;
  hazard: LesionHazard;
  relapsedLesions: RelapsedLesion[];
  /** Medians of the primary lesions' volume-corrected pre-CART and measured post-CART SUVpeak. */
  medianPreSuvPeak: number;
  medianPostSuvPeak: number | null;
  notes: string[];
  lesions: LesionTimeRow[];
}

/**
 * Lesion-level hazard of progression per `SUVPEAK_STEP` SUVpeak units, by both fits (see file header).
 * @param rows one row per lesion (patient as cluster)
 * @returns the Firth estimate (Breslow ties, profile CI) and the Cox estimate (Efron ties, robust SE by patient)
 * @throws InputError from the Cox code (no events, constant SUVpeak); ComputationError (singular information)
 * Source: Firth (1993); Heinze & Schemper (2001); Lin & Wei (1989); R coxphf 1.13, survival 3.5.
 */
export function lesionHazard(rows: readonly LesionTimeRow[]): LesionHazard {
  const time = rows.map((r) => r.days);
  const status = rows.map((r) => r.status);
  const x = { names: ['suvpeak_per_10'], columns: [rows.map((r) => r.suvPeak / SUVPEAK_STEP)] };
  const f = coxphFirth(time, status, x).coefficients[0]!;
  const fit = coxph(time, status, x, { cluster: rows.map((r) => r.patientId) });
  const c = fit.coefficients[0]!;
  return {
    firth: {
      estimate: f.estimate,
      se: f.se,
      lower: f.lower,
      upper: f.upper,
      hr: f.hr,
      hrLower: f.hrLower,
      hrUpper: f.hrUpper,
      chisq: f.chisq,
      p: f.p,
    },
    clusteredCox: {
      estimate: c.estimate,
      se: c.se,
      robustSe: c.robustSe,
      z: c.z,
      p: c.p,
      hr: c.hr,
      hrLower: c.hrLower,
      hrUpper: c.hrUpper,
    },
    lesions: rows.length,
    events: status.filter((s) => s === 1).length,
    patients: countPatients(rows),
    warnings: fit.warnings,
  };
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * The lesion-level time-to-progression data: each primary pre-CART lesion, an event on the day of
 * progression at that lesion (lesion_progression.csv), else censored at the patient's time to
 * progression (the patient's progression day when the patient progressed elsewhere, else last follow-up).
 */
function lesionTimes(study: StudyData, pre: LesionRow[], progression: LesionProgression[]): LesionTimeRow[] {
  const ttp = new Map(deriveOutcomes(study).map((o) => [o.patientId, o.ttp]));
  const relapse = new Map(progression.map((p) => [`${p.patientId}\u0000${p.lesionId}`, p.day]));
  return pre.map((r) => {
    const day = relapse.get(`${r.patientId}\u0000${r.lesionId}`);
    return {
      patientId: r.patientId,
      lesionId: r.lesionId,
      suvPeak: r.suvPeakCorrected,
      days: day ?? ttp.get(r.patientId)!.days,
      status: day === undefined ? 0 : 1,
    };
  });
}

/** Suppl. Table 3: the relapsed lesions with their pre- and post-CART uptake. */
function relapsedLesions(
  study: StudyData,
  rows: LesionRow[],
  progression: LesionProgression[],
  medians: { pre: number; post: number | null },
): RelapsedLesion[] {
  const cohort = new Map(study.patients.map((p) => [p.patientId, p.cohort]));
  const label = new Map(
    study.vois.filter((v) => v.kind === 'lesion').map((v) => [`${v.patientId}\u0000${v.lesionId}`, v]),
  );
  return progression.map((p) => {
    const mine = rows.filter((r) => r.patientId === p.patientId && r.lesionId === p.lesionId);
    const pre = mine.find((r) => r.timepoint === 'pre') ?? null;
    const post =
      mine.filter((r) => r.timepoint !== 'pre').sort((a, b) => (a.day ?? 0) - (b.day ?? 0))[0] ?? null;
    const voi = label.get(`${p.patientId}\u0000${p.lesionId}`);
    return {
      patientId: p.patientId,
      cohort: cohort.get(p.patientId) ?? '',
      lesionId: p.lesionId,
      label: voi?.label ?? '',
      site: voi?.site ?? 'unknown',
      progressionDay: p.day,
      preSuvPeak: pre?.suvPeak ?? null,
      preSuvPeakCorrected: pre?.suvPeakCorrected ?? null,
      preBelowMedian: pre ? pre.suvPeakCorrected < medians.pre : null,
      postTimepoint: post?.timepoint ?? null,
      postSuvPeak: post?.suvPeak ?? null,
      postBelowMedian: post && medians.post !== null ? post.suvPeak < medians.post : null,
    };
  });
}

const NOTE_FIRTH_CLUSTER =
  "Firth's penalised likelihood and a clustered (sandwich) variance are not combined in R's standard tools " +
  '(coxphf has no cluster term; coxph(cluster = patient) has no Firth penalty): both are given. The Firth fit ' +
  'treats lesions as independent (its profile CI is too narrow when lesions of a patient share outcome); the ' +
  'Cox fit with the robust SE clustered by patient accounts for that but is not bias-reduced with few events.';

/**
 * The `lesion-progression` section (see file header). Not run without lesion_progression.csv, without a
 * partial-volume correction, or with no relapsed primary lesion.
 */
export function lesionProgressionSection(study: StudyData): AnalysisSection {
  const base = {
    id: 'lesion-progression',
    title: 'Lesion-level progression and pre-CART uptake',
    description:
      'Lesions that relapsed (lesion_progression.csv) with their pre- and post-CART SUVpeak (Suppl. Table 3), and ' +
      'the hazard of progression at a lesion per 10 units of volume-corrected pre-CART SUVpeak: time from infusion ' +
      "to progression at the lesion, censored at the patient's progression elsewhere or last follow-up. Firth-" +
      'penalised Cox (coxphf: Breslow ties, profile penalised-likelihood 95% CI, penalised LRT) and Cox with the ' +
      'robust SE clustered by patient (coxph(cluster = patient): Efron ties, Wald CI). Strip plot: every lesion per ' +
      'patient and timepoint (Fig. 3a/b).',
    formula:
      'coxphf(Surv(days, status) ~ I(suvpeak/10)); coxph(Surv(days, status) ~ I(suvpeak/10) + cluster(patient))',
  };
  const progression = study.lesionOutcomes?.lesionProgression ?? [];
  if (progression.length === 0)
    return notRunSection(base, 'no relapsed lesions: the bundle has no lesion_progression.csv rows');
  const td = tumourData(study);
  if (td.pvcError) return notRunSection(base, td.pvcError);
  const primary = primaryRows(td);
  const pre = primary.filter((r) => r.timepoint === 'pre');
  const post = primary.filter((r) => r.timepoint !== 'pre');
  const medians = {
    pre: median(pre.map((r) => r.suvPeakCorrected)),
    post: post.length > 0 ? median(post.map((r) => r.suvPeak)) : null,
  };
  const times = lesionTimes(study, pre, progression);
  if (!times.some((t) => t.status === 1))
    return notRunSection(base, 'no relapsed lesion among the primary pre-CART lesions');
  const hazard = lesionHazard(times);
  const relapsed = relapsedLesions(study, td.rows, progression, medians);
  const results: LesionProgressionResults = {
    suvPeakStep: SUVPEAK_STEP,
    hazard,
    relapsedLesions: relapsed,
    medianPreSuvPeak: medians.pre,
    medianPostSuvPeak: medians.post,
    notes: [NOTE_FIRTH_CLUSTER],
    lesions: times,
  };
  const { firth: f, clusteredCox: c } = hazard;
  return {
    ...base,
    status: 'ok',
    n: { patients: hazard.patients, lesions: hazard.lesions },
    warnings: [NOTE_FIRTH_CLUSTER, ...hazard.warnings],
    results: { ...results },
    findings: [
      `${relapsed.length} relapsed lesions in ${countPatients(relapsed)} patients; ` +
        `${relapsed.filter((r) => r.preBelowMedian === true).length} below the median pre-CART SUVpeak.`,
      `HR per 10 SUVpeak units (${hazard.events} events in ${hazard.lesions} lesions of ${hazard.patients} patients): ` +
        `Firth ${formatCi(f.hr, f.hrLower, f.hrUpper)}, ${formatPEquals(f.p)}; ` +
        `Cox clustered by patient ${formatCi(c.hr, c.hrLower, c.hrUpper)}, ${formatPEquals(c.p)}.`,
    ],
    tables: [
      {
        id: 'lesion-progression-relapsed',
        title: 'Relapsed lesions and their uptake (Suppl. Table 3)',
        columns: [
          'patient_id',
          'cohort',
          'lesion_id',
          'label',
          'site',
          'progression_day',
          'pre_suvpeak',
          'pre_suvpeak_corrected',
          'pre_below_median',
          'post_timepoint',
          'post_suvpeak',
          'post_below_median',
        ],
        rows: relapsed.map((r) => ({
          patient_id: r.patientId,
          cohort: r.cohort,
          lesion_id: r.lesionId,
          label: r.label,
          site: r.site,
          progression_day: r.progressionDay,
          pre_suvpeak: r.preSuvPeak,
          pre_suvpeak_corrected: r.preSuvPeakCorrected,
          pre_below_median: r.preBelowMedian,
          post_timepoint: r.postTimepoint,
          post_suvpeak: r.postSuvPeak,
          post_below_median: r.postBelowMedian,
        })),
      },
      {
        id: 'lesion-progression-hazard',
        title:
          "Hazard of progression at the lesion itself per 10 SUVpeak units (not the patient's TTP: see outcomes-hr)",
        columns: [
          'method',
          'log_hr',
          'se',
          'robust_se',
          'hr',
          'ci_lower',
          'ci_upper',
          'statistic',
          'p',
          'lesions',
          'events',
          'patients',
        ],
        rows: [
          {
            method: 'Firth (penalised likelihood, profile CI)',
            log_hr: f.estimate,
            se: f.se,
            robust_se: null,
            hr: f.hr,
            ci_lower: f.hrLower,
            ci_upper: f.hrUpper,
            statistic: f.chisq,
            p: f.p,
            lesions: hazard.lesions,
            events: hazard.events,
            patients: hazard.patients,
          },
          {
            method: 'Cox, robust SE clustered by patient',
            log_hr: c.estimate,
            se: c.se,
            robust_se: c.robustSe,
            hr: c.hr,
            ci_lower: c.hrLower,
            ci_upper: c.hrUpper,
            statistic: c.z,
            p: c.p,
            lesions: hazard.lesions,
            events: hazard.events,
            patients: hazard.patients,
          },
        ],
      },
    ],
    figures: [lesionStripFigure(study, stripPoints(study, td.settings.suvPeak), progression)],
  };
}

/** One lesion on one scan of the strip plot. */
export interface StripPoint {
  patientId: string;
  lesionId: string;
  timepoint: string;
  /** Measured SUVpeak (the settings' IBSI peak), g/mL. */
  suvPeak: number;
  volumeMl: number;
  site: string;
}

/**
 * Every lesion VOI on every scan of the study's tracer (all timepoints, whatever the tracer uptake
 * interval), with the measured SUVpeak of the settings (`global` or `local` IBSI peak).
 */
export function stripPoints(study: StudyData, peak: 'global' | 'local'): StripPoint[] {
  return study.vois
    .filter((v) => v.kind === 'lesion' && v.tracer === study.tracer.name)
    .map((v) => ({
      patientId: v.patientId,
      lesionId: v.lesionId ?? v.voiId,
      timepoint: v.timepoint,
      suvPeak: peak === 'global' ? v.suvPeakGlobal : v.suvPeakLocal,
      volumeMl: v.volumeMl,
      site: v.site ?? 'unknown',
    }));
}

/**
 * Fig. 3a/b at every timepoint: every lesion's measured SUVpeak per patient (patients ordered by their
 * pre-CART geometric mean SUVpeak), one panel per timepoint; point size the lesion volume (mL), colour
 * the site, relapsed lesions as triangles; a black tick at each patient's geometric mean.
 */
export function lesionStripFigure(
  study: StudyData,
  rows: readonly StripPoint[],
  progression: readonly LesionProgression[],
): ResultFigure {
  const relapsed = new Set(progression.map((p) => `${p.patientId}\u0000${p.lesionId}`));
  const gm = (rs: readonly StripPoint[]) =>
    Math.exp(rs.reduce((a, r) => a + Math.log(r.suvPeak), 0) / rs.length);
  const patients = [...new Set(rows.map((r) => r.patientId))];
  const preGm = new Map(
    patients.map((p) => [p, gm(rows.filter((r) => r.patientId === p && r.timepoint === 'pre'))]),
  );
  const order = [...patients].sort((a, b) => (preGm.get(a) || 0) - (preGm.get(b) || 0));
  const timepoints = [...new Set(rows.map((r) => r.timepoint))].sort((a, b) =>
    a === 'pre' ? -1 : b === 'pre' ? 1 : a.localeCompare(b, 'en', { numeric: true }),
  );
  const points = rows.map((r) => ({
    kind: 'lesion',
    patient: r.patientId,
    timepoint: r.timepoint,
    suvPeak: r.suvPeak,
    volumeMl: r.volumeMl,
    site: r.site,
    relapsed: relapsed.has(`${r.patientId}\u0000${r.lesionId}`) ? 'relapsed' : 'no relapse',
  }));
  const means = timepoints.flatMap((tp) =>
    patients
      .map((p) => rows.filter((r) => r.patientId === p && r.timepoint === tp))
      .filter((rs) => rs.length > 0)
      .map((rs) => ({ kind: 'gm', patient: rs[0]!.patientId, timepoint: tp, suvPeak: gm(rs) })),
  );
  return vegaLiteFigure(
    'lesion-progression-strip',
    `Lesion SUVpeak per patient and timepoint (${study.tracer.name})`,
    'Measured SUVpeak of every lesion; patients ordered by pre-CART geometric mean SUVpeak; size: lesion volume ' +
      '(mL); colour: site; triangles: lesions that relapsed; black ticks: geometric mean per patient.',
    {
      data: { values: [...points, ...means] },
      facet: { row: { field: 'timepoint', type: 'nominal', sort: timepoints, title: 'Timepoint' } },
      spec: {
        width: Math.max(300, 18 * order.length),
        height: 160,
        layer: [
          {
            transform: [{ filter: "datum.kind === 'lesion'" }],
            mark: { type: 'point', filled: true, opacity: 0.7 },
            encoding: {
              x: { field: 'patient', type: 'nominal', sort: order, title: 'Patient' },
              y: { field: 'suvPeak', type: 'quantitative', scale: { type: 'log' }, title: 'SUVpeak' },
              size: { field: 'volumeMl', type: 'quantitative', title: 'Volume (mL)' },
              color: { field: 'site', type: 'nominal', title: 'Site' },
              shape: {
                field: 'relapsed',
                type: 'nominal',
                scale: { range: ['circle', 'triangle-up'] },
                title: null,
              },
            },
          },
          {
            transform: [{ filter: "datum.kind === 'gm'" }],
            mark: { type: 'tick', color: 'black', thickness: 2 },
            encoding: {
              x: { field: 'patient', type: 'nominal', sort: order },
              y: { field: 'suvPeak', type: 'quantitative' },
            },
          },
        ],
      },
    },
  );
}
