/**
 * `designColumnsFromFrame` (the column-major design `stats cox` fits from) against `buildDesign`
 * (row-major X, checked against R in design.test.ts): on every R golden formula, the same names,
 * assign, terms, rows and aliased columns, and each kept column equal to X's column bit for bit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCsv } from '../../src/io/csv.js';
import { dataFrameFromCsv } from '../../src/stats/data-frame.js';
import { buildDesign, buildModelFrame, designColumnsFromFrame } from '../../src/stats/design.js';

const { cases } = JSON.parse(readFileSync(new URL('./fixtures/design.json', import.meta.url), 'utf8')) as {
  cases: { formula: string[]; aliased: string[] }[];
};
const df = dataFrameFromCsv(readCsv(fileURLToPath(new URL('./fixtures/design-data.csv', import.meta.url))));

test('column-major design equals the row-major one on every R golden formula', () => {
  let aliasedCases = 0;
  for (const c of cases) {
    const f = c.formula[0]!;
    const d = buildDesign(f, df);
    const { columns, ...rest } = designColumnsFromFrame(buildModelFrame(f, df));
    const { X, ...drest } = d;
    assert.deepEqual(rest, drest, f);
    assert.equal(columns.length, d.p, f);
    columns.forEach((col, j) => {
      assert.equal(col.length, d.n, f);
      for (let i = 0; i < d.n; i++) assert.ok(Object.is(col[i], X[i * d.p + j]), `${f} [${i},${j}]`);
    });
    if (c.aliased.length > 0) aliasedCases++;
  }
  assert.ok(cases.length > 5 && aliasedCases > 0, `${cases.length} cases, ${aliasedCases} with aliasing`);
});
