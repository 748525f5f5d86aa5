/**
 * The inner loop of the Genz–Bretz lattice (src/stats/normal-fast.ts) against R (test/stats/fixtures/mvt-kernel.R):
 * Φ̄ against pnorm, Φ⁻¹ (the quintic table and AS 241) against qnorm, the chi scale √(χ²_ν⁻¹(u)/ν) against qchisq;
 * and one unbalanced 6-level Tukey family (15 contrasts, rank 5, ν = 41) end to end against mvtnorm run to a 4×
 * tighter error than ours: every single-step p within the two errors, the critical value against qmvt, and the
 * points the adaptive rule spends (the intermediate rules are skipped).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SHIFTS, SIZES } from '../../src/stats/lattice-rule.js';
import { mvtMaxAbsCritical, mvtMaxAbsUpper } from '../../src/stats/mvt.js';
import {
  chiKernel,
  chiScaleKernel,
  fastNormalQuantile,
  normalQuantileKernel,
  normalUpperFast,
} from '../../src/stats/normal-fast.js';
import { assertClose } from '../helpers/assert-close.js';

const golden = JSON.parse(readFileSync(new URL('./fixtures/mvt-kernel.json', import.meta.url), 'utf8')) as {
  qnorm: { u: number[]; z: number[] };
  pnormUpper: { x: number[]; p: number[] };
  chi: { df: number; s: number[] }[];
  tukeySix: { a: string[]; b: string[]; corr: number[][]; t: number[]; df: number };
};
/** glht's single-step p (GenzBretz maxpts 2e6, abseps 1e-6, error recorded) and critical value for the family. */
const glht = (
  JSON.parse(readFileSync(new URL('../lab/golden/mvt-posthoc.json', import.meta.url), 'utf8')) as {
    six: { all: { a: string; b: string; pSingleStep: number; pSingleStepError: number; calpha: number }[] };
  }
).six.all;

describe('the lattice inner loop against R', () => {
  it('Φ̄ to 1e-13 relative of pnorm(x, lower.tail = FALSE), x in [0, 9.99]', () => {
    golden.pnormUpper.x.forEach((x, i) =>
      assertClose(normalUpperFast(x), golden.pnormUpper.p[i]!, 1e-13, `Φ̄(${x})`, 1e-300),
    );
    assert.equal(normalUpperFast(10), 0);
  });

  it('Φ⁻¹ (table on [1/64, 63/64], AS 241 outside) to 1e-12 relative of qnorm, 1e-12 ≤ u ≤ 1 − 1e-12', () => {
    const { u, z } = golden.qnorm;
    assert.ok(u.filter((v) => v >= 1 / 64 && v <= 63 / 64).length > 100, 'the table range is covered');
    u.forEach((v, i) => {
      assertClose(normalQuantileKernel(v), z[i]!, 1e-12, `Φ⁻¹(${v})`, 1e-14);
      assertClose(fastNormalQuantile(v), z[i]!, 1e-12, `AS 241 Φ⁻¹(${v})`, 1e-14);
    });
    assert.equal(normalQuantileKernel(0), -Infinity);
    assert.equal(normalQuantileKernel(1), Infinity);
  });

  it('the chi scale s(u) = √(χ²_ν⁻¹(u)/ν) to 1e-10 relative of qchisq (ν = 3 … 200, integer or not)', () => {
    for (const { df, s } of golden.chi) {
      const k = chiKernel(df);
      golden.qnorm.u.forEach((v, i) => {
        if (v < 1e-9 || v > 1 - 1e-9) return; // the lattice's w_0 is never that close to 0 or 1 (N ≤ 2²⁰)
        assertClose(chiScaleKernel(v, k), s[i]!, 1e-10, `ν=${df} s(${v})`);
      });
    }
  });
});

describe('an unbalanced 6-level Tukey family against mvtnorm', () => {
  const g = golden.tukeySix;
  it('every single-step p within our error + glht’s, the points spent below the doubling sequence’s', () => {
    let points = 0;
    g.t.forEach((t, i) => {
      const w = glht.find((x) => x.a === g.a[i] && x.b === g.b[i]);
      assert.ok(w, `no glht row ${g.a[i]} − ${g.b[i]}`);
      const r = mvtMaxAbsUpper(t, g.corr, g.df);
      points += r.points;
      assert.ok(r.error <= 5e-6, `|t| = ${t}: error ${r.error}`);
      assertClose(r.value, w.pSingleStep, 0, `|t| = ${t} (error ${r.error})`, r.error + w.pSingleStepError);
    });
    // rules doubled from 1021 points up to the cap (2²¹ points × shifts) spend ~2 N_cap per p at the cap; the rule
    // predicted from the second rule's error spends ~1 N_cap (13 of these 15 are at the cap)
    const doubling = SHIFTS * SIZES.slice(0, 8).reduce((a, b) => a + b, 0);
    assert.ok(points < 0.75 * g.t.length * doubling, `points ${points} vs ${g.t.length} × ${doubling}`);
  });

  it('the 95 % critical value: p = 0.05 at it on a 2× larger rule (other points), near glht’s, in ≤ 4 cap rules', () => {
    const r = mvtMaxAbsCritical(g.corr, g.df, 0.95);
    assert.ok(r.error <= 5e-6, `error ${r.error}`);
    const check = mvtMaxAbsUpper(r.value, g.corr, g.df, { absTol: 1e-9, maxPoints: 2 ** 22 });
    assert.equal(check.points, SHIFTS * (SIZES[0]! + SIZES[1]! + SIZES[8]!), 'the check ran on the 2¹⁸ rule');
    assertClose(check.value, 0.05, 0, `p at c = ${r.value}`, 3 * (r.error + check.error));
    // glht's confint (qmvt) is a stochastic root to ~1e-3 (test/lab/mvt-posthoc.test.ts)
    assertClose(r.value, glht[0]!.calpha, 2e-3, 'critical value against glht');
    assert.ok(r.points < 4 * SHIFTS * SIZES[7]!, `points ${r.points}`);
  });
});
