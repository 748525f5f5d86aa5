/**
 * The clinical outcome definitions (src/clinical/outcomes.ts, docs/outcomes.md) on hand-computed
 * journeys: each censoring case, best response after infusion and not after progression, vein-to-vein,
 * CONSORT stage, and the daily ASTCT grade.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bestResponse,
  clinicalOutcome,
  dailyGrades,
  lastContactDay,
  maxGrade,
  preInfusionStage,
  type ClinicalJourney,
} from '../../src/clinical/outcomes.js';

/** An infused journey on a day-1000 axis (infusion on day 1000), with overrides. */
const journey = (patch: Partial<ClinicalJourney> = {}): ClinicalJourney => ({
  infusionDay: 1000,
  apheresisDays: [960, 970],
  responses: [],
  progressionDays: [],
  death: null,
  contactDays: [],
  preInfusionStage: 'apheresed',
  dropoutReason: null,
  maxCrs: 2,
  maxIcans: 0,
  ...patch,
});

test('no event: every endpoint censored at the last contact, the latest dated record of any kind', () => {
  const o = clinicalOutcome(
    journey({ contactDays: [1090, 1200, 900], responses: [{ day: 1150, response: 'CR' }] }),
  );
  for (const k of ['ttp', 'pfs', 'os', 'nrm'] as const) assert.deepEqual(o[k], { days: 200, status: 0 }, k);
  assert.equal(o.stage, 'evaluable');
  assert.equal(o.bestResponse, 'CR');
  assert.equal(o.veinToVeinDays, 30, 'infusion − the last apheresis before it');
  // the last contact may be a response assessment later than every other record
  assert.equal(
    lastContactDay(journey({ contactDays: [1010], responses: [{ day: 1300, response: 'PD' }] })),
    1300,
  );
  // nothing recorded after infusion: censored on day 0
  assert.deepEqual(clinicalOutcome(journey()).os, { days: 0, status: 0 });
});

test('progression: TTP and PFS events at progression, NRM competing, OS censored at last contact', () => {
  const o = clinicalOutcome(journey({ progressionDays: [1092], contactDays: [1245] }));
  assert.deepEqual(o.ttp, { days: 92, status: 1 });
  assert.deepEqual(o.pfs, { days: 92, status: 1 });
  assert.deepEqual(o.nrm, { days: 92, status: 2 });
  assert.deepEqual(o.os, { days: 245, status: 0 });
});

test('death from lymphoma without progression: TTP, PFS, OS events; NRM competing', () => {
  const o = clinicalOutcome(journey({ death: { day: 1061, cause: 'lymphoma' }, contactDays: [1030] }));
  assert.deepEqual(o.ttp, { days: 61, status: 1 });
  assert.deepEqual(o.pfs, { days: 61, status: 1 });
  assert.deepEqual(o.os, { days: 61, status: 1 });
  assert.deepEqual(o.nrm, { days: 61, status: 2 });
});

test('death from another cause: TTP censored at death, PFS and OS events, NRM event', () => {
  const o = clinicalOutcome(journey({ death: { day: 1122, cause: 'other' } }));
  assert.deepEqual(o.ttp, { days: 122, status: 0 });
  assert.deepEqual(o.pfs, { days: 122, status: 1 });
  assert.deepEqual(o.os, { days: 122, status: 1 });
  assert.deepEqual(o.nrm, { days: 122, status: 1 });
});

test('death after progression: NRM is the competing progression; OS at death', () => {
  const o = clinicalOutcome(journey({ progressionDays: [1050], death: { day: 1100, cause: 'other' } }));
  assert.deepEqual(o.nrm, { days: 50, status: 2 });
  assert.deepEqual(o.ttp, { days: 50, status: 1 });
  assert.deepEqual(o.os, { days: 100, status: 1 });
});

test('records after death are ignored (TTP censored at an other-cause death, not at a later progression)', () => {
  const o = clinicalOutcome(
    journey({ death: { day: 1120, cause: 'other' }, progressionDays: [1200], contactDays: [1300] }),
  );
  assert.deepEqual(o.ttp, { days: 120, status: 0 });
  assert.deepEqual(o.pfs, { days: 120, status: 1 });
});

test('best response: after infusion, on or before the first progression (Lugano 2014 CR > PR > SD > PD)', () => {
  const r = [
    { day: 990, response: 'CR' as const }, // before infusion
    { day: 1030, response: 'SD' as const },
    { day: 1060, response: 'PR' as const }, // on the day of progression
    { day: 1090, response: 'CR' as const }, // after progression
  ];
  assert.equal(bestResponse(1000, r, 1060), 'PR');
  assert.equal(bestResponse(1000, r, null), 'CR');
  assert.equal(bestResponse(null, r, null), null);
  assert.equal(bestResponse(1000, [r[0]!], null), null);
});

test('not infused: the pre-infusion stage and drop-out reason, no time-to-event endpoint', () => {
  const o = clinicalOutcome(
    journey({ infusionDay: null, preInfusionStage: 'accepted', dropoutReason: 'infection', maxCrs: null }),
  );
  assert.deepEqual(o, {
    stage: 'accepted',
    dropoutReason: 'infection',
    bestResponse: null,
    veinToVeinDays: null,
    maxCrs: null,
    maxIcans: 0,
    ttp: null,
    pfs: null,
    os: null,
    nrm: null,
  });
  assert.equal(preInfusionStage(false, true), 'referred');
  assert.equal(preInfusionStage(true, false), 'accepted');
  assert.equal(preInfusionStage(true, true), 'apheresed');
  assert.equal(clinicalOutcome(journey({ apheresisDays: [] })).veinToVeinDays, null);
  assert.equal(clinicalOutcome(journey()).stage, 'infused');
});

test('daily ASTCT grade: the worst observation of each day, drivers of that grade; maximum over days', () => {
  const days = dailyGrades(
    [
      { date: '2024-03-03', grade: 1, drivenBy: ['fever'] },
      { date: '2024-03-02', grade: 2, drivenBy: ['hypotension'] },
      { date: '2024-03-02', grade: 2, drivenBy: ['hypoxia'] },
      { date: '2024-03-02', grade: 1, drivenBy: ['fever'] },
    ],
    (d) => (d === '2024-03-02' ? 1 : 2),
  );
  assert.deepEqual(days, [
    { date: '2024-03-02', day: 1, grade: 2, drivenBy: ['hypotension', 'hypoxia'] },
    { date: '2024-03-03', day: 2, grade: 1, drivenBy: ['fever'] },
  ]);
  assert.equal(maxGrade(days), 2);
  assert.equal(maxGrade([]), null);
});
