// adverse_events.csv (docs/study-bundle.md): each bad row is an InputError naming the file, the row,
// the column and the value (CLI exit 2); a good table is stored and loaded back unchanged.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { readBundle } from '../../src/study/bundle.js';
import { InputError } from '../../src/errors.js';
import { register } from '../../src/cli/commands/outcomes.js';
import { loadStudy, openStudyStore, storeStudyTables } from '../../src/study/store.js';
import { droBundle } from '../helpers/bundles.js';
import { runInProcess } from '../helpers/cli-in-process.js';

const work = mkdtempSync(join(tmpdir(), 'carto-adverse-'));
after(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

const HEADER = 'patient_id,ctcae_term,grade,onset_date,onset_day,attribution,tracer_scan_id\n';

/**
 * A DRO bundle with P01 (infused 2024-01-10, tracer injection day −10 for scan S1, alive at day 100),
 * P02 (infused, day axis only, died day 30) and P03 (apheresed, not infused), and `rows` of
 * adverse_events.csv (after `header`).
 */
function bundle(rows: string, header = HEADER): string {
  const b = droBundle(join(work, `case-${++n}`));
  writeFileSync(
    join(b, 'patients.csv'),
    'patient_id,cohort,age,sex,histology,bridging,consort_stage,dropout_reason\n' +
      'P01,1,60,F,DLBCL,none,,\nP02,1,62,M,DLBCL,none,,\nP03,1,,,,,apheresed,production-failure\n',
  );
  writeFileSync(
    join(b, 'events.csv'),
    'patient_id,event,date,day,activity_mbq,scan_id,death_cause\n' +
      'P01,tracer_injection,2023-12-31,,37,S1,\nP01,infusion,2024-01-10,,,,\nP01,last_follow_up,,100,,,\n' +
      'P02,infusion,,0,,,\nP02,death,,30,,,other\n',
  );
  writeFileSync(join(b, 'toxicity.csv'), 'patient_id,crs_grade,icans_grade\nP01,0,0\nP02,1,0\n');
  writeFileSync(join(b, 'adverse_events.csv'), header + rows);
  return b;
}

test('a good table: dates become days, the tracer injection is found, stored and loaded back', async () => {
  const b = bundle(
    'P01,Infusion related reaction,1,2024-01-01,-9,tracer,S1\nP01,Anemia,3,,12,car-t,\nP02,Sepsis,5,,28,car-t,\n',
  );
  const s = readBundle(b);
  assert.deepEqual(
    s.adverseEvents.map((e) => [
      e.patientId,
      e.ctcaeTerm,
      e.grade,
      e.onsetDay,
      e.attribution,
      e.tracerInjectionDay,
    ]),
    [
      ['P01', 'Infusion related reaction', 1, -9, 'tracer', -10],
      ['P01', 'Anemia', 3, 12, 'car-t', null],
      ['P02', 'Sepsis', 5, 28, 'car-t', null],
    ],
  );
  const db = await openStudyStore(':memory:');
  try {
    await db.transaction().execute((trx) => storeStudyTables(trx, { ...s, vois: [] }, 'hash-1', []));
    const loaded = await loadStudy(db, s.name);
    assert.deepEqual(loaded.adverseEvents, s.adverseEvents);
  } finally {
    await db.destroy();
  }
});

const refused: { name: string; rows: string; header?: string; message: RegExp; at: object }[] = [
  {
    name: 'grade above 5',
    rows: 'P01,Anemia,6,,3,car-t,\n',
    message: /must be ≤ 5/,
    at: { row: 1, field: 'grade', value: '6' },
  },
  {
    name: 'grade not a whole number',
    rows: 'P01,Anemia,2,,3,car-t,\nP01,Anemia,2.5,,3,car-t,\n',
    message: /not a whole number/,
    at: { row: 2, field: 'grade', value: '2.5' },
  },
  {
    name: 'unknown attribution',
    rows: 'P01,Anemia,3,,3,drug,\n',
    message: /must be one of tracer, car-t, other, unrelated/,
    at: { row: 1, field: 'attribution', value: 'drug' },
  },
  {
    name: 'missing term',
    rows: 'P01,,3,,3,car-t,\n',
    message: /required value is missing/,
    at: { row: 1, field: 'ctcae_term' },
  },
  {
    name: 'neither onset date nor day',
    rows: 'P01,Anemia,3,,,car-t,\n',
    message: /needs an onset_date or an onset_day/,
    at: { row: 1, field: 'onset_day' },
  },
  {
    name: 'onset date and day disagree',
    rows: 'P01,Anemia,3,2024-01-20,3,car-t,\n',
    message: /onset_day 3 and onset_date 2024-01-20 disagree: the date is day 10/,
    at: { row: 1, field: 'onset_day', value: 3 },
  },
  {
    name: 'onset date when the infusion has only a day',
    rows: 'P02,Anemia,3,2024-01-20,,car-t,\n',
    message: /infusion of patient P02 has only a day/,
    at: { row: 1, field: 'onset_date', value: '2024-01-20' },
  },
  {
    name: 'not a calendar date',
    rows: 'P01,Anemia,3,2024-02-30,,car-t,\n',
    message: /not a calendar date/,
    at: { row: 1, field: 'onset_date', value: '2024-02-30' },
  },
  {
    name: 'tracer-related event without its injection',
    rows: 'P01,Infusion related reaction,1,,-9,tracer,\n',
    message: /names the tracer injection it follows/,
    at: { row: 1, field: 'tracer_scan_id', value: '' },
  },
  {
    name: 'injection named on an event not related to the tracer',
    rows: 'P01,Anemia,3,,3,car-t,S1\n',
    message: /only a tracer-related event names a tracer injection \(attribution is car-t\)/,
    at: { row: 1, field: 'tracer_scan_id', value: 'S1' },
  },
  {
    name: 'injection of another scan',
    rows: 'P01,Infusion related reaction,1,,-9,tracer,S9\n',
    message: /no tracer_injection of patient P01 with this scan_id/,
    at: { row: 1, field: 'tracer_scan_id', value: 'S9' },
  },
  {
    name: 'onset before the tracer injection',
    rows: 'P01,Infusion related reaction,1,,-12,tracer,S1\n',
    message: /onset \(day -12\) is before the tracer injection it follows \(day -10\)/,
    at: { row: 1, field: 'onset_day', value: -12 },
  },
  {
    name: 'grade 5 without a death',
    rows: 'P01,Sepsis,5,,40,car-t,\n',
    message: /grade 5 is death related to the event, but the patient has no death/,
    at: { row: 1, field: 'grade', value: 5 },
  },
  {
    name: 'onset after death',
    rows: 'P02,Sepsis,4,,31,car-t,\n',
    message: /onset on day 31 is after the patient's death \(day 30\)/,
    at: { row: 1, field: 'onset_day', value: 31 },
  },
  {
    name: 'unknown patient',
    rows: 'P09,Anemia,3,,3,car-t,\n',
    message: /unknown patient/,
    at: { row: 1, field: 'patient_id', value: 'P09' },
  },
  {
    name: 'patient not infused',
    rows: 'P03,Anemia,3,,3,car-t,\n',
    message: /patient was not infused \(consort_stage apheresed/,
    at: { row: 1, field: 'patient_id', value: 'P03' },
  },
  {
    name: 'unknown column',
    header: 'patient_id,ctcae_term,grade,onset_dya,attribution\n',
    rows: 'P01,Anemia,3,3,car-t\n',
    message: /unknown column `onset_dya` in adverse_events\.csv \(did you mean `onset_day`\?\)/,
    at: { row: 0, field: 'onset_dya' },
  },
];

for (const c of refused) {
  test(`refused: ${c.name}`, async () => {
    const b = bundle(c.rows, c.header);
    let err: unknown;
    try {
      readBundle(b);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof InputError, `InputError expected, got ${String(err)}`);
    assert.match(err.message, c.message);
    const at = c.at as { row: number; field: string; value?: unknown };
    assert.equal(resolve(err.location.file ?? ''), resolve(b, 'adverse_events.csv'));
    assert.equal(err.location.row, at.row);
    assert.equal(err.location.field, at.field);
    if ('value' in at) assert.deepEqual(err.location.value, at.value);
    assert.match(err.message, /adverse_events\.csv/);
    const r = await runInProcess(register, ['outcomes', b, '--json']);
    assert.equal(r.code, 2);
    assert.match(r.err, c.message);
  });
}

test('an imaging-only study has no adverse events: a row is refused, naming the file and row 1', () => {
  const b = droBundle(join(work, `case-${++n}`));
  writeFileSync(
    join(b, 'study.json'),
    JSON.stringify({
      name: 'imaging only',
      tracer: { name: 'FDG', nuclide: '18F', halfLifeS: 6586.2 },
      analysis: { imagingOnly: true },
    }),
  );
  writeFileSync(join(b, 'events.csv'), 'patient_id,event,day\n');
  writeFileSync(join(b, 'toxicity.csv'), 'patient_id,crs_grade,icans_grade\n');
  writeFileSync(join(b, 'adverse_events.csv'), `${HEADER}P01,Anemia,3,,3,car-t,\n`);
  assert.throws(
    () => readBundle(b),
    (e: unknown) =>
      e instanceof InputError &&
      /imaging-only study .* adverse_events\.csv must hold no rows/.test(e.message) &&
      resolve(e.location.file ?? '') === resolve(b, 'adverse_events.csv') &&
      e.location.row === 1 &&
      e.location.field === 'patient_id',
  );
  writeFileSync(join(b, 'adverse_events.csv'), HEADER);
  assert.deepEqual(readBundle(b).adverseEvents, []);
});
