// Cox PH against R survival 3.5-3 coxph (fixtures/cox.R → cox.json; design = model.matrix(fit)).
// Tolerance 1e-8 relative (the Cox tolerance): we run the same Newton–Raphson iterations with
// R's stopping rule, so estimates agree far beyond the ~1e-9 convergence noise; absolute floor 1e-12
// for linear predictors near 0. Iteration counts must be equal. Concordance to 1e-10.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { coxph } from '../../../src/stats/survival/index.js';
import { ComputationError, InputError } from '../../../src/errors.js';
import { assertAllClose, assertClose } from '../../helpers/assert-close.js';

type Vec = number | number[];
interface Case {
  name: string;
  ties: 'efron' | 'breslow';
  time: number[];
  status: number[];
  x: number[][];
  terms: string | string[];
  strata: string[] | null;
  cluster: string[] | null;
  weights: number[] | null;
  robust: boolean;
  coef: Vec;
  var: Vec | number[][];
  se: Vec;
  robustSe: Vec | null;
  z: Vec;
  p: Vec;
  hrLower: Vec;
  hrUpper: Vec;
  loglik: number[];
  iter: number;
  n: number;
  events: number;
  lrt: number[];
  wald: number[];
  score: number[];
  robustScore: number[] | null;
  means: Vec;
  linearPredictor: number[];
  concordance: number;
  concordanceSe: number;
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/cox.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};
const TOL = 1e-8;
const v = (x: Vec): number[] => (Array.isArray(x) ? x : [x]);

for (const c of fx.cases) {
  test(`coxph ${c.name} equals R coxph`, () => {
    const terms = v(c.terms as unknown as Vec) as unknown as string[];
    const fit = coxph(
      c.time,
      c.status,
      { names: terms, columns: c.x },
      {
        ties: c.ties,
        ...(c.strata ? { strata: c.strata } : {}),
        ...(c.cluster ? { cluster: c.cluster } : {}),
        ...(c.weights ? { weights: c.weights } : {}),
        ...(c.robust && !c.cluster ? { robust: true } : {}),
      },
    );
    assert.equal(fit.robust, c.robust, 'robust default as R');
    assert.equal(fit.iterations, c.iter, 'iterations');
    assert.equal(fit.n, c.n);
    assert.equal(fit.events, c.events);
    assert.deepEqual(
      fit.coefficients.map((k) => k.term),
      terms,
    );
    assertAllClose(
      fit.coefficients.map((k) => k.estimate),
      v(c.coef),
      TOL,
      'coef',
    );
    assertAllClose(
      fit.coefficients.map((k) => k.se),
      v(c.se),
      TOL,
      'se',
    );
    if (c.robustSe !== null) {
      assertAllClose(
        fit.coefficients.map((k) => k.robustSe),
        v(c.robustSe),
        TOL,
        'robust se',
      );
    }
    assertAllClose(
      fit.coefficients.map((k) => k.z),
      v(c.z),
      TOL,
      'z',
    );
    assertAllClose(
      fit.coefficients.map((k) => k.p),
      v(c.p),
      TOL,
      'p',
    );
    assertAllClose(
      fit.coefficients.map((k) => k.hrLower),
      v(c.hrLower),
      TOL,
      'hr lower',
    );
    assertAllClose(
      fit.coefficients.map((k) => k.hrUpper),
      v(c.hrUpper),
      TOL,
      'hr upper',
    );
    assertAllClose(fit.logLik, c.loglik, TOL, 'loglik');
    for (const [name, got, exp] of [
      ['lrt', fit.lrt, c.lrt],
      ['wald', fit.wald, c.wald],
      ['score', fit.score, c.score],
    ] as const) {
      assertClose(got.stat, exp[0]!, TOL, `${name} stat`);
      assert.equal(got.df, exp[1], `${name} df`);
      assertClose(got.p, exp[2]!, TOL, `${name} p`);
    }
    if (c.robustScore !== null) {
      assert.ok(fit.robustScore !== null);
      assertClose(fit.robustScore.stat, c.robustScore[0]!, TOL, 'robust score');
      assertClose(fit.robustScore.p, c.robustScore[2]!, TOL, 'robust score p');
    } else {
      assert.equal(fit.robustScore, null);
    }
    assertAllClose(fit.means, v(c.means), TOL, 'means');
    assertAllClose(fit.linearPredictor, c.linearPredictor, TOL, 'linear predictor', 1e-12);
    assertClose(fit.concordance, c.concordance, 1e-10, 'concordance');
    assertClose(fit.concordanceSe, c.concordanceSe, 1e-10, 'concordance se');
  });
}

test('coxph bad input: constant covariate, collinear covariates, missing covariate value', () => {
  const time = [5, 8, 12, 3, 9, 15, 7, 4];
  const status = [1, 0, 1, 1, 1, 0, 1, 1];
  const age = [60, 55, 70, 65, 50, 45, 68, 72];
  assert.throws(
    () => coxph(time, status, { names: ['age', 'site'], columns: [age, [2, 2, 2, 2, 2, 2, 2, 2]] }),
    (e: unknown) => e instanceof InputError && /field site: covariate is constant/.test(e.message),
  );
  assert.throws(
    () =>
      coxph(time, status, {
        names: ['age', 'age2'],
        columns: [age, age.map((a) => 2 * a)],
      }),
    (e: unknown) => e instanceof ComputationError && /singular/.test(e.message),
  );
  assert.throws(
    () => coxph(time, status, { names: ['age'], columns: [[60, 55, NaN, 65, 50, 45, 68, 72]] }),
    (e: unknown) => e instanceof InputError && /row 3, field age/.test(e.message),
  );
  assert.throws(
    () => coxph(time, [0, 0, 0, 0, 0, 0, 0, 0], { names: ['age'], columns: [age] }),
    (e: unknown) => e instanceof InputError && /no events/.test(e.message),
  );
});
