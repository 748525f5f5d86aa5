// lesion_progression.csv and radiotherapy.csv in a study bundle (docs/study-bundle.md "Lesion
// progression", "Radiotherapy dose per lesion"): read into `lesionOutcomes` with days from the infusion;
// every bad row is an InputError naming file, row, field and value (CLI exit 2).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { readBundle } from '../../src/study/bundle.js';
import { InputError } from '../../src/errors.js';
import { register } from '../../src/cli/commands/outcomes.js';
import { droBundle } from '../helpers/bundles.js';
import { runInProcess } from '../helpers/cli-in-process.js';
import { importBundle } from '../../src/pipeline/run.js';
import { loadStudy, openStudyStore } from '../../src/study/store.js';

const work = mkdtempSync(join(tmpdir(), 'carto-lesion-bundle-'));
after(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

/** The DRO bundle (P01, lesion L1) with a progression on day 50, bridging `bridging`, and `files`. */
function bundle(files: Record<string, string>, opts: { bridging?: string; events?: string } = {}): string {
  const b = droBundle(join(work, `case-${++n}`));
  writeFileSync(
    join(b, 'patients.csv'),
    `patient_id,cohort,age,sex,histology,bridging\nP01,1,60,F,DLBCL,${opts.bridging ?? 'none'}\n`,
  );
  writeFileSync(
    join(b, 'events.csv'),
    opts.events ??
      'patient_id,event,date,day\nP01,infusion,2023-03-01,\nP01,progression,,50\nP01,last_follow_up,,100\n',
  );
  for (const [name, text] of Object.entries(files)) writeFileSync(join(b, name), text);
  return b;
}

test('lesion progression by day and by date, and doses per lesion, are read', () => {
  const b = bundle(
    {
      'lesion_progression.csv': 'patient_id,lesion_id,date,day\nP01,L1,2023-04-20,\n',
      'radiotherapy.csv': 'patient_id,lesion_id,dose_gy,fractions\nP01,L1,8.4,2\n',
    },
    { bridging: 'combination' },
  );
  const s = readBundle(b);
  assert.deepEqual(s.lesionOutcomes.lesionProgression, [
    { patientId: 'P01', lesionId: 'L1', day: 50, date: '2023-04-20' },
  ]);
  assert.deepEqual(s.lesionOutcomes.lesionRadiotherapy, [
    { patientId: 'P01', lesionId: 'L1', doseGy: 8.4, fractions: 2 },
  ]);
  const byDay = readBundle(bundle({ 'lesion_progression.csv': 'patient_id,lesion_id,day\nP01,L1,63\n' }));
  assert.deepEqual(byDay.lesionOutcomes.lesionProgression, [
    { patientId: 'P01', lesionId: 'L1', day: 63, date: null },
  ]);
});

test('the lesion outcomes are stored at import and loaded back for the analyses', async () => {
  const b = bundle(
    {
      'lesion_progression.csv': 'patient_id,lesion_id,day\nP01,L1,50\n',
      'radiotherapy.csv': 'patient_id,lesion_id,dose_gy,fractions\nP01,L1,12.25,3\n',
    },
    { bridging: 'radiotherapy' },
  );
  const dbFile = join(work, `store-${n}.sqlite`);
  assert.equal((await importBundle(b, dbFile)).status, 'written');
  const db = await openStudyStore(dbFile);
  try {
    const study = await loadStudy(db, 'DRO study');
    assert.deepEqual(study.lesionOutcomes, {
      lesionProgression: [{ patientId: 'P01', lesionId: 'L1', day: 50, date: null }],
      lesionRadiotherapy: [{ patientId: 'P01', lesionId: 'L1', doseGy: 12.25, fractions: 3 }],
    });
    assert.equal(study.labAssays, undefined, 'the records are not lab assays');
  } finally {
    await db.destroy();
  }
});

test('without the tables there are no lesion outcomes', () => {
  assert.deepEqual(readBundle(bundle({})).lesionOutcomes, { lesionProgression: [], lesionRadiotherapy: [] });
});

const P = 'lesion_progression.csv';
const R = 'radiotherapy.csv';
const refused: {
  name: string;
  files: Record<string, string>;
  bridging?: string;
  events?: string;
  message: RegExp;
  at: { file: string; row: number; field: string; value?: unknown };
}[] = [
  {
    name: 'a lesion that is not one of the patient’s lesion VOIs',
    files: { [P]: 'patient_id,lesion_id,day\nP01,L9,50\n' },
    message: /not a lesion of patient P01/,
    at: { file: P, row: 1, field: 'lesion_id', value: 'L9' },
  },
  {
    name: 'an unknown patient',
    files: { [P]: 'patient_id,lesion_id,day\nP07,L1,50\n' },
    message: /unknown patient/,
    at: { file: P, row: 1, field: 'patient_id', value: 'P07' },
  },
  {
    name: 'the same lesion twice',
    files: { [P]: 'patient_id,lesion_id,day\nP01,L1,50\nP01,L1,60\n' },
    message: /duplicate row for this lesion/,
    at: { file: P, row: 2, field: 'lesion_id', value: 'L1' },
  },
  {
    name: 'neither a date nor a day',
    files: { [P]: 'patient_id,lesion_id,date,day\nP01,L1,,\n' },
    message: /needs a date or a day/,
    at: { file: P, row: 1, field: 'day' },
  },
  {
    name: 'a day and a date that disagree',
    files: { [P]: 'patient_id,lesion_id,date,day\nP01,L1,2023-04-20,51\n' },
    message: /day and date disagree: the date 2023-04-20 is day 50/,
    at: { file: P, row: 1, field: 'day', value: 51 },
  },
  {
    name: 'a lesion progression before the patient’s progression',
    files: { [P]: 'patient_id,lesion_id,day\nP01,L1,30\n' },
    message: /before the patient's first progression \(day 50/,
    at: { file: P, row: 1, field: 'day', value: 30 },
  },
  {
    name: 'a patient without a progression event',
    files: { [P]: 'patient_id,lesion_id,day\nP01,L1,30\n' },
    events: 'patient_id,event,day\nP01,infusion,0\nP01,last_follow_up,100\n',
    message: /no progression event in events\.csv/,
    at: { file: P, row: 1, field: 'patient_id', value: 'P01' },
  },
  {
    name: 'a date when the infusion has only a day',
    files: { [P]: 'patient_id,lesion_id,date\nP01,L1,2023-04-20\n' },
    events: 'patient_id,event,day\nP01,infusion,0\nP01,progression,50\nP01,last_follow_up,100\n',
    message: /needs the patient's infusion date/,
    at: { file: P, row: 1, field: 'date', value: '2023-04-20' },
  },
  {
    name: 'a dose for a patient not bridged with radiotherapy',
    files: { [R]: 'patient_id,lesion_id,dose_gy,fractions\nP01,L1,8,2\n' },
    bridging: 'systemic',
    message: /bridging in patients\.csv is systemic/,
    at: { file: R, row: 1, field: 'patient_id', value: 'P01' },
  },
  {
    name: 'a negative dose',
    files: { [R]: 'patient_id,lesion_id,dose_gy,fractions\nP01,L1,-2,2\n' },
    bridging: 'radiotherapy',
    message: /must be ≥ 0/,
    at: { file: R, row: 1, field: 'dose_gy', value: '-2' },
  },
  {
    name: 'a dose without fractions',
    files: { [R]: 'patient_id,lesion_id,dose_gy\nP01,L1,8\n' },
    bridging: 'radiotherapy',
    message: /needs its number of fractions/,
    at: { file: R, row: 1, field: 'fractions' },
  },
  {
    name: 'fractions for 0 Gy',
    files: { [R]: 'patient_id,lesion_id,dose_gy,fractions\nP01,L1,0,2\n' },
    bridging: 'radiotherapy',
    message: /0 Gy has no fractions/,
    at: { file: R, row: 1, field: 'fractions', value: 2 },
  },
  {
    name: 'a dose for a lesion not in vois.csv',
    files: { [R]: 'patient_id,lesion_id,dose_gy,fractions\nP01,L2,8,2\n' },
    bridging: 'radiotherapy',
    message: /not a lesion of patient P01/,
    at: { file: R, row: 1, field: 'lesion_id', value: 'L2' },
  },
];

for (const c of refused) {
  test(`refused: ${c.name}`, async () => {
    const b = bundle(c.files, {
      ...(c.bridging ? { bridging: c.bridging } : {}),
      ...(c.events ? { events: c.events } : {}),
    });
    let err: unknown;
    try {
      readBundle(b);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof InputError, `InputError expected, got ${String(err)}`);
    assert.match(err.message, c.message);
    assert.equal(resolve(err.location.file ?? ''), resolve(b, c.at.file));
    assert.equal(err.location.row, c.at.row);
    assert.equal(err.location.field, c.at.field);
    if ('value' in c.at) assert.deepEqual(err.location.value, c.at.value);
    const r = await runInProcess(register, ['outcomes', b, '--json']);
    assert.equal(r.code, 2);
    assert.match(r.err, c.message);
    assert.match(r.err, new RegExp(c.at.file.replace('.', '\\.')));
  });
}
