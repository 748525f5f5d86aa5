/**
 * The Genz–Bretz multivariate-t lattice (src/stats/mvt.ts) against exact probabilities: Dunnett's product
 * correlations for 5–8 contrasts (src/stats/dunnett.ts, an adaptive double integral to 1e-11), the polytope
 * integral of src/lab/max-t.ts for a singular (Tukey) correlation, the critical value against Dunnett's exact
 * quantile; its fast Φ and Φ⁻¹ against erfc-based ones; determinism and argument errors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maxAbsTUpper } from '../../src/lab/max-t.js';
import { normalQuantileStd, normalUpper, tTwoSidedP } from '../../src/stats/distributions.js';
import { dunnettAdjustedP, dunnettCriticalValue, dunnettLambdas } from '../../src/stats/dunnett.js';
import { fastNormalCdf, fastNormalQuantile, mvtMaxAbsCritical, mvtMaxAbsUpper } from '../../src/stats/mvt.js';
import { assertClose } from '../helpers/assert-close.js';

const dunnettCorr = (lam: number[]): number[][] =>
  lam.map((a, i) => lam.map((b, j) => (i === j ? 1 : a * b)));
const lambdasOf = (m: number): number[] =>
  dunnettLambdas(
    4,
    Array.from({ length: m }, (_, i) => 3 + (i % 4)),
  );

describe('multivariate t by the Genz–Bretz lattice', () => {
  it('fast Φ to 2e-16 absolute and Φ⁻¹ to 1e-12 relative', () => {
    for (let x = -9.5; x <= 9.5; x += 0.00731) {
      const exact = x >= 0 ? 1 - normalUpper(x) : normalUpper(-x);
      assertClose(fastNormalCdf(x), exact, 0, `Φ(${x})`, 2.3e-16);
    }
    for (let u = 1e-4; u < 1 - 1e-4; u += 0.000731)
      assertClose(fastNormalQuantile(u), normalQuantileStd(u), 1e-12, `Φ⁻¹(${u})`, 1e-15);
    // the far tail, where stdlib's quantile loses digits: R 4.2.2 qnorm(c(1e-15, 1e-10, 1e-7)) (1 − u: to the rounding of 1 − u)
    const r = [-7.941345326170995, -6.361340902404056, -5.199337582192817];
    [1e-15, 1e-10, 1e-7].forEach((u, i) => {
      assertClose(fastNormalQuantile(u), r[i]!, 1e-14, `Φ⁻¹(${u})`);
      assertClose(fastNormalQuantile(1 - u), -r[i]!, 2e-5, `Φ⁻¹(1 − ${u})`);
    });
  });

  it('equals the exact Dunnett probability (5–8 contrasts) within its stated error (≤ 5e-6 at the default 2²¹ points)', () => {
    for (const [m, df] of [
      [5, Infinity],
      [6, 12],
      [8, 20],
    ] as const) {
      const lam = lambdasOf(m);
      const corr = dunnettCorr(lam);
      for (const c of [dunnettCriticalValue(0.99, lam, df), 2.2]) {
        const r = mvtMaxAbsUpper(c, corr, df);
        const exact = dunnettAdjustedP(c, lam, df);
        assert.ok(r.error > 0 && r.error <= 5e-6, `m=${m} ν=${df} c=${c}: error ${r.error}`);
        assertClose(r.value, exact, 0, `m=${m} ν=${df} c=${c} (error ${r.error})`, 1.5 * r.error);
      }
    }
  });

  it('equals the polytope integral for a singular (Tukey, 4 groups) correlation and a general one', () => {
    const pairs: [number, number][] = [];
    for (let j = 0; j < 4; j++) for (let i = j + 1; i < 4; i++) pairs.push([i, j]);
    const ind = (x: number, y: number): number => (x === y ? 1 : 0);
    const tukey = pairs.map(([a, b]) =>
      pairs.map(([c, d]) => (ind(a, c) - ind(a, d) - ind(b, c) + ind(b, d)) / 2),
    );
    const general = [
      [1, 0.3, -0.2],
      [0.3, 1, 0.5],
      [-0.2, 0.5, 1],
    ];
    for (const [name, corr] of [
      ['Tukey', tukey],
      ['general', general],
    ] as const)
      for (const c of [1.2, 2.7]) {
        const r = mvtMaxAbsUpper(c, corr, 9);
        assertClose(r.value, maxAbsTUpper(c, corr, 9), 0, `${name} c=${c} (error ${r.error})`, 1.5 * r.error);
        assert.ok(r.error <= 3e-6, `${name} c=${c}: error ${r.error}`);
      }
  });

  it('the simultaneous critical value matches the exact Dunnett quantile within the error of p at it', () => {
    const lam = lambdasOf(5);
    const r = mvtMaxAbsCritical(dunnettCorr(lam), Infinity, 0.95);
    const exact = dunnettCriticalValue(0.95, lam, Infinity);
    // |Δc| ≈ |Δp| / |dp/dc|; dp/dc at the 95 % quantile is ~0.1
    assertClose(
      r.value,
      exact,
      0,
      `critical value (p error ${r.error})`,
      Math.max(2e-5, (3 * r.error) / 0.1),
    );
    assertClose(dunnettAdjustedP(r.value, lam, Infinity), 0.05, 0, 'p at the critical value', 3 * r.error);
  });

  it('is deterministic, exact for one contrast, and refuses bad arguments', () => {
    const corr = dunnettCorr(lambdasOf(5));
    assert.deepEqual(mvtMaxAbsUpper(2.5, corr, 10), mvtMaxAbsUpper(2.5, corr, 10));
    assert.deepEqual(mvtMaxAbsUpper(2, [[1]], 7), { value: tTwoSidedP(2, 7), error: 0, points: 0 });
    assert.equal(mvtMaxAbsUpper(0, corr, 10).value, 1);
    assert.throws(() => mvtMaxAbsUpper(2, corr, 0), /degrees of freedom must be > 0 \(got 0\)/);
    assert.throws(() => mvtMaxAbsUpper(2, [], 5), /empty correlation matrix/);
    assert.throws(
      () =>
        mvtMaxAbsUpper(
          2,
          [
            [1, 0.9, -0.9],
            [0.9, 1, 0.9],
            [-0.9, 0.9, 1],
          ],
          5,
        ),
      /not positive semi-definite/,
    );
    assert.throws(() => mvtMaxAbsCritical(corr, 5, 1), /level must be in \(0, 1\) \(got 1\)/);
  });
});
