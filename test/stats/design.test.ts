// Model matrices against R (fixtures/design.R → design.json, data design-data.csv).
// Exact comparison of names/assign/rows; X and y to 1e-12 relative (R and we compute log/sqrt/exp/^
// with the platform libm; observed agreement is exact or a few ulps).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCsv } from '../../src/io/csv.js';
import { dataFrameFromCsv, dataFrameFromRecords } from '../../src/stats/data-frame.js';
import { buildDesign, compareLevels } from '../../src/stats/design.js';
import { InputError } from '../../src/errors.js';
import { assertClose } from '../helpers/assert-close.js';

interface Case {
  formula: string[];
  columnNames: string[];
  assign: number[];
  termLabels: string[];
  X: number[][];
  rowsUsed: number[];
  aliased: string[];
  y: number[];
}
const { cases } = JSON.parse(readFileSync(new URL('./fixtures/design.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};
const df = dataFrameFromCsv(readCsv(fileURLToPath(new URL('./fixtures/design-data.csv', import.meta.url))));

for (const c of cases) {
  const f = c.formula[0]!;
  test(`model.matrix(${f}) equals R`, () => {
    const d = buildDesign(f, df);
    assert.deepEqual(d.aliased, c.aliased, 'aliased columns');
    const keep = c.columnNames.map((_, j) => j).filter((j) => !c.aliased.includes(c.columnNames[j]!));
    assert.deepEqual(
      d.columnNames,
      keep.map((j) => c.columnNames[j]!),
    );
    assert.deepEqual(
      d.assign,
      keep.map((j) => c.assign[j]!),
    );
    assert.deepEqual(
      d.terms.map((t) => t.label),
      c.termLabels,
    );
    assert.deepEqual(d.rowsUsed, c.rowsUsed);
    assert.equal(d.nDropped, df.nrow - c.rowsUsed.length);
    for (let i = 0; i < d.n; i++) {
      keep.forEach((jr, j) => assertClose(d.X[i * d.p + j]!, c.X[i]![jr]!, 1e-12, `X[${i},${j}]`, 1e-14));
      assertClose(d.y![i]!, c.y[i]!, 1e-12, `y[${i}]`);
    }
  });
}

test('reference level override puts the level first', () => {
  const d = buildDesign('y ~ a * b', df, { ref: { a: 'pre' } });
  assert.deepEqual(d.columnNames, ['(Intercept)', 'ad10', 'ad2', 'bB', 'ad10:bB', 'ad2:bB']);
  assert.deepEqual(d.factors.find((f) => f.name === 'a')!.levels, ['pre', 'd10', 'd2']);
  assert.throws(() => buildDesign('y ~ a', df, { ref: { a: 'post' } }), InputError);
});

test('levels sort as R does on this machine (ICU root collation)', () => {
  const s = ['b', 'B', 'a', 'A', 'd2', 'pre', '_x', 'Z10', 'z2', 'd10', 'x-1', 'x_1', 'x1'].sort(
    compareLevels,
  );
  // R 4.2: sort(c(...)) in this container
  assert.deepEqual(s, ['_x', 'a', 'A', 'b', 'B', 'd10', 'd2', 'pre', 'x_1', 'x-1', 'x1', 'Z10', 'z2']);
});

test('bad input: missing column, non-numeric response, arithmetic on a factor', () => {
  assert.throws(
    () => buildDesign('y ~ nosuch', df),
    /field nosuch: formula names a column that is not in the data/,
  );
  assert.throws(() => buildDesign('a ~ x', df), /response is not numeric/);
  assert.throws(() => buildDesign('y ~ I(a + 1)', df), /categorical/);
  assert.throws(() => buildDesign('y ~ x', df, { ref: { x: '1' } }), /numeric variable/);
  const zero = dataFrameFromRecords([
    { y: 0, x: 1 },
    { y: 1, x: 2 },
  ]);
  assert.throws(
    () => buildDesign('log(y) ~ x', zero),
    /field log\(y\): 1 value\(s\) of y are ≤ 0.*\(value: 0\)$/,
  );
});

test('type override: numeric id as a factor', () => {
  const d = buildDesign('y ~ id', df, { types: { id: 'factor' } });
  assert.deepEqual(d.columnNames, ['(Intercept)', 'id2', 'id3', 'id4']);
});
