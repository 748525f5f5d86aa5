// The sections `safety-adverse-events` (Suppl. Tables 1–2, tocilizumab/steroid combinations) and
// `consort-flow` (Fig. 1a with its flow diagram) on a small hand-written bundle read by readBundle:
// every count below is worked out by hand from the rows written here. Exact CIs are R's
// `binom.test(x, n)$conf.int` (R 4.2.2: binom.test(1, 2) → 0.012579117093425058 0.987420882906574926;
// (0, 1) → 0 0.975; (1, 3) → 0.0084037586596126413 0.9057006759497538972; (0, 3) → 0
// 0.70759822617871326; (2, 3) → 0.094299324050246131 0.991596241340387374).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { readBundle } from '../../src/study/bundle.js';
import { safetyAdverseEvents, type SafetyAdverseEventsResults } from '../../src/analysis/safety.js';
import { consortFlow, type ConsortFlowResults } from '../../src/analysis/descriptive.js';
import { figureToSvg } from '../../src/report/figures.js';
import type { StudyData } from '../../src/study/model.js';
import { droBundle } from '../helpers/bundles.js';
import { assertClose } from '../helpers/assert-close.js';

const work = mkdtempSync(join(tmpdir(), 'carto-safety-'));
after(() => rmSync(work, { recursive: true, force: true }));

/**
 * Four infused patients (P01, P02 cohort 1; P03, P04 cohort 2), P05 only assessed (declined), P06
 * included but withdrew. Tracer injections: P01 day −10 (scan S1) and day 0 (S3); P02 day −8 (S2).
 * P02 died on day 40. P03's infusion has a date (2023-03-01), so its event's onset_date is day 10.
 */
function handBundle(): string {
  const b = droBundle(join(work, 'hand'));
  writeFileSync(
    join(b, 'patients.csv'),
    'patient_id,cohort,age,sex,histology,bridging,consort_stage,dropout_reason,dropout_date\n' +
      'P01,1,60,F,DLBCL,none,,,\nP02,1,70,M,DLBCL,none,,,\nP03,2,55,M,tFL,none,,,\nP04,2,65,F,DLBCL,none,,,\n' +
      'P05,1,,,,,referred,declined-participation,2023-01-10\nP06,2,,,,,accepted,withdrew-consent,2023-02-01\n',
  );
  writeFileSync(
    join(b, 'scans.csv'),
    'scan_id,patient_id,tracer,timepoint,path,format\nS1,P01,FDG,pre,pt,dicom\nS2,P02,FDG,pre,pt,dicom\n' +
      'S3,P01,FDG,d2,pt,dicom\n',
  );
  writeFileSync(
    join(b, 'events.csv'),
    'patient_id,event,date,day,activity_mbq,scan_id,death_cause\n' +
      'P01,tracer_injection,,-10,37,S1,\nP01,infusion,,0,,,\nP01,tracer_injection,,0,37,S3,\nP01,last_follow_up,,100,,,\n' +
      'P02,tracer_injection,,-8,37,S2,\nP02,infusion,,0,,,\nP02,death,,40,,,other\n' +
      'P03,infusion,2023-03-01,0,,,\nP03,last_follow_up,2023-09-17,,,,\n' +
      'P04,infusion,,0,,,\nP04,last_follow_up,,90,,,\n',
  );
  writeFileSync(
    join(b, 'toxicity.csv'),
    'patient_id,crs_grade,icans_grade,tocilizumab,steroids\nP01,2,2,yes,yes\nP02,2,0,yes,no\nP03,1,0,no,no\nP04,0,0,,no\n',
  );
  writeFileSync(
    join(b, 'adverse_events.csv'),
    'patient_id,ctcae_term,grade,onset_date,onset_day,attribution,tracer_scan_id\n' +
      'P01,Infusion related reaction,1,,-9,tracer,S1\n' +
      'P01,Neutrophil count decreased,4,,3,car-t,\n' +
      'P01,Neutrophil count decreased,3,,20,car-t,\n' +
      'P02,Anemia,3,,-2,other,\n' +
      'P02,Sepsis,5,,38,car-t,\n' +
      'P03,Febrile neutropenia,3,2023-03-11,,car-t,\n' +
      'P04,Fatigue,2,,5,unrelated,\n' +
      'P04,Lung infection,3,,60,car-t,\n',
  );
  return b;
}

const bundle = readBundle(handBundle());
const study: StudyData = { ...bundle, vois: [] };

test('adverse_events.csv is read: onset_date becomes a day, tracer events carry their injection', () => {
  assert.equal(bundle.adverseEvents.length, 8);
  assert.deepEqual(bundle.adverseEvents[0], {
    patientId: 'P01',
    ctcaeTerm: 'Infusion related reaction',
    grade: 1,
    onsetDay: -9,
    onsetDate: null,
    attribution: 'tracer',
    tracerInjectionDay: -10,
    tracerScanId: 'S1',
  });
  const fn = bundle.adverseEvents[5]!;
  assert.equal(fn.onsetDay, 10);
  assert.equal(fn.onsetDate, '2023-03-11');
});

