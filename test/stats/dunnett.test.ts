/**
 * Dunnett's exact many-to-one probabilities: properties that pin the integral without R (the R comparisons are in
 * posthoc.test.ts): with one treatment the adjusted p is the two-sided t p-value; with ν = ∞ and λ² = ½ for two
 * treatments it is the bivariate-normal probability 1 − P(|Z₁| < c, |Z₂| < c) with ρ = ½, computed here by an
 * independent 1-D integral (Gauss–Legendre on a fine grid); p decreases in |t|, lies between the single-test p
 * and Bonferroni's m·p; the critical value inverts p; invalid arguments give NaN.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  adaptiveIntegral,
  dunnettAdjustedP,
  dunnettCriticalValue,
  dunnettLambdas,
} from '../../src/stats/dunnett.js';
import { normalUpper, tTwoSidedP } from '../../src/stats/distributions.js';
import { assertClose } from '../helpers/assert-close.js';

describe('Dunnett adjusted p-values and critical values', () => {
  it('one treatment: equals the two-sided t test', () => {
    for (const [t, df] of [
      [2.3, 10],
      [-4.1, 27],
      [0.4, 3],
      [7, 54],
    ] as const) {
      const lam = dunnettLambdas(6, [4]);
      assertClose(dunnettAdjustedP(t, lam, df), tTwoSidedP(t, df), 1e-9, `t=${t} df=${df}`);
    }
  });
  it('ν = ∞, two treatments with ρ = ½: bivariate normal rectangle by a separate integral', () => {
    // P(|Z1| < c, |Z2| < c) with Z_i = (W0 + W_i)/√2: condition on W0 = w, then each |·| < c independently
    const c = 2.2;
    const inside = (w: number): number => {
      const lo = -c * Math.SQRT2 - w;
      const hi = c * Math.SQRT2 - w;
      const pi = normalUpper(lo) - normalUpper(hi);
      return (Math.exp(-0.5 * w * w) / Math.sqrt(2 * Math.PI)) * pi * pi;
    };
    const steps = 20000;
    let sum = 0;
    for (let i = 0; i < steps; i++) {
      const a = -12 + (24 * i) / steps;
      const b = a + 24 / steps;
      // Simpson on each small panel
      sum += ((b - a) / 6) * (inside(a) + 4 * inside(0.5 * (a + b)) + inside(b));
    }
    assertClose(dunnettAdjustedP(c, [Math.SQRT1_2, Math.SQRT1_2], Infinity), 1 - sum, 1e-9, 'p');
  });
  it('monotone in |t|, between the single-test p and Bonferroni', () => {
    const lam = dunnettLambdas(5, [5, 4, 6]);
    let prev = 1;
    for (const t of [0.5, 1, 2, 3, 4, 6]) {
      const p = dunnettAdjustedP(-t, lam, 12);
      const single = tTwoSidedP(t, 12);
      assert.ok(p < prev, `decreasing at t=${t}`);
      assert.ok(p > single && p < 3 * single, `bounds at t=${t}: ${single} < ${p} < ${3 * single}`);
      prev = p;
    }
    assert.equal(dunnettAdjustedP(0, lam, 12), 1);
  });
  it('critical value inverts the adjusted p', () => {
    const lam = dunnettLambdas(4, [4, 3, 5, 4]);
    const c = dunnettCriticalValue(0.95, lam, 15);
    assertClose(dunnettAdjustedP(c, lam, 15), 0.05, 1e-8, 'p(c) = α');
    assert.equal(
      dunnettCriticalValue(0.95, dunnettLambdas(4, [4]), 15),
      dunnettCriticalValue(0.95, [0.5], 15),
    );
  });
  it('invalid arguments give NaN', () => {
    assert.ok(Number.isNaN(dunnettAdjustedP(2, [], 10)));
    assert.ok(Number.isNaN(dunnettAdjustedP(2, [1], 10)));
    assert.ok(Number.isNaN(dunnettAdjustedP(2, [0.5], 0)));
    assert.ok(Number.isNaN(dunnettAdjustedP(NaN, [0.5], 10)));
    assert.ok(Number.isNaN(dunnettCriticalValue(1, [0.5], 10)));
  });
  it('adaptive Gauss–Kronrod: polynomial exact, peaked integrand to tolerance', () => {
    assertClose(
      adaptiveIntegral((x) => x ** 20, [0, 1], 1e-14, 0),
      1 / 21,
      1e-14,
      '∫x^20',
    );
    const peak = adaptiveIntegral((x) => 1 / (1e-4 + x * x), [-1, 0.3, 1], 1e-12, 0);
    assertClose(peak, 2 * 100 * Math.atan(100), 1e-11, '∫1/(ε+x²)');
  });
});
