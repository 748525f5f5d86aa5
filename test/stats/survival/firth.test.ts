// Firth-penalised Cox against an INDEPENDENT pure-R implementation (fixtures/firth.R → firth.json:
// direct Breslow risk-set sums, numerical optimisation, profile CI by uniroot). coxphf is not packaged
// for Debian, so coxphf itself is not run. Tolerances: estimates, SE, penalised log-likelihoods and LRT
// 1e-7 relative; profile CI limits and penalised-LRT p-values 1e-6 relative — the R reference uses
// finite-difference gradients (Richardson, h = 1e-4) and uniroot(tol = 1e-13), good to ~1e-8.
// Monotone likelihood: ordinary Cox runs away (β ≈ 23 after 20 iterations, as R) while Firth is finite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { coxph, coxphFirth } from '../../../src/stats/survival/index.js';
import { assertAllClose, assertClose } from '../../helpers/assert-close.js';

type Vec = number | number[];
interface Case {
  name: string;
  time: number[];
  status: number[];
  x: number[][];
  terms: string | string[];
  coef: Vec;
  se: Vec;
  lower: Vec;
  upper: Vec;
  chisq: Vec;
  p: Vec;
  loglik: number[];
  loglikCoxphf: number[];
  lrt: number;
  coxph?: { coef: number[]; iter: number };
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/firth.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};
const v = (x: Vec): number[] => (Array.isArray(x) ? x : [x]);

for (const c of fx.cases) {
  test(`Firth Cox ${c.name} equals the independent R implementation`, () => {
    const terms = Array.isArray(c.terms) ? c.terms : [c.terms];
    const fit = coxphFirth(c.time, c.status, { names: terms, columns: c.x });
    assert.ok(fit.converged);
    const est = fit.coefficients.map((k) => k.estimate);
    assertAllClose(est, v(c.coef), 1e-7, 'estimate');
    assertAllClose(
      fit.coefficients.map((k) => k.se),
      v(c.se),
      1e-7,
      'se',
    );
    assertAllClose(
      fit.coefficients.map((k) => k.lower),
      v(c.lower),
      1e-6,
      'profile lower',
    );
    assertAllClose(
      fit.coefficients.map((k) => k.upper),
      v(c.upper),
      1e-6,
      'profile upper',
    );
    assertAllClose(
      fit.coefficients.map((k) => k.chisq),
      v(c.chisq),
      1e-6,
      'penalised LRT chisq',
    );
    assertAllClose(
      fit.coefficients.map((k) => k.p),
      v(c.p),
      1e-6,
      'penalised LRT p',
    );
    fit.coefficients.forEach((k, j) => {
      assertClose(k.hrLower, Math.exp(v(c.lower)[j]!), 1e-6, 'hr lower');
      assertClose(k.hrUpper, Math.exp(v(c.upper)[j]!), 1e-6, 'hr upper');
    });
    assertAllClose(fit.logLik, c.loglik, 1e-7, 'penalised loglik');
    assertAllClose(fit.logLikCoxphf, c.loglikCoxphf, 1e-7, 'penalised loglik, coxphf scaling');
    assertClose(fit.lrt.stat, c.lrt, 1e-6, 'overall penalised LRT');
  });
}

test('monotone likelihood: ordinary Cox diverges (as R), Firth gives finite estimates and CIs', () => {
  const c = fx.cases.find((k) => k.name === 'monotone')!;
  const terms = c.terms as string[];
  const cox = coxph(c.time, c.status, { names: terms, columns: c.x }, { ties: 'efron' });
  assert.equal(cox.iterations, c.coxph!.iter);
  assertAllClose(
    cox.coefficients.map((k) => k.estimate),
    c.coxph!.coef,
    1e-8,
    'ordinary Cox coefficients after R’s 20 iterations',
  );
  assert.ok(cox.coefficients[0]!.estimate > 20, 'ordinary Cox runs away');
  assert.ok(
    cox.warnings.some((w) => /may be infinite/.test(w)),
    'warned as R',
  );
  const firth = coxphFirth(c.time, c.status, { names: terms, columns: c.x });
  for (const k of firth.coefficients) {
    assert.ok(Number.isFinite(k.estimate) && Number.isFinite(k.lower) && Number.isFinite(k.upper), k.term);
    assert.ok(k.lower < k.estimate && k.estimate < k.upper, `${k.term} CI brackets the estimate`);
  }
  assert.ok(firth.coefficients[0]!.estimate < 10, 'Firth estimate is moderate');
});
