/**
 * Fixed-effects ANOVA (type I) and Bonferroni pairwise t-tests vs R (test/stats/anova/anova.R → anova.json):
 * aov/anova(lm) tables for a balanced one-way (PlantGrowth), balanced two-way (ToothGrowth, dose as factor) and an
 * unbalanced two-way in both term orders (mtcars cyl × am: type I SS differ by order), and Bonferroni pairwise
 * t-tests: pairwise.t.test (pool.sd = TRUE) in the one-way and cell cases, the two-way model's residual MSE for
 * dose (posthoc.test.ts covers Tukey, Dunnett and control comparisons). Tolerance 1e-10 relative: jsonlite writes 15 significant digits; ours is QR
 * arithmetic of the same model (p-values from the shared F/t distributions, tested elsewhere to ~1e-12).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fixedEffectsAnova } from '../../src/stats/anova.js';
import { dataFrameFromCsv } from '../../src/stats/data-frame.js';
import { InputError } from '../../src/errors.js';
import { readCsv } from '../../src/io/csv.js';
import { assertClose } from '../helpers/assert-close.js';

const fixture = (f: string): string => new URL(`./anova/${f}`, import.meta.url).pathname;
interface Table {
  terms: string[];
  df: number[];
  sumSq: number[];
  meanSq: number[];
  F: (number | null)[];
  p: (number | null)[];
}
interface Pw {
  a: string;
  b: string;
  p: number;
  pAdjusted: number;
}
const golden = JSON.parse(readFileSync(fixture('anova.json'), 'utf8')) as Record<
  string,
  Record<string, Table | Pw[]>
>;
const TOL = 1e-10;

function checkTable(res: ReturnType<typeof fixedEffectsAnova>, t: Table): void {
  const k = t.terms.length - 1;
  assert.deepEqual(
    res.rows.map((r) => r.term),
    t.terms.slice(0, k),
  );
  res.rows.forEach((r, i) => {
    assert.equal(r.df, t.df[i]);
    assertClose(r.sumSq, t.sumSq[i]!, TOL, `${r.term} SS`);
    assertClose(r.meanSq, t.meanSq[i]!, TOL, `${r.term} MS`);
    assertClose(r.F, t.F[i]!, TOL, `${r.term} F`);
    assertClose(r.pValue, t.p[i]!, 1e-8, `${r.term} p`);
  });
  assert.equal(res.residual.df, t.df[k]);
  assertClose(res.residual.sumSq, t.sumSq[k]!, TOL, 'RSS');
}

function checkPairwise(got: NonNullable<ReturnType<typeof fixedEffectsAnova>['posthoc']>, want: Pw[]): void {
  assert.equal(got.comparisons.length, want.length);
  want.forEach((w) => {
    const c = got.comparisons.find((x) => x.a === w.a && x.b === w.b);
    assert.ok(c, `comparison ${w.a} vs ${w.b} missing`);
    assertClose(c.pValue, w.p, 1e-8, `${w.a}-${w.b} p`);
    assertClose(c.pAdjusted, w.pAdjusted, 1e-8, `${w.a}-${w.b} p bonferroni`);
  });
}

describe('fixed-effects ANOVA vs R aov + pairwise.t.test', () => {
  const pg = dataFrameFromCsv(readCsv(fixture('plantgrowth.csv')));
  const tg = dataFrameFromCsv(readCsv(fixture('toothgrowth.csv')), { types: { dose: 'factor' } });
  const mt = dataFrameFromCsv(readCsv(fixture('mtcars_cyl_am.csv')), {
    types: { cyl: 'factor', am: 'factor' },
  });
  it('one-way balanced (PlantGrowth) + Bonferroni pairwise', () => {
    const r = fixedEffectsAnova('weight ~ group', pg, { posthoc: 'bonferroni' });
    const g = golden['plantgrowth_oneway']!;
    checkTable(r, g['anova'] as Table);
    assert.equal(r.balanced, true);
    assert.equal(r.posthoc!.familySize, 3);
    checkPairwise(r.posthoc!, g['pairwise'] as Pw[]);
    const lv = g['levels'] as unknown as { level: string[]; n: number[]; mean: number[]; sd: number[] };
    r.posthoc!.levels.forEach((l, i) => {
      assert.deepEqual([l.level, l.n], [lv.level[i], lv.n[i]]);
      assertClose(l.mean, lv.mean[i]!, TOL, `${l.level} mean`);
      assertClose(l.sd, lv.sd[i]!, TOL, `${l.level} sd`);
    });
    const c = r.posthoc!.comparisons[0]!;
    assert.ok(c.lwr < c.diff && c.diff < c.upr);
  });
  it('a factor() term (numeric dose as factor(dose)) gives the same table, balance and post-hoc', () => {
    const tgNumeric = dataFrameFromCsv(readCsv(fixture('toothgrowth.csv')));
    const g = golden['toothgrowth_twoway']!;
    const r = fixedEffectsAnova('len ~ supp * factor(dose)', tgNumeric, {
      posthoc: 'bonferroni',
      posthocBy: 'factor(dose)',
    });
    // R labels the terms factor(dose) and supp:factor(dose) too
    const t = g['anova'] as Table;
    checkTable(r, { ...t, terms: t.terms.map((x) => x.replace('dose', 'factor(dose)')) });
    assert.equal(r.balanced, true);
    checkPairwise(r.posthoc!, g['pairwise_dose'] as Pw[]);
  });
  it('two-way balanced (ToothGrowth supp * dose) + pairwise over dose and over cells', () => {
    const g = golden['toothgrowth_twoway']!;
    const r = fixedEffectsAnova('len ~ supp * dose', tg, { posthoc: 'bonferroni', posthocBy: 'dose' });
    checkTable(r, g['anova'] as Table);
    assert.equal(r.balanced, true);
    checkPairwise(r.posthoc!, g['pairwise_dose'] as Pw[]);
    const cells = fixedEffectsAnova('len ~ supp * dose', tg, {
      posthoc: 'bonferroni',
      posthocBy: 'supp:dose',
    });
    assert.equal(cells.posthoc!.familySize, 15);
    checkPairwise(cells.posthoc!, g['pairwise_cells'] as Pw[]);
  });
  it('two-way unbalanced (mtcars cyl × am): type I SS depend on term order, as in R', () => {
    const a = fixedEffectsAnova('mpg ~ cyl * am', mt);
    const b = fixedEffectsAnova('mpg ~ am * cyl', mt);
    checkTable(a, golden['mtcars_unbalanced_cyl_am']!['anova'] as Table);
    checkTable(b, golden['mtcars_unbalanced_am_cyl']!['anova'] as Table);
    assert.equal(a.balanced, false);
    assert.equal(a.sumsOfSquares, 'type I (sequential)');
  });
  it('refuses random-effects formulas and unknown post-hoc groupings', () => {
    assert.throws(() => fixedEffectsAnova('weight ~ group + (1|group)', pg), InputError);
    assert.throws(
      () => fixedEffectsAnova('weight ~ group', pg, { posthoc: 'bonferroni', posthocBy: 'x' }),
      InputError,
    );
  });
});
