// The analysis plan as one typed list (src/analysis/plan.ts): ids unique, parts in report order,
// the runner gives each section the entry's id and title, and unmet needs or a failing run make a
// 'not-run' section with the reason while the other sections still run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ANALYSIS_PLAN,
  IMAGING_ONLY_REASON,
  NO_IMAGING_REASON,
  runAnalysisPlan,
  runSection,
  type PlanEntry,
  type ReportPart,
} from '../../src/analysis/plan.js';
import type { SectionBody } from '../../src/analysis/types.js';
import { buildStudy } from './study-builder.js';

const PART_ORDER: ReportPart[] = [
  'descriptive',
  'normal-tissue',
  'tumour-pre',
  'tumour-prepost',
  'correlations',
  'outcomes',
  'toxicity',
  'laboratory',
];

test('plan: every id once, kebab-case; the parts follow the report order', () => {
  const ids = ANALYSIS_PLAN.map((a) => a.id);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  for (const id of ids) assert.match(id, /^[a-z0-9]+(-[a-z0-9]+)*$/, id);
  const parts = ANALYSIS_PLAN.map((a) => PART_ORDER.indexOf(a.part));
  assert.ok(!parts.includes(-1));
  for (let i = 1; i < parts.length; i++) assert.ok(parts[i]! >= parts[i - 1]!, `${ids[i]} is out of order`);
});

test('runner: the section carries the id and title of its entry, including a title of the settings', () => {
  const study = buildStudy({ patients: 9, settings: { associationTimepoint: 'd7' } });
  const sections = runAnalysisPlan(study);
  assert.deepEqual(
    sections.map((s) => s.id),
    ANALYSIS_PLAN.map((a) => a.id),
  );
  const byId = new Map(sections.map((s) => [s.id, s]));
  assert.equal(byId.get('table1')!.title, 'Baseline characteristics');
  assert.equal(byId.get('tumour-association')!.title, 'Lesion-level association of pre-CART and d7 uptake');
});

interface Counted {
  count: number;
}
const counted: PlanEntry<Counted> = {
  id: 'counted',
  title: 'Counted',
  part: 'descriptive',
  run: (s): SectionBody<Counted> => ({
    status: 'ok',
    description: 'patients counted',
    results: { count: s.patients.length },
    tables: [],
    figures: [],
  }),
};

test('runner: needs journey → not-run in an imaging-only study; needs imaging → not-run without scans', () => {
  const study = buildStudy({ patients: 3 });
  const ok = runSection({ ...counted, needs: ['journey', 'imaging'] }, study);
  assert.equal(ok.status, 'ok');
  assert.deepEqual(ok.results, { count: 3 });
  const imagingOnly = { ...study, settings: { ...study.settings, imagingOnly: true } };
  const j = runSection({ ...counted, needs: ['journey'] }, imagingOnly);
  assert.equal(j.status, 'not-run');
  assert.equal(j.reason, IMAGING_ONLY_REASON);
  assert.deepEqual(j.results, {});
  assert.equal(runSection(counted, imagingOnly).status, 'ok', 'no needs: runs');
  const i = runSection({ ...counted, needs: ['imaging'] }, { ...study, scans: [] });
  assert.equal(i.status, 'not-run');
  assert.equal(i.reason, NO_IMAGING_REASON);
  assert.equal(i.id, 'counted');
  assert.equal(i.title, 'Counted');
});

test('runner: a run that throws is not-run with its message; the next section still runs', () => {
  const failing: PlanEntry = {
    id: 'failing',
    title: 'Failing',
    part: 'descriptive',
    run: () => {
      throw new Error('the model exploded');
    },
  };
  const [a, b] = runAnalysisPlan(buildStudy({ patients: 3 }), [failing, counted]);
  assert.equal(a!.status, 'not-run');
  assert.equal(a!.reason, 'the model exploded');
  assert.equal(a!.id, 'failing');
  assert.equal(b!.status, 'ok');
});
