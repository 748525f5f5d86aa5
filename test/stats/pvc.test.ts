// Partial-volume correction against R (fixtures/pvc.R reads nothing, writes pvc.csv + pvc.json):
// rms::rcs knots on the fitting rows, lm(log suv ~ rcs(x, knots)) and the corrected SUVpeak of every
// row. Tolerances: knots 1e-10 (quantile arithmetic), coefficients/SE 1e-9, corrected values 1e-8
// relative (the requirement for corrected values).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseCsv } from '../../src/io/csv.js';
import { pvcCurve, pvcFit, type PvcScale } from '../../src/stats/pvc.js';
import { pvcLmmFitter } from '../../src/analysis/pvc-lmm.js';
import { assertAllClose, assertClose } from '../helpers/assert-close.js';
import { InputError } from '../../src/errors.js';

interface Variant {
  scale: PvcScale;
  method: 'ols' | 'lmm';
  allRows: boolean;
  nFit: number;
  knots: number[];
  beta: number[];
  se: number[];
  splineAtReference: number;
  corrected: number[];
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/pvc.json', import.meta.url), 'utf8')) as {
  variants: Variant[];
};
const csvUrl = new URL('./fixtures/pvc.csv', import.meta.url);
const table = parseCsv(readFileSync(csvUrl, 'utf8'), csvUrl.pathname);
const suv = table.rows.map((r) => Number(r['suvpeak']));
const vol = table.rows.map((r) => Number(r['volume']));
const fitRows = table.rows.map((r) => r['timepoint'] === 'pre' && r['irradiated'] === 'FALSE');

for (const v of fx.variants.filter((x) => x.method === 'ols')) {
  test(`pvcFit ols ${v.scale} (${v.allRows ? 'all rows' : 'pre, not irradiated'}) equals R`, () => {
    const f = pvcFit(suv, vol, { method: 'ols', scale: v.scale, knotsFrom: v.allRows ? undefined : fitRows });
    assert.equal(f.nFit, v.nFit);
    assertAllClose(f.knots, v.knots, 1e-10, 'knots');
    assertAllClose(
      f.coefficients.map((c) => c.estimate),
      v.beta,
      1e-9,
      'beta',
    );
    assertAllClose(
      f.coefficients.map((c) => c.se),
      v.se,
      1e-9,
      'se',
    );
    assertClose(f.splineAtReference, v.splineAtReference, 1e-9, 'at reference');
    assertAllClose(f.corrected, v.corrected, 1e-8, 'corrected');
  });
}

test('pvcCurve at the reference volume gives the reference estimate', () => {
  const f = pvcFit(suv, vol, { knotsFrom: fitRows });
  const [pt] = pvcCurve(f, [5]);
  assertClose(pt!.estimate, f.splineAtReference, 1e-12, 'estimate');
  assert.ok(pt!.lower < pt!.estimate && pt!.estimate < pt!.upper);
});

test('a lesion at the reference volume is not changed by the correction', () => {
  const f = pvcFit([...suv, 3.3], [...vol, 5], { knotsFrom: [...fitRows, false] });
  assertClose(f.corrected[f.corrected.length - 1]!, 3.3, 1e-12, 'corrected at 5 mL');
});

test('pvcFit refuses non-positive volumes and a mixed model without groups', () => {
  assert.throws(() => pvcFit([1, 2], [0, 1]), InputError);
  assert.throws(() => pvcFit(suv, vol, { method: 'lmm' }), InputError);
});

const group = table.rows.map((r) => r['patient']!);
for (const v of fx.variants.filter((x) => x.method === 'lmm')) {
  test(`pvcFit lmm ${v.scale} (${v.allRows ? 'all rows' : 'pre, not irradiated'}) equals lme4::lmer`, () => {
    const f = pvcFit(suv, vol, {
      method: 'lmm',
      scale: v.scale,
      knotsFrom: v.allRows ? undefined : fitRows,
      group,
      lmmFitter: pvcLmmFitter,
    });
    assertAllClose(f.knots, v.knots, 1e-10, 'knots');
    // Mixed-model estimates depend on θ̂, which neither side pins beyond ~1e-6: the REML criterion is
    // flat to its rounding noise there (lme4's default and tight-tolerance fits of this very model
    // differ by 2.2e-7 in β, and the tight fit's criterion is not even the lower one). Observed
    // agreement: β ≤ 3.4e-7, corrected SUVpeak ≤ 1.8e-7 relative. Tolerances: β 1e-6, SE 1e-5,
    // corrected 5e-7 (the 1e-8 of the issue holds for the OLS correction above, not reachable here).
    assertAllClose(
      f.coefficients.map((c) => c.estimate),
      v.beta,
      1e-6,
      'beta',
      1e-9,
    );
    assertAllClose(
      f.coefficients.map((c) => c.se),
      v.se,
      1e-5,
      'se',
    );
    assertAllClose(f.corrected, v.corrected, 5e-7, 'corrected');
  });
}
