/**
 * ANOVA post-hoc comparisons vs R (test/stats/posthoc/posthoc.R → posthoc.json): PlantGrowth (one-way),
 * warpbreaks (breaks ~ wool + tension, post-hoc on tension), a simulated MSC co-culture experiment with donor as a
 * block (expansion ~ donor + condition) and as one-way, and the experiment with 8 wells removed (unbalanced one-way:
 * Tukey–Kramer and Dunnett with unequal n; condition + donor with the grouping first).
 * Tolerances: F, p, Bonferroni p and CIs 1e-8 relative; Tukey adjusted p 1e-8 relative or 1e-13 absolute (the
 * upper tail is 1 − ptukey in R and here, see studentized-range.test.ts); Tukey CIs 1e-9 against the exact ptukey
 * root and 1e-6 against TukeyHSD's (R's qtukey stops at a 1e-4 secant step); Dunnett adjusted p and critical value
 * 1e-8 relative against R's nested integrate() of the same probability, and 2e-3 absolute against
 * multcomp::glht (randomised quasi-Monte Carlo, mvtnorm's default abseps 1e-3).
 * Comparisons are matched by their pair of levels (R orders warpbreaks' tension L, M, H; this design sorts levels).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fixedEffectsAnova, significanceStars, type PosthocResult } from '../../src/stats/anova.js';
import { dataFrameFromCsv, type DataFrame } from '../../src/stats/data-frame.js';
import { InputError } from '../../src/errors.js';
import { readCsv } from '../../src/io/csv.js';
import { assertClose } from '../helpers/assert-close.js';

const fixture = (f: string): string => new URL(`./posthoc/${f}`, import.meta.url).pathname;
interface Cmp {
  a: string;
  b: string;
  diff: number;
  se?: number;
  t?: number;
  p?: number;
  pAdjusted: number;
  lwr: number;
  upr: number;
  lwrExact?: number;
  uprExact?: number;
}
interface Case {
  formula: string;
  by: string;
  control: string;
  anova: {
    terms: string[];
    df: number[];
    F: number[];
    p: number[];
    residualDf: number;
    residualSumSq: number;
  };
  mse: number;
  df: number;
  criticalDunnett: number;
  qtukeyExact: number;
  levels: { level: string[]; n: number[]; mean: number[]; sd: number[]; sem: number[] };
  tukey: Cmp[];
  bonferroni: Cmp[];
  bonferroniControl: Cmp[];
  dunnett: Cmp[];
  glhtDunnett?: { contrast: string[]; p: number[] };
}
const golden = JSON.parse(readFileSync(fixture('posthoc.json'), 'utf8')) as Record<string, Case>;
const data: Record<string, DataFrame> = {
  plantgrowth: dataFrameFromCsv(readCsv(fixture('plantgrowth.csv'))),
  warpbreaks: dataFrameFromCsv(readCsv(fixture('warpbreaks.csv'))),
  msc: dataFrameFromCsv(readCsv(fixture('msc-experiment.csv'))),
  unbalanced: dataFrameFromCsv(readCsv(fixture('msc-experiment-unbalanced.csv'))),
};
const TOL = 1e-8;

/** Finds the comparison of the same two levels; sign = −1 when it is reported as b − a. */
function match(res: PosthocResult, w: Cmp): { c: PosthocResult['comparisons'][number]; sign: number } {
  const c = res.comparisons.find((x) => (x.a === w.a && x.b === w.b) || (x.a === w.b && x.b === w.a));
  assert.ok(c, `comparison ${w.a} vs ${w.b} missing`);
  return { c, sign: c.a === w.a ? 1 : -1 };
}

