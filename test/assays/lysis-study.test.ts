/**
 * Cytotoxicity plates (cytotoxicity.csv wells) → % specific lysis per patient, day, target and E:T.
 * Expected values computed by hand from 100 × (E − S̄)/(M̄ − S̄) (written in each comment); tolerance
 * 1e-12 relative (a few float operations on small integers).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lysisAnalyteName, lysisOfStudy, type LysisWell } from '../../src/assays/lysis-study.js';
import { InputError } from '../../src/errors.js';
import { assertClose } from '../helpers/assert-close.js';

type Spec = Omit<LysisWell, 'row'>;
const ctl = (plate: string, target: string, role: 'spontaneous' | 'maximum', cpm: number): Spec => ({
  plate,
  target,
  role,
  patientId: null,
  day: null,
  effectorToTarget: null,
  cpm,
});
const exp = (
  plate: string,
  target: string,
  patientId: string,
  day: number,
  et: number,
  cpm: number,
): Spec => ({
  plate,
  target,
  role: 'experimental',
  patientId,
  day,
  effectorToTarget: et,
  cpm,
});
const numbered = (specs: Spec[]): LysisWell[] => specs.map((s, i) => ({ ...s, row: i + 1 }));
const rejects = (fn: () => unknown, re: RegExp): void =>
  assert.throws(fn, (e: unknown) => e instanceof InputError && re.test(e.message));

// Plate A, Raji: S̄ = 500, M̄ = 2500 (spontaneous 20 % of maximum: QC passes).
const plateA = [
  ctl('A', 'Raji', 'spontaneous', 450),
  ctl('A', 'Raji', 'spontaneous', 500),
  ctl('A', 'Raji', 'spontaneous', 550),
  ctl('A', 'Raji', 'maximum', 2400),
  ctl('A', 'Raji', 'maximum', 2500),
  ctl('A', 'Raji', 'maximum', 2600),
];
// Plate B, K562-CD19: S̄ = 950, M̄ = 3000 (31.67 % > 30 %: QC fails, values kept and flagged).
const plateB = [
  ctl('B', 'K562-CD19', 'spontaneous', 900),
  ctl('B', 'K562-CD19', 'spontaneous', 1000),
  ctl('B', 'K562-CD19', 'maximum', 3000),
  ctl('B', 'K562-CD19', 'maximum', 3000),
];

describe('lysis analyte names', () => {
  it('lysis_<target>_et<ratio>_pct, . → p', () => {
    assert.equal(lysisAnalyteName('Raji', 12.5), 'lysis_raji_et12p5_pct');
    assert.equal(lysisAnalyteName('K562-CD19', 10), 'lysis_k562_cd19_et10_pct');
    assert.equal(lysisAnalyteName('Nalm6', 0.5), 'lysis_nalm6_et0p5_pct');
    assert.throws(() => lysisAnalyteName('Raji', 0), InputError);
    assert.throws(() => lysisAnalyteName('Raji', 1e-7), InputError);
    assert.throws(() => lysisAnalyteName('—', 10), InputError);
  });
});

describe('% specific lysis of a study', () => {
  const wells = numbered([
    exp('B', 'K562-CD19', 'P01', 7, 10, 2000), // 100·1050/2050
    ...plateB,
    exp('A', 'Raji', 'P01', 7, 40, 2100), // 80
    exp('A', 'Raji', 'P01', 7, 40, 2000), // 75
    exp('A', 'Raji', 'P01', 7, 40, 1900), // 70 → mean 75, SD 5
    exp('A', 'Raji', 'P01', 7, 12.5, 1000), // 25
    exp('A', 'Raji', 'P01', 7, 12.5, 1100), // 30
    exp('A', 'Raji', 'P01', 7, 12.5, 900), // 20 → mean 25, SD 5
    exp('A', 'Raji', 'P02', -5, 40, 1500), // 50, single well
    exp('A', 'Raji', 'P01', -5, 40, 300), // −10 (below spontaneous)
    ...plateA,
  ]);
  const r = lysisOfStudy(wells, 'b/cytotoxicity.csv');

  it('plate controls and QC at 30 %', () => {
    assert.deepEqual(
      r.plates.map((p) => [p.plate, p.target, p.spontaneousMeanCpm, p.maximumMeanCpm, p.qcPassed]),
      [
        ['A', 'Raji', 500, 2500, true],
        ['B', 'K562-CD19', 950, 3000, false],
      ],
    );
    assertClose(r.plates[0]!.spontaneousPercentOfMaximum, 20, 1e-12, 'A S/M');
    assertClose(r.plates[1]!.spontaneousPercentOfMaximum, (100 * 950) / 3000, 1e-12, 'B S/M');
  });

  it('replicate means and SDs per patient, day, target and E:T, sorted', () => {
    assert.deepEqual(
      r.samples.map((s) => [s.plate, s.patientId, s.day, s.effectorToTarget, s.nWells, s.qcPassed]),
      [
        ['A', 'P01', -5, 40, 1, true],
        ['A', 'P01', 7, 12.5, 3, true],
        ['A', 'P01', 7, 40, 3, true],
        ['A', 'P02', -5, 40, 1, true],
        ['B', 'P01', 7, 10, 1, false],
      ],
    );
    const expected = [-10, 25, 75, 50, (100 * 1050) / 2050];
    r.samples.forEach((s, i) => assertClose(s.meanPercent, expected[i]!, 1e-12, `mean ${i}`));
    assertClose(r.samples[1]!.sdPercent, 5, 1e-12, 'SD E:T 12.5');
    assertClose(r.samples[2]!.sdPercent, 5, 1e-12, 'SD E:T 40');
    assert.ok(Number.isNaN(r.samples[0]!.sdPercent), 'one well: SD NaN');
  });

  it('lab values lysis_<target>_et<ratio>_pct sorted by patient, day, analyte (QC-failed values kept)', () => {
    assert.deepEqual(
      r.labs.map((l) => [l.patientId, l.day, l.analyte]),
      [
        ['P01', -5, 'lysis_raji_et40_pct'],
        ['P01', 7, 'lysis_k562_cd19_et10_pct'],
        ['P01', 7, 'lysis_raji_et12p5_pct'],
        ['P01', 7, 'lysis_raji_et40_pct'],
        ['P02', -5, 'lysis_raji_et40_pct'],
      ],
    );
    assertClose(r.labs[1]!.value, (100 * 1050) / 2050, 1e-12, 'QC-failed value kept');
    assertClose(r.labs[3]!.value, 75, 1e-12, 'lab value = mean');
  });

  it('QC boundary: 30 % passes, above fails', () => {
    const qc = (s: number): boolean =>
      lysisOfStudy(
        numbered([
          ctl('A', 'Raji', 'spontaneous', s),
          ctl('A', 'Raji', 'maximum', 1000),
          exp('A', 'Raji', 'P01', 1, 5, 600),
        ]),
      ).samples[0]!.qcPassed;
    assert.equal(qc(300), true);
    assert.equal(qc(301), false);
  });
});

describe('cytotoxicity bad input', () => {
  const n = plateA.length;
  it('experimental wells without controls on their plate and target: field target', () => {
    const wells = numbered([...plateA, exp('A', 'Nalm6', 'P01', 7, 10, 1000)]);
    rejects(
      () => lysisOfStudy(wells, 'b/cytotoxicity.csv'),
      new RegExp(
        `^b/cytotoxicity\\.csv, row ${n + 1}, field target: no spontaneous-release wells for target Nalm6 on plate A`,
      ),
    );
    const onePlate = numbered([...plateA, exp('B', 'Raji', 'P01', 7, 10, 1000)]);
    rejects(
      () => lysisOfStudy(onePlate),
      /field target: no spontaneous-release wells for target Raji on plate B/,
    );
    const noMax = numbered([...plateA.slice(0, 3), exp('A', 'Raji', 'P01', 7, 10, 1000)]);
    rejects(
      () => lysisOfStudy(noMax),
      /row 4, field target: no maximum-release wells for target Raji on plate A/,
    );
  });

  it('controls of one kind only: field role', () => {
    rejects(
      () => lysisOfStudy(numbered(plateA.slice(0, 3))),
      /row 1, field role: .*no maximum-release wells/,
    );
  });

  it('maximum ≤ spontaneous: InputError naming plate and target', () => {
    const wells = numbered([
      ctl('C', 'Raji', 'spontaneous', 1000),
      ctl('C', 'Raji', 'maximum', 900),
      ctl('C', 'Raji', 'maximum', 1100),
      exp('C', 'Raji', 'P01', 7, 10, 1000),
    ]);
    rejects(() => lysisOfStudy(wells), /row 2, field cpm: mean maximum release .* target Raji on plate C/);
  });

  it('the same patient, day, target and E:T on two plates: field plate', () => {
    const wells = numbered([
      ...plateA,
      ...plateA.map((w) => ({ ...w, plate: 'Z' })),
      exp('A', 'Raji', 'P01', 7, 10, 1000),
      exp('Z', 'Raji', 'P01', 7, 10, 1000),
    ]);
    rejects(
      () => lysisOfStudy(wells),
      new RegExp(`row ${2 * n + 2}, field plate: .*on two plates \\(A and Z\\)`),
    );
  });

  it('two target spellings with one lab name: field target', () => {
    const wells = numbered([
      ...plateA,
      ...plateA.map((w) => ({ ...w, target: 'RAJI' })),
      exp('A', 'RAJI', 'P01', 7, 10, 1000),
      exp('A', 'Raji', 'P01', 7, 10, 1000),
    ]);
    rejects(
      () => lysisOfStudy(wells),
      /field target: targets RAJI and Raji both give lab analyte lysis_raji_et10_pct/,
    );
  });

  it('bad wells: cpm, patient, day, E:T', () => {
    const bad = (s: Partial<Spec>): LysisWell[] =>
      numbered([...plateA, { ...exp('A', 'Raji', 'P01', 7, 10, 1000), ...s }]);
    const row = n + 1;
    rejects(() => lysisOfStudy(bad({ cpm: -1 })), new RegExp(`row ${row}, field cpm:`));
    rejects(() => lysisOfStudy(bad({ cpm: NaN })), new RegExp(`row ${row}, field cpm:`));
    rejects(() => lysisOfStudy(bad({ patientId: null })), new RegExp(`row ${row}, field patient_id:`));
    rejects(() => lysisOfStudy(bad({ day: null })), new RegExp(`row ${row}, field day:`));
    rejects(
      () => lysisOfStudy(bad({ effectorToTarget: 0 })),
      new RegExp(`row ${row}, field effector_target_ratio:`),
    );
    rejects(
      () => lysisOfStudy(bad({ effectorToTarget: null })),
      new RegExp(`row ${row}, field effector_target_ratio:`),
    );
    rejects(() => lysisOfStudy(bad({ target: '–' })), new RegExp(`row ${row}, field target:`));
  });
});
