// Log-rank / Gρ against R survival 3.5-3 survdiff (fixtures/logrank.R → logrank.json).
// Tolerance 1e-8 relative (the log-rank tolerance); observed agreement is ~1e-14.
// Includes stratified tests, ρ = 0.5 and 1, a group with no events and a group with E = 0 (dropped).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { logRank } from '../../../src/stats/survival/index.js';
import { InputError } from '../../../src/errors.js';
import { assertAllClose, assertClose } from '../../helpers/assert-close.js';

interface Case {
  name: string;
  time: number[];
  status: number[];
  group: string[];
  strata: string[] | null;
  rho: number;
  groups: string[];
  n: number[];
  observed: number[];
  expected: number[];
  variance: number[][];
  chisq: number;
  df: number;
  p: number;
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/logrank.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};
const TOL = 1e-8;

for (const c of fx.cases) {
  test(`log-rank ${c.name} equals R survdiff`, () => {
    const r = logRank(c.time, c.status, c.group, {
      rho: c.rho,
      ...(c.strata ? { strata: c.strata } : {}),
    });
    assert.deepEqual(r.groups, c.groups);
    assert.deepEqual(r.n, c.n);
    assert.equal(r.df, c.df);
    assertAllClose(r.observed, c.observed, TOL, 'observed');
    assertAllClose(r.expected, c.expected, TOL, 'expected');
    r.variance.forEach((row, j) => assertAllClose(row, c.variance[j]!, TOL, `variance[${j}]`, 1e-12));
    assertClose(r.chisq, c.chisq, TOL, 'chisq');
    assertClose(r.p, c.p, TOL, 'p');
  });
}

test('log-rank bad input names the field', () => {
  assert.throws(
    () => logRank([1, 2, 3], [1, 1, 1], ['a', 'a', 'a']),
    (e: unknown) => e instanceof InputError && /at least 2 groups/.test(e.message),
  );
  assert.throws(
    () => logRank([1, 2, -3], [1, 1, 1], ['a', 'b', 'a']),
    (e: unknown) => e instanceof InputError && /row 3, field time/.test(e.message),
  );
  assert.throws(
    () => logRank([1, 2, 3], [1, 3, 1], ['a', 'b', 'a'], { names: { status: 'pfs_event' } }),
    (e: unknown) => e instanceof InputError && /field pfs_event/.test(e.message),
  );
});
