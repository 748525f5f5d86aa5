// Patients who were not infused in a study bundle (patients.csv consort_stage, dropout_reason,
// dropout_date; docs/study-bundle.md): read into `notInfused`, counted in the CONSORT flow, listed by
// `carto outcomes`; bad cells are InputErrors naming file, row, field and value (CLI exit 2).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { readBundle } from '../../src/study/bundle.js';
import { InputError } from '../../src/errors.js';
import { consortFlow } from '../../src/analysis/descriptive.js';
import { register } from '../../src/cli/commands/outcomes.js';
import { droBundle } from '../helpers/bundles.js';
import { runInProcess } from '../helpers/cli-in-process.js';

const work = mkdtempSync(join(tmpdir(), 'carto-not-infused-'));
after(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

const HEADER = 'patient_id,cohort,age,sex,histology,bridging,consort_stage,dropout_reason,dropout_date\n';
/** A DRO bundle whose patients.csv has the CONSORT columns: P01 infused plus `rows`. */
function bundle(rows: string, patch: (b: string) => void = () => undefined): string {
  const b = droBundle(join(work, `case-${++n}`));
  writeFileSync(join(b, 'patients.csv'), `${HEADER}P01,1,60,F,DLBCL,none,infused,,\n${rows}`);
  patch(b);
  return b;
}

test('patients not infused are read with their stage, reason and date, counted and listed', async () => {
  const b = bundle(
    'P02,1,,,,,apheresed,manufacturing-failure,2024-02-25\nP03,2,70,M,DLBCL,none,referred,,\n',
  );
  const s = readBundle(b);
  assert.deepEqual(
    s.patients.map((p) => p.patientId),
    ['P01'],
  );
  assert.deepEqual(s.notInfused, [
    {
      patientId: 'P02',
      cohort: '1',
      stage: 'apheresed',
      dropoutReason: 'manufacturing-failure',
      dropoutDate: '2024-02-25',
    },
    { patientId: 'P03', cohort: '2', stage: 'referred', dropoutReason: null, dropoutDate: null },
  ]);
  const flow = consortFlow({ ...s, vois: [] });
  assert.deepEqual(flow.tables[0]!.rows[0], {
    step: 'Assessed for eligibility',
    'Cohort 1': 2,
    'Cohort 2': 1,
    All: 3,
  });
  // P03 was only referred (assessed), P02 included and apheresed.
  assert.deepEqual(flow.tables[0]!.rows[1], { step: 'Included', 'Cohort 1': 2, 'Cohort 2': 0, All: 2 });
  assert.deepEqual(flow.tables[0]!.rows[2], {
    step: 'Infused (day 0)',
    'Cohort 1': 1,
    'Cohort 2': 0,
    All: 1,
  });
  const r = await runInProcess(register, ['outcomes', b, '--json']);
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out) as { patients: Record<string, unknown>[] };
  assert.deepEqual(
    doc.patients.map((p) => [p['patient'], p['stage'], p['dropoutReason'], p['os']]),
    [
      ['P01', 'infused', null, { days: 100, status: 0 }],
      ['P02', 'apheresed', 'manufacturing-failure', null],
      ['P03', 'referred', null, null],
    ],
  );
  const text = await runInProcess(register, ['outcomes', b]);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /patient +stage .* nrm_status/);
  assert.match(text.out, /P02 +apheresed/);
});

const refused: { name: string; rows: string; patch?: (b: string) => void; message: RegExp; at: object }[] = [
  {
    name: 'unknown stage',
    rows: 'P02,1,,,,,aphaeresed,,\n',
    message: /must be one of referred, accepted, apheresed, infused/,
    at: { file: 'patients.csv', row: 2, field: 'consort_stage', value: 'aphaeresed' },
  },
  {
    name: 'drop-out of an infused patient',
    rows: 'P02,1,60,F,DLBCL,none,,withdrawal,\n',
    message: /an infused patient has no drop-out/,
    at: { file: 'patients.csv', row: 2, field: 'dropout_reason', value: 'withdrawal' },
  },
  {
    name: 'drop-out date without a reason',
    rows: 'P02,1,,,,,accepted,,2024-02-01\n',
    message: /a drop-out date needs a drop-out reason/,
    at: { file: 'patients.csv', row: 2, field: 'dropout_reason' },
  },
  {
    name: 'bad drop-out date',
    rows: 'P02,1,,,,,accepted,infection,2024-02-31\n',
    message: /not a calendar date/,
    at: { file: 'patients.csv', row: 2, field: 'dropout_date', value: '2024-02-31' },
  },
  {
    name: 'a bad optional cell of a patient not infused is still checked',
    rows: 'P02,1,,X,,,accepted,infection,\n',
    message: /must be one of M, F/,
    at: { file: 'patients.csv', row: 2, field: 'sex', value: 'X' },
  },
  {
    name: 'events of a patient not infused',
    rows: 'P02,1,,,,,apheresed,withdrawal,\n',
    patch: (b) => appendFileSync(join(b, 'events.csv'), 'P02,apheresis,-20\n'),
    message: /patient was not infused \(consort_stage apheresed in patients\.csv\)/,
    at: { file: 'events.csv', row: 3, field: 'patient_id', value: 'P02' },
  },
];

for (const c of refused) {
  test(`refused: ${c.name}`, async () => {
    const b = bundle(c.rows, c.patch);
    let err: unknown;
    try {
      readBundle(b);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof InputError, `InputError expected, got ${String(err)}`);
    assert.match(err.message, c.message);
    const at = c.at as { file: string; row: number; field: string; value?: unknown };
    assert.equal(resolve(err.location.file ?? ''), resolve(b, at.file));
    assert.equal(err.location.row, at.row);
    assert.equal(err.location.field, at.field);
    if ('value' in at) assert.deepEqual(err.location.value, at.value);
    const r = await runInProcess(register, ['outcomes', b, '--json']);
    assert.equal(r.code, 2);
    assert.match(r.err, c.message);
  });
}
