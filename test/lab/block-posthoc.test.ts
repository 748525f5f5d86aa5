/**
 * Post-hoc comparisons with a donor block in an unbalanced design (src/lab/block-posthoc.ts) against R
 * (test/lab/golden/block-posthoc.R → block-posthoc.json): the fitted lm's marginal-mean contrasts, their SE and
 * Bonferroni-adjusted p as multcomp::glht gives them — `value ~ donor + condition` (mcp Dunnett and Tukey
 * contrasts) and `value ~ donor + condition * factor(day)` (contrasts within each day) — to 1e-8 relative; the
 * single-step Dunnett and Tukey p (src/lab/max-t.ts) to glht's quasi-Monte Carlo error (~1e-6 with 2e6 points),
 * and that integral against the exact Dunnett and Tukey distributions where they apply.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseExperimentJson, type ExperimentDesign } from '../../src/lab/experiment.js';
import { readoutStatistics } from '../../src/lab/statistics.js';
import { maxAbsTUpper } from '../../src/lab/max-t.js';
import { simulateLab } from '../../src/sim/lab.js';
import { tTwoSidedP } from '../../src/stats/distributions.js';
import { dunnettAdjustedP, dunnettLambdas } from '../../src/stats/dunnett.js';
import { ptukeyUpper } from '../../src/stats/studentized-range.js';
import { assertClose } from '../helpers/assert-close.js';
import { fromValues, goldenDir as here } from './values-fixture.js';

interface GoldenRow {
  stratum: string;
  a: string;
  b: string;
  estimate: number;
  se: number;
  t: number;
  p: number;
  pBonferroni: number;
  pSingleStep: number;
  pSingleStepError: number;
  calpha: number;
}
interface GoldenCase {
  formula: string;
  df: number;
  control: GoldenRow[];
  all: GoldenRow[];
}
const golden = JSON.parse(readFileSync(join(here, 'block-posthoc.json'), 'utf8')) as Record<
  'pd1' | 'counts',
  GoldenCase
>;
const design = parseExperimentJson(simulateLab(1).experimentJson, 'experiment.json');

const withStats = (
  posthoc: 'dunnett' | 'bonferroni' | 'tukey',
  compare: 'control' | 'all',
): ExperimentDesign => ({
  ...design,
  statistics: { ...design.statistics, posthoc, compare },
});

describe('post-hoc of a donor block in an unbalanced design against multcomp::glht', () => {
  for (const [key, file] of [
    ['pd1', 'block-unbalanced-pd1.csv'],
    ['counts', 'block-unbalanced-counts.csv'],
  ] as const) {
    it(`${golden[key].formula}: estimates, SE, p and Bonferroni p`, () => {
      const g = golden[key];
      const { samples, readout } = fromValues(file);
      for (const [family, compare] of [
        ['control', 'control'],
        ['all', 'all'],
      ] as const) {
        const st = readoutStatistics(readout, samples, withStats('bonferroni', compare));
        assert.equal(st.formula, g.formula);
        assert.equal(st.balanced, false);
        const got = st.posthoc!.comparisons;
        assert.equal(got.length, g[family].length, `${key} ${family} count`);
        for (const w of g[family]) {
          const label = `${key} ${family} ${w.a} − ${w.b} ${w.stratum}`;
          const c = got.find((x) => x.a === w.a && x.b === w.b && (x.stratum ?? '') === w.stratum);
          assert.ok(c, `no comparison ${label}`);
          assert.equal(c.df, g.df);
          assertClose(c.diff, w.estimate, 1e-9, `${label} estimate`, 1e-9);
          assertClose(c.se, w.se, 1e-9, `${label} se`);
          assertClose(c.t, w.t, 1e-9, `${label} t`);
          // R's glht p is 1 − P: below ~1e-15 it is 0 or a rounding residue
          assertClose(c.pValue, w.p, 1e-8, `${label} p`, 1e-14);
          assertClose(c.pAdjusted, w.pBonferroni, 1e-8, `${label} Bonferroni p`, 1e-14);
        }
        // the estimates are the model's, not the raw group means, in an unbalanced block
        const raw = st.groups;
        const c0 = got.find(
          (x) => x.a === 'CAR+TM+MSC' && x.b === 'CAR+TM' && (x.stratum ?? '') === g[family][0]!.stratum,
        )!;
        const mean = (l: string): number => raw.find((x) => x.level === l && x.stratum === c0.stratum)!.mean;
        assert.ok(Math.abs(c0.diff - (mean('CAR+TM+MSC') - mean('CAR+TM'))) > 1e-6);
      }
    });
  }

  it("single-step Dunnett and Tukey: glht's multivariate-t p to its Monte Carlo error, critical values to qmvt's", () => {
    for (const [key, file] of [
      ['pd1', 'block-unbalanced-pd1.csv'],
      ['counts', 'block-unbalanced-counts.csv'],
    ] as const) {
      const { samples, readout } = fromValues(file);
      for (const [method, compare] of [
        ['dunnett', 'control'],
        ['tukey', 'all'],
      ] as const) {
        const st = readoutStatistics(readout, samples, withStats(method, compare));
        assert.equal(st.posthoc!.method, method);
        for (const w of golden[key][compare]) {
          const label = `${key} ${method} ${w.a} − ${w.b} ${w.stratum}`;
          const c = st.posthoc!.comparisons.find(
            (x) => x.a === w.a && x.b === w.b && (x.stratum ?? '') === w.stratum,
          )!;
          // glht's value is randomised quasi-Monte Carlo with error ≈ pSingleStepError (~1e-6); ours an integral
          assertClose(c.pAdjusted, w.pSingleStep, 0, label, Math.max(10 * w.pSingleStepError, 1e-9));
          assert.ok(c.pAdjusted <= w.pBonferroni + 1e-12, `${label}: single-step ≤ Bonferroni`);
          assertClose((c.upr - c.diff) / c.se, w.calpha, 5e-3, `${label} critical value`);
        }
      }
    }
  });

  it('the max-|t| integral equals the exact Dunnett (product correlations) and Tukey (ptukey) probabilities', () => {
    const lam = dunnettLambdas(4, [5, 6, 3]);
    const corr = lam.map((a, i) => lam.map((b, j) => (i === j ? 1 : a * b)));
    for (const c of [0.5, 2.4, 6])
      assertClose(maxAbsTUpper(c, corr, 12), dunnettAdjustedP(c, lam, 12), 1e-10, `Dunnett ${c}`);
    const l2 = dunnettLambdas(3, [4, 7]);
    const c2 = l2.map((a, i) => l2.map((b, j) => (i === j ? 1 : a * b)));
    assertClose(maxAbsTUpper(2.1, c2, 9), dunnettAdjustedP(2.1, l2, 9), 1e-10, 'Dunnett, 2 contrasts');
    // Tukey, 4 equal groups: the 6 pair contrasts of a 3-dimensional space (singular correlation matrix)
    const pairs: [number, number][] = [];
    for (let j = 0; j < 4; j++) for (let i = j + 1; i < 4; i++) pairs.push([i, j]);
    const ind = (x: number, y: number): number => (x === y ? 1 : 0);
    const ct = pairs.map(([a, b]) =>
      pairs.map(([c, d]) => (ind(a, c) - ind(a, d) - ind(b, c) + ind(b, d)) / 2),
    );
    for (const c of [1, 2.8, 4])
      assertClose(maxAbsTUpper(c, ct, 20), ptukeyUpper(Math.SQRT2 * c, 4, 20), 1e-9, `Tukey ${c}`);
    assertClose(maxAbsTUpper(2, [[1]], 7), tTwoSidedP(2, 7), 1e-12, 'one contrast');
  });
});
