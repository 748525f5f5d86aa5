/**
 * FlowJo biex against FlowJo's own lookup table (shared/data/flow/fcs-misc/flowjo_biex_lut_l256_w-7.943282_n1_
 * m4.418540_r262144.csv: data value per channel 0 … 4095, printed to 6 significant digits).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { compileFlowJoBiex, flowJoBiexTable } from '../../src/flow/flowjo-biex.js';
import { compileTransform } from '../../src/flow/transforms.js';
import { sharedData } from '../helpers/shared-data.js';

const reference = readFileSync(
  sharedData('flow', 'fcs-misc', 'flowjo_biex_lut_l256_w-7.943282_n1_m4.418540_r262144.csv'),
  'utf8',
)
  .trim()
  .split(/\r?\n/)
  .slice(1)
  .map((l) => l.split(',').map(Number) as [number, number]);
const params = { pos: 4.41854, neg: 1, widthBasis: -7.943282, maxValue: 262144 };

describe('FlowJo biex lookup table', () => {
  it('reproduces every entry of FlowJo’s table to its printed precision (6 significant digits)', () => {
    const t = flowJoBiexTable(params);
    assert.equal(t.dataValues.length, 4097);
    assert.equal(reference.length, 4096);
    // Tolerance: one unit in the 6th significant digit of the printed value (the file's rounding; the
    // reference was computed in other arithmetic, so a last-digit rounding may differ).
    let worst = 0;
    for (const [i, v] of reference) {
      const unit = v === 0 ? 1e-5 : 10 ** (Math.floor(Math.log10(Math.abs(v))) - 5);
      worst = Math.max(worst, Math.abs(t.dataValues[i]! - v) / unit);
    }
    assert.ok(worst <= 1, `worst deviation ${worst} units of the 6th digit`);
    // the zero channel maps to 0 and the table is odd-symmetric around it
    assert.equal(t.dataValues[t.zeroChannel], 0);
    assert.equal(t.dataValues[t.zeroChannel - 7], -t.dataValues[t.zeroChannel + 7]!);
    assert.ok(Math.abs(t.dataValues[4096]! - 262144) / 262144 < 0.01);
  });

  it('forward interpolates channels linearly and clamps outside the table; inverse undoes it', () => {
    const t = flowJoBiexTable(params);
    const f = compileFlowJoBiex(params);
    const v = t.dataValues;
    assert.equal(f.forward(v[1000]!), 1000 / 4096);
    assert.ok(Math.abs(f.forward((v[1000]! + v[1001]!) / 2) - 1000.5 / 4096) < 1e-12);
    assert.equal(f.forward(v[0]! - 1e6), 0);
    assert.equal(f.forward(1e9), 1);
    assert.ok(Number.isNaN(f.forward(NaN)));
    for (const x of [-500, -1, 0, 3.5, 1234.5, 200000]) {
      assert.ok(
        Math.abs(f.inverse(f.forward(x)) - x) <= 1e-9 * Math.max(1, Math.abs(x)),
        `round trip at ${x}`,
      );
    }
    // through the generic transform entry point
    const g = compileTransform({ kind: 'flowjo-biex', ...params });
    assert.equal(g.forward(1234.5), f.forward(1234.5));
  });

  it('refuses parameters FlowJo does not allow', () => {
    assert.throws(() => flowJoBiexTable({ ...params, widthBasis: -0.5 }), InputError);
    assert.throws(() => flowJoBiexTable({ ...params, pos: 0 }), InputError);
    assert.throws(() => flowJoBiexTable({ ...params, maxValue: -1 }), InputError);
  });
});
