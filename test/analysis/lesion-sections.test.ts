// The sections `lesion-progression` (Suppl. Table 3, lesion-level HR per 10 SUVpeak, Fig. 3a/b strip
// plot) and `radiotherapy-dose` (uptake on dose per lesion by rcs) on the small test study
// (study-builder.ts, whose lesion outcomes are the lowest-uptake lesions and doses per lesion): the right rows and numbers, tables and SVG figures
// on disk with every number unrounded in results.json, and 'not-run' with a reason without the tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StudyData } from '../../src/study/model.js';
import {
  lesionHazard,
  lesionProgressionSection,
  type LesionProgressionResults,
  type LesionTimeRow,
} from '../../src/analysis/lesion-progression.js';
import {
  doseResponse,
  radiotherapyDoseSection,
  type RadiotherapyDoseResults,
} from '../../src/analysis/radiotherapy.js';
import { writeReportFiles } from '../../src/report/write.js';
import { buildStudy } from './study-builder.js';

const study = buildStudy();

/** Last day of a patient's follow-up: progression, else death or last follow-up. */
function ttpDays(s: StudyData, patientId: string): number {
  const mine = s.events.filter((e) => e.patientId === patientId);
  const prog = mine.find((e) => e.event === 'progression');
  if (prog) return prog.day;
  return Math.max(
    ...mine.filter((e) => e.event === 'death' || e.event === 'last_follow_up').map((e) => e.day),
  );
}

test('lesion-progression: Suppl. Table 3 rows, the lesion-level hazard and the strip plot', () => {
  const sec = lesionProgressionSection(study);
  assert.equal(sec.status, 'ok', sec.reason);
  const res = sec.results as LesionProgressionResults;
  const prog = study.lesionOutcomes!.lesionProgression;
  const table = sec.tables.find((t) => t.id === 'lesion-progression-relapsed')!;
  assert.equal(table.rows.length, prog.length);
  for (const row of table.rows) {
    const voi = study.vois.find(
      (v) => v.patientId === row['patient_id'] && v.lesionId === row['lesion_id'] && v.timepoint === 'pre',
    )!;
    assert.equal(
      row['pre_suvpeak'],
      voi.suvPeakGlobal,
      `${String(row['lesion_id'])} measured pre-CART SUVpeak`,
    );
  }
  // The lesion-level data, rebuilt here: events at the relapsed lesions, the rest censored at the patient's TTP.
  const relapsed = new Set(prog.map((p) => `${p.patientId}/${p.lesionId}`));
  const expected: LesionTimeRow[] = res.lesions.map((l) => ({
    ...l,
    days: ttpDays(study, l.patientId),
    status: relapsed.has(`${l.patientId}/${l.lesionId}`) ? 1 : 0,
  }));
  assert.deepEqual(res.lesions, expected);
  const ebv = new Set(study.patients.filter((p) => p.histology.startsWith('EBV+')).map((p) => p.patientId));
  const primaryPre = study.vois.filter(
    (v) => v.kind === 'lesion' && v.timepoint === 'pre' && !ebv.has(v.patientId),
  );
  assert.equal(res.lesions.length, primaryPre.length, 'every primary pre-CART lesion');
  assert.deepEqual(res.hazard, lesionHazard(expected));
  assert.ok(res.hazard.firth.hrLower < res.hazard.firth.hr && res.hazard.firth.hr < res.hazard.firth.hrUpper);
  assert.ok(res.notes[0]!.includes('coxphf has no cluster term'));
  const fig = sec.figures[0]!;
  assert.equal(fig.id, 'lesion-progression-strip');
  const spec = (fig.source as unknown as { spec: { facet: { row: { sort: string[] } } } }).spec;
  assert.deepEqual(spec.facet.row.sort, ['pre', 'd2', 'd4', 'd5', 'd7']);
});

test('lesion-progression: not run without lesion_progression.csv', () => {
  const sec = lesionProgressionSection({
    ...study,
    lesionOutcomes: { lesionProgression: [], lesionRadiotherapy: [] },
  });
  assert.equal(sec.status, 'not-run');
  assert.match(sec.reason!, /no lesion_progression\.csv rows/);
});

test('radiotherapy-dose: the dosed pre-CART lesions, the spline fit and its tests', () => {
  const sec = radiotherapyDoseSection(study);
  assert.equal(sec.status, 'ok', sec.reason);
  const res = sec.results as RadiotherapyDoseResults;
  const dosed = study.lesionOutcomes!.lesionRadiotherapy;
  assert.equal(res.observations.length, dosed.length, 'every dosed lesion is a primary pre-CART lesion here');
  for (const o of res.observations) {
    const d = dosed.find((x) => x.patientId === o.patientId && x.lesionId === o.lesionId)!;
    assert.equal(o.doseGy, d.doseGy);
  }
  assert.deepEqual(res.fit, doseResponse(res.observations));
  assert.equal(res.fit.waldNonlinear.df, res.fit.knots.length - 2);
  assert.equal(
    res.targetLesions,
    study.vois.filter((v) => v.timepoint === 'pre' && v.irradiated === true).length,
  );
  assert.equal(sec.figures[0]!.id, 'radiotherapy-dose');
});

test('radiotherapy-dose: not run without radiotherapy.csv, or with too few patients', () => {
  const none = radiotherapyDoseSection({
    ...study,
    lesionOutcomes: { lesionProgression: [], lesionRadiotherapy: [] },
  });
  assert.equal(none.status, 'not-run');
  assert.match(none.reason!, /no radiotherapy\.csv rows/);
  const first = study.lesionOutcomes!.lesionRadiotherapy[0]!.patientId;
  const one = radiotherapyDoseSection({
    ...study,
    lesionOutcomes: {
      lesionProgression: [],
      lesionRadiotherapy: study.lesionOutcomes!.lesionRadiotherapy.filter((d) => d.patientId === first),
    },
  });
  assert.equal(one.status, 'not-run');
  assert.match(one.reason!, /only 1 patient/);
});

test('both sections write their tables and SVG figures, and results.json keeps every digit', async () => {
  const sections = [lesionProgressionSection(study), radiotherapyDoseSection(study)];
  const dir = mkdtempSync(join(tmpdir(), 'carto-lesion-sections-'));
  try {
    await writeReportFiles(dir, { studyName: study.name, tracer: study.tracer, sections });
    for (const s of sections) {
      for (const t of s.tables) assert.ok(existsSync(join(dir, 'tables', `${t.id}.csv`)), `${t.id}.csv`);
      for (const f of s.figures)
        assert.match(readFileSync(join(dir, 'figures', `${f.id}.svg`), 'utf8'), /^<svg/, `${f.id}.svg`);
    }
    const doc = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as {
      sections: Record<string, { status: string; results: Record<string, unknown> }>;
    };
    const lp = doc.sections['lesion-progression']!.results as unknown as LesionProgressionResults;
    const mine = sections[0]!.results as LesionProgressionResults;
    assert.equal(lp.hazard.firth.estimate, mine.hazard.firth.estimate);
    assert.equal(lp.hazard.clusteredCox.robustSe, mine.hazard.clusteredCox.robustSe);
    const rt = doc.sections['radiotherapy-dose']!.results as unknown as RadiotherapyDoseResults;
    assert.deepEqual(
      rt.fit.waldNonlinear,
      (sections[1]!.results as RadiotherapyDoseResults).fit.waldNonlinear,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