test('Suppl. Table 1: grade ≥ 3 events by term and period equal the hand count', () => {
  const s = safetyAdverseEvents(study);
  assert.equal(s.status, 'ok', s.reason);
  const r = s.results as SafetyAdverseEventsResults;
  assert.equal(r.infusedPatients, 4);
  assert.equal(r.adverseEvents, 8);
  const cell = (term: string, period: string): [number, number, number] => {
    const row = r.grade3ByTermAndPeriod.find((x) => x.term === term && x.period === period)!;
    return [row.patients, row.events, row.percent];
  };
  // Grade ≥ 3: P01 neutropenia d3 (G4) and d20, P02 anaemia d−2 and sepsis d38 (G5), P03 FN d10, P04 lung d60.
  assert.deepEqual(cell('Any grade ≥ 3 event', 'before-infusion'), [1, 1, 25]);
  assert.deepEqual(cell('Any grade ≥ 3 event', 'days-0-30'), [2, 3, 50]);
  assert.deepEqual(cell('Any grade ≥ 3 event', 'after-day-30'), [2, 2, 50]);
  assert.deepEqual(cell('Any grade ≥ 3 event', 'any'), [4, 6, 100]);
  assert.deepEqual(cell('Neutrophil count decreased', 'days-0-30'), [1, 2, 25]);
  assert.deepEqual(cell('Neutrophil count decreased', 'after-day-30'), [0, 0, 0]);
  assert.deepEqual(cell('Anemia', 'before-infusion'), [1, 1, 25]);
  assert.deepEqual(cell('Febrile neutropenia', 'days-0-30'), [1, 1, 25]);
  assert.deepEqual(cell('Sepsis', 'after-day-30'), [1, 1, 25]);
  assert.deepEqual(cell('Lung infection', 'after-day-30'), [1, 1, 25]);
  // Grade 1–2 terms are not rows; every term has a row per period and `any`.
  assert.deepEqual(
    [...new Set(r.grade3ByTermAndPeriod.map((x) => x.term))],
    [
      'Any grade ≥ 3 event',
      'Anemia',
      'Febrile neutropenia',
      'Lung infection',
      'Neutrophil count decreased',
      'Sepsis',
    ],
  );
  assert.equal(r.grade3ByTermAndPeriod.length, 6 * 4);
  const csv = s.tables.find((t) => t.id === 'safety-grade3-by-term-period')!;
  assert.deepEqual(csv.columns, ['term', 'period', 'patients', 'percent', 'events']);
  assert.equal(csv.rows.length, 24);
});

test('Suppl. Table 2: events within 30 days of each tracer injection, tracer-related with exact CI', () => {
  const r = safetyAdverseEvents(study).results as SafetyAdverseEventsResults;
  const [pre, post] = r.tracerInjections;
  // Pre-CART: P01 day −10 (window −10…20: the reaction d−9, neutropenia d3 and d20), P02 day −8
  // (window −8…22: anaemia d−2; sepsis d38 is outside).
  assert.equal(pre!.occasion, 'pre-CART');
  assert.equal(pre!.injections, 2);
  assert.equal(pre!.patients, 2);
  assert.equal(pre!.eventsWithin30Days, 4);
  assert.equal(pre!.grade3Within30Days, 3);
  assert.equal(pre!.tracerRelatedEvents, 1);
  assert.equal(pre!.patientsWithTracerRelated.n, 1);
  assert.equal(pre!.patientsWithTracerRelated.of, 2);
  assert.equal(pre!.patientsWithTracerRelated.percent, 50);
  assertClose(pre!.patientsWithTracerRelated.ciLowerPercent!, 1.2579117093425058, 1e-9);
  assertClose(pre!.patientsWithTracerRelated.ciUpperPercent!, 98.74208829065749, 1e-9);
  // Post-CART: P01 day 0 (window 0…30: neutropenia d3 and d20); nothing related to the tracer.
  assert.equal(post!.occasion, 'post-CART');
  assert.deepEqual(
    [
      post!.injections,
      post!.patients,
      post!.eventsWithin30Days,
      post!.grade3Within30Days,
      post!.tracerRelatedEvents,
    ],
    [1, 1, 2, 2, 0],
  );
  assert.equal(post!.patientsWithTracerRelated.percent, 0);
  assert.equal(post!.patientsWithTracerRelated.ciLowerPercent, 0);
  assertClose(post!.patientsWithTracerRelated.ciUpperPercent!, 97.5, 1e-9);
  assert.deepEqual(
    r.tracerWindowByTerm.map((x) => [x.occasion, x.term, x.attribution, x.events, x.patients, x.maxGrade]),
    [
      ['pre-CART', 'Anemia', 'other', 1, 1, 3],
      ['pre-CART', 'Infusion related reaction', 'tracer', 1, 1, 1],
      ['pre-CART', 'Neutrophil count decreased', 'car-t', 2, 1, 4],
      ['post-CART', 'Neutrophil count decreased', 'car-t', 2, 1, 4],
    ],
  );
});

