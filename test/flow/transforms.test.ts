/**
 * Gating-ML 2.0 scale transforms vs shared/data/flow/transform_reference_values.json (FlowUtils tests = the
 * spec's example tables). Tolerance: the reference is printed to 6 decimals (8 for hyperlog), so we require
 * agreement to half a unit of the last printed digit.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { compileTransform, fratio, type ScaleTransform } from '../../src/flow/transforms.js';
import { sharedData } from '../helpers/shared-data.js';

interface Ref {
  input: number[];
  logicle_T1000_W1_M4_A0: number[];
  hyperlog_T1000_W1_M4_A0: number[];
  asinh_T1000_M4_A1: number[];
  log_T10000_M5: { input: number[]; output: (number | string | null)[] };
}
const ref = JSON.parse(readFileSync(sharedData('flow', 'transform_reference_values.json'), 'utf8')) as Ref;

function check(t: ScaleTransform, inputs: number[], expected: number[], decimals: number): void {
  const f = compileTransform(t);
  inputs.forEach((x, i) => {
    const got = f.forward(x);
    assert.ok(
      Math.abs(got - expected[i]!) <= 0.5 * 10 ** -decimals + 1e-15,
      `${t.kind}(${x}) = ${got}, expected ${expected[i]}`,
    );
  });
}

describe('Gating-ML 2.0 transforms vs reference tables', () => {
  it('logicle T=1000 W=1 M=4 A=0 (6 decimals)', () =>
    check({ kind: 'logicle', T: 1000, W: 1, M: 4, A: 0 }, ref.input, ref.logicle_T1000_W1_M4_A0, 6));
  it('hyperlog T=1000 W=1 M=4 A=0 (8 decimals)', () =>
    check({ kind: 'hyperlog', T: 1000, W: 1, M: 4, A: 0 }, ref.input, ref.hyperlog_T1000_W1_M4_A0, 8));
  it('asinh T=1000 M=4 A=1 (6 decimals)', () =>
    check({ kind: 'fasinh', T: 1000, M: 4, A: 1 }, ref.input, ref.asinh_T1000_M4_A1, 6));
  it('log T=10000 M=5: NaN for x < 0, −∞ at 0, values to 6 decimals', () => {
    const f = compileTransform({ kind: 'flog', T: 10000, M: 5 });
    ref.log_T10000_M5.input.forEach((x, i) => {
      const e = ref.log_T10000_M5.output[i];
      const got = f.forward(x);
      if (e === null) assert.ok(Number.isNaN(got));
      else if (e === '-Infinity') assert.equal(got, -Infinity);
      else assert.ok(Math.abs(got - Number(e)) <= 5e-7, `flog(${x}) = ${got}`);
    });
  });
  it('linear and ratio formulas', () => {
    const f = compileTransform({ kind: 'flin', T: 1000, A: 100 });
    assert.equal(f.forward(1000), 1);
    assert.equal(f.forward(-100), 0);
    assert.equal(fratio(10, 3, 2, 1, 1), 9);
  });
  it('logicle and hyperlog inverse(forward(x)) = x to 10 decimals (T=10000, W=0.5, M=4.5)', () => {
    for (const kind of ['logicle', 'hyperlog'] as const) {
      const t = compileTransform({ kind, T: 10000, W: 0.5, M: 4.5, A: 0 });
      for (let i = 0; i <= 10000; i++) {
        const x = i * 0.1;
        assert.ok(Math.abs(t.inverse(t.forward(x)) - x) < 5e-11, `${kind} round trip at ${x}`);
      }
    }
  });
  it('refuses parameters outside the standard ranges', () => {
    assert.throws(() => compileTransform({ kind: 'logicle', T: 1000, W: 3, M: 4, A: 0 }), InputError);
    assert.throws(() => compileTransform({ kind: 'flog', T: -1, M: 4 }), InputError);
  });
  it('FlowJo log: (log10(max(x, offset)) − log10(offset)) / decades, values at or below the offset on the axis', () => {
    const t = compileTransform({ kind: 'flowjo-log', offset: 1, decades: 4 });
    for (const x of [-3, 0, 0.5, 1]) assert.equal(t.forward(x), 0, `clamped at ${x}`);
    assert.equal(t.forward(10000), 1);
    assert.equal(t.forward(100), 0.5);
    assert.ok(Math.abs(t.inverse(t.forward(1234.5)) - 1234.5) < 1e-9);
    assert.throws(() => compileTransform({ kind: 'flowjo-log', offset: 0, decades: 4 }), InputError);
  });
});
