// Crossed random intercepts with many levels against lme4 1.1-31 / lmerTest 3.1-3 (R 4.2, tight
// BOBYQA as in golden-helpers.R): fixtures/crossed.R → crossed.csv (20 000 rows, a with 400 levels of
// 50 rows, b with 100 levels drawn at random) and crossed.json. This is the sparse path of the PLS:
// a eliminated block by block, b's dense Schur complement updated per block on the b levels it meets.
// Tolerances as lmm-golden.test.ts: θ, β, SE, σ, logLik, AIC/BIC, criterion 1e-6 relative; the profiled
// objective at R's θ 1e-10; Satterthwaite df and t 1e-4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCsv } from '../../../src/io/csv.js';
import { dataFrameFromCsv } from '../../../src/stats/data-frame.js';
import { fitLmm, profiledObjective, satterthwaite } from '../../../src/stats/lmm/index.js';
import { assertAllClose, assertClose } from '../../helpers/assert-close.js';

interface Model {
  reml: boolean;
  nobs: number;
  ngroups: Record<string, number>;
  theta: number[];
  sigma: number;
  coefNames: string[];
  beta: number[];
  se: number[];
  logLik: number;
  aic: number;
  bic: number;
  criterion: number;
  objective: { theta: number[]; value: number }[];
  coefs: { term: string; df: number; t: number; p: number }[];
}

const TOL = 1e-6;
const SATT = 1e-4;
const g = JSON.parse(readFileSync(new URL('./fixtures/crossed.json', import.meta.url), 'utf8')) as {
  formula: string;
  models: Model[];
};
const df = dataFrameFromCsv(readCsv(fileURLToPath(new URL('./fixtures/crossed.csv', import.meta.url))));

for (const m of g.models) {
  const how = m.reml ? 'REML' : 'ML';
  test(`crossed ${g.formula} (${how}, 400 × 100 levels, 20 000 rows) equals lme4 + lmerTest`, () => {
    const fit = fitLmm(g.formula, df, { reml: m.reml });
    assert.equal(fit.nobs, m.nobs);
    assert.deepEqual(fit.ngroups, m.ngroups);
    assert.deepEqual(fit.coefNames, m.coefNames);
    assert.ok(fit.optimizer.converged, fit.optimizer.message);
    assert.ok(fit.optimizer.scaledGradient < 2e-3, `scaled gradient ${fit.optimizer.scaledGradient}`);
    assert.equal(fit.singular, false);
    assertAllClose(fit.theta, m.theta, TOL, 'theta');
    assertAllClose(fit.beta, m.beta, TOL, 'beta');
    assertAllClose(fit.se, m.se, TOL, 'se');
    assertClose(fit.sigma, m.sigma, TOL, 'sigma');
    assertClose(fit.logLik, m.logLik, TOL, 'logLik');
    assertClose(fit.aic, m.aic, TOL, 'AIC');
    assertClose(fit.bic, m.bic, TOL, 'BIC');
    assertClose(fit.criterion, m.criterion, TOL, m.reml ? 'REML criterion' : 'deviance');
    m.coefs.forEach((c, i) => {
      const s = satterthwaite(
        fit,
        m.coefNames.map((_, j) => (i === j ? 1 : 0)),
      );
      assertClose(s.df, c.df, SATT, `${c.term} df`);
      assertClose(s.t, c.t, SATT, `${c.term} t`);
      // p underflows to 0 in R for x (t = 55); compare on the absolute scale below 1e-300
      assertClose(s.p, c.p, SATT, `${c.term} p`, 1e-300);
    });
  });

  test(`crossed ${g.formula} (${how}): profiled objective at fixed θ equals lme4's devfun`, () => {
    for (const o of m.objective) {
      assertClose(
        profiledObjective(g.formula, df, o.theta, { reml: m.reml }),
        o.value,
        1e-10,
        `θ=${o.theta.join(',')}`,
      );
    }
  });
}
