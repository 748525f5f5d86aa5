// Strict study bundles (issue 12 items 3, 4, 6): unknown keys and columns, impossible timelines and
// paths outside the bundle are InputErrors naming file, row, field and value; through `carto import`
// they exit 2 and leave the study store byte-for-byte unchanged.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { readBundle } from '../../src/study/bundle.js';
import { InputError } from '../../src/errors.js';
import { register } from '../../src/cli/commands/run.js';
import { droBundle } from '../helpers/bundles.js';
import { runInProcess } from '../helpers/cli-in-process.js';

const work = mkdtempSync(join(tmpdir(), 'carto-strict-'));
const db = join(work, 'db.sqlite');
let dbBytes: Buffer;
after(() => rmSync(work, { recursive: true, force: true }));

before(async () => {
  const r = await runInProcess(register, ['import', droBundle(join(work, 'good')), '--db', db]);
  assert.equal(r.code, 0, r.err);
  dbBytes = readFileSync(db);
});

let n = 0;
/** A fresh DRO bundle in its own folder, changed by `change(bundleDir, caseDir)`. */
function bundle(change: (b: string, caseDir: string) => void): string {
  const caseDir = join(work, `case-${++n}`);
  const b = droBundle(caseDir);
  change(b, caseDir);
  return b;
}

function studyJson(b: string, patch: Record<string, unknown>): void {
  const p = join(b, 'study.json');
  writeFileSync(p, JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), ...patch }));
}

const events = (b: string, csv: string): void => writeFileSync(join(b, 'events.csv'), csv);

interface Case {
  name: string;
  make: (b: string, caseDir: string) => void;
  /** Expected message (after the bundle folder). */
  message: RegExp;
  /** Expected location: file name (basename), row, field, value. */
  at: { file: string; row?: number; field?: string; value?: unknown };
}

/** Asserts readBundle's InputError and the CLI's exit 2 with the database unchanged. */
async function expectRefused(c: Case): Promise<void> {
  const b = bundle(c.make);
  let err: unknown;
  try {
    readBundle(b);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof InputError, `${c.name}: InputError expected, got ${String(err)}`);
  assert.match(err.message, c.message, c.name);
  const loc = err.location;
  assert.equal(resolve(loc.file ?? ''), resolve(b, c.at.file), `${c.name}: file`);
  if ('row' in c.at) assert.equal(loc.row, c.at.row, `${c.name}: row`);
  if ('field' in c.at) assert.equal(loc.field, c.at.field, `${c.name}: field`);
  if ('value' in c.at) assert.deepEqual(loc.value, c.at.value, `${c.name}: value`);
  const r = await runInProcess(register, ['import', b, '--db', db]);
  assert.equal(r.code, 2, `${c.name}: exit code`);
  assert.match(r.err, c.message, `${c.name}: CLI message`);
  assert.ok(readFileSync(db).equals(dbBytes), `${c.name}: database unchanged`);
}

test('unknown keys in study.json are errors naming the file, the field and the nearest known key', async () => {
  const cases: Case[] = [
    {
      name: 'misspelt analysis key',
      make: (b) => studyJson(b, { analysis: { matvThresholdSUV: 4 } }),
      message:
        /study\.json, field analysis: unknown key `matvThresholdSUV` \(did you mean `matvThresholdSuv`\?\)/,
      at: { file: 'study.json', field: 'analysis' },
    },
    {
      name: 'unknown top-level key',
      make: (b) => studyJson(b, { analisys: { suvPeak: 'local' } }),
      message: /study\.json: unknown top-level key `analisys` \(did you mean `analysis`\?\)/,
      at: { file: 'study.json' },
    },
    {
      name: 'unknown nested key',
      make: (b) => studyJson(b, { analysis: { pvc: { knot: 5 } } }),
      message: /field analysis\.pvc: unknown key `knot` \(did you mean `knots`\?\)/,
      at: { file: 'study.json', field: 'analysis.pvc' },
    },
    {
      name: 'unknown key in the tracer',
      make: (b) => studyJson(b, { tracer: { name: 'FDG', nuclide: '18F', halfLifeS: 6586.2, halflife: 1 } }),
      message: /field tracer: unknown key `halflife` \(did you mean `halfLifeS`\?\)/,
      at: { file: 'study.json', field: 'tracer' },
    },
    {
      name: 'a wrong value of a known analysis key',
      make: (b) => studyJson(b, { analysis: { pvc: { method: 'bayes' } } }),
      message: /field analysis\.pvc\.method: .*\(value: "bayes"\)/,
      at: { file: 'study.json', field: 'analysis.pvc.method', value: 'bayes' },
    },
  ];
  for (const c of cases) await expectRefused(c);
});