test('tocilizumab and steroids: the four combinations and totals among patients with both recorded', () => {
  const s = safetyAdverseEvents(study);
  const r = s.results as SafetyAdverseEventsResults;
  // R × 100, shortest round-trip doubles. Recorded: P01 both, P02 tocilizumab alone, P03 neither; P04's tocilizumab is not recorded.
  assert.equal(r.treatmentsNotRecorded, 1);
  const R13 = [0.8403758659612641, 90.57006759497538];
  const R03 = [0, 70.75982261787132];
  const R23 = [9.429932405024614, 99.15962413403874];
  const expected: [string, number, number[]][] = [
    ['neither', 1, R13],
    ['tocilizumab alone', 1, R13],
    ['steroids alone', 0, R03],
    ['tocilizumab and steroids', 1, R13],
    ['tocilizumab (any)', 2, R23],
    ['steroids (any)', 1, R13],
  ];
  assert.equal(r.treatments.length, expected.length);
  expected.forEach(([combination, n, ci], i) => {
    const t = r.treatments[i]!;
    assert.equal(t.combination, combination);
    assert.equal(t.patients.n, n);
    assert.equal(t.patients.of, 3);
    assert.equal(t.patients.percent, (100 * n) / 3);
    assertClose(t.patients.ciLowerPercent!, ci[0]!, 1e-9);
    assertClose(t.patients.ciUpperPercent!, ci[1]!, 1e-9);
  });
  assert.deepEqual(
    s.tables.map((t) => t.id),
    [
      'safety-grade3-by-term-period',
      'safety-tracer-injections',
      'safety-tracer-window-terms',
      'safety-tocilizumab-steroids',
    ],
  );
});

test('safety section is not run without adverse events, and says why', () => {
  const s = safetyAdverseEvents({ ...study, adverseEvents: [] });
  assert.equal(s.status, 'not-run');
  assert.match(s.reason ?? '', /no adverse events/);
  assert.equal(safetyAdverseEvents({ ...study, patients: [] }).status, 'not-run');
});

test('CONSORT flow: Fig. 1a from the bundle, with drop-out reasons and an accessible flow diagram', async () => {
  const s = consortFlow(study);
  assert.equal(s.status, 'ok');
  const r = s.results as unknown as ConsortFlowResults;
  assert.deepEqual(
    r.flow.map((x) => [x.step, x.cohorts['1'], x.cohorts['2'], x.all]),
    [
      ['Assessed for eligibility', 3, 3, 6],
      ['Included', 2, 3, 5],
      ['Infused (day 0)', 2, 2, 4],
      ['Pre-CART scan', 2, 0, 2],
      ['Post-CART scan (evaluable)', 1, 0, 1],
    ],
  );
  assert.deepEqual(r.dropoutReasons, [
    { stage: 'referred', reason: 'declined-participation', n: 1 },
    { stage: 'accepted', reason: 'withdrew-consent', n: 1 },
  ]);
  assert.equal(r.infusedNotEvaluable, 3);
  assert.deepEqual(
    s.tables.map((t) => t.id),
    ['consort-flow', 'consort-dropouts'],
  );
  const fig = s.figures.find((f) => f.id === 'consort-flow-diagram')!;
  const svg = await figureToSvg(fig);
  assert.match(
    svg,
    /^<svg role="img" aria-labelledby="consort-flow-diagram-title consort-flow-diagram-desc"/,
  );
  assert.match(svg, /<title id="consort-flow-diagram-title">CONSORT flow diagram<\/title>/);
  assert.match(svg, /<desc id="consort-flow-diagram-desc">[^<]*Assessed for eligibility: 6/);
  for (const label of [
    'Assessed for eligibility (n = 6)',
    'Not included (n = 1)',
    '• declined-participation (n = 1)',
    'Included (n = 5)',
    'Included, not infused (n = 1)',
    '• withdrew-consent (n = 1)',
    'Infused (day 0) (n = 4)',
    'Not evaluable (n = 3)',
    'Evaluable (pre- and post-CART scan) (n = 1)',
    'Cohort 1 (n = 1)',
    'Cohort 2 (n = 0)',
  ])
    assert.ok(svg.includes(`>${label}<`), `label ${label}`);
  // Boxes (rects drawn as paths with a stroke) and arrowheads (triangles).
  assert.equal((svg.match(/aria-roledescription="rect mark"/g) ?? []).length, 4 + 3 + 2);
  assert.equal((svg.match(/aria-roledescription="point"/g) ?? []).length, 3 + 3 + 2);
});
