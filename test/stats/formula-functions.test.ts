// Formulas as R users type them, against R (fixtures/formula-functions.R → formula-functions.json,
// data formula-functions.csv): comparisons inside Surv(), factor(), relevel() and as.numeric() in
// lm (model.matrix + least squares) and coxph fits; coefficient names exactly, values to 1e-8 relative.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCsv } from '../../src/io/csv.js';
import { dataFrameFromCsv, dataFrameFromRecords } from '../../src/stats/data-frame.js';
import { buildDesign } from '../../src/stats/design.js';
import { parseFormula, deparse } from '../../src/stats/formula.js';
import { ols } from '../../src/stats/ols.js';
import { coxphFormula } from '../../src/stats/survival/cox-formula.js';
import { InputError } from '../../src/errors.js';
import { assertClose } from '../helpers/assert-close.js';

interface Golden {
  R: string;
  packages: Record<string, string>;
  lm: { formula: string; names: string | string[]; coef: number | number[] }[];
  coxph: { formula: string; names: string | string[]; coef: number | number[]; se: number | number[] }[];
}
const golden = JSON.parse(
  readFileSync(new URL('./fixtures/formula-functions.json', import.meta.url), 'utf8'),
) as Golden;
const df = dataFrameFromCsv(
  readCsv(fileURLToPath(new URL('./fixtures/formula-functions.csv', import.meta.url))),
);
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

test('golden was made by R with survival', () => {
  assert.match(golden.R, /^R version \d/);
  assert.ok(golden.packages['survival']);
  assert.ok(golden.lm.length >= 7 && golden.coxph.length >= 7);
});

for (const c of golden.lm) {
  test(`lm(${c.formula}) equals R`, () => {
    const d = buildDesign(c.formula, df);
    assert.deepEqual(d.columnNames, list(c.names));
    const X = Array.from({ length: d.n }, (_, i) => Array.from(d.X.subarray(i * d.p, (i + 1) * d.p)));
    const fit = ols(X, Array.from(d.y!));
    list(c.coef).forEach((b, j) => assertClose(fit.coefficients[j]!, b, 1e-8, `${c.formula} coef ${j}`));
  });
}

for (const c of golden.coxph) {
  test(`coxph(${c.formula}) equals R`, () => {
    const r = coxphFormula(c.formula, df, { ties: 'efron' });
    assert.equal(r.method, 'cox');
    assert.deepEqual(r.terms, list(c.names));
    if (r.method !== 'cox') return;
    const se = list(c.se);
    list(c.coef).forEach((b, j) => {
      assertClose(r.fit.coefficients[j]!.estimate, b, 1e-8, `${c.formula} coef ${j}`);
      assertClose(r.fit.coefficients[j]!.se, se[j]!, 1e-8, `${c.formula} se ${j}`);
    });
  });
}

test('comparisons and named arguments parse with R precedence and deparse as R', () => {
  const f = parseFormula('Surv(time, status == 2) ~ relevel(arm, ref = "b") + x');
  assert.equal(f.responseLabel, 'Surv(time, status == 2)');
  assert.deepEqual(
    f.terms.map((t) => t.label),
    ['relevel(arm, ref = "b")', 'x'],
  );
  // `+` binds tighter than `>=`, which binds tighter than `&` and `|`.
  const g = parseFormula('y ~ I(a + 1 >= b & c != 2 | d < 0)');
  assert.equal(deparse(g.variables[0]!.expr), 'I(a + 1 >= b & c != 2 | d < 0)');
  const e = g.variables[0]!.expr;
  assert.ok(e.type === 'call' && e.args[0]!.type === 'binary' && e.args[0]!.op === '|');
});

const small = dataFrameFromRecords([
  { y: 1, x: 2, status: 1, arm: 'a', dose: 10 },
  { y: 2, x: -1, status: 2, arm: 'b', dose: 5 },
  { y: 4, x: 0, status: 2, arm: 'c', dose: 20 },
  { y: 3, x: 3, status: 1, arm: 'a', dose: 5 },
  { y: 5, x: -2, status: 2, arm: 'b', dose: 10 },
]);