test('unknown CSV columns are errors naming the file, the column and the nearest known column', async () => {
  const cases: Case[] = [
    {
      name: 'patients.csv weight',
      make: (b) =>
        writeFileSync(
          join(b, 'patients.csv'),
          'patient_id,cohort,age,sex,weight,histology,bridging\nP01,1,60,F,70,DLBCL,none\n',
        ),
      message:
        /patients\.csv, row 0, field weight: unknown column `weight` in patients\.csv \(did you mean `weight_kg`\?\)/,
      at: { file: 'patients.csv', row: 0, field: 'weight' },
    },
    {
      name: 'events.csv dya',
      make: (b) => events(b, 'patient_id,event,day,dya\nP01,infusion,0,\nP01,last_follow_up,100,\n'),
      message: /events\.csv, row 0, field dya: unknown column `dya` in events\.csv \(did you mean `day`\?\)/,
      at: { file: 'events.csv', row: 0, field: 'dya' },
    },
    {
      name: 'vois.csv far-off column',
      make: (b) =>
        writeFileSync(
          join(b, 'vois.csv'),
          'scan_id,kind,label,lesion_id,site,irradiated,mask_path,mask_label,surgeon_note\n' +
            'S1,lesion,L1,L1,nodal,no,mask.nii.gz,1,x\n',
        ),
      message:
        /unknown column `surgeon_note` in vois\.csv \(known: scan_id, kind, label, lesion_id, site, irradiated, mask_path, mask_label, roi_name, sphere_center_lps_mm, sphere_radius_mm\)/,
      at: { file: 'vois.csv', row: 0, field: 'surgeon_note' },
    },
  ];
  for (const c of cases) await expectRefused(c);
});

