/**
 * Outcomes by pre-CART tumour uptake (docs/references/trial.md §6):
 * per patient, the geometric mean of pre-CART lesion SUVpeak over that patient's lesions; the median
 * split of those geometric means (high: above the median, low: at or below it); Kaplan–Meier curves
 * (Greenwood SE, log CI — R's survfit defaults) and log-rank tests (survdiff) for TTP, PFS and OS.
 */
import { kaplanMeierByGroup, logRank, type KmResult, type LogRankResult } from '../stats/survival/index.js';
import type { StudyData } from '../study/model.js';
import { primaryRows, tumourData } from './lesions.js';
import {
  DAYS_PER_MONTH,
  deriveOutcomes,
  OUTCOME_COLUMNS,
  outcomeCells,
  outcomeRows,
  type PatientOutcome,
} from './outcomes.js';
import { formatPEquals, formatSig, geometricMean, median } from './format.js';
import type { ResultFigure, ResultTable, SectionBody } from './types.js';
import { kmFigure, stripPlotFigure } from './outcome-figures.js';

export interface PatientUptake {
  patientId: string;
  /** Number of pre-CART lesions. */
  lesions: number;
  /** Geometric mean of pre-CART lesion SUVpeak (g/mL), volume-corrected unless stated otherwise. */
  geometricMeanSuvPeak: number;
}

/** Pre-CART lesion SUVpeak values of the primary tumour analyses, and which SUVpeak they are. */
export interface PreCartUptake {
  lesions: { patientId: string; suvPeak: number }[];
  patients: PatientUptake[];
  /** 'corrected' (partial-volume corrected, the plan's tumour metric) or 'measured'. */
  metric: 'corrected' | 'measured';
  warnings: string[];
}

/**
 * Pre-CART lesion SUVpeak per patient (EBV+ DLBCL excluded when the settings say so) and each
 * patient's geometric mean. The partial-volume-corrected SUVpeak is used (docs/references/trial.md §4: it is the metric of
 * every tumour endpoint); when the correction cannot be fitted, or `metric: 'measured'` is asked for,
 * the measured SUVpeak is used and a warning says so.
 */
export function preCartUptake(
  study: StudyData,
  opts: { metric?: 'corrected' | 'measured' } = {},
): PreCartUptake {
  const td = tumourData(study);
  const warnings: string[] = [];
  let metric: 'corrected' | 'measured' = 'measured';
  if (opts.metric !== 'measured') {
    if (td.pvc !== null) metric = 'corrected';
    else if (td.pvcError !== null) warnings.push(`${td.pvcError}; the measured SUVpeak is used instead`);
  }
  const lesions = primaryRows(td)
    .filter((r) => r.timepoint === 'pre')
    .map((r) => ({
      patientId: r.patientId,
      suvPeak: metric === 'corrected' ? r.suvPeakCorrected : r.suvPeak,
    }));
  const byPatient = new Map<string, number[]>();
  for (const l of lesions) byPatient.set(l.patientId, [...(byPatient.get(l.patientId) ?? []), l.suvPeak]);
  const patients = study.patients
    .filter((p) => byPatient.has(p.patientId))
    .map((p) => {
      const v = byPatient.get(p.patientId)!;
      return { patientId: p.patientId, lesions: v.length, geometricMeanSuvPeak: geometricMean(v) };
    });
  return { lesions, patients, metric, warnings };
}

/**
 * The per-patient table: every patient of the study, infused or not, with the clinical outcomes
 * (src/analysis/outcomes.ts `OUTCOME_COLUMNS`, the values of `carto outcomes`) and, for patients with
 * pre-CART lesions, the number of lesions, the geometric-mean SUVpeak and the uptake group.
 */