test('as.numeric of a factor gives R level codes (numeric levels in numeric order, relevel first)', () => {
  const codes = (f: string): number[] => {
    const d = buildDesign(f, small);
    return Array.from({ length: d.n }, (_, i) => d.X[i * d.p + 1]!);
  };
  assert.deepEqual(codes('y ~ as.numeric(factor(dose))'), [2, 1, 3, 1, 2]); // levels 5, 10, 20
  assert.deepEqual(codes('y ~ as.numeric(relevel(factor(dose), "20"))'), [3, 2, 1, 2, 3]);
  assert.deepEqual(codes('y ~ as.numeric(arm)'), [1, 2, 3, 1, 2]);
  assert.deepEqual(codes('y ~ as.numeric(x)'), [2, -1, 0, 3, -2]);
});

test('a string right side compares as text; ordering a factor is refused as in R', () => {
  const d = buildDesign('y ~ I(arm == "b")', small);
  assert.deepEqual(d.columnNames, ['(Intercept)', 'I(arm == "b")TRUE']);
  assert.deepEqual(
    Array.from({ length: d.n }, (_, i) => d.X[i * d.p + 1]),
    [0, 1, 0, 0, 1],
  );
  assert.throws(
    () => buildDesign('y ~ I(arm > "a")', small),
    (e: unknown) =>
      e instanceof InputError && /'>' is not meaningful for a categorical variable/.test(e.message),
  );
});

test('relevel: unknown level and numeric column are clear errors', () => {
  assert.throws(
    () => buildDesign('y ~ relevel(arm, ref = "z")', small),
    (e: unknown) =>
      e instanceof InputError &&
      /field relevel\(arm, ref = "z"\): 'ref' must be an existing level \(levels: a, b, c\) \(value: "z"\)/.test(
        e.message,
      ),
  );
  assert.throws(
    () => buildDesign('y ~ relevel(dose, ref = "5")', small),
    (e: unknown) => e instanceof InputError && /relevel\(\) only for factors/.test(e.message),
  );
  assert.throws(
    () => buildDesign('y ~ relevel(arm, level = "a")', small),
    (e: unknown) =>
      e instanceof InputError && /argument 'level' of relevel\(\) is not supported/.test(e.message),
  );
});

test('log(x) of non-positive values names the term, the count and the first row (not "missing values")', () => {
  assert.throws(
    () => buildDesign('y ~ log(x)', small),
    (e: unknown) =>
      e instanceof InputError &&
      /field log\(x\): 3 value\(s\) of x are ≤ 0, outside the domain of log\(\) \(first at row 2\)/.test(
        e.message,
      ) &&
      /\(value: -1\)$/.test(e.message),
  );
  assert.throws(
    () => buildDesign('sqrt(x) ~ arm', small),
    (e: unknown) => e instanceof InputError && /field sqrt\(x\): 2 value\(s\) of x are < 0/.test(e.message),
  );
  // Missing values stay missing (dropped as R's na.omit), they are not counted as out of domain.
  const withNa = dataFrameFromRecords([
    { y: 1, x: 1 },
    { y: 2, x: null },
    { y: 3, x: 4 },
    { y: 5, x: 9 },
  ]);
  assert.equal(buildDesign('y ~ log(x)', withNa).nDropped, 1);
});

test('carto stats cox takes Surv(time, status == 2) from the command line (in-process)', async () => {
  const { runInProcess } = await import('../helpers/cli-in-process.js');
  const { register } = await import('../../src/cli/commands/stats-survival.js');
  const file = fileURLToPath(new URL('./fixtures/formula-functions.csv', import.meta.url));
  const r = await runInProcess(register, [
    'stats',
    'cox',
    '--data',
    file,
    '--formula',
    'Surv(time, status == 2) ~ x',
    '--json',
  ]);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as { coefficients: { term: string; estimate: number }[] };
  const golden0 = golden.coxph.find((c) => c.formula === 'Surv(time, status == 2) ~ x')!;
  assert.equal(out.coefficients[0]!.term, 'x');
  assertClose(out.coefficients[0]!.estimate, list(golden0.coef)[0]!, 1e-8, 'cli coef');
  const bad = await runInProcess(register, [
    'stats',
    'cox',
    '--data',
    file,
    '--formula',
    'Surv(time, status = 2) ~ x',
  ]);
  assert.equal(bad.code, 2);
  assert.match(
    bad.err,
    /Surv\(\) takes its arguments by position: write Surv\(time, status == …\) to compare/,
  );
  assert.throws(
    () => buildDesign('cbind(y, x = 1) ~ arm', small),
    /cbind\(\) takes its arguments by position/,
  );
});
