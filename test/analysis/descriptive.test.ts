// Descriptive sections: Table 1, patient flow, toxicity and laboratory summaries on a small study
// whose answers are worked out by hand below (quantiles are R's type 7: quantile(c(1,2,4,8)) gives
// 1.75 and 5 for the 25th and 75th percentiles).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Patient, PatientEvent, Scan, StudyData } from '../../src/study/model.js';
import { table1 } from '../../src/analysis/table1.js';
import { consortFlow, labSummary, toxicitySummary } from '../../src/analysis/descriptive.js';
import { formatCi, formatP, formatSig, quantile7 } from '../../src/analysis/format.js';

function patient(
  id: string,
  cohort: string,
  age: number,
  sex: 'M' | 'F',
  extra: Partial<Patient> = {},
): Patient {
  return {
    patientId: id,
    cohort,
    age,
    sex,
    weightKg: null,
    histology: 'DLBCL',
    stage: 'IV',
    cnsInvolvement: false,
    ecog: 1,
    previousLines: 2,
    primaryRefractory: false,
    priorAsct: false,
    bridging: 'none',
    product: 'axi-cel',
    ...extra,
  };
}
const ev = (patientId: string, event: PatientEvent['event'], day: number): PatientEvent => ({
  patientId,
  event,
  day,
  date: null,
  bridgingType: null,
  activityMbq: null,
  scanId: null,
  lugano: null,
  deathCause: null,
});
const scan = (patientId: string, timepoint: string): Scan => ({
  scanId: `${patientId}-${timepoint}`,
  patientId,
  tracer: 'CD8',
  timepoint,
  day: null,
  path: '',
  format: 'dicom',
});

const study: StudyData = {
  name: 's',
  tracer: { name: 'CD8', nuclide: '89Zr', halfLifeS: 282276 },
  settings: { suvPeak: 'global', excludeEbvPositive: true, matvThresholdSuv: 2.5 },
  patients: [
    patient('A', '1', 50, 'M', { stage: 'II', previousLines: 1 }),
    patient('B', '1', 70, 'F', { histology: 'tFL', bridging: 'radiotherapy', previousLines: 4 }),
    patient('C', '2', 64, 'M', { cnsInvolvement: null, previousLines: 2 }),
  ],
  events: [ev('A', 'infusion', 0), ev('B', 'infusion', 0), ev('C', 'infusion', 0)],
  scans: [scan('A', 'pre'), scan('A', 'd7'), scan('B', 'pre'), scan('C', 'pre'), scan('C', 'd5')],
  vois: [],
  toxicity: [
    { patientId: 'A', crsGrade: 2, icansGrade: 0, tocilizumab: true, steroids: false },
    { patientId: 'B', crsGrade: 1, icansGrade: 3, tocilizumab: false, steroids: true },
    { patientId: 'C', crsGrade: 0, icansGrade: 0, tocilizumab: false, steroids: null },
  ],
  labs: [1, 2, 4, 8].map((value, i) => ({
    patientId: ['A', 'B', 'C', 'A'][i]!,
    day: 7,
    analyte: 'cd8_copies_per_cell',
    value,
  })),
  biopsies: [],
};

test('Table 1: counts, medians and ranges per cohort and overall', () => {
  const s = table1(study);
  const rows = new Map(s.tables[0]!.rows.map((r) => [r['Characteristic'], r]));
  assert.equal(rows.get('Patients, n')!['All'], '3');
  assert.equal(rows.get('Age, median (range), years')!['All'], '64 (50–70)');
  assert.equal(rows.get('Age, median (range), years')!['Cohort 1'], '60 (50–70)');
  assert.equal(rows.get('Male sex')!['All'], '2 (67 %)');
  assert.equal(rows.get('Stage III–IV')!['All'], '2 (67 %)');
  assert.equal(rows.get('CNS involvement')!['All'], '0 (0 %) [1 unknown]');
  assert.equal(rows.get('Histology: tFL')!['Cohort 1'], '1 (50 %)');
  assert.equal(rows.get('Previous lines, median (IQR)')!['All'], '2 (1.5–3)');
  assert.equal(rows.get('Bridging: radiotherapy')!['All'], '1 (33 %)');
});

test('patient flow counts each step per cohort', () => {
  const s = consortFlow(study);
  const rows = s.tables[0]!.rows;
  assert.deepEqual(
    rows.map((r) => [r['step'], r['Cohort 1'], r['Cohort 2'], r['All']]),
    [
      ['Assessed for eligibility', 2, 1, 3],
      ['Included', 2, 1, 3],
      ['Infused (day 0)', 2, 1, 3],
      ['Pre-CART scan', 2, 1, 3],
      ['Post-CART scan (evaluable)', 1, 1, 2],
    ],
  );
});

test('toxicity: grade distribution and grade ≥ 2 counts', () => {
  const s = toxicitySummary(study);
  assert.equal(s.results['crsGrade2OrMore'], 1);
  assert.equal(s.results['icansGrade2OrMore'], 1);
  assert.equal(s.results['tocilizumab'], 1);
  assert.equal(s.results['steroids'], 1);
  const byGrade = s.results['byGrade'] as { grade: number; crs: number; icans: number }[];
  assert.deepEqual(byGrade[0], { grade: 0, crs: 1, icans: 2 });
});

test('labs: n, median and type-7 quartiles per analyte and day', () => {
  const s = labSummary(study);
  const r = (s.results['summaries'] as Record<string, number | string>[])[0]!;
  assert.deepEqual(r, { analyte: 'cd8_copies_per_cell', day: 7, n: 4, median: 3, q1: 1.75, q3: 5 });
  // R: print(quantile(c(1, 2, 4, 8), 0.9), digits = 17) → 6.8000000000000007
  assert.equal(quantile7([1, 2, 4, 8], 0.9), 6.8000000000000007);
});

test('sections with nothing to show are not run and say why', () => {
  const empty: StudyData = { ...study, patients: [], toxicity: [], labs: [] };
  for (const s of [table1(empty), consortFlow(empty), toxicitySummary(empty), labSummary(empty)]) {
    assert.equal(s.status, 'not-run');
    assert.ok((s.reason ?? '').length > 0);
  }
});

test('number formatting: 3 significant digits, p < 0.001 style', () => {
  assert.equal(formatSig(4.0234), '4.02');
  assert.equal(formatSig(123456), '123000');
  assert.equal(formatSig(0.000123), '1.23e-4');
  assert.equal(formatP(0.0004), '< 0.001');
  assert.equal(formatP(0.04321), '0.043');
  assert.equal(formatCi(4.02, 3.31, 4.88), '4.02 (3.31–4.88)');
  assert.equal(formatSig(NaN), 'NA');
});
