/**
 * 3PL/4PL/5PL curve fits on drc's ryegrass data.
 * - vs drc (shared/data/assays/curve-fitting/drc_ryegrass_reference.json): LL.3/LL.4 coefficients, RSE, logLik,
 *   ED10/50/90 to 1e-5 relative (the criterion; drc stops its optimiser at ~1e-6 relative, which is why we
 *   do not ask for more). LL.5 parameters are only determined to ~3 digits by drc (flat surface), so LL.5 is held to
 *   drc's RSE to 1e-6 and to R nls (fixtures/ryegrass_nls.R, tighter optimiser) to 1e-5.
 * - vs R nls (fixtures/ryegrass_nls.json): coefficients and SEs (σ²(JᵀJ)⁻¹) to 1e-5 relative, CIs, fitted values.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  effectiveDose,
  fitCurve,
  inversePredict,
  quantificationLimits,
  curveValue,
} from '../../src/assays/curves.js';
import { ComputationError } from '../../src/errors.js';
import { readCsv } from '../../src/io/csv.js';
import { assertAllClose, assertClose } from '../helpers/assert-close.js';
import { sharedData } from '../helpers/shared-data.js';

const data = readCsv(sharedData('assays', 'curve-fitting', 'drc_ryegrass.csv'));
const x = data.rows.map((r) => Number(r['conc']));
const y = data.rows.map((r) => Number(r['rootl']));
const drc = JSON.parse(
  readFileSync(sharedData('assays', 'curve-fitting', 'drc_ryegrass_reference.json'), 'utf8'),
) as {
  'LL.4': {
    coef: Record<string, number>;
    residual_standard_error: number;
    logLik: number;
    ED_relative: Record<string, [number, number]>;
  };
  'LL.3_c_fixed_0': { coef: Record<string, number>; residual_standard_error: number };
  'LL.5': { residual_standard_error: number };
};
interface NlsGolden {
  coef: Record<string, number>;
  se: Record<string, number>;
  rse: number;
  logLik: number;
  fitted: number[];
  ci95_wald: [number, number][];
}
const nls = JSON.parse(
  readFileSync(new URL('./fixtures/ryegrass_nls.json', import.meta.url), 'utf8'),
) as Record<string, NlsGolden>;

describe('dose–response curves vs drc (ryegrass)', () => {
  it('LL.4 coefficients, RSE, logLik and ED10/50/90 to 1e-5', () => {
    const f = fitCurve(x, y, '4pl');
    const ref = drc['LL.4'];
    f.parameterNames.forEach((k, i) => assertClose(f.estimates[i]!, ref.coef[k]!, 1e-5, `LL.4 ${k}`));
    assertClose(f.residualStandardError, ref.residual_standard_error, 1e-5, 'RSE');
    assertClose(f.logLik, ref.logLik, 1e-5, 'logLik');
    assert.equal(f.df, 20);
    for (const p of [10, 50, 90])
      assertClose(effectiveDose(f, p).estimate, ref.ED_relative[`ED${p}`]![0], 1e-5, `ED${p}`);
  });
  it('LL.3 (c = 0) coefficients and RSE to 1e-5', () => {
    const f = fitCurve(x, y, '3pl');
    const ref = drc['LL.3_c_fixed_0'];
    f.parameterNames.forEach((k, i) => assertClose(f.estimates[i]!, ref.coef[k]!, 1e-5, `LL.3 ${k}`));
    assertClose(f.residualStandardError, ref.residual_standard_error, 1e-5, 'RSE');
    assert.equal(f.df, 21);
  });
  it('LL.5 RSE to drc (1e-6)', () => {
    const f = fitCurve(x, y, '5pl');
    assertClose(f.residualStandardError, drc['LL.5'].residual_standard_error, 1e-6, 'RSE');
  });
});

describe('dose–response curves vs R nls (fixtures/ryegrass_nls.R)', () => {
  for (const [model, key] of [
    ['3pl', 'LL3'],
    ['4pl', 'LL4'],
    ['5pl', 'LL5'],
  ] as const) {
    it(`${model}: coefficients, SEs, Wald CIs, fitted values, logLik (1e-5 relative; nls tol 1e-8)`, () => {
      const f = fitCurve(x, y, model);
      const g = nls[key]!;
      f.parameterNames.forEach((k, i) => {
        assertClose(f.estimates[i]!, g.coef[k]!, 1e-5, `${model} ${k}`);
        assertClose(f.standardErrors[i]!, g.se[k]!, 1e-5, `${model} se ${k}`);
        assertAllClose(f.ci95[i]!, g.ci95_wald[i]!, 1e-5, `${model} CI ${k}`);
      });
      assertAllClose(f.fitted, g.fitted, 1e-6, `${model} fitted`);
      assertClose(f.logLik, g.logLik, 1e-8, `${model} logLik`);
    });
  }
});

describe('weighted 4PL (weights 1/y², R nls(weights = 1/rootl^2))', () => {
  it('coefficients, SEs, RSE and logLik to 1e-5', () => {
    const f = fitCurve(x, y, '4pl', { weights: '1/y^2' });
    const g = nls['LL4_w1y2']!;
    f.parameterNames.forEach((k, i) => {
      assertClose(f.estimates[i]!, g.coef[k]!, 1e-5, `w ${k}`);
      assertClose(f.standardErrors[i]!, g.se[k]!, 1e-5, `w se ${k}`);
    });
    assertClose(f.residualStandardError, g.rse, 1e-6, 'weighted RSE');
    assertClose(f.logLik, g.logLik, 1e-8, 'weighted logLik');
    assert.equal(f.weighted, true);
  });
});

describe('inverse prediction and limits of quantification', () => {
  // A rising ELISA-like standard curve generated from known 4PL parameters (b < 0: rising with x).
  const truth = { b: -1.2, c: 50, d: 30000, e: 120, f: 1 };
  const conc = [0.5, 1.5, 4.6, 13.7, 41, 123, 370, 1111, 3333, 10000];
  const resp = conc.flatMap((c) => [0.98, 1.02].map((k) => curveValue(truth, c) * k));
  const xs = conc.flatMap((c) => [c, c]);
  const fit = fitCurve(xs, resp, '4pl');
  it('recovers a rising curve with d > c and b < 0', () => {
    assert.ok(fit.params.b < 0 && fit.params.d > fit.params.c);
    assertClose(fit.params.e, 120, 0.02, 'EC50');
  });
  it('back-calculation inverts the curve; responses outside the asymptotes are flagged', () => {
    const r = inversePredict(fit, 5000);
    assert.equal(r.flag, 'ok');
    assertClose(curveValue(fit.params, r.concentration!), 5000, 1e-10, 'f(x̂) = y');
    assert.ok(r.se! > 0);
    assert.equal(inversePredict(fit, fit.params.c - 1).flag, 'below-curve');
    assert.equal(inversePredict(fit, fit.params.d + 1).flag, 'above-curve');
  });
  it('LLOQ/ULOQ from 80–120 % recovery; values outside are flagged', () => {
    const lim = quantificationLimits(
      fit,
      xs.map((c, i) => ({ concentration: c, response: resp[i]! })),
    );
    assert.ok(lim.lloq <= lim.uloq);
    assert.ok(
      lim.recoveries.filter((r) => r.ok).every((r) => r.recoveryPercent! >= 80 && r.recoveryPercent! <= 120),
    );
    const low = curveValue(fit.params, lim.lloq / 3);
    assert.equal(inversePredict(fit, low, lim).flag, '<LLOQ');
  });
  it('flat data cannot be fitted (clear ComputationError)', () => {
    assert.throws(
      () => fitCurve([1, 2, 3, 4, 5, 6], [7, 7, 7, 7, 7, 7], '4pl'),
      (e: unknown) => e instanceof ComputationError && /flat/.test(e.message),
    );
  });
});