function perPatientTable(study: StudyData, uptake: PatientUptake[], med: number): ResultTable {
  const byPatient = new Map(uptake.map((u) => [u.patientId, u]));
  return {
    id: 'outcomes-per-patient',
    title: 'Per-patient outcomes (days from infusion) and pre-CART uptake',
    columns: [...OUTCOME_COLUMNS, 'lesions', 'geomean_suvpeak', 'group'],
    rows: outcomeRows(study).map((r) => {
      const u = byPatient.get(r.patient);
      return {
        ...outcomeCells(r),
        lesions: u?.lesions ?? null,
        geomean_suvpeak: u?.geometricMeanSuvPeak ?? null,
        group: u === undefined || Number.isNaN(med) ? null : u.geometricMeanSuvPeak > med ? 'high' : 'low',
      };
    }),
  };
}

type Endpoint = 'ttp' | 'pfs' | 'os';

/** Kaplan–Meier curves (months) per uptake group and the log-rank test (null without events). */
export interface EndpointByUptake {
  timeUnit: 'months';
  km: (KmResult & { group: string })[];
  logRank: LogRankResult | null;
}

/** One patient of the outcomes-by-uptake section. */
export type PatientUptakeGroup = {
  patientId: string;
  lesions: number;
  geometricMeanSuvPeak: number;
  group: 'high' | 'low';
  ttpDays: number;
  ttpEvent: boolean;
  pfsDays: number;
  pfsEvent: boolean;
  osDays: number;
  osEvent: boolean;
};

/**
 * Results of the outcomes-by-uptake section (`{}` with fewer than 2 patients; without the endpoints
 * when the median split leaves an empty group).
 */
export interface OutcomesByUptakeResults {
  metric: 'corrected' | 'measured';
  medianGeometricMeanSuvPeak: number;
  patients: PatientUptakeGroup[];
  ttp?: EndpointByUptake;
  pfs?: EndpointByUptake;
  os?: EndpointByUptake;
}
const ENDPOINT_NAMES: Record<Endpoint, string> = {
  ttp: 'Time to progression',
  pfs: 'Progression-free survival',
  os: 'Overall survival',
};

/**
 * The outcomes-by-uptake section: median split of per-patient pre-CART uptake, KM and log-rank
 * for TTP, PFS and OS. Not run (with a reason) when fewer than 2 patients have pre-CART lesions, when
 * the split leaves an empty group, or (per endpoint) when no event occurred.
 */
