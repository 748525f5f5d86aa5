// The radiotherapy dose–response (src/analysis/radiotherapy.ts `doseResponse`) against R
// (fixtures/rcs-dose.R → rcs-dose.json): rms::rcs knots (1e-10), the lmer / rms::Gls REML coefficients
// and their covariance, and rms anova's Wald χ² of dose and of nonlinearity (1e-5 relative: lme4 and
// nlme agree with each other to ~1e-7, their optimiser tolerance), and the linear slope per Gy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { doseResponse } from '../../src/analysis/radiotherapy.js';
import { rcsWaldTests } from '../../src/stats/rcs.js';
import { InputError } from '../../src/errors.js';
import { assertAllClose, assertClose } from '../helpers/assert-close.js';

interface Case {
  name: string;
  patient: string[];
  dose: number[];
  log_suv: number[];
  knots: number[];
  coef: number[];
  vcov: number[][];
  sigma: number;
  patient_sd: number;
  wald_nonlinear: { chisq: number; df: number; p: number };
  wald_dose: { chisq: number; df: number; p: number };
  rms_anova: {
    dose_chisq: number;
    dose_df: number;
    nonlinear_chisq: number;
    nonlinear_df: number;
    nonlinear_p: number;
  };
  gls_coef: number[];
  linear: { slope: number; se: number };
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/rcs-dose.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};
const TOL = 1e-5;

for (const c of fx.cases) {
  const fit = doseResponse(
    c.dose.map((d, i) => ({
      patientId: c.patient[i]!,
      lesionId: `L${i}`,
      doseGy: d,
      logSuvPeak: c.log_suv[i]!,
    })),
  );
  test(`doseResponse ${c.name}: knots equal rms::rcs(dose, 3)`, () => {
    assertAllClose(fit.knots, c.knots, 1e-10, 'knots');
  });
  test(`doseResponse ${c.name}: coefficients, covariance and SDs equal lmer and rms::Gls (REML)`, () => {
    assertAllClose(
      fit.coefficients.map((k) => k.estimate),
      c.coef,
      TOL,
      'coef (lmer)',
    );
    assertAllClose(
      fit.coefficients.map((k) => k.estimate),
      c.gls_coef,
      TOL,
      'coef (Gls)',
    );
    fit.vcov.forEach((row, i) => assertAllClose(row, c.vcov[i]!, TOL, `vcov row ${i}`));
    assertClose(fit.residualSd, c.sigma, TOL, 'sigma');
    assertClose(fit.patientSd, c.patient_sd, TOL, 'patient sd');
  });
  test(`doseResponse ${c.name}: Wald χ² of dose and of nonlinearity equal rms anova`, () => {
    assertClose(fit.waldNonlinear.chisq, c.rms_anova.nonlinear_chisq, TOL, 'nonlinear chisq');
    assert.equal(fit.waldNonlinear.df, c.rms_anova.nonlinear_df);
    assertClose(fit.waldNonlinear.p, c.rms_anova.nonlinear_p, TOL, 'nonlinear p');
    assertClose(fit.waldDose.chisq, c.rms_anova.dose_chisq, TOL, 'dose chisq');
    assert.equal(fit.waldDose.df, c.rms_anova.dose_df);
    assertClose(fit.waldDose.p, c.wald_dose.p, TOL, 'dose p');
  });
  test(`doseResponse ${c.name}: linear slope per Gy equals lmer`, () => {
    assertClose(fit.linearSlopePerGy.estimate, c.linear.slope, TOL, 'slope');
    assertClose(fit.linearSlopePerGy.se, c.linear.se, TOL, 'slope se');
  });
}

test('rcsWaldTests: R’s bᵀV⁻¹b on the chosen coefficients (lmer fit of the first case)', () => {
  const c = fx.cases[0]!;
  const w = rcsWaldTests(c.coef, c.vcov, [1, 2]);
  assertClose(w.nonlinear.chisq, c.wald_nonlinear.chisq, 1e-12, 'nonlinear');
  assertClose(w.overall.chisq, c.wald_dose.chisq, 1e-12, 'overall');
  assert.equal(w.overall.df, 2);
});

test('rcsWaldTests: a bad spline index is an InputError naming the value', () => {
  assert.throws(
    () =>
      rcsWaldTests(
        [1, 2],
        [
          [1, 0],
          [0, 1],
        ],
        [1, 5],
      ),
    (e: unknown) => e instanceof InputError && /out of range/.test((e as Error).message),
  );
});

test('doseResponse: too few distinct doses for 3 knots is an InputError', () => {
  const obs = Array.from({ length: 12 }, (_, i) => ({
    patientId: `P${i % 4}`,
    lesionId: `L${i}`,
    doseGy: i % 3 === 0 ? 8 : 0,
    logSuvPeak: Math.log(3 + (i % 5)),
  }));
  assert.throws(
    () => doseResponse(obs),
    (e: unknown) => e instanceof InputError && /knots/.test((e as Error).message),
  );
});
