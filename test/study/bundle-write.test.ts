import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUNDLE_TABLES } from '../../src/study/bundle-tables.js';
import { bundleTableCsv } from '../../src/study/bundle-write.js';

test('every bundle table lists its required columns among its columns, once each', () => {
  for (const [key, spec] of Object.entries(BUNDLE_TABLES)) {
    assert.equal(new Set(spec.columns).size, spec.columns.length, key);
    for (const c of spec.required) assert.ok(spec.columns.includes(c), `${key}: ${c}`);
    assert.deepEqual([...spec.required, ...spec.optional].sort(), [...spec.columns].sort(), key);
  }
});

test('bundleTableCsv writes the given columns in the table order, whatever order they are given in', () => {
  const csv = bundleTableCsv(
    'toxicity',
    [{ steroids: 'yes', patient_id: 'P1', icans_grade: 0, crs_grade: 2 }],
    ['steroids', 'icans_grade', 'crs_grade', 'patient_id'],
  );
  assert.equal(csv, 'patient_id,crs_grade,icans_grade,steroids\nP1,2,0,yes\n');
  assert.equal(bundleTableCsv('labs', []), 'patient_id,day,analyte,value\n');
});

test('bundleTableCsv refuses a column not in the table, a missing required column and a row key not written', () => {
  assert.throws(
    () => bundleTableCsv('toxicity', [], ['patient_id', 'crs_grade', 'icans_grade', 'crs']),
    /toxicity\.csv: crs is not a column/,
  );
  assert.throws(
    () => bundleTableCsv('toxicity', [], ['patient_id', 'crs_grade']),
    /required column icans_grade/,
  );
  assert.throws(
    () =>
      bundleTableCsv(
        'toxicity',
        [{ patient_id: 'P1', crs_grade: 1, icans_grade: 0, tocilizumab: 'yes' }],
        ['patient_id', 'crs_grade', 'icans_grade'],
      ),
    /a row has tocilizumab/,
  );
});
