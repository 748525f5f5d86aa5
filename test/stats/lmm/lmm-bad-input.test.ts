// Bad input to fitLmm: each case must fail with a clear InputError (or, for aliased columns, drop
// them with a warning naming them, as lme4 does: "fixed-effect model matrix is rank deficient so
// dropping 1 column / coefficient"). The aliased-column fit is compared with the fit without that column
// (identical model; 1e-9 relative, both from the same optimiser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readCsv } from '../../../src/io/csv.js';
import { dataFrameFromCsv, dataFrameFromRecords, type DataFrame } from '../../../src/stats/data-frame.js';
import { fitLmm, emmeans, satterthwaite } from '../../../src/stats/lmm/index.js';
import { InputError } from '../../../src/errors.js';
import { assertAllClose, assertClose } from '../../helpers/assert-close.js';

const sleep = dataFrameFromCsv(readCsv(fileURLToPath(new URL('./fixtures/sleepstudy.csv', import.meta.url))));

function withColumn(df: DataFrame, name: string, values: (number | string | null)[]): DataFrame {
  return { columns: [...df.columns, name], data: { ...df.data, [name]: values }, nrow: df.nrow };
}

const isInput = (re: RegExp) => (e: unknown) => e instanceof InputError && re.test(e.message);

test('a formula naming a missing column', () => {
  assert.throws(
    () => fitLmm('Reaction ~ Dayz + (1 | Subject)', sleep),
    isInput(/field Dayz: formula names a column that is not in the data/),
  );
  assert.throws(() => fitLmm('Reaction ~ Days + (1 | Patient)', sleep), isInput(/field Patient/));
});

test('a grouping factor with one level', () => {
  const df = withColumn(sleep, 'site', new Array<string>(sleep.nrow).fill('Groningen'));
  assert.throws(
    () => fitLmm('Reaction ~ Days + (1 | site)', df),
    isInput(/field site: grouping factor must have more than one level/),
  );
});

test('a rank-deficient fixed-effects matrix: aliased column dropped and named', () => {
  const days = sleep.data['Days']!.map((v) => 2 * (v as number));
  const df = withColumn(sleep, 'Days2', days);
  const fit = fitLmm('Reaction ~ Days + Days2 + (1 | Subject)', df);
  assert.deepEqual(fit.aliased, ['Days2']);
  assert.deepEqual(fit.coefNames, ['(Intercept)', 'Days']);
  assert.ok(fit.warnings.some((w) => /rank deficient so dropping 1 column: Days2/.test(w)));
  const ref = fitLmm('Reaction ~ Days + (1 | Subject)', sleep);
  assertAllClose(fit.beta, ref.beta, 1e-9, 'beta');
  assertClose(fit.logLik, ref.logLik, 1e-12, 'logLik');
});

test('a non-numeric response', () => {
  assert.throws(() => fitLmm('phase ~ Days + (1 | Subject)', sleep), isInput(/response is not numeric/));
});

test('a group with more random effects than observations', () => {
  // 6 subjects × 2 days: (1 + day + I(day^2) | id) has 18 random effects for 12 observations
  const rows = [];
  for (let s = 0; s < 6; s++)
    for (const d of [0, 1]) rows.push({ id: `s${s}`, day: d, y: s + d * 0.5 + (s % 2) * 0.1 * d });
  const df = dataFrameFromRecords(rows);
  assert.throws(
    () => fitLmm('y ~ day + (1 + day + I(day^2) | id)', df),
    isInput(/number of observations \(12\) <= number of random effects \(18\)/),
  );
  // one observation per level: levels == observations
  const one = dataFrameFromRecords(rows.filter((r) => r.day === 0));
  assert.throws(
    () => fitLmm('y ~ 1 + (1 | id)', one),
    isInput(/must be less than the number of observations/),
  );
});

test('no random-effects term, syntax error, bad reference level, bad contrast', () => {
  assert.throws(() => fitLmm('Reaction ~ Days', sleep), isInput(/no random-effects term/));
  assert.throws(() => fitLmm('Reaction ~ Days + (1 | Subject', sleep), isInput(/position/));
  assert.throws(
    () => fitLmm('Reaction ~ phase + (1 | Subject)', sleep, { ref: { phase: 'final' } }),
    isInput(/reference level/),
  );
  const fit = fitLmm('Reaction ~ phase + (1 | Subject)', sleep);
  assert.throws(() => satterthwaite(fit, [1, 0]), isInput(/4 coefficients/));
  assert.throws(() => emmeans(fit, 'Days'), isInput(/not a factor term/));
});

test('rows with missing values are dropped and counted', () => {
  const r = sleep.data['Reaction']!.slice();
  r[0] = null;
  r[5] = null;
  const fit = fitLmm('Reaction ~ Days + (1 | Subject)', withColumn(sleep, 'Reaction2', r), {});
  assert.equal(fit.nDropped, 0);
  const fit2 = fitLmm('Reaction2 ~ Days + (1 | Subject)', withColumn(sleep, 'Reaction2', r));
  assert.equal(fit2.nobs, 178);
  assert.equal(fit2.nDropped, 2);
});

test('emmeans --exp back-transforms estimates and limits (geometric means and ratios)', () => {
  const df = withColumn(
    sleep,
    'logRT',
    sleep.data['Reaction']!.map((v) => Math.log(v as number)),
  );
  const fit = fitLmm('logRT ~ phase + (1 | Subject)', df);
  const e = emmeans(fit, 'phase', { exp: true });
  for (const r of [...e.means, ...e.pairs]) {
    assertClose(r.expEstimate!, Math.exp(r.estimate), 1e-15, `${r.name}`);
    assertClose(r.expLower!, Math.exp(r.ciLower), 1e-15, `${r.name} lower`);
    assert.ok(r.expLower! < r.expEstimate! && r.expEstimate! < r.expUpper!);
  }
  // ratio of two geometric means = exp(difference)
  const [a, b] = [e.means[0]!, e.means[1]!];
  assertClose(e.pairs[0]!.expEstimate!, a.expEstimate! / b.expEstimate!, 1e-12, 'ratio');
});
