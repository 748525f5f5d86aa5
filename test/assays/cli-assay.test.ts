/** `carto assay curve|qpcr|lysis` end to end (values cross-checked against the library tests' references). */
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
});
