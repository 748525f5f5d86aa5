// The virtual trial's CONSORT drop-outs and adverse events follow their SIM_MODEL parameters (sources
// there): drop-out counts scaled from the paper's 23 evaluable patients, grade ≥ 3 CAR T event rates,
// no tracer-related event, a grade-5 sepsis before each death from another cause, nothing after the
// end of follow-up; deterministic for a seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateTrial, SIM_MODEL } from '../../src/sim/trial.js';

const N = 200;
const trial = simulateTrial({ seed: 11, patients: N });

test('drop-outs: round(count × N / 23) per reason, at the stage of the reason, dated, with a cohort', () => {
  for (const r of SIM_MODEL.consort.notInfused) {
    const got = trial.notInfused.filter((p) => p.dropoutReason === r.reason);
    assert.equal(got.length, Math.round((r.count * N) / 23), r.reason);
    for (const p of got) {
      assert.equal(p.stage, r.stage);
      assert.match(p.dropoutDate ?? '', /^\d{4}-\d{2}-\d{2}$/);
      assert.ok(['1', '2', '3'].includes(p.cohort));
    }
  }
  const ids = trial.notInfused.map((p) => p.patientId);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.every((id) => /^VT-S\d+$/.test(id)));
});

test('adverse events: grade ≥ 3 rates near SIM_MODEL, no tracer-related event, sepsis before other deaths', () => {
  for (const e of SIM_MODEL.adverseEvents.carTGrade3) {
    const patients = new Set(
      trial.adverseEvents.filter((a) => a.ctcaeTerm === e.term && a.grade >= 3).map((a) => a.patientId),
    );
    // Binomial SD at N = 200 is at most 0.035: 4 SD.
    assert.ok(Math.abs(patients.size / N - e.probability) < 0.14, `${e.term}: ${patients.size / N}`);
  }
  assert.equal(trial.adverseEvents.filter((a) => a.attribution === 'tracer').length, 0);
  const end = new Map(trial.truth.patients.map((p) => [p.patientId, p.os.days]));
  for (const a of trial.adverseEvents) {
    assert.ok(a.onsetDay <= end.get(a.patientId)!, `${a.patientId} ${a.ctcaeTerm} day ${a.onsetDay}`);
    assert.ok(a.grade >= 1 && a.grade <= 5);
  }
  const otherDeaths = trial.events.filter((e) => e.event === 'death' && e.deathCause === 'other');
  assert.ok(otherDeaths.length > 0, 'some deaths from other causes at N = 200');
  for (const d of otherDeaths) {
    const sepsis = trial.adverseEvents.filter((a) => a.patientId === d.patientId && a.grade === 5);
    assert.equal(sepsis.length, 1, d.patientId);
    assert.ok(sepsis[0]!.onsetDay <= d.day);
  }
  assert.equal(trial.adverseEvents.filter((a) => a.grade === 5).length, otherDeaths.length);
});

test('drop-outs and adverse events are deterministic for a seed and differ between seeds', () => {
  const a = simulateTrial({ seed: 11, patients: 6 });
  const b = simulateTrial({ seed: 11, patients: 6 });
  const c = simulateTrial({ seed: 12, patients: 6 });
  assert.deepEqual(a.adverseEvents, b.adverseEvents);
  assert.deepEqual(a.notInfused, b.notInfused);
  assert.notDeepEqual(a.adverseEvents, c.adverseEvents);
  assert.notDeepEqual(a.notInfused, c.notInfused);
});
