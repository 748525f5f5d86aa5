/**
 * Descriptive sections of the report: the CONSORT-style flow of patients (derived, never typed),
 * toxicity (ASTCT 2019 CRS and ICANS grades, tocilizumab and steroids) and laboratory measurements
 * per analyte and day (n, median, IQR by R's type-7 quantiles).
 */
import { PRE_INFUSION_STAGES, type PreInfusionStage } from '../clinical/outcomes.js';
import type { StudyData } from '../study/model.js';
import { consortDiagramFigure } from './consort-figure.js';
import { median, quantile7 } from './format.js';
import { notRunSection, type SectionBody } from './types.js';

/** One step of the patient flow: patients per cohort and in all. */
export interface ConsortStepRow {
  step: string;
  /** Patients per cohort label. */
  cohorts: Record<string, number>;
  all: number;
}

/** Patients who left the pathway before infusion, per CONSORT stage reached and drop-out reason. */
export interface DropoutCount {
  stage: PreInfusionStage;
  /** patients.csv `dropout_reason`; `still on the way` when the patient has none. */
  reason: string;
  n: number;
}

/** `results` of the section `consort-flow` (the paper's Fig. 1a, derived from the bundle). */
export interface ConsortFlowResults {
  /** Assessed for eligibility, included, infused, with a pre-CART scan, evaluable (pre- and post-CART scan). */
  flow: ConsortStepRow[];
  /** Not included (stage `referred`) and included but not infused (`accepted`, `apheresed`), by reason. */
  dropoutReasons: DropoutCount[];
  /** Infused patients without a pre- or post-CART scan (not evaluable for the pre → post analyses). */
  infusedNotEvaluable: number;
}

/**
 * CONSORT flow per cohort, derived from patients.csv (every patient, infused or not) and the scans:
 * assessed for eligibility (every patient) → included (`consort_stage` past `referred`) → infused →
 * with a pre-CART scan → with a post-CART scan (evaluable for the pre → post analyses), with the
 * drop-out reasons at each step; drawn as a flow diagram (the paper's Fig. 1a) beside the table.
 */
export function consortFlow(study: StudyData): SectionBody<ConsortFlowResults> {
  const notInfused = study.notInfused ?? [];
  const all = [
    ...study.patients.map((p) => ({ id: p.patientId, cohort: p.cohort })),
    ...notInfused.map((p) => ({ id: p.patientId, cohort: p.cohort })),
  ];
  const cohorts = [...new Set(all.map((p) => p.cohort))].sort();
  const referredOnly = new Set(notInfused.filter((p) => p.stage === 'referred').map((p) => p.patientId));
  const infused = new Set(study.events.filter((e) => e.event === 'infusion').map((e) => e.patientId));
  const withScan = (pred: (t: string) => boolean): Set<string> =>
    new Set(study.scans.filter((s) => pred(s.timepoint)).map((s) => s.patientId));
  const pre = withScan((t) => t === 'pre');
  const post = withScan((t) => t !== 'pre');
  const steps: { step: string; keep: (id: string) => boolean }[] = [
    { step: 'Assessed for eligibility', keep: () => true },
    { step: 'Included', keep: (i) => !referredOnly.has(i) },
    { step: 'Infused (day 0)', keep: (i) => infused.has(i) },
    { step: 'Pre-CART scan', keep: (i) => infused.has(i) && pre.has(i) },
    { step: 'Post-CART scan (evaluable)', keep: (i) => infused.has(i) && pre.has(i) && post.has(i) },
  ];
  const flow: ConsortStepRow[] = steps.map((s) => ({
    step: s.step,
    cohorts: Object.fromEntries(
      cohorts.map((c) => [c, all.filter((p) => p.cohort === c && s.keep(p.id)).length]),
    ),
    all: all.filter((p) => s.keep(p.id)).length,
  }));
  const results: ConsortFlowResults = {
    flow,
    dropoutReasons: dropoutCounts(study),
    infusedNotEvaluable: flow[2]!.all - flow[4]!.all,
  };
  const base = {
    description:
      'CONSORT flow derived from the data: patients assessed for eligibility (every patient of patients.csv), ' +
      'included, infused, with a pre-CART scan, and with a post-CART scan (evaluable for the pre → post ' +
      'analyses), per cohort, with the drop-out reasons before infusion (patients.csv consort_stage, ' +
      'dropout_reason), drawn as a flow diagram.',
  };
  if (all.length === 0) return notRunSection(base, 'the study has no patients');
  return {
    ...base,
    status: 'ok',
    n: { patients: all.length },
    results: { ...results },
    findings: [
      `${flow[0]!.all} assessed, ${flow[1]!.all} included, ${flow[2]!.all} infused, ${flow[4]!.all} evaluable.`,
      ...results.dropoutReasons.map((d) => `Not infused (${d.stage}): ${d.reason}, ${d.n}.`),
    ],
    tables: [
      {
        id: 'consort-flow',
        title: 'Patient flow per cohort',
        columns: ['step', ...cohorts.map((c) => `Cohort ${c}`), 'All'],
        rows: flow.map((r) => ({
          step: r.step,
          ...Object.fromEntries(cohorts.map((c) => [`Cohort ${c}`, r.cohorts[c]!])),
          All: r.all,
        })),
      },
      {
        id: 'consort-dropouts',
        title: 'Patients not infused, by stage reached and reason',
        columns: ['stage', 'reason', 'n'],
        rows: results.dropoutReasons.map((d) => ({ ...d })),
      },
    ],
    figures: [consortDiagramFigure(results, cohorts)],
  };
}

