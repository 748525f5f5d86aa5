// Study bundle v1 validation: every error names the file, the row and the column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { readBundle } from '../../src/study/bundle.js';
import { InputError } from '../../src/errors.js';
import { projectRoot, sharedData } from '../helpers/shared-data.js';

const example = join(projectRoot, 'examples', 'sts-001');

/** Copies the example bundle to a temp dir (rewriting its relative paths and data root to absolute ones). */
function copyExample(): string {
  const dir = mkdtempSync(join(tmpdir(), 'carto-bundle-'));
  cpSync(example, dir, { recursive: true });
  for (const f of ['study.json', 'scans.csv', 'vois.csv']) {
    const p = join(dir, f);
    writeFileSync(
      p,
      readFileSync(p, 'utf8').replaceAll(
        '../../../shared/data/',
        `${resolve(projectRoot, '..', 'shared', 'data')}/`,
      ),
    );
  }
  return dir;
}

function edit(dir: string, file: string, fn: (s: string) => string): void {
  const p = join(dir, file);
  writeFileSync(p, fn(readFileSync(p, 'utf8')));
}

test('the example bundle reads: one patient, one scan, one lesion VOI, days relative to infusion', () => {
  sharedData('imaging', 'sts-001-pet');
  const b = readBundle(example);
  assert.equal(b.patients.length, 1);
  assert.equal(b.patients[0]!.patientId, 'STS-001');
  assert.equal(b.scans.length, 1);
  assert.equal(b.vois.length, 1);
  assert.equal(b.vois[0]!.roiName, 'GTV_Mass_PET');
  assert.equal(b.tracer.halfLifeS, 6586.2);
  assert.deepEqual(
    b.events.map((e) => [e.event, e.day]),
    [
      ['infusion', 0],
      ['response', 28],
      ['last_follow_up', 180],
    ],
  );
  assert.equal(b.settings.suvPeak, 'global');
});

test('a CSV row naming an unknown patient is refused with file, row and column', () => {
  const dir = copyExample();
  try {
    edit(dir, 'events.csv', (s) => s.replace('STS-001,last_follow_up', 'STS-999,last_follow_up'));
    assert.throws(
      () => readBundle(dir),
      (e: unknown) =>
        e instanceof InputError &&
        /events\.csv, row 3, field patient_id: unknown patient/.test(e.message) &&
        e.message.includes('STS-999'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a non-numeric weight is refused with file, row and column', () => {
  const dir = copyExample();
  try {
    edit(dir, 'patients.csv', (s) => s.replace('61,M,,other', '61,M,7O,other'));
    assert.throws(
      () => readBundle(dir),
      (e: unknown) =>
        e instanceof InputError &&
        /patients\.csv, row 1, field weight_kg: not a number \(value: "7O"\)/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dates are converted to days relative to the infusion date', () => {
  const dir = copyExample();
  try {
    writeFileSync(
      join(dir, 'events.csv'),
      'patient_id,event,date,lugano\nSTS-001,infusion,2024-02-27,\nSTS-001,response,2024-03-26,CR\nSTS-001,last_follow_up,2025-02-27,\n',
    );
    const b = readBundle(dir);
    assert.deepEqual(
      b.events.map((e) => e.day),
      [0, 28, 366],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('other bad cells: missing required column, bad enum, bad date, missing file, duplicate id', () => {
  const cases: [string, (s: string) => string, RegExp][] = [
    [
      'patients.csv',
      (s) => s.replace('patient_id,cohort', 'pid,cohort'),
      /patients\.csv, row 0, field patient_id: required column/,
    ],
    ['patients.csv', (s) => s.replace(',M,', ',X,'), /patients\.csv, row 1, field sex: must be one of M, F/],
    [
      'events.csv',
      (s) => s.replace('response,28,,,,PR', 'response,28,,,,XX'),
      /events\.csv, row 2, field lugano/,
    ],
    [
      'scans.csv',
      (s) => s.replace('/PET/image', '/PET/nope'),
      /scans\.csv, row 1, field path: file or folder not found/,
    ],
    [
      'toxicity.csv',
      (s) => s.replace('STS-001,1,0', 'STS-001,7,0'),
      /toxicity\.csv, row 1, field crs_grade: must be ≤ 5/,
    ],
    [
      'patients.csv',
      (s) => `${s}STS-001,1,61,M,,other,III,no,1,2,no,no,none,\n`,
      /patients\.csv, row 2, field patient_id: duplicate/,
    ],
  ];
  for (const [file, fn, re] of cases) {
    const dir = copyExample();
    try {
      edit(dir, file, fn);
      assert.throws(
        () => readBundle(dir),
        (e: unknown) => e instanceof InputError && re.test(e.message),
        `${file}: ${re}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('study.json errors name the field', () => {
  const dir = copyExample();
  try {
    writeFileSync(
      join(dir, 'study.json'),
      JSON.stringify({ name: 'x', tracer: { name: 't', nuclide: '89Zr', halfLifeS: -1 } }),
    );
    assert.throws(
      () => readBundle(dir),
      (e: unknown) => e instanceof InputError && /study\.json, field tracer\.halfLifeS/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
