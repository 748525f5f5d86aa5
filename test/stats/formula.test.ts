// Formula parsing and expansion; expected term labels are R's attr(terms(f), 'term.labels') and
// lme4's findbars/expandSlash results (checked by hand in R 4.2 / lme4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFormula, deparse } from '../../src/stats/formula.js';
import { InputError } from '../../src/errors.js';

const labels = (f: string): string[] => parseFormula(f).terms.map((t) => t.label);

test('fixed-effects expansion matches R term labels', () => {
  assert.deepEqual(labels('y ~ a * b'), ['a', 'b', 'a:b']);
  assert.deepEqual(labels('y ~ b:a + a'), ['a', 'b:a']);
  assert.deepEqual(labels('y ~ (a + b + c)^2'), ['a', 'b', 'c', 'a:b', 'a:c', 'b:c']);
  assert.deepEqual(labels('y ~ a * b - a:b'), ['a', 'b']);
  assert.deepEqual(labels('y ~ a/b'), ['a', 'a:b']);
  assert.deepEqual(labels('y ~ day + I(day^2) + log(v) + exp(z) + sqrt(w)'), [
    'day',
    'I(day^2)',
    'log(v)',
    'exp(z)',
    'sqrt(w)',
  ]);
  assert.equal(deparse(parseFormula('y ~ I(x*2 + 1)').variables[0]!.expr), 'I(x * 2 + 1)');
});

test('intercept switches', () => {
  assert.equal(parseFormula('y ~ x - 1').intercept, false);
  assert.equal(parseFormula('y ~ 0 + x').intercept, false);
  assert.equal(parseFormula('y ~ -1 + x').intercept, false);
  assert.equal(parseFormula('y ~ x').intercept, true);
  assert.equal(parseFormula('y ~ 1').terms.length, 0);
});

test('random terms, nesting and double bars', () => {
  const f = parseFormula('log(suvpeak) ~ timepoint * cohort + (1 + day | patient) + (0 + x | g) + (1 | a/b)');
  assert.equal(f.responseLabel, 'log(suvpeak)');
  assert.deepEqual(labels(f.text), ['timepoint', 'cohort', 'timepoint:cohort']);
  assert.deepEqual(
    f.random.map((r) => [r.intercept, r.terms.map((t) => t.label), r.groupLabel]),
    [
      [true, ['day'], 'patient'],
      [false, ['x'], 'g'],
      [true, [], 'a'],
      [true, [], 'b:a'],
    ],
  );
  const d = parseFormula('y ~ 1 + (x || g)');
  assert.deepEqual(
    d.random.map((r) => [r.intercept, r.terms.map((t) => t.label)]),
    [
      [true, []],
      [false, ['x']],
    ],
  );
});

test('survival response and specials', () => {
  const f = parseFormula('Surv(time, status) ~ age + sex + strata(inst) + cluster(id)');
  assert.equal(f.response?.type, 'call');
  assert.equal(f.responseLabel, 'Surv(time, status)');
  assert.deepEqual(labels(f.text), ['age', 'sex']);
  assert.deepEqual(f.strata.map(deparse), ['inst']);
  assert.deepEqual(f.cluster.map(deparse), ['id']);
});

test('syntax errors name the position', () => {
  assert.throws(
    () => parseFormula('y ~ a +'),
    (e: unknown) => e instanceof InputError && /position 8/.test(e.message),
  );
  assert.throws(() => parseFormula('y ~ (a | g'), /missing '\)'/);
  assert.throws(() => parseFormula('y ~ a $ b'), /position 7: unexpected character/);
  assert.throws(() => parseFormula('y + a'), /no '~'/);
  assert.throws(() => parseFormula('y ~ a | g'), /in parentheses/);
});