/** Not-infused patients per CONSORT stage reached and drop-out reason (`still on the way` without one). */
function dropoutCounts(study: StudyData): DropoutCount[] {
  const counts = new Map<string, DropoutCount>();
  for (const p of study.notInfused ?? []) {
    const reason = p.dropoutReason ?? 'still on the way';
    const k = `${p.stage}|${reason}`;
    const c = counts.get(k) ?? { stage: p.stage, reason, n: 0 };
    c.n++;
    counts.set(k, c);
  }
  const order = (s: PreInfusionStage): number => PRE_INFUSION_STAGES.indexOf(s);
  return [...counts.values()].sort(
    (a, b) => order(a.stage) - order(b.stage) || b.n - a.n || a.reason.localeCompare(b.reason),
  );
}

/** Results of the toxicity summary: patients with grade ≥ 2 and treatments, and counts per grade. */
export interface ToxicitySummaryResults {
  patients: number;
  crsGrade2OrMore: number;
  icansGrade2OrMore: number;
  tocilizumab: number;
  steroids: number;
  byGrade: { grade: number; crs: number; icans: number }[];
}

/** Toxicity: distribution of maximum CRS and ICANS grades (ASTCT 2019), grade ≥ 2 counts, treatments. */
export function toxicitySummary(study: StudyData): SectionBody<ToxicitySummaryResults> {
  const tox = study.toxicity;
  const base = {
    description:
      'Maximum CRS and ICANS grade per patient (ASTCT 2019 consensus grading), the number with grade ≥ 2, ' +
      'and tocilizumab and steroid use.',
  };
  if (tox.length === 0) {
    return {
      ...base,
      status: 'not-run',
      reason: 'the study has no toxicity records',
      results: {},
      tables: [],
      figures: [],
    };
  }
  const n = tox.length;
  const rows: ToxicitySummaryResults['byGrade'] = [];
  for (let g = 0; g <= 5; g++) {
    rows.push({
      grade: g,
      crs: tox.filter((t) => t.crsGrade === g).length,
      icans: tox.filter((t) => t.icansGrade === g).length,
    });
  }
  const crs2 = tox.filter((t) => t.crsGrade >= 2).length;
  const icans2 = tox.filter((t) => t.icansGrade >= 2).length;
  const toci = tox.filter((t) => t.tocilizumab === true).length;
  const ster = tox.filter((t) => t.steroids === true).length;
  const pct = (k: number): string => `${k} of ${n} (${((100 * k) / n).toFixed(0)} %)`;
  return {
    ...base,
    status: 'ok',
    n: { patients: n },
    results: {
      patients: n,
      crsGrade2OrMore: crs2,
      icansGrade2OrMore: icans2,
      tocilizumab: toci,
      steroids: ster,
      byGrade: rows,
    },
    findings: [
      `CRS grade ≥ 2: ${pct(crs2)}.`,
      `ICANS grade ≥ 2: ${pct(icans2)}.`,
      `Tocilizumab: ${pct(toci)}; steroids: ${pct(ster)}.`,
    ],
    tables: [
      { id: 'toxicity-grades', title: 'Patients by maximum grade', columns: ['grade', 'crs', 'icans'], rows },
    ],
    figures: [],
  };
}

/** Results of the laboratory summary: one summary per analyte and day. */
export interface LabSummaryResults {
  summaries: { analyte: string; day: number; n: number; median: number; q1: number; q3: number }[];
}

