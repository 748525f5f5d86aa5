// rms::rcs knots and basis against R (fixtures/rcs.R → rcs.json; rms 6.5-0, Hmisc 4.8-0).
// Tolerance 1e-10 relative (absolute 1e-10 for basis entries near 0), as the issue requires: knots
// are R's type-7 quantiles reproduced with R's own arithmetic; basis entries are a few cubes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rcsBasis, rcsKnots } from '../../src/stats/rcs.js';
import { assertAllClose } from '../helpers/assert-close.js';
import { InputError } from '../../src/errors.js';

interface Case {
  name: string;
  nk: number;
  x: number[];
  knots: number[];
  at: number[];
  basis: number[][];
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/rcs.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};
const TOL = 1e-10;

for (const c of fx.cases) {
  test(`rcsKnots ${c.name} equals rms::rcs knots`, () => {
    assertAllClose(rcsKnots(c.x, c.nk).knots, c.knots, TOL, `${c.name} knots`);
  });
  test(`rcsBasis ${c.name} equals rms::rcs design columns`, () => {
    const b = rcsBasis(c.at, c.knots);
    assert.equal(b.length, c.basis.length);
    b.forEach((row, i) => assertAllClose(row, c.basis[i]!, TOL, `${c.name} row ${i}`, TOL));
  });
}

test('rcsKnots warns when too few unique values (knots = interior unique values)', () => {
  const r = rcsKnots([1, 2, 2, 3, 3, 4, 5, 5, 6, 1, 2], 4);
  assert.deepEqual(r.knots, [2, 3, 4, 5]);
  assert.equal(r.warnings.length, 1);
});

test('rcsKnots refuses fewer than 6 values and nk < 3', () => {
  assert.throws(() => rcsKnots([1, 2, 3, 4, 5], 4), InputError);
  assert.throws(() => rcsKnots([1, 2, 3, 4, 5, 6, 7], 2), InputError);
});

test('rcsBasis is linear beyond the outer knots', () => {
  const knots = [1, 2, 4, 8];
  const b = rcsBasis([10, 20, 30], knots);
  for (let j = 0; j < 3; j++) {
    const d1 = b[1]![j]! - b[0]![j]!;
    const d2 = b[2]![j]! - b[1]![j]!;
    assert.ok(Math.abs(d1 - d2) < 1e-9 * Math.max(1, Math.abs(d1)), `column ${j} not linear`);
  }
});