function checkCase(name: string, df: DataFrame): void {
  const g = golden[name]!;
  const run = (posthoc: 'bonferroni' | 'tukey' | 'dunnett', control?: string): PosthocResult => {
    const r = fixedEffectsAnova(g.formula, df, {
      posthoc,
      posthocBy: g.by,
      ...(control !== undefined ? { control } : {}),
    });
    // ANOVA table
    assert.deepEqual(
      r.rows.map((x) => [x.term, x.df]),
      g.anova.terms.map((t, i) => [t, g.anova.df[i]]),
    );
    r.rows.forEach((x, i) => {
      assertClose(x.F, g.anova.F[i]!, TOL, `${name} ${x.term} F`);
      assertClose(x.pValue, g.anova.p[i]!, TOL, `${name} ${x.term} p`);
    });
    assert.equal(r.residual.df, g.anova.residualDf);
    assertClose(r.residual.sumSq, g.anova.residualSumSq, 1e-10, `${name} RSS`);
    const ph = r.posthoc!;
    assert.equal(ph.df, g.df);
    assertClose(ph.pooledSd ** 2, g.mse, 1e-10, `${name} MSE`);
    // group summaries
    g.levels.level.forEach((lv, i) => {
      const l = ph.levels.find((x) => x.level === lv);
      assert.ok(l, `${name} level ${lv}`);
      assert.equal(l.n, g.levels.n[i]);
      assertClose(l.mean, g.levels.mean[i]!, 1e-12, `${name} ${lv} mean`);
      assertClose(l.sd, g.levels.sd[i]!, 1e-12, `${name} ${lv} SD`);
      assertClose(l.sem, g.levels.sem[i]!, 1e-12, `${name} ${lv} SEM`);
    });
    return ph;
  };

  const tukey = run('tukey');
  assert.equal(tukey.comparisons.length, g.tukey.length);
  assert.equal(tukey.family, 'all pairs');
  assertClose(tukey.criticalValue * Math.SQRT2, g.qtukeyExact, 1e-9, `${name} qtukey`);
  for (const w of g.tukey) {
    const { c, sign } = match(tukey, w);
    const label = `${name} Tukey ${w.a}-${w.b}`;
    assertClose(sign * c.diff, w.diff, 1e-10, `${label} diff`);
    assertClose(c.pAdjusted, w.pAdjusted, TOL, `${label} p adj`, 1e-13);
    const [lwr, upr] = sign === 1 ? [c.lwr, c.upr] : [-c.upr, -c.lwr];
    assertClose(lwr, w.lwrExact!, 1e-9, `${label} lwr (exact qtukey)`);
    assertClose(upr, w.uprExact!, 1e-9, `${label} upr (exact qtukey)`);
    assertClose(lwr, w.lwr, 1e-6, `${label} lwr (TukeyHSD)`);
    assertClose(upr, w.upr, 1e-6, `${label} upr (TukeyHSD)`);
    assert.equal(c.stars, significanceStars(c.pAdjusted));
  }

  const bonf = run('bonferroni');
  assert.equal(bonf.familySize, g.bonferroni.length);
  for (const w of g.bonferroni) {
    const { c, sign } = match(bonf, w);
    const label = `${name} Bonferroni ${w.a}-${w.b}`;
    assertClose(sign * c.t, w.t!, 1e-10, `${label} t`);
    assertClose(c.se, w.se!, 1e-10, `${label} se`);
    assertClose(c.pValue, w.p!, TOL, `${label} p`);
    assertClose(c.pAdjusted, w.pAdjusted, TOL, `${label} p adj`);
    const [lwr, upr] = sign === 1 ? [c.lwr, c.upr] : [-c.upr, -c.lwr];
    assertClose(lwr, w.lwr, 1e-9, `${label} lwr`);
    assertClose(upr, w.upr, 1e-9, `${label} upr`);
  }

  for (const [method, want] of [
    ['bonferroni', g.bonferroniControl],
    ['dunnett', g.dunnett],
  ] as const) {
    const res = run(method, g.control);
    assert.equal(res.family, 'against control');
    assert.equal(res.control, g.control);
    assert.deepEqual(
      res.comparisons.map((c) => [c.a, c.b]),
      want
        .map((w) => [w.a, w.b])
        .sort(
          (x, y) =>
            res.levels.findIndex((l) => l.level === x[0]) - res.levels.findIndex((l) => l.level === y[0]),
        ),
    );
    for (const w of want) {
      const { c } = match(res, w);
      const label = `${name} ${method} ${w.a}-${g.control}`;
      assertClose(c.diff, w.diff, 1e-10, `${label} diff`);
      assertClose(c.pAdjusted, w.pAdjusted, TOL, `${label} p adj`);
      assertClose(c.lwr, w.lwr, 1e-8, `${label} lwr`);
      assertClose(c.upr, w.upr, 1e-8, `${label} upr`);
    }
    if (method === 'dunnett') {
      assertClose(res.criticalValue, g.criticalDunnett, 1e-8, `${name} Dunnett critical value`);
      g.glhtDunnett?.contrast.forEach((ct, i) => {
        const [a] = ct.split(' - ');
        const c = res.comparisons.find((x) => x.a === a)!;
        assertClose(c.pAdjusted, g.glhtDunnett!.p[i]!, 0, `${name} glht ${ct}`, 2e-3);
      });
    }
  }
}

