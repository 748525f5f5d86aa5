// OLS against R summary(lm()) and predict(interval = "confidence") (fixtures/ols.R → ols.json).
// Tolerance 1e-10 relative: both are QR least squares in double precision on a well-conditioned
// design; p-values 1e-9 (incomplete-beta tails).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ols, olsPredict } from '../../src/stats/ols.js';
import { assertAllClose, assertClose } from '../helpers/assert-close.js';
import { ComputationError, InputError } from '../../src/errors.js';

interface Case {
  X: number[][];
  y: number[];
  coefficients: number[];
  se: number[];
  t: number[];
  p: number[];
  sigma: number;
  df: number;
  r2: number;
  adjr2: number;
  vcov: number[][];
  predRows: number[][];
  predFit: number[];
  predSe: number[];
  predLower: number[];
  predUpper: number[];
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/ols.json', import.meta.url), 'utf8')) as Record<
  'intercept' | 'noIntercept',
  Case
>;
const TOL = 1e-10;

for (const name of ['intercept', 'noIntercept'] as const) {
  const c = fx[name];
  test(`ols (${name}) equals summary(lm())`, () => {
    const f = ols(c.X, c.y);
    assert.equal(f.hasIntercept, name === 'intercept');
    assertAllClose(f.coefficients, c.coefficients, TOL, 'beta');
    assertAllClose(f.se, c.se, TOL, 'se');
    assertAllClose(f.tValue, c.t, TOL, 't');
    assertAllClose(f.pValue, c.p, 1e-9, 'p');
    assertClose(f.residualSe, c.sigma, TOL, 'sigma');
    assert.equal(f.dfResidual, c.df);
    assertClose(f.rSquared, c.r2, TOL, 'R2');
    assertClose(f.adjRSquared, c.adjr2, TOL, 'adj R2');
    f.covariance.forEach((r, i) => assertAllClose(r, c.vcov[i]!, TOL, `vcov ${i}`));
  });
  test(`olsPredict (${name}) equals predict(interval = "confidence")`, () => {
    const f = ols(c.X, c.y);
    c.predRows.forEach((row, i) => {
      const pr = olsPredict(f, row);
      assertClose(pr.estimate, c.predFit[i]!, TOL, 'fit');
      assertClose(pr.se, c.predSe[i]!, TOL, 'se');
      assertClose(pr.lower, c.predLower[i]!, TOL, 'lower');
      assertClose(pr.upper, c.predUpper[i]!, TOL, 'upper');
    });
  });
}

test('ols refuses rank-deficient designs and too few rows', () => {
  const X = [
    [1, 2, 4],
    [1, 3, 6],
    [1, 5, 10],
    [1, 7, 14],
  ];
  assert.throws(() => ols(X, [1, 2, 3, 5]), ComputationError);
  assert.throws(() => ols([[1], [1]], [1]), InputError);
  assert.throws(() => ols([[1, 1]], [1]), InputError);
});
