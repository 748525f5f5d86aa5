// The model sections of the plan on small StudyData built in the test (study-builder.ts): every section
// runs on a full study; bad input (no post-CART scans, a patient without lesions, all censored, a
// timepoint with one patient) makes exactly the affected sections 'not-run' (or warn) with a reason
// while the others run; and invariants of the estimates (ratios = quotients of geometric means, LRT =
// 2ΔlogLik, an exact pre → post ratio recovered). Numerical agreement with R is tested on the saved
// virtual trial (r-trial.test.ts) and in test/stats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODEL_SECTIONS, runModelSections } from './plan-sections.js';
import { compareGroups, tumourByEbv } from '../../src/analysis/tumour-groups.js';
import { prePostModel, tumourPrePost, tumourAssociation } from '../../src/analysis/tumour-prepost.js';
import { outcomesHazardRatios, matvSection } from '../../src/analysis/outcomes-hr.js';
import { normalTissueModels } from '../../src/analysis/normal-tissue.js';
import { tumourData, type LesionRow } from '../../src/analysis/lesions.js';
import { chisqUpper } from '../../src/stats/distributions.js';
import { buildStudy } from './study-builder.js';
import { figureToSvg } from '../../src/report/figures.js';
import { assertClose } from '../helpers/assert-close.js';
import type { AnalysisSection } from '../../src/analysis/types.js';

const byId = (sections: AnalysisSection[], id: string): AnalysisSection => sections.find((s) => s.id === id)!;

test('every section of the model sections of the plan runs on a full study and its figures render', async () => {
  const sections = runModelSections(buildStudy({ patients: 9 }));
  for (const s of sections) for (const f of s.figures) assert.match(await figureToSvg(f), /<svg/, f.id);
  assert.equal(sections.length, MODEL_SECTIONS.length);
  for (const s of sections) {
    if (s.id === 'outcomes-matv') continue; // all builder patients are below 480 mL: TTP part warns
    assert.equal(s.status, 'ok', `${s.id}: ${s.reason}`);
    assert.ok(s.description.length > 0 && s.formula, `${s.id} states its model`);
  }
  assert.equal(byId(sections, 'outcomes-matv').status, 'ok');
});

test('no post-CART scans: pre → post and association do not run, the pre-CART sections do', () => {
  const sections = runModelSections(buildStudy({ noPost: true, patients: 9 }));
  const prepost = byId(sections, 'tumour-prepost');
  assert.equal(prepost.status, 'not-run');
  assert.match(prepost.reason!, /no post-CART/);
  assert.equal(byId(sections, 'tumour-association').status, 'not-run');
  assert.match(byId(sections, 'normal-tissue-lmm').reason!, /no organ could be analysed/);
  for (const id of ['tumour-pvc', 'tumour-ebv', 'tumour-nodal', 'outcomes-hr', 'tumour-crs']) {
    assert.equal(byId(sections, id).status, 'ok', id);
  }
});

test('a patient with no lesions is left out of the tumour analyses, which still run', () => {
  const study = buildStudy({ patientWithoutLesions: true, patients: 9 });
  const s = outcomesHazardRatios(study);
  assert.equal(s.status, 'ok', s.reason);
  const full = outcomesHazardRatios(buildStudy({ patients: 9 }));
  assert.equal(s.n!.patients, full.n!.patients! - 1);
  assert.equal(tumourPrePost(study).status, 'ok');
});

test('all patients censored: hazard ratios do not run, MATV TTP part is skipped with a warning', () => {
  const study = buildStudy({ allCensored: true, patients: 9 });
  const s = outcomesHazardRatios(study);
  assert.equal(s.status, 'not-run');
  assert.match(s.reason!, /no events/);
  const m = matvSection(study);
  assert.ok((m.warnings ?? []).some((w) => /no TTP events|one MATV group/.test(w)));
  assert.equal(tumourByEbv(study).status, 'ok');
});

test('a timepoint with one patient is left out of the timepoint comparisons, named in the warnings', () => {
  const study = buildStudy({ oneD5Patient: true, patients: 9 });
  const s = tumourPrePost(study);
  assert.equal(s.status, 'ok', s.reason);
  assert.ok(s.warnings!.some((w) => /d5 left out/.test(w)));
  const n = normalTissueModels(study);
  assert.equal(n.status, 'ok');
  assert.ok(n.warnings!.some((w) => /timepoint d5 left out/.test(w)));
  assert.equal(tumourAssociation(study).status, 'ok');
});

test('group comparison: ratio = quotient of geometric means; LRT = 2ΔlogLik on 1 df', () => {
  const td = tumourData(buildStudy());
  const obs = td.rows
    .filter((r) => r.timepoint === 'pre' && r.site !== 'spleen')
    .map((r) => ({
      patientId: r.patientId,
      group: r.site === 'nodal' ? 'nodal' : 'extranodal',
      value: r.suvPeakCorrected,
    }));
  const cmp = compareGroups(obs, ['nodal', 'extranodal']);
  assert.ok(typeof cmp !== 'string');
  assertClose(
    cmp.ratios[0]!.ratio,
    cmp.means[1]!.geometricMean / cmp.means[0]!.geometricMean,
    1e-12,
    'ratio',
  );
  assert.equal(cmp.test.kind, 'lrt');
  if (cmp.test.kind === 'lrt') {
    assertClose(cmp.test.p, chisqUpper(cmp.test.chisq, 1), 1e-14, 'p');
    assertClose(cmp.test.chisq, 2 * (cmp.test.logLikFull - cmp.test.logLikReduced), 1e-12, 'chisq');
  }
  const three = compareGroups(
    obs.map((o, i) => ({ ...o, group: ['a', 'b', 'c'][i % 3]! })),
    ['a', 'b', 'c'],
  );
  assert.ok(typeof three !== 'string' && three.test.kind === 'wald-f' && three.test.numDf === 2);
});

test('pre → post recovers an exact geometric-mean ratio when every post value is 0.6 × pre', () => {
  const td = tumourData(buildStudy());
  const pre = td.rows.filter((r) => r.timepoint === 'pre' && !r.ebvPositive && r.cohort === '2');
  const rows: LesionRow[] = [
    ...pre,
    ...pre.map((r) => ({ ...r, timepoint: 'd5', suvPeakCorrected: 0.6 * r.suvPeakCorrected })),
  ];
  const m = prePostModel(rows, (r) => r.suvPeakCorrected, 'patient');
  assert.ok(typeof m !== 'string');
  assertClose(m.ratios[0]!.ratio, 0.6, 1e-8, 'ratio');
});