describe('ANOVA post-hoc (Tukey, Bonferroni, Dunnett) vs R', () => {
  it('PlantGrowth one-way', () => checkCase('plantgrowth', data['plantgrowth']!));
  it('warpbreaks two-way, post-hoc on the second term (tension)', () =>
    checkCase('warpbreaks', data['warpbreaks']!));
  it('simulated MSC experiment, donor as a block', () => checkCase('msc_blocked', data['msc']!));
  it('simulated MSC experiment, one-way', () => checkCase('msc_oneway', data['msc']!));
  it('unbalanced experiment, one-way (Tukey–Kramer, Dunnett with unequal n)', () =>
    checkCase('msc_unbalanced_oneway', data['unbalanced']!));
  it('unbalanced experiment, condition first then donor', () =>
    checkCase('msc_unbalanced_first', data['unbalanced']!));
  it('Dunnett defaults to the first level as control', () => {
    const r = fixedEffectsAnova('weight ~ group', data['plantgrowth']!, { posthoc: 'dunnett' });
    assert.equal(r.posthoc!.control, 'ctrl');
    assert.deepEqual(
      r.posthoc!.comparisons.map((c) => c.b),
      ['ctrl', 'ctrl'],
    );
  });
});

describe('post-hoc bad input', () => {
  const msc = data['unbalanced']!;
  it('unknown control level names the field and value', () => {
    assert.throws(
      () => fixedEffectsAnova('expansion ~ condition', msc, { posthoc: 'dunnett', control: 'nope' }),
      (e: unknown) =>
        e instanceof InputError &&
        e.location.field === 'control' &&
        e.location.value === 'nope' &&
        /levels: ctrl, msc/.test(e.message),
    );
  });
  it('Tukey with a control is refused', () => {
    assert.throws(
      () => fixedEffectsAnova('expansion ~ condition', msc, { posthoc: 'tukey', control: 'ctrl' }),
      (e: unknown) => e instanceof InputError && e.location.field === 'control',
    );
  });
  it('unbalanced block design with the grouping after the block needs least-squares means', () => {
    assert.throws(
      () =>
        fixedEffectsAnova('expansion ~ donor + condition', msc, { posthoc: 'tukey', posthocBy: 'condition' }),
      (e: unknown) =>
        e instanceof InputError &&
        e.location.field === 'posthocBy' &&
        e.location.value === 'condition' &&
        /emmeans/.test(e.message),
    );
  });
  it('grouping must be a factor term of the formula', () => {
    assert.throws(
      () => fixedEffectsAnova('expansion ~ condition', msc, { posthoc: 'tukey', posthocBy: 'donor' }),
      (e: unknown) =>
        e instanceof InputError && e.location.field === 'posthocBy' && e.location.value === 'donor',
    );
    assert.throws(
      () => fixedEffectsAnova('expansion ~ condition + well', msc, { posthoc: 'tukey', posthocBy: 'well' }),
      (e: unknown) => e instanceof InputError && e.location.field === 'posthocBy',
    );
  });
});

describe('GraphPad significance stars', () => {
  it('thresholds are inclusive (p ≤ cut-off)', () => {
    const cases: [number, string][] = [
      [0.2, 'ns'],
      [0.0500001, 'ns'],
      [0.05, '*'],
      [0.011, '*'],
      [0.01, '**'],
      [0.001, '***'],
      [0.00011, '***'],
      [0.0001, '****'],
      [1e-12, '****'],
      [NaN, ''],
    ];
    for (const [p, s] of cases) assert.equal(significanceStars(p), s, `p = ${p}`);
  });
});
