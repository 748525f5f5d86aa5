// R's timefix (aeqSurv): times equal in exact arithmetic but not in floating point (days·0.1·3 vs
// days·0.3; 146 of 228 lung times differ) must be tied, as survfit/survdiff/coxph/concordance do by
// default (fixtures/timefix.R → timefix.json; the weeks are recomputed here from days with the same
// IEEE operations as in R). Tolerances as the other survival tests: KM/C 1e-10, log-rank/Cox 1e-8.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { concordance, coxph, kaplanMeier, logRank } from '../../../src/stats/survival/index.js';
import { timefix } from '../../../src/stats/survival/input.js';
import { assertAllClose, assertClose } from '../../helpers/assert-close.js';

const fx = JSON.parse(readFileSync(new URL('./fixtures/timefix.json', import.meta.url), 'utf8')) as {
  days: number[];
  alt: boolean[];
  status: number[];
  sex: string[];
  age: number[];
  nUnequal: number;
  km: { time: number[]; surv: number[]; nRisk: number[]; median: number };
  logrank: { chisq: number };
  cox: { coef: number[]; loglik: number[] };
  concordance: { concordance: number; se: number };
};
const weeks = fx.days.map((d, i) => (fx.alt[i] ? d * 0.1 * 3 : d * 0.3));

test('the fixture really has near-equal, unequal times', () => {
  assert.ok(fx.nUnequal > 100);
  assert.ok(timefix(Float64Array.from(weeks)).some((v, i) => v !== weeks[i]));
});

test('KM, log-rank, Cox and concordance merge near-equal times as R', () => {
  const km = kaplanMeier(weeks, fx.status);
  assert.equal(km.table.length, fx.km.time.length, 'distinct times after timefix');
  assertAllClose(
    km.table.map((r) => r.time),
    fx.km.time,
    1e-15,
    'times',
  );
  assertAllClose(
    km.table.map((r) => r.surv),
    fx.km.surv,
    1e-10,
    'surv',
  );
  assertClose(km.median, fx.km.median, 1e-10, 'median');
  assertClose(logRank(weeks, fx.status, fx.sex).chisq, fx.logrank.chisq, 1e-8, 'log-rank');
  const cx = coxph(weeks, fx.status, { names: ['age', 'sex'], columns: [fx.age, fx.sex.map(Number)] });
  assertAllClose(
    cx.coefficients.map((c) => c.estimate),
    fx.cox.coef,
    1e-8,
    'cox coef',
  );
  assertAllClose(cx.logLik, fx.cox.loglik, 1e-8, 'cox loglik');
  const c = concordance(weeks, fx.status, fx.age);
  assertClose(c.concordance, fx.concordance.concordance, 1e-10, 'C');
  assertClose(c.se, fx.concordance.se, 1e-10, 'C se');
  // Without timefix the near-equal times stay distinct.
  assert.ok(kaplanMeier(weeks, fx.status, { timefix: false }).table.length > fx.km.time.length);
});
