/** `carto assay curve|qpcr|lysis|cytokines|cytotoxicity` end to end (values cross-checked against the library tests' references). */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { register } from '../../src/cli/commands/assay.js';
import { assertClose } from '../helpers/assert-close.js';
import { sharedData } from '../helpers/shared-data.js';
import { runInProcess } from '../helpers/cli-in-process.js';

/** Runs the `assay` command group in-process (test/helpers/cli-in-process.ts). */
function carto(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return runInProcess(register, args);
}

describe('carto assay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'carto-assay-cli-'));
  it('curve --model 4pl on ryegrass matches drc (1e-5) and back-calculates', async () => {
    const r = await carto(
      'assay',
      'curve',
      '--data',
      sharedData('assays', 'curve-fitting', 'drc_ryegrass.csv'),
      '--x',
      'conc',
      '--y',
      'rootl',
      '--model',
      '4pl',
      '--predict',
      '4',
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as {
      parameters: { name: string; estimate: number }[];
      predictions: { flag: string }[];
    };
    assertClose(j.parameters.find((p) => p.name === 'e')!.estimate, 3.057955, 1e-5, 'e');
    assert.equal(j.predictions[0]!.flag, 'ok');
  });
  it('curve on flat data exits 2 with a clear message', async () => {
    const f = join(dir, 'flat.csv');
    writeFileSync(f, 'x,y\n1,5\n2,5\n4,5\n8,5\n16,5\n32,5\n');
    const r = await carto('assay', 'curve', '--data', f, '--x', 'x', '--y', 'y');
    assert.equal(r.code, 2);
    assert.match(r.err, /flat/);
  });
  it('qpcr ddct and lysis --json', async () => {
    const q = join(dir, 'q.csv');
    writeFileSync(q, 'g,t,r\nA,20,15\nA,20.2,15.1\nB,22,15\nB,22.1,15.2\n');
    const r = await carto(
      'assay',
      'qpcr',
      '--data',
      q,
      '--group',
      'g',
      '--target',
      't',
      '--reference',
      'r',
      '--calibrator',
      'A',
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { groups: { group: string; ddCt: number; fold: number }[] };
    assertClose(j.groups[1]!.ddCt, 1.9, 1e-12, 'ddCt');
    assertClose(j.groups[1]!.fold, 2 ** -1.9, 1e-12, 'fold');
    const l = join(dir, 'l.csv');
    writeFileSync(
      l,
      'well_type,et,cpm\nspontaneous,,500\nmaximum,,2500\nexperimental,40,2000\nexperimental,10,1000\n',
    );
    const k = JSON.parse((await carto('assay', 'lysis', '--data', l, '--json')).out) as {
      points: { meanPercent: number }[];
    };
    assert.deepEqual(
      k.points.map((p) => p.meanPercent),
      [75, 25],
    );
  });
  it('cytokines --json: plate curves and samples back-calculated (exact 4PL wells, 1e-6), bad --model exits 2', async () => {
    const p = { b: -1.1, c: 0.05, d: 3.2, e: 250 };
    const od = (x: number): number => p.c + (p.d - p.c) / (1 + (x / p.e) ** p.b);
    const rows = ['plate,role,analyte,concentration,patient_id,day,dilution,signal'];
    for (const x of [0, 7.8125, 15.625, 31.25, 62.5, 125, 250, 500, 1000])
      rows.push(`P1,standard,IL6,${x},,,,${od(x)}`, `P1,standard,IL6,${x},,,,${od(x)}`);
    rows.push(`P1,sample,IL6,,donor-7,0,5,${od(80)}`);
    const f = join(dir, 'cyt.csv');
    writeFileSync(f, `${rows.join('\n')}\n`);
    const r = await carto('assay', 'cytokines', '--data', f, '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as {
      curves: { lloqPgMl: number; uloqPgMl: number }[];
      samples: { patientId: string; concentrationPgMl: number; flag: string }[];
    };
    assert.equal(j.curves.length, 1);
    assert.equal(j.curves[0]!.lloqPgMl, 7.8125);
    assert.equal(j.curves[0]!.uloqPgMl, 1000);
    assert.equal(j.samples[0]!.patientId, 'donor-7');
    assert.equal(j.samples[0]!.flag, 'ok');
    assertClose(j.samples[0]!.concentrationPgMl, 400, 1e-6, '80 pg/mL × dilution 5');
    const bad = await carto('assay', 'cytokines', '--data', f, '--model', '6pl');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--model/);
  });
  it('cytotoxicity --json: plate QC and % lysis per sample and E:T (hand arithmetic, 1e-12)', async () => {
    const f = join(dir, 'cr.csv');
    writeFileSync(
      f,
      'plate,target,role,patient_id,day,effector_target_ratio,cpm\n' +
        'A,Raji,spontaneous,,,,200\nA,Raji,maximum,,,,1200\nA,Raji,experimental,d1,0,10,700\nA,Raji,experimental,d1,0,10,800\n',
    );
    const r = await carto('assay', 'cytotoxicity', '--data', f, '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as {
      plates: { spontaneousPercentOfMaximum: number; qcPassed: boolean }[];
      samples: { meanPercent: number; nWells: number }[];
    };
    assertClose(j.plates[0]!.spontaneousPercentOfMaximum, (100 * 200) / 1200, 1e-12, 'spontaneous %');
    assert.equal(j.plates[0]!.qcPassed, true);
    assertClose(j.samples[0]!.meanPercent, 55, 1e-12, '(50 % + 60 %) / 2');
    assert.equal(j.samples[0]!.nWells, 2);
    writeFileSync(f, 'plate,target,role,cpm\nA,Raji,experimental,5\n');
    const bad = await carto('assay', 'cytotoxicity', '--data', f);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /cr\.csv, row 1, field patient_id/);
  });
});
