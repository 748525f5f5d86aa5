/**
 * The one field list per study record (src/study/record-fields.ts): every column it names is a column
 * of the bundle table (src/study/bundle-tables.ts) and of the store table (the migrated schema), the
 * bundle columns it leaves out are the ones the lists say, and records survive store row ↔ record and
 * become bundle rows with yes/no flags.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openMigratedDatabase } from '../../src/store/db.js';
import { BUNDLE_TABLES, type BundleTableKey } from '../../src/study/bundle-tables.js';
import {
  ADVERSE_EVENT_FIELDS,
  ADVERSE_EVENT_STORE_FIELDS,
  BIOPSY_FIELDS,
  EVENT_FIELDS,
  LAB_FIELDS,
  NOT_INFUSED_FIELDS,
  PATIENT_FIELDS,
  SCAN_FIELDS,
  TOXICITY_FIELDS,
  VOI_FIELDS,
  fromStoreRow,
  toBundleRow,
  toStoreRow,
  type RecordField,
} from '../../src/study/record-fields.js';
import type { Patient, PatientEvent } from '../../src/study/model.js';

const cols = (l: readonly RecordField<never>[]): string[] => l.map((f) => f.column);

/** [list, bundle table, store table, bundle columns the list leaves to the bundle alone]. */
const LISTS: [readonly RecordField<never>[], BundleTableKey, string, string[]][] = [
  [PATIENT_FIELDS, 'patients', 'patient', ['consort_stage', 'dropout_reason', 'dropout_date']],
  [NOT_INFUSED_FIELDS, 'patients', 'not_infused_patient', []],
  [EVENT_FIELDS, 'events', 'event', []],
  [SCAN_FIELDS, 'scans', 'scan', ['ct_path']],
  [VOI_FIELDS, 'vois', 'voi', ['sphere_center_lps_mm', 'sphere_radius_mm']],
  [TOXICITY_FIELDS, 'toxicity', 'toxicity', []],
  [ADVERSE_EVENT_FIELDS, 'adverseEvents', 'adverse_event', []],
  [LAB_FIELDS, 'labs', 'lab', []],
  [BIOPSY_FIELDS, 'biopsies', 'biopsy', []],
];

test('every listed column is a column of its bundle table and of its store table', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'carto-fields-'));
  const conn = await openMigratedDatabase(join(dir, 'x.sqlite'));
  t.after(async () => {
    await conn.db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  const storeColumns = async (table: string): Promise<Set<string>> => {
    const r = await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(conn.db);
    assert.ok(r.rows.length > 0, `store table ${table} exists`);
    return new Set(r.rows.map((x) => x.name));
  };
  for (const [list, bundleKey, table, bundleOnly] of LISTS) {
    const bundleCols = BUNDLE_TABLES[bundleKey].columns;
    const inStore = await storeColumns(table);
    for (const c of cols(list)) {
      assert.ok(bundleCols.includes(c), `${c} is a column of ${BUNDLE_TABLES[bundleKey].name}`);
      assert.ok(inStore.has(c), `${c} is a column of ${table}`);
    }
    if (bundleKey !== 'patients')
      assert.deepEqual(
        bundleCols.filter((c) => !cols(list).includes(c)),
        bundleOnly,
        `${BUNDLE_TABLES[bundleKey].name}: the columns left to the bundle alone`,
      );
  }
  // patients.csv = the infused patient's fields ∪ the never-infused patient's.
  const both = new Set([...cols(PATIENT_FIELDS), ...cols(NOT_INFUSED_FIELDS)]);
  assert.deepEqual(
    BUNDLE_TABLES.patients.columns.filter((c) => !both.has(c)),
    [],
  );
  assert.ok((await storeColumns('adverse_event')).has('tracer_injection_day'));
  assert.deepEqual(
    cols(ADVERSE_EVENT_STORE_FIELDS).filter((c) => !cols(ADVERSE_EVENT_FIELDS).includes(c)),
    ['tracer_injection_day'],
  );
});

const patient: Patient = {
  patientId: 'P01',
  cohort: '1',
  age: 61,
  sex: 'F',
  weightKg: 70.5,
  histology: 'DLBCL',
  stage: 'IV',
  cnsInvolvement: false,
  ecog: 1,
  previousLines: 2,
  primaryRefractory: true,
  priorAsct: null,
  bridging: 'radiotherapy',
  product: 'axi-cel',
};

test('a record survives store row and back; flags are 1/0 in the store and yes/no in the bundle', () => {
  const row = toStoreRow(PATIENT_FIELDS, patient);
  assert.equal(row['cns_involvement'], 0);
  assert.equal(row['primary_refractory'], 1);
  assert.equal(row['prior_asct'], null);
  assert.equal(row['weight_kg'], 70.5);
  assert.deepEqual(fromStoreRow(PATIENT_FIELDS, row), patient);
  const csv = toBundleRow(PATIENT_FIELDS, patient);
  assert.equal(csv['cns_involvement'], 'no');
  assert.equal(csv['primary_refractory'], 'yes');
  assert.equal(csv['prior_asct'], null);
  assert.equal(csv['sex'], 'F');
  const event: PatientEvent = {
    patientId: 'P01',
    event: 'infusion',
    day: 0,
    date: '2022-03-01',
    bridgingType: null,
    activityMbq: null,
    scanId: null,
    lugano: null,
    deathCause: null,
  };
  assert.deepEqual(fromStoreRow(EVENT_FIELDS, toStoreRow(EVENT_FIELDS, event)), event);
});

test('a field that is neither text, a number nor a flag is refused', () => {
  assert.throws(
    () => toStoreRow(PATIENT_FIELDS, { ...patient, cohort: { x: 1 } } as unknown as Patient),
    /record field cohort/,
  );
});
