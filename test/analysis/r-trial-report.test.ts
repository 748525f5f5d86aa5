// The trial report's response, follow-up, CAR T expansion and cytokines-vs-uptake sections against R on
// the saved virtual trial (fixtures/trial-study.json; fixtures/trial-report.R recomputes them from the
// exported tables with binom.test, survfit, a hand-written trapz and cor.test → trial-report.json).
// Tolerances (relative): 1e-12 for CIs, medians, peaks and AUCs (jsonlite writes 15 significant
// digits), 1e-10 for ρ and S, 1e-9 for p-values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { StudyData } from '../../src/study/model.js';
import { followUpSection, responseSection } from '../../src/analysis/response.js';
import { carTExpansion, cytokinesUptake, type PatientExpansion } from '../../src/analysis/car-t-expansion.js';
import type { CorrelationResult } from '../../src/stats/correlation.js';
import { assertClose } from '../helpers/assert-close.js';

const study = JSON.parse(
  readFileSync(new URL('./fixtures/trial-study.json', import.meta.url), 'utf8'),
) as StudyData;
interface Sp {
  r: number;
  statistic: number;
  p: number;
  n: number;
}
const R = JSON.parse(readFileSync(new URL('./fixtures/trial-report.json', import.meta.url), 'utf8')) as {
  response: {
    evaluable: number;
    orr: { x: number; lower: number; upper: number };
    cr: { x: number; lower: number; upper: number };
  };
  followUp: {
    median: number;
    lower: number;
    upper: number | string;
    observedMedian: number;
    min: number;
    max: number;
  };
  expansion: {
    patients: { patient: string; peak: number; peakDay: number; auc: number | null }[];
    peakVsUptake: Sp;
    aucVsUptake: Sp;
  };
  cytokines: ({ analyte: string; day: number } & Sp)[];
};
const num = (v: number | string | null): number => (typeof v === 'number' ? v : NaN);

function spClose(
  a: CorrelationResult | { rho: unknown; s: unknown; p: unknown; n: unknown },
  b: Sp,
  label: string,
): void {
  const r = 'r' in a ? a.r : (a.rho as number);
  const s = 'statistic' in a ? a.statistic : (a.s as number);
  assertClose(r, b.r, 1e-10, `${label} rho`);
  assertClose(s, b.statistic, 1e-10, `${label} S`);
  assertClose(a.p as number, b.p, 1e-9, `${label} p`);
  assert.equal(a.n, b.n, `${label} n`);
}

test('response: ORR and CR rate with exact CIs equal binom.test on the saved trial', () => {
  const s = responseSection(study);
  assert.equal(s.status, 'ok', s.reason);
  assert.equal(s.results['evaluable'], R.response.evaluable);
  for (const [k, g] of [
    ['orr', R.response.orr],
    ['completeResponseRate', R.response.cr],
  ] as const) {
    const ci = s.results[k];
    assert.equal(ci.x, g.x, k);
    assertClose(ci.lower, g.lower, 1e-12, `${k} lower`);
    assertClose(ci.upper, g.upper, 1e-12, `${k} upper`);
  }
});

test('follow-up: reverse KM median with CI and the observed median and range equal R', () => {
  const s = followUpSection(study);
  assert.equal(s.status, 'ok', s.reason);
  const rev = s.results['reverseKaplanMeier'] as { median: number; lower: number; upper: number };
  assertClose(rev.median, R.followUp.median, 1e-12, 'median');
  assertClose(rev.lower, R.followUp.lower, 1e-12, 'lower');
  assertClose(rev.upper, num(R.followUp.upper), 1e-12, 'upper');
  const obs = s.results['observed'] as { median: number; min: number; max: number };
  assertClose(obs.median, R.followUp.observedMedian, 1e-12, 'observed median');
  assertClose(obs.min, R.followUp.min, 1e-12, 'min');
  assertClose(obs.max, R.followUp.max, 1e-12, 'max');
});

test('car-t-expansion: per-patient peak and trapezoid AUC, Spearman with uptake equal R', () => {
  const s = carTExpansion(study);
  assert.equal(s.status, 'ok', s.reason);
  const mine = new Map((s.results['patients'] as PatientExpansion[]).map((p) => [p.patientId, p]));
  assert.equal(mine.size, R.expansion.patients.length);
  for (const g of R.expansion.patients) {
    const p = mine.get(g.patient)!;
    assertClose(p.peak, g.peak, 1e-12, `${g.patient} peak`);
    assert.equal(p.peakDay, g.peakDay);
    assertClose(p.auc ?? NaN, num(g.auc), 1e-12, `${g.patient} auc`);
  }
  spClose(s.results['peakVsUptake'] as CorrelationResult, R.expansion.peakVsUptake, 'peak');
  spClose(s.results['aucVsUptake'] as CorrelationResult, R.expansion.aucVsUptake, 'auc');
});

test('cytokines-uptake: Spearman of each analyte-day with uptake equals R', () => {
  const s = cytokinesUptake(study);
  assert.equal(s.status, 'ok', s.reason);
  const rows = s.results['byAnalyteDay'] as {
    analyte: string;
    day: number;
    rho: number;
    s: number;
    p: number;
    n: number;
  }[];
  assert.deepEqual(
    rows.map((r) => `${r.analyte}@${r.day}`),
    R.cytokines.map((g) => `${g.analyte}@${g.day}`),
  );
  rows.forEach((r, i) => spClose(r, R.cytokines[i]!, `${r.analyte}@${r.day}`));
});
