// `carto stats lmm|lrt|anova|emmeans` JSON shapes, checked against the lme4/lmerTest goldens
// (fixtures/sleepstudy.json, lesions.json; tolerances as in lmm-golden.test.ts: 1e-6 fit, 1e-4 Satterthwaite).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { register } from '../../../src/cli/commands/stats-lmm.js';
import { InputError } from '../../../src/errors.js';
import { assertClose } from '../../helpers/assert-close.js';

const fixture = (f: string): string => fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url));
const sleepCsv = fixture('sleepstudy.csv');
const lesionCsv = fixture('lesions.csv');
const golden = (
  f: string,
): { models: { name: string; [k: string]: unknown }[]; lrt: Record<string, unknown>[] } =>
  JSON.parse(readFileSync(fixture(f), 'utf8')) as {
    models: { name: string }[];
    lrt: Record<string, unknown>[];
  };

async function run(args: string[]): Promise<string> {
  const program = new Command('carto').exitOverride();
  register(program);
  let out = '';
  const orig = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = (chunk: string) => {
    out += chunk;
    return true;
  };
  process.stderr.write = () => true;
  try {
    await program.parseAsync(['node', 'carto', ...args]);
  } finally {
    process.stdout.write = orig;
    process.stderr.write = origErr;
  }
  return out;
}

test('stats lmm --json has the issue shape and lmerTest values', async () => {
  const j = JSON.parse(
    await run([
      'stats',
      'lmm',
      '--data',
      sleepCsv,
      '--formula',
      'Reaction ~ Days + (Days | Subject)',
      '--json',
    ]),
  ) as Record<string, unknown>;
  const g = golden('sleepstudy.json').models.find((m) => m.name === 'slope') as unknown as {
    coefs: { term: string; estimate: number; se: number; df: number; p: number; lower: number }[];
    logLik: number;
    criterion: number;
  };
  assert.equal(j['reml'], true);
  assert.equal(j['nobs'], 180);
  assert.deepEqual(j['ngroups'], { Subject: 18 });
  const fixef = j['fixef'] as {
    term: string;
    estimate: number;
    se: number;
    df: number;
    p: number;
    ciLower: number;
  }[];
  assert.deepEqual(
    fixef.map((f) => f.term),
    ['(Intercept)', 'Days'],
  );
  fixef.forEach((f, i) => {
    assertClose(f.estimate, g.coefs[i]!.estimate, 1e-6, 'estimate');
    assertClose(f.se, g.coefs[i]!.se, 1e-6, 'se');
    assertClose(f.df, g.coefs[i]!.df, 1e-4, 'df');
    assertClose(f.p, g.coefs[i]!.p, 1e-4, 'p');
    assertClose(f.ciLower, g.coefs[i]!.lower, 1e-4, 'ciLower');
  });
  const vc = j['varcorr'] as Record<string, unknown>[];
  assert.ok(
    vc.some((r) => r['group'] === 'Subject' && r['term1'] === '(Intercept)' && r['term2'] === 'Days'),
  );
  assertClose(j['logLik'] as number, g.logLik, 1e-6, 'logLik');
  assertClose(j['criterion'] as number, g.criterion, 1e-6, 'criterion');
  for (const k of ['theta', 'sigma', 'aic', 'bic']) assert.ok(k in j, k);
});

test('stats anova (mixed) and lrt --json', async () => {
  const lg = golden('lesions.json');
  const m = lg.models.find((x) => x.name === 'tp_cohort') as unknown as {
    formula: string;
    anova: { term: string; numDf: number; denDf: number; F: number; p: number }[];
  };
  const rows = JSON.parse(
    await run([
      'stats',
      'anova',
      '--data',
      lesionCsv,
      '--formula',
      m.formula,
      '--ref',
      'timepoint=pre',
      '--json',
    ]),
  ) as { term: string; numDf: number; denDf: number; F: number; p: number }[];
  assert.deepEqual(
    rows.map((r) => r.term),
    m.anova.map((r) => r.term),
  );
  rows.forEach((r, i) => {
    assertClose(r.F, m.anova[i]!.F, 1e-4, `${r.term} F`);
    assertClose(r.denDf, m.anova[i]!.denDf, 1e-4, `${r.term} denDf`);
  });
  const l = lg.lrt[0] as { formulaA: string; formulaB: string; chisq: number; df: number; aic: number[] };
  const r = JSON.parse(
    await run([
      'stats',
      'lrt',
      '--data',
      lesionCsv,
      '--formula',
      l.formulaA,
      '--formula',
      l.formulaB,
      '--json',
    ]),
  ) as { chisq: number; df: number; p: number; aic: number[] };
  assertClose(r.chisq, l.chisq, 1e-6, 'chisq');
  assert.equal(r.df, l.df);
  assertClose(r.aic[0]!, l.aic[0]!, 1e-6, 'aic A');
});

test('stats emmeans --exp gives geometric means and ratios', async () => {
  const j = JSON.parse(
    await run([
      'stats',
      'emmeans',
      '--data',
      lesionCsv,
      '--formula',
      'log_suv ~ timepoint + cohort + (1 | patient)',
      '--ref',
      'timepoint=pre',
      '--by',
      'timepoint',
      '--exp',
      '--json',
    ]),
  ) as {
    means: { level: string; estimate: number; geomMean: number }[];
    pairs: { contrast: string; ratio: number }[];
  };
  const g = golden('lesions.json').models.find((x) => x.name === 'tp_main') as unknown as {
    lsmeans: { means: { name: string; estimate: number }[] };
  };
  const rMeans = g.lsmeans.means.filter((x) => x.name.startsWith('timepoint'));
  assert.deepEqual(
    j.means.map((x) => x.level),
    rMeans.map((x) => x.name),
  );
  j.means.forEach((x, i) => assertClose(x.geomMean, Math.exp(rMeans[i]!.estimate), 1e-6, x.level));
  assert.equal(j.pairs.length, 6);
  assertClose(j.pairs[0]!.ratio, j.means[0]!.geomMean / j.means[1]!.geomMean, 1e-12, 'ratio');
});

test('bad CLI input: missing column, bad --ref syntax, one --formula for lrt', async () => {
  await assert.rejects(
    run(['stats', 'lmm', '--data', sleepCsv, '--formula', 'Reaction ~ Days + (1 | nosuch)']),
    (e: unknown) => e instanceof InputError && /nosuch/.test(e.message),
  );
  await assert.rejects(
    run([
      'stats',
      'lmm',
      '--data',
      sleepCsv,
      '--formula',
      'Reaction ~ Days + (1 | Subject)',
      '--ref',
      'Days',
    ]),
    /NAME=VALUE/,
  );
  await assert.rejects(
    run(['stats', 'lrt', '--data', sleepCsv, '--formula', 'Reaction ~ Days + (1 | Subject)']),
    /exactly two/,
  );
});