/** Laboratory measurements (labs.csv: qPCR copies per cell, cytokines …) per analyte and day. */
export function labSummary(study: StudyData): SectionBody<LabSummaryResults> {
  const labs = study.labs;
  const base = {
    description:
      'Per analyte and day relative to infusion: number of measurements, median and interquartile range ' +
      '(R type-7 quantiles). Copies per cell are qPCR target ÷ reference gene (GATA2) × 2 (docs/references/assays.md §1).',
  };
  if (labs.length === 0) {
    return {
      ...base,
      status: 'not-run',
      reason: 'the study has no laboratory measurements',
      results: {},
      tables: [],
      figures: [],
    };
  }
  const keys = [...new Set(labs.map((l) => `${l.analyte}\u0000${l.day}`))];
  const rows = keys
    .map((k) => {
      const [analyte, dayS] = k.split('\u0000') as [string, string];
      const day = Number(dayS);
      const v = labs.filter((l) => l.analyte === analyte && l.day === day).map((l) => l.value);
      return { analyte, day, n: v.length, median: median(v), q1: quantile7(v, 0.25), q3: quantile7(v, 0.75) };
    })
    .sort((a, b) => a.analyte.localeCompare(b.analyte) || a.day - b.day);
  return {
    ...base,
    status: 'ok',
    n: { patients: new Set(labs.map((l) => l.patientId)).size, observations: labs.length },
    results: { summaries: rows },
    tables: [
      {
        id: 'labs-summary',
        title: 'Laboratory measurements per analyte and day',
        columns: ['analyte', 'day', 'n', 'median', 'q1', 'q3'],
        rows,
      },
    ],
    figures: [],
  };
}

/** Results of the qPCR section: the standard curves and the samples' replicate summaries. */
export interface QpcrResults {
  curves: NonNullable<StudyData['qpcr']>['curves'];
  samples: NonNullable<StudyData['qpcr']>['samples'];
}

/**
 * qPCR behind the copies-per-cell lab values: each plate's standard curves (slope, efficiency,
 * R², MIQE acceptance: efficiency 90–110 % and R² ≥ 0.98) and each sample's replicate summary.
 */
export function qpcrSection(study: StudyData): SectionBody<QpcrResults> {
  const base = {
    description:
      'Per plate and target, the standard curve Ct = slope·log10(copies/µL) + intercept (OLS), amplification ' +
      'efficiency 10^(−1/slope) − 1 and R²; per sample, the mean Ct of the technical replicates (replicates more ' +
      'than 0.5 cycles from the median, or undetermined, are flagged and left out) and copies/µL from the curve. ' +
      'Copies per cell = target ÷ reference gene × 2 (docs/references/assays.md §1), in the laboratory section.',
  };
  const q = study.qpcr;
  if (!q || q.samples.length === 0) {
    return {
      ...base,
      status: 'not-run',
      reason: 'the study has no qPCR wells (qpcr.csv)',
      results: {},
      tables: [],
      figures: [],
    };
  }
  const bad = q.curves.filter((c) => !c.acceptable);
  return {
    ...base,
    status: 'ok',
    n: { patients: new Set(q.samples.map((s) => s.patientId)).size, observations: q.samples.length },
    results: { curves: q.curves, samples: q.samples },
    findings: [
      `${q.curves.length} standard curve(s); ${bad.length === 0 ? 'all' : `${q.curves.length - bad.length}`} within MIQE limits.`,
      `${q.samples.reduce((a, s) => a + s.nFlagged, 0)} replicate well(s) flagged.`,
    ],
    ...(bad.length > 0
      ? {
          warnings: bad.map(
            (c) =>
              `plate ${c.plate}, ${c.target}: efficiency ${c.efficiencyPercent.toFixed(1)} %, R² ${c.rSquared.toFixed(4)} outside MIQE limits`,
          ),
        }
      : {}),
    tables: [
      {
        id: 'qpcr-curves',
        title: 'Standard curves',
        columns: [
          'plate',
          'target',
          'slope',
          'intercept',
          'r_squared',
          'efficiency_percent',
          'n',
          'acceptable',
        ],
        rows: q.curves.map((c) => ({
          plate: c.plate,
          target: c.target,
          slope: c.slope,
          intercept: c.intercept,
          r_squared: c.rSquared,
          efficiency_percent: c.efficiencyPercent,
          n: c.n,
          acceptable: c.acceptable,
        })),
      },
      {
        id: 'qpcr-samples',
        title: 'Samples (replicate means)',
        columns: [
          'patient',
          'day',
          'plate',
          'target',
          'mean_ct',
          'sd_ct',
          'n_used',
          'n_flagged',
          'copies_per_ul',
        ],
        rows: q.samples.map((s) => ({
          patient: s.patientId,
          day: s.day,
          plate: s.plate,
          target: s.target,
          mean_ct: s.meanCt,
          sd_ct: s.sdCt,
          n_used: s.nUsed,
          n_flagged: s.nFlagged,
          copies_per_ul: s.copiesPerUl,
        })),
      },
    ],
    figures: [],
  };
}
