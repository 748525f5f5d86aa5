// Harrell's C against R survival 3.5-3 concordance() (fixtures/concordance.R → concordance.json).
// Tolerance 1e-10 relative for C and its SE (the concordance tolerance); pair counts exact
// for unit weights and 1e-10 relative for the weighted case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { concordance } from '../../../src/stats/survival/index.js';
import { InputError } from '../../../src/errors.js';
import { assertClose } from '../../helpers/assert-close.js';

interface Case {
  name: string;
  time: number[];
  status: number[];
  x: number[];
  reverse: boolean;
  strata: string[] | null;
  weights: number[] | null;
  concordance: number;
  se: number;
  count: Record<'concordant' | 'discordant' | 'tied.x' | 'tied.y' | 'tied.xy', number>;
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/concordance.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};
const TOL = 1e-10;

for (const c of fx.cases) {
  test(`concordance ${c.name} equals R concordance()`, () => {
    const r = concordance(c.time, c.status, c.x, {
      reverse: c.reverse,
      ...(c.strata ? { strata: c.strata } : {}),
      ...(c.weights ? { weights: c.weights } : {}),
    });
    assertClose(r.concordance, c.concordance, TOL, 'C');
    assertClose(r.se, c.se, TOL, 'se');
    assertClose(r.concordant, c.count.concordant, TOL, 'concordant');
    assertClose(r.discordant, c.count.discordant, TOL, 'discordant');
    assertClose(r.tiedX, c.count['tied.x'], TOL, 'tied.x');
    assertClose(r.tiedY, c.count['tied.y'], TOL, 'tied.y');
    assertClose(r.tiedXY, c.count['tied.xy'], TOL, 'tied.xy');
  });
}

test('concordance bad input', () => {
  assert.throws(
    () => concordance([1, 2], [1, 0], [0.5, NaN], { names: { predictor: 'risk_score' } }),
    (e: unknown) => e instanceof InputError && /row 2, field risk_score/.test(e.message),
  );
});