test('impossible timelines are errors naming the row and field', async () => {
  const cases: Case[] = [
    {
      name: 'death before the infusion',
      make: (b) => events(b, 'patient_id,event,day,death_cause\nP01,infusion,0,\nP01,death,-5,lymphoma\n'),
      message: /events\.csv, row 2, field day: death on day -5 is before the infusion \(row 1, day 0\)/,
      at: { file: 'events.csv', row: 2, field: 'day', value: -5 },
    },
    {
      name: 'follow-up before the infusion',
      make: (b) => events(b, 'patient_id,event,day\nP01,last_follow_up,-3\nP01,infusion,0\n'),
      message:
        /events\.csv, row 1, field day: last_follow_up on day -3 is before the infusion \(row 2, day 0\)/,
      at: { file: 'events.csv', row: 1, field: 'day', value: -3 },
    },
    {
      name: 'a follow-up after the death',
      make: (b) =>
        events(
          b,
          'patient_id,event,day,death_cause\nP01,infusion,0,\nP01,death,50,other\nP01,last_follow_up,100,\n',
        ),
      message:
        /row 3, field day: last_follow_up on day 100 is after the death \(row 2, day 50\): nothing after death/,
      at: { file: 'events.csv', row: 3, field: 'day', value: 100 },
    },
    {
      name: 'a response before the infusion',
      make: (b) =>
        events(
          b,
          'patient_id,event,day,lugano\nP01,infusion,0,\nP01,response,-10,PR\nP01,last_follow_up,100,\n',
        ),
      message: /row 2, field day: response on day -10 is before the infusion/,
      at: { file: 'events.csv', row: 2, field: 'day', value: -10 },
    },
    {
      name: 'apheresis after the infusion (dates)',
      make: (b) =>
        events(
          b,
          'patient_id,event,date\nP01,apheresis,2024-03-05\nP01,infusion,2024-03-01\nP01,last_follow_up,2024-06-01\n',
        ),
      message: /row 2, field date: infusion on day 0 is before the apheresis \(row 1, day 4\)/,
      at: { file: 'events.csv', row: 2, field: 'date', value: '2024-03-01' },
    },
    {
      name: 'a day and a date that disagree',
      make: (b) =>
        events(b, 'patient_id,event,date,day\nP01,infusion,2024-01-10,0\nP01,last_follow_up,2024-02-10,30\n'),
      message:
        /row 2, field day: day 30 and date 2024-02-10 disagree: the date is day 31 from the infusion \(2024-01-10\)/,
      at: { file: 'events.csv', row: 2, field: 'day', value: 30 },
    },
    {
      name: 'a date in 1900',
      make: (b) =>
        events(b, 'patient_id,event,date\nP01,infusion,1900-01-01\nP01,last_follow_up,1900-03-01\n'),
      message: /row 1, field date: date before 1990-01-01 is not plausible \(value: "1900-01-01"\)/,
      at: { file: 'events.csv', row: 1, field: 'date', value: '1900-01-01' },
    },
    {
      name: 'a date in 2999',
      make: (b) =>
        events(b, 'patient_id,event,date\nP01,infusion,2024-01-10\nP01,last_follow_up,2999-01-01\n'),
      message: /row 2, field date: date after \d{4}-\d{2}-\d{2} \(today \+ 1 year\) is not plausible/,
      at: { file: 'events.csv', row: 2, field: 'date', value: '2999-01-01' },
    },
    {
      name: 'an implausible day',
      make: (b) => events(b, 'patient_id,event,day\nP01,infusion,0\nP01,last_follow_up,400000\n'),
      message: /row 2, field day: must be ≤ \d+ \(value: "400000"\)/,
      at: { file: 'events.csv', row: 2, field: 'day' },
    },
    {
      name: 'two deaths',
      make: (b) =>
        events(
          b,
          'patient_id,event,day,death_cause\nP01,infusion,0,\nP01,death,40,other\nP01,death,50,other\n',
        ),
      message: /row 3, field event: patient has more than one death event/,
      at: { file: 'events.csv', row: 3, field: 'event' },
    },
    {
      name: 'a scan after the death',
      make: (b) => {
        events(b, 'patient_id,event,day,death_cause\nP01,infusion,0,\nP01,death,50,other\n');
        writeFileSync(
          join(b, 'scans.csv'),
          'scan_id,patient_id,tracer,timepoint,day,path,format\nS1,P01,FDG,pre,60,pt,dicom\n',
        );
      },
      message: /scans\.csv, row 1, field day: day 60 is after the patient's death \(day 50\)/,
      at: { file: 'scans.csv', row: 1, field: 'day', value: 60 },
    },
  ];
  for (const c of cases) await expectRefused(c);
});

test('a journey in order is read, with agreeing days and dates and a follow-up on the day of death', () => {
  const b = bundle((d) =>
    events(
      d,
      'patient_id,event,date,day,death_cause\nP01,apheresis,2024-01-01,,\nP01,infusion,2024-01-30,0,\n' +
        'P01,last_follow_up,2024-03-10,40,\nP01,death,2024-03-10,,other\n',
    ),
  );
  assert.deepEqual(
    readBundle(b).events.map((e) => [e.event, e.day]),
    [
      ['apheresis', -29],
      ['infusion', 0],
      ['last_follow_up', 40],
      ['death', 40],
    ],
  );
});

