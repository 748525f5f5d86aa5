/**
 * ASTCT 2019 grading (Lee et al. BBMT 2019;25:625, Tables 3 and 5 + footnotes): a table of cases, one per
 * rule and edge case, plus the CLI contract. Grades are integers: exact comparison.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  gradeCrs,
  gradeIcans,
  parseCrsWindow,
  parseIcansWindow,
  type CrsWindow,
  type IcansWindow,
} from '../../src/registry/grading/astct.js';
import { InputError } from '../../src/errors.js';
import { projectRoot } from '../helpers/shared-data.js';

const crs0: CrsWindow = {
  maxTemperatureC: 37.2,
  feverMaskedByTreatment: false,
  hypotension: false,
  fluidsOnly: false,
  vasopressors: [],
  oxygenDevice: 'none',
  oxygenLPerMin: null,
  diedOfCrs: false,
};
const fever = { ...crs0, maxTemperatureC: 38.4 };

const crsCases: [string, Partial<CrsWindow>, number, string[]][] = [
  ['afebrile, nothing else: no CRS', {}, 0, []],
  ['37.9 °C is not fever', { maxTemperatureC: 37.9 }, 0, []],
  ['38.0 °C exactly is fever → grade 1', { maxTemperatureC: 38.0 }, 1, ['fever']],
  [
    'afebrile with hypotension on a vasopressor, not masked: not CRS',
    { hypotension: true, vasopressors: ['norepinephrine'] },
    0,
    [],
  ],
  [
    'fever + fluids-only hypotension → 2',
    { ...fever, hypotension: true, fluidsOnly: true },
    2,
    ['hypotension'],
  ],
  [
    'fever + one vasopressor → 3',
    { ...fever, hypotension: true, vasopressors: ['norepinephrine'] },
    3,
    ['hypotension'],
  ],
  [
    'one vasopressor + vasopressin is still "one vasopressor ± vasopressin" → 3',
    { ...fever, hypotension: true, vasopressors: ['norepinephrine', 'vasopressin'] },
    3,
    ['hypotension'],
  ],
  [
    'vasopressin alone is one vasopressor → 3',
    { ...fever, hypotension: true, vasopressors: ['Vasopressin'] },
    3,
    ['hypotension'],
  ],
  [
    'two vasopressors excluding vasopressin → 4',
    { ...fever, hypotension: true, vasopressors: ['norepinephrine', 'phenylephrine'] },
    4,
    ['hypotension'],
  ],
  [
    'same drug named twice is one vasopressor → 3',
    { ...fever, hypotension: true, vasopressors: ['norepinephrine', 'Norepinephrine '] },
    3,
    ['hypotension'],
  ],
  [
    'low-flow nasal cannula 6 L/min → 2',
    { ...fever, oxygenDevice: 'low-flow-nasal-cannula', oxygenLPerMin: 6 },
    2,
    ['hypoxia'],
  ],
  [
    'nasal cannula 6.5 L/min is high flow → 3',
    { ...fever, oxygenDevice: 'low-flow-nasal-cannula', oxygenLPerMin: 6.5 },
    3,
    ['hypoxia'],
  ],
  [
    'high-flow nasal cannula 40 L/min → 3',
    { ...fever, oxygenDevice: 'high-flow-nasal-cannula', oxygenLPerMin: 40 },
    3,
    ['hypoxia'],
  ],
  ['blow-by → 2', { ...fever, oxygenDevice: 'blow-by' }, 2, ['hypoxia']],
  ['facemask → 3', { ...fever, oxygenDevice: 'facemask' }, 3, ['hypoxia']],
  ['non-rebreather → 3', { ...fever, oxygenDevice: 'non-rebreather' }, 3, ['hypoxia']],
  ['Venturi mask → 3', { ...fever, oxygenDevice: 'venturi' }, 3, ['hypoxia']],
  ['CPAP → 4', { ...fever, oxygenDevice: 'cpap' }, 4, ['hypoxia']],
  ['BiPAP → 4', { ...fever, oxygenDevice: 'bipap' }, 4, ['hypoxia']],
  ['mechanical ventilation → 4', { ...fever, oxygenDevice: 'mechanical-ventilation' }, 4, ['hypoxia']],
  [
    'paper example: fever + one vasopressor + low-flow O2 → 3 (more severe domain)',
    {
      ...fever,
      hypotension: true,
      vasopressors: ['norepinephrine'],
      oxygenDevice: 'low-flow-nasal-cannula',
      oxygenLPerMin: 2,
    },
    3,
    ['hypotension'],
  ],
  [
    'both domains at the same grade → both drive it',
    { ...fever, hypotension: true, fluidsOnly: true, oxygenDevice: 'blow-by' },
    2,
    ['hypotension', 'hypoxia'],
  ],
  [
    'fever masked by tocilizumab/steroids: afebrile + facemask → 3',
    { maxTemperatureC: 36.8, feverMaskedByTreatment: true, oxygenDevice: 'facemask' },
    3,
    ['hypoxia'],
  ],
  [
    'fever masked, nothing else → still grade 1 (CRS ongoing)',
    { maxTemperatureC: 36.8, feverMaskedByTreatment: true },
    1,
    ['fever'],
  ],
  [
    'death due to CRS → 5',
    { ...fever, diedOfCrs: true, oxygenDevice: 'mechanical-ventilation' },
    5,
    ['death'],
  ],
];

for (const [name, patch, grade, drivenBy] of crsCases) {
  test(`CRS: ${name}`, () => {
    const w = parseCrsWindow({ ...crs0, ...patch });
    assert.deepEqual(gradeCrs(w), { grade, drivenBy });
  });
}

const icans0: IcansWindow = {
  iceScore: 10,
  iceNotPossible: false,
  consciousness: 'awake',
  globalAphasia: false,
  seizure: 'none',
  motor: 'none',
  cerebralOedema: 'none',
  raisedIcpSigns: false,
};

const icansCases: [string, Partial<IcansWindow>, number, string[]][] = [
  ['ICE 10, nothing else: no ICANS', {}, 0, []],
  ['ICE 9 → 1', { iceScore: 9 }, 1, ['ice']],
  ['ICE 7 → 1', { iceScore: 7 }, 1, ['ice']],
  ['ICE 6 → 2', { iceScore: 6 }, 2, ['ice']],
  ['ICE 3 → 2', { iceScore: 3 }, 2, ['ice']],
  ['ICE 2 → 3', { iceScore: 2 }, 3, ['ice']],
  ['ICE 0, awake with global aphasia → 3 (not 4)', { iceScore: 0, globalAphasia: true }, 3, ['ice']],
  [
    'ICE not possible, awake with global aphasia → 3',
    { iceScore: null, iceNotPossible: true, globalAphasia: true },
    3,
    ['ice'],
  ],
  ['ICE 0, unarousable → 4', { iceScore: 0, consciousness: 'unarousable' }, 4, ['ice', 'consciousness']],
  [
    'ICE not possible, coma → 4',
    { iceScore: null, iceNotPossible: true, consciousness: 'coma' },
    4,
    ['ice', 'consciousness'],
  ],
  [
    'awakens to voice with ICE 8 → 2 (consciousness)',
    { iceScore: 8, consciousness: 'awakens-to-voice' },
    2,
    ['consciousness'],
  ],
  [
    'awakens only to tactile stimulus → 3',
    { iceScore: 5, consciousness: 'awakens-to-tactile' },
    3,
    ['consciousness'],
  ],
  ['rapidly resolving clinical seizure → 3', { seizure: 'rapidly-resolving' }, 3, ['seizure']],
  [
    'non-convulsive seizure on EEG resolving with intervention → 3',
    { seizure: 'non-convulsive-eeg-resolving' },
    3,
    ['seizure'],
  ],
  ['prolonged (>5 min) or repetitive seizures → 4', { seizure: 'prolonged-or-repetitive' }, 4, ['seizure']],
  [
    'paper example: ICE 3 + generalised seizure → 3',
    { iceScore: 3, seizure: 'rapidly-resolving' },
    3,
    ['seizure'],
  ],
  ['deep focal motor weakness → 4', { motor: 'deep-focal-weakness' }, 4, ['motor']],
  ['focal/local oedema → 3', { cerebralOedema: 'focal' }, 3, ['cerebral-oedema']],
  ['diffuse oedema → 4', { cerebralOedema: 'diffuse' }, 4, ['cerebral-oedema']],
  [
    'raised ICP signs (papilloedema, CN VI palsy, posturing) → 4',
    { raisedIcpSigns: true },
    4,
    ['cerebral-oedema'],
  ],
  ['ICE 5 + focal oedema → 3 from oedema', { iceScore: 5, cerebralOedema: 'focal' }, 3, ['cerebral-oedema']],
];

for (const [name, patch, grade, drivenBy] of icansCases) {
  test(`ICANS: ${name}`, () => {
    const w = parseIcansWindow({ ...icans0, ...patch });
    assert.deepEqual(gradeIcans(w), { grade, drivenBy });
  });
}

test('CRS: a missing field is an error naming it', () => {
  const { oxygenDevice: _drop, ...rest } = crs0;
  assert.throws(
    () => parseCrsWindow(rest),
    (e: unknown) => e instanceof InputError && /field oxygenDevice/.test(e.message),
  );
});

test('CRS: unknown field, inconsistent or out-of-range windows are errors naming the field', () => {
  const bad: [Record<string, unknown>, string][] = [
    [{ ...crs0, extra: 1 }, 'extra'],
    [{ ...crs0, oxygenDevice: 'tent' }, 'oxygenDevice'],
    [{ ...fever, oxygenDevice: 'low-flow-nasal-cannula', oxygenLPerMin: null }, 'oxygenLPerMin'],
    [{ ...crs0, vasopressors: ['norepinephrine'] }, 'hypotension'],
    [{ ...crs0, hypotension: true }, 'fluidsOnly'],
    [{ ...crs0, maxTemperatureC: '38' }, 'maxTemperatureC'],
  ];
  for (const [input, field] of bad) {
    assert.throws(
      () => parseCrsWindow(input),
      (e: unknown) => e instanceof InputError && e.location.field === field,
      `expected an error naming ${field}`,
    );
  }
});

test('ICANS: missing, out-of-range and inconsistent fields are errors naming the field', () => {
  const { seizure: _drop, ...rest } = icans0;
  const bad: [Record<string, unknown>, string][] = [
    [rest, 'seizure'],
    [{ ...icans0, iceScore: 11 }, 'iceScore'],
    [{ ...icans0, iceScore: null }, 'iceScore'],
    [{ ...icans0, iceNotPossible: true }, 'iceScore'],
    [{ ...icans0, iceScore: null, iceNotPossible: true }, 'iceNotPossible'],
  ];
  for (const [input, field] of bad) {
    assert.throws(
      () => parseIcansWindow(input),
      (e: unknown) => e instanceof InputError && e.location.field === field,
      `expected an error naming ${field}`,
    );
  }
});

test('CLI: carto grade crs|icans FILE --json prints {grade, drivenBy}; a missing field exits 2 naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'carto-grade-'));
  try {
    const crsFile = join(dir, 'crs.json');
    writeFileSync(
      crsFile,
      JSON.stringify({ ...fever, hypotension: true, vasopressors: ['norepinephrine', 'vasopressin'] }),
    );
    const icansFile = join(dir, 'icans.json');
    writeFileSync(icansFile, JSON.stringify({ ...icans0, iceScore: 0, globalAphasia: true }));
    const badFile = join(dir, 'bad.json');
    const { diedOfCrs: _d, ...noDeath } = crs0;
    writeFileSync(badFile, JSON.stringify(noDeath));
    const run = (...args: string[]) =>
      spawnSync(
        process.execPath,
        ['--import', 'tsx', 'test/registry/fixtures/grade-cli.ts', 'grade', ...args],
        {
          cwd: projectRoot,
          encoding: 'utf8',
        },
      );
    const a = run('crs', crsFile, '--json');
    assert.equal(a.status, 0, a.stderr);
    assert.deepEqual(JSON.parse(a.stdout), { grade: 3, drivenBy: ['hypotension'] });
    const b = run('icans', icansFile, '--json');
    assert.equal(b.status, 0, b.stderr);
    assert.deepEqual(JSON.parse(b.stdout), { grade: 3, drivenBy: ['ice'] });
    const c = run('crs', badFile, '--json');
    assert.equal(c.status, 2);
    assert.match(c.stderr, /field diedOfCrs/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
