/**
 * Post-hoc comparisons with a donor block in an unbalanced design (src/lab/block-posthoc.ts) against R
 * (test/lab/golden/block-posthoc.R → block-posthoc.json): the fitted lm's marginal-mean contrasts, their SE and
 * Bonferroni-adjusted p as multcomp::glht gives them — `value ~ donor + condition` (mcp Dunnett and Tukey
 * contrasts) and `value ~ donor + condition * factor(day)` (contrasts within each day) — to 1e-8 relative; a
 * single-step method asked for is stated and Bonferroni-adjusted (glht's single-step is quasi-Monte Carlo and not
 * reproduced here).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readCsv } from '../../src/io/csv.js';
import { parseExperimentJson, type ExperimentDesign, type Sample } from '../../src/lab/experiment.js';
import type { Readout } from '../../src/lab/readouts.js';
import { readoutStatistics } from '../../src/lab/statistics.js';
import { simulateLab } from '../../src/sim/lab.js';
import { assertClose } from '../helpers/assert-close.js';

const here = new URL('./golden/', import.meta.url).pathname;
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

/** Samples and a readout from a values table written by the R script. */
function fromValues(file: string): { samples: Map<string, Sample>; readout: Readout } {
  const samples = new Map<string, Sample>();
  const values = new Map<string, number>();
  readCsv(join(here, file)).rows.forEach((r, i) => {
    const id = r['sample']!;
    samples.set(id, {
      id,
      row: i + 1,
      levels: { condition: r['condition']! },
      donor: r['donor']!,
      replicate: Number(r['replicate']),
      time: Number(r['day']),
    });
    values.set(id, Number(r['value']));
  });
  return { samples, readout: { id: 'x', assay: 'counts', title: 'x', unit: '', values, notes: [] } };
}

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

  it('Dunnett or Tukey asked for: stated, and the family Bonferroni-adjusted', () => {
    const { samples, readout } = fromValues('block-unbalanced-pd1.csv');
    for (const [method, compare] of [
      ['dunnett', 'control'],
      ['tukey', 'all'],
    ] as const) {
      const st = readoutStatistics(readout, samples, withStats(method, compare));
      assert.equal(st.posthoc!.method, 'bonferroni');
      assert.ok(
        st.warnings.some((w) => /Bonferroni-adjusted \(the single-step/.test(w)),
        st.warnings.join('\n'),
      );
      const want = golden.pd1[compare];
      for (const w of want) {
        const c = st.posthoc!.comparisons.find((x) => x.a === w.a && x.b === w.b)!;
        assertClose(c.pAdjusted, w.pBonferroni, 1e-8, `${method} ${w.a} − ${w.b}`, 1e-14);
        // Bonferroni is conservative: never below glht's (quasi-Monte Carlo) single-step p
        assert.ok(c.pAdjusted >= w.pSingleStep - 1e-3, `${w.a} − ${w.b}`);
      }
    }
  });
});
