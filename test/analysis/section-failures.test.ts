// A section whose model fails is 'not-run' with the reason, never 'ok' with a warning (issue 12 item 4):
// a survival time that is negative (an event dated before the infusion, which the bundle reader and the
// registry now refuse, but StudyData built elsewhere could still carry) makes the Cox/Firth fits fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outcomesHazardRatios, matvSection, patientMatv } from '../../src/analysis/outcomes-hr.js';
import { buildStudy } from './study-builder.js';

test('outcomes-hr: failed Firth and Cox fits make the section not-run, naming each failed model', () => {
  const good = outcomesHazardRatios(buildStudy({ patients: 9 }));
  assert.equal(good.status, 'ok', good.reason);
  const study = buildStudy({ patients: 9 });
  study.events.find((e) => e.event === 'progression')!.day = -30;
  const s = outcomesHazardRatios(study);
  assert.equal(s.status, 'not-run');
  assert.match(s.reason!, /TTP Firth Cox model failed: .*time must be a finite number ≥ 0/);
  assert.match(s.reason!, /PFS Firth Cox model failed/);
  assert.match(s.reason!, /lesion-level Cox model failed/);
  assert.deepEqual(s.tables, []);
  assert.deepEqual(s.results, {});
});

test('outcomes-matv: a failed TTP model makes the section not-run with the reason', () => {
  const matv = [...patientMatv(buildStudy({ patients: 9 })).values()].sort((a, b) => a - b);
  const settings = { matvCutoffMl: matv[Math.floor(matv.length / 2)]! };
  const good = matvSection(buildStudy({ patients: 9, settings }));
  assert.equal(good.status, 'ok', good.reason);
  assert.ok(good.findings?.some((f) => f.startsWith('TTP, MATV')));
  const study = buildStudy({ patients: 9, settings });
  study.events.find((e) => e.event === 'progression')!.day = -30;
  const s = matvSection(study);
  assert.equal(s.status, 'not-run');
  assert.match(s.reason!, /TTP by MATV \(Kaplan–Meier, log-rank, Firth Cox\) failed: .*time must be/);
});
