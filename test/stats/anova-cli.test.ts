/**
 * `carto stats anova` with a fixed-effects formula and --posthoc: the JSON keeps its shape (rows with term, df, F,
 * pValue; posthoc.comparisons with a, b, diff, pAdjusted, plus se, t, lwr, upr, stars) and carries the values of
 * the library (checked against R in posthoc.test.ts: here against posthoc.json at 1e-8); the text report lists
 * group n/mean/SD/SEM and the stars; bad options exit 2 naming the option, the data file and the value.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { register } from '../../src/cli/commands/stats-lmm.js';
import { runInProcess } from '../helpers/cli-in-process.js';
import { assertClose } from '../helpers/assert-close.js';

const fixture = (f: string): string => new URL(`./posthoc/${f}`, import.meta.url).pathname;
const msc = fixture('msc-experiment.csv');
const unbalanced = fixture('msc-experiment-unbalanced.csv');
const golden = JSON.parse(readFileSync(fixture('posthoc.json'), 'utf8')) as Record<
  string,
  {
    anova: { F: number[]; p: number[] };
    tukey: { a: string; b: string; pAdjusted: number }[];
    dunnett: { a: string; b: string; diff: number; pAdjusted: number }[];
  }
>;
const BLOCKED = ['stats', 'anova', '--data', msc, '--formula', 'expansion ~ donor + condition'];

interface Json {
  rows: { term: string; df: number; F: number; pValue: number }[];
  posthoc: {
    method: string;
    control: string | null;
    levels: { level: string; n: number; mean: number; sd: number; sem: number }[];
    comparisons: {
      a: string;
      b: string;
      diff: number;
      se: number;
      t: number;
      pAdjusted: number;
      lwr: number;
      upr: number;
      stars: string;
    }[];
  };
}

describe('carto stats anova --posthoc', () => {
  it('dunnett against --control, donor as block: JSON shape and values', async () => {
    const r = await runInProcess(register, [
      ...BLOCKED,
      '--posthoc',
      'dunnett',
      '--posthoc-by',
      'condition',
      '--control',
      'ctrl',
      '--json',
    ]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as Json;
    const g = golden['msc_blocked']!;
    assert.deepEqual(
      j.rows.map((x) => [x.term, x.df]),
      [
        ['donor', 3],
        ['condition', 4],
      ],
    );
    j.rows.forEach((x, i) => {
      assertClose(x.F, g.anova.F[i]!, 1e-8, `${x.term} F`);
      assertClose(x.pValue, g.anova.p[i]!, 1e-8, `${x.term} p`);
    });
    assert.equal(j.posthoc.method, 'dunnett');
    assert.equal(j.posthoc.control, 'ctrl');
    assert.deepEqual(Object.keys(j.posthoc.levels[0]!), ['level', 'n', 'mean', 'sd', 'sem']);
    assert.equal(j.posthoc.comparisons.length, 4);
    for (const c of j.posthoc.comparisons) {
      for (const k of ['a', 'b', 'diff', 'se', 't', 'pAdjusted', 'lwr', 'upr', 'stars']) assert.ok(k in c, k);
      const w = g.dunnett.find((x) => x.a === c.a)!;
      assert.equal(c.b, 'ctrl');
      assertClose(c.diff, w.diff, 1e-10, `${c.a} diff`);
      assertClose(c.pAdjusted, w.pAdjusted, 1e-8, `${c.a} p adj`);
    }
    assert.equal(j.posthoc.comparisons.find((c) => c.a === 'msc')!.stars, '****');
  });

  it('tukey: text report with group summary and stars', async () => {
    const r = await runInProcess(register, [...BLOCKED, '--posthoc', 'tukey', '--posthoc-by', 'condition']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Analysis of Variance Table/);
    assert.match(r.out, /Groups of condition: n, mean, SD, SEM/);
    assert.match(r.out, /Tukey HSD, all pairs \(m = 10; residual SD [\d.]+ on 52 df; 95% simultaneous CI\)/);
    assert.match(r.out, /msc\s+ctrl\s+-6\.119.*\*\*\*\*/);
    const g = golden['msc_blocked']!;
    const ns = g.tukey.find((x) => x.a === 'transwell' && x.b === 'ctrl')!;
    assert.ok(ns.pAdjusted > 0.05);
    assert.match(r.out, /transwell\s+ctrl\s.*\sns\s/);
  });

  it('bad options exit 2 naming the option, file and value', async () => {
    const cases: [string[], RegExp][] = [
      [['--posthoc', 'scheffe'], /option --posthoc: unknown post-hoc method.*"scheffe"/],
      [
        ['--posthoc', 'dunnett', '--control', 'none'],
        /msc-experiment\.csv, option --control: control is not a level.*"none"/,
      ],
      [['--posthoc', 'tukey', '--control', 'ctrl'], /option --control: Tukey HSD compares all pairs/],
      [['--control', 'ctrl'], /option --control: --posthoc-by and --control need --posthoc/],
      [
        ['--posthoc', 'tukey', '--posthoc-by', 'well'],
        /option --posthoc-by: post-hoc grouping is not a factor term/,
      ],
    ];
    for (const [extra, msg] of cases) {
      const r = await runInProcess(register, [...BLOCKED, ...extra]);
      assert.equal(r.code, 2, `${extra.join(' ')}: exit code`);
      assert.match(r.err, msg, extra.join(' '));
    }
    const r = await runInProcess(register, [
      'stats',
      'anova',
      '--data',
      unbalanced,
      '--formula',
      'expansion ~ donor + condition',
      '--posthoc',
      'dunnett',
      '--posthoc-by',
      'condition',
    ]);
    assert.equal(r.code, 2);
    assert.match(r.err, /unbalanced\.csv, option --posthoc-by: post-hoc on "condition" after other terms/);
  });
});