test('paths outside the bundle and its data roots are refused, naming file, row, field and value', async () => {
  const outside = (caseDir: string): string => {
    const f = join(caseDir, 'elsewhere', 'mask.nii.gz');
    mkdirSync(join(caseDir, 'elsewhere'), { recursive: true });
    return f;
  };
  const vois = (b: string, maskPath: string): void =>
    writeFileSync(
      join(b, 'vois.csv'),
      `scan_id,kind,label,lesion_id,site,irradiated,mask_path,mask_label\nS1,lesion,L1,L1,nodal,no,${maskPath},1\n`,
    );
  const outsideMessage = /is outside the bundle folder and its data roots/;
  const cases: Case[] = [
    {
      name: 'an absolute path elsewhere',
      make: (b, d) => {
        const f = outside(d);
        copyFileSync(join(b, 'mask.nii.gz'), f);
        vois(b, f);
      },
      message: outsideMessage,
      at: { file: 'vois.csv', row: 1, field: 'mask_path' },
    },
    {
      name: 'a ../ escape',
      make: (b, d) => {
        copyFileSync(join(b, 'mask.nii.gz'), outside(d));
        vois(b, '../elsewhere/mask.nii.gz');
      },
      message:
        /vois\.csv, row 1, field mask_path: .*is outside the bundle folder.*\(value: "\.\.\/elsewhere\/mask\.nii\.gz"\)/,
      at: { file: 'vois.csv', row: 1, field: 'mask_path', value: '../elsewhere/mask.nii.gz' },
    },
    {
      name: 'a symlink pointing out',
      make: (b, d) => {
        const f = outside(d);
        copyFileSync(join(b, 'mask.nii.gz'), f);
        symlinkSync(f, join(b, 'link.nii.gz'));
        vois(b, 'link.nii.gz');
      },
      message: /link\.nii\.gz resolves to .*elsewhere\/mask\.nii\.gz, which is outside/,
      at: { file: 'vois.csv', row: 1, field: 'mask_path', value: 'link.nii.gz' },
    },
    {
      name: 'a symlink inside a series folder pointing out',
      make: (b, d) => {
        const f = outside(d);
        writeFileSync(f, 'secret');
        symlinkSync(f, join(b, 'pt', 'extra.dcm'));
      },
      message: /pt\/extra\.dcm resolves to .*, which is outside/,
      at: { file: 'scans.csv', row: 1, field: 'path', value: 'pt' },
    },
    {
      name: 'a table that is a symlink pointing out',
      make: (b, d) => {
        const f = join(outside(d), '..', 'patients.csv');
        copyFileSync(join(b, 'patients.csv'), f);
        rmSync(join(b, 'patients.csv'));
        symlinkSync(f, join(b, 'patients.csv'));
      },
      message: /patients\.csv resolves to .*elsewhere\/patients\.csv, which is outside/,
      at: { file: 'patients.csv' },
    },
    {
      name: 'a data root that is not a folder',
      make: (b) => studyJson(b, { dataRoots: ['../no-such-folder'] }),
      message: /study\.json, field dataRoots\[0\]: data root is not a folder/,
      at: { file: 'study.json', field: 'dataRoots[0]', value: '../no-such-folder' },
    },
  ];
  for (const c of cases) await expectRefused(c);
});

test('dataRoots (relative or absolute) admit paths into them, also through symlinks', () => {
  for (const form of ['relative', 'absolute'] as const) {
    let target = '';
    const b = bundle((d, caseDir) => {
      target = join(caseDir, 'elsewhere', 'mask.nii.gz');
      mkdirSync(join(caseDir, 'elsewhere'));
      copyFileSync(join(d, 'mask.nii.gz'), target);
      symlinkSync(target, join(d, 'link.nii.gz'));
      studyJson(d, { dataRoots: [form === 'relative' ? '../elsewhere' : join(caseDir, 'elsewhere')] });
      writeFileSync(
        join(d, 'vois.csv'),
        'scan_id,kind,label,lesion_id,site,irradiated,mask_path,mask_label\n' +
          'S1,lesion,L1,L1,nodal,no,../elsewhere/mask.nii.gz,1\nS1,lesion,L2,L2,nodal,no,link.nii.gz,1\n',
      );
    });
    const read = readBundle(b);
    assert.deepEqual(
      read.vois.map((v) => v.maskPath),
      [target, join(b, 'link.nii.gz')],
      form,
    );
  }
});