export function outcomesByUptake(
  study: StudyData,
  opts: { metric?: 'corrected' | 'measured' } = {},
): SectionBody<OutcomesByUptakeResults> {
  const pre = preCartUptake(study, opts);
  const uptake = pre.patients;
  const med = uptake.length >= 2 ? median(uptake.map((u) => u.geometricMeanSuvPeak)) : NaN;
  const perPatient = perPatientTable(study, uptake, med);
  const base = {
    description:
      `Per patient, the geometric mean of ${pre.metric === 'corrected' ? 'partial-volume-corrected' : 'measured'} ` +
      `pre-CART lesion SUVpeak (IBSI ${study.settings.suvPeak} intensity peak) over the patient's lesions` +
      (study.settings.excludeEbvPositive ? ', EBV+ DLBCL patients excluded' : '') +
      '. Patients are split at the median (high: above the median). Kaplan–Meier estimates with ' +
      'Greenwood standard errors and log-transformed 95% CIs; groups compared by the log-rank test. ' +
      'TTP: progression or death from lymphoma; PFS: progression or death; OS: death; times from infusion.',
    formula: 'Surv(time, event) ~ uptake_group',
  };
  if (uptake.length < 2) {
    return {
      ...base,
      status: 'not-run',
      reason: `only ${uptake.length} patient(s) with pre-CART lesions`,
      results: {},
      tables: [perPatient],
      figures: [],
    };
  }
  const groupOf = new Map(
    uptake.map((u) => [u.patientId, u.geometricMeanSuvPeak > med ? ('high' as const) : ('low' as const)]),
  );
  const outcomes = new Map(deriveOutcomes(study).map((o) => [o.patientId, o]));
  const included = uptake.map((u) => ({ u, o: outcomes.get(u.patientId)!, g: groupOf.get(u.patientId)! }));
  const nHigh = included.filter((x) => x.g === 'high').length;
  const nLow = included.length - nHigh;

  const results: OutcomesByUptakeResults = {
    metric: pre.metric,
    medianGeometricMeanSuvPeak: med,
    patients: included.map((x) => ({
      patientId: x.u.patientId,
      lesions: x.u.lesions,
      geometricMeanSuvPeak: x.u.geometricMeanSuvPeak,
      group: x.g,
      ttpDays: x.o.ttp.days,
      ttpEvent: x.o.ttp.event,
      pfsDays: x.o.pfs.days,
      pfsEvent: x.o.pfs.event,
      osDays: x.o.os.days,
      osEvent: x.o.os.event,
    })),
  };
  const tables: ResultTable[] = [perPatient];
  const figures: ResultFigure[] = [stripPlotFigure(pre.lesions, uptake, med, pre.metric)];
  const findings: string[] = [
    `Median of per-patient geometric-mean pre-CART SUVpeak: ${formatSig(med)} (high n = ${nHigh}, low n = ${nLow}).`,
  ];
  const warnings: string[] = [...pre.warnings];
  if (nHigh === 0 || nLow === 0) {
    return {
      ...base,
      status: 'not-run',
      reason: 'the median split leaves an empty group (all patients have the same uptake)',
      n: { patients: included.length },
      results,
      tables,
      figures,
    };
  }
  const endpoints: Endpoint[] = ['ttp', 'pfs', 'os'];
  const summary: ResultTable = {
    id: 'outcomes-km-summary',
    title: 'Kaplan–Meier medians (months) and log-rank tests, high vs low pre-CART uptake',
    columns: [
      'endpoint',
      'group',
      'n',
      'events',
      'median_months',
      'median_lower',
      'median_upper',
      'logrank_chisq',
      'logrank_p',
    ],
    rows: [],
  };
  for (const ep of endpoints) {
    const te = (o: PatientOutcome): { days: number; event: boolean } => o[ep];
    const time = included.map((x) => te(x.o).days / DAYS_PER_MONTH);
    const status: number[] = included.map((x) => (te(x.o).event ? 1 : 0));
    const group = included.map((x) => x.g);
    const events = status.reduce((a, b) => a + b, 0);
    const km = kaplanMeierByGroup(time, status, group, { confType: 'log', confLevel: 0.95 });
    let lr: ReturnType<typeof logRank> | null = null;
    if (events > 0) lr = logRank(time, status, group);
    else warnings.push(`${ENDPOINT_NAMES[ep]}: no events, log-rank test not done`);
    results[ep] = {
      timeUnit: 'months',
      km: km.strata,
      logRank: lr,
    };
    for (const s of km.strata) {
      summary.rows.push({
        endpoint: ep.toUpperCase(),
        group: s.group,
        n: s.n,
        events: s.events,
        median_months: s.median,
        median_lower: s.medianLower,
        median_upper: s.medianUpper,
        logrank_chisq: lr?.chisq ?? null,
        logrank_p: lr?.p ?? null,
      });
    }
    figures.push(
      kmFigure(
        `km-${ep}`,
        `${ENDPOINT_NAMES[ep]} by pre-CART uptake (median split)`,
        km.strata,
        lr?.p ?? null,
      ),
    );
    findings.push(
      `${ep.toUpperCase()}: ${events} events; log-rank ` +
        (lr ? `χ² = ${formatSig(lr.chisq)}, ${formatPEquals(lr.p)}` : 'not done (no events)') +
        '.',
    );
  }
  tables.push(summary);
  return {
    ...base,
    status: 'ok',
    n: { patients: included.length, lesions: uptake.reduce((a, u) => a + u.lesions, 0) },
    results,
    findings,
    tables,
    figures,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
