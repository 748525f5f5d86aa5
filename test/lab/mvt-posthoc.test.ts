/**
 * Single-step post-hoc families of more than 4 levels (the Genz–Bretz lattice, src/stats/mvt.ts) and the random
 * donor's post-hoc comparisons within cells (src/lab/block-posthoc.ts `mixedModelComparisons`) against R
 * (test/lab/golden/mvt-posthoc.R → mvt-posthoc.json):
 * - a 6-level unbalanced donor block: glht Dunnett and Tukey — estimates, SE, p, Bonferroni to 1e-8 relative,
 *   single-step p within the combined errors of glht's and our lattice estimates, critical values to qmvt's;
 * - a random donor (balanced and unbalanced, 4 levels × 4 days; 6 levels): lmerTest `contest` estimates, SE,
 *   Satterthwaite df, p and Bonferroni to 1e-6 relative (the REML optimiser's tolerance, as lab-statistics.test.ts);
 *   single-step against glht(df = ν) where the df are one integer (balanced), else between mvtnorm's values at
 *   floor(ν) and ceiling(ν) (it takes integer df only).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseExperimentJson, type ExperimentDesign } from '../../src/lab/experiment.js';
import { readoutStatistics, type LabComparison } from '../../src/lab/statistics.js';
import { simulateLab } from '../../src/sim/lab.js';
import { assertClose } from '../helpers/assert-close.js';
import { fromValues, goldenDir } from './values-fixture.js';

interface Row {
  stratum: string;
  a: string;
  b: string;
  estimate: number;
  se: number;
  df?: number;
  t: number;
  p: number;
  pBonferroni: number;
  pSingleStep?: number;
  pFloorDf?: number;
  pCeilingDf?: number;
  pSingleStepError: number;
  calpha?: number;
}
interface Case {
  formula: string;
  df?: number;
  control?: Row[];
  all?: Row[];
}
const golden = JSON.parse(readFileSync(join(goldenDir, 'mvt-posthoc.json'), 'utf8')) as {
  six: Case;
  random: Record<'balanced' | 'unbalanced' | 'six', Case>;
};
const sim = parseExperimentJson(simulateLab(1).experimentJson, 'experiment.json');
const SIX = ['Ctrl', 'T1', 'T2', 'T3', 'T4', 'T5'];

function designOf(o: {
  six: boolean;
  model: 'block' | 'random';
  posthoc: 'dunnett' | 'bonferroni' | 'tukey';
  compare: 'control' | 'all';
}): ExperimentDesign {
  const f0 = sim.factors[0]!;
  return {
    ...sim,
    factors: [o.six ? { ...f0, levels: SIX, control: 'Ctrl' } : f0, ...sim.factors.slice(1)],
    donors: { ...sim.donors!, model: o.model },
    statistics: { ...sim.statistics, posthoc: o.posthoc, compare: o.compare },
  };
}

const find = (got: LabComparison[], w: Row): LabComparison => {
  const c = got.find((x) => x.a === w.a && x.b === w.b && (x.stratum ?? '') === w.stratum);
  assert.ok(c, `no comparison ${w.a} − ${w.b} ${w.stratum}`);
  return c;
};

describe('single-step families of more than 4 levels and the random donor within cells, against R', () => {
  it('6-level unbalanced donor block: glht Dunnett and Tukey, single-step by the lattice', () => {
    const g = golden.six;
    const { samples, readout } = fromValues('block-six-levels.csv');
    for (const [method, compare] of [
      ['dunnett', 'control'],
      ['tukey', 'all'],
      ['bonferroni', 'all'],
    ] as const) {
      const st = readoutStatistics(
        readout,
        samples,
        designOf({ six: true, model: 'block', posthoc: method, compare }),
      );
      assert.equal(st.formula, g.formula);
      assert.equal(st.balanced, false);
      assert.equal(st.posthoc!.method, method, 'no Bonferroni fallback');
      assert.ok(!st.warnings.some((w) => /Bonferroni-adjusted instead/.test(w)));
      const rows = g[compare]!;
      assert.equal(st.posthoc!.comparisons.length, rows.length);
      for (const w of rows) {
        const c = find(st.posthoc!.comparisons, w);
        const label = `${method} ${w.a} − ${w.b}`;
        assert.equal(c.df, g.df);
        assertClose(c.diff, w.estimate, 1e-8, `${label} estimate`, 1e-12);
        assertClose(c.se, w.se, 1e-8, `${label} se`);
        assertClose(c.pValue, w.p, 1e-8, `${label} p`, 1e-14);
        if (method === 'bonferroni') {
          assertClose(c.pAdjusted, w.pBonferroni, 1e-8, `${label} Bonferroni`, 1e-14);
          continue;
        }
        const tol = (c.pAdjustedError ?? 0) + w.pSingleStepError + 1e-7;
        // glht's own error for the 15 Tukey contrasts stays at ~2.5e-5 with 2e6 points (its cap); ours ≤ 5e-6
        assert.ok((c.pAdjustedError ?? 0) <= 5e-6, `${label}: lattice error ${c.pAdjustedError}`);
        assertClose(c.pAdjusted, w.pSingleStep!, 0, `${label} single-step (±${tol.toExponential(2)})`, tol);
        assertClose((c.upr - c.diff) / c.se, w.calpha!, 5e-3, `${label} critical value`);
      }
    }
  });

  for (const key of ['balanced', 'unbalanced', 'six'] as const) {
    it(`random donor, ${key}: contrasts of the mixed model's fixed effects within each cell`, () => {
      const g = golden.random[key];
      const file = {
        balanced: 'cells_per_ml-values.csv',
        unbalanced: 'block-unbalanced-counts.csv',
        six: 'block-six-levels.csv',
      }[key];
      const { samples, readout } = fromValues(file);
      for (const compare of ['control', 'all'] as const) {
        const rows = g[compare];
        if (!rows) continue;
        for (const method of compare === 'control'
          ? (['dunnett', 'bonferroni'] as const)
          : (['tukey', 'bonferroni'] as const)) {
          const st = readoutStatistics(
            readout,
            samples,
            designOf({ six: key === 'six', model: 'random', posthoc: method, compare }),
          );
          assert.equal(st.formula, g.formula);
          assert.equal(st.model, 'mixed');
          const got = st.posthoc!.comparisons;
          assert.equal(got.length, rows.length, `${key} ${method} count`);
          for (const w of rows) {
            const c = find(got, w);
            const label = `${key} ${method} ${w.a} − ${w.b} ${w.stratum}`;
            assertClose(c.diff, w.estimate, 1e-6, `${label} estimate`, 1e-9 * Math.abs(w.se));
            assertClose(c.se, w.se, 1e-6, `${label} se`);
            assertClose(c.df, w.df!, 1e-6, `${label} df`);
            assertClose(c.pValue, w.p, 1e-6, `${label} p`, 1e-12);
            if (method === 'bonferroni') {
              assertClose(c.pAdjusted, w.pBonferroni, 1e-6, `${label} Bonferroni`, 1e-12);
              continue;
            }
            const tol = (c.pAdjustedError ?? 0) + w.pSingleStepError + 2e-6;
            if (w.pSingleStep !== undefined)
              assertClose(c.pAdjusted, w.pSingleStep, 0, `${label} single-step`, tol);
            else {
              const [lo, hi] = [Math.min(w.pFloorDf!, w.pCeilingDf!), Math.max(w.pFloorDf!, w.pCeilingDf!)];
              assert.ok(
                c.pAdjusted >= lo - tol && c.pAdjusted <= hi + tol,
                `${label}: ${c.pAdjusted} not in [${lo}, ${hi}] ± ${tol}`,
              );
            }
          }
        }
      }
    });
  }
});
