/**
 * qPCR vs shared/data/assays/qpcr/pcr_reference_values.json (R 4.2 lm / t.test on the R pcr package data).
 * Layouts as in the pcr vignette: ct1/ct2 rows 1–6 brain, 7–12 kidney; ct3 amounts rep(c(1,.5,.2,.1,.05,.02,.01),
 * each = 3); ct4 rows 1–12 control, 13–24 treatment. Tolerance 1e-9 relative: the reference is printed with 11
 * significant digits (values rounded to ≤ 5e-12 relative), ours is the same closed-form arithmetic.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  copiesPerCell,
  deltaDeltaCt,
  pfafflRatio,
  quantityFromCt,
  standardCurve,
  summariseReplicates,
  meanSd,
  welchTTest,
} from '../../src/assays/qpcr.js';
import { InputError } from '../../src/errors.js';
import { readCsv } from '../../src/io/csv.js';
import { assertClose } from '../helpers/assert-close.js';
import { sharedData } from '../helpers/shared-data.js';

const TOL = 1e-9;
const ref = JSON.parse(
  readFileSync(sharedData('assays', 'qpcr', 'pcr_reference_values.json'), 'utf8'),
) as Record<string, Record<string, Record<string, number> | number | number[]>>;
const csv = (f: string): Record<string, number[]> => {
  const t = readCsv(sharedData('assays', 'qpcr', f));
  return Object.fromEntries(t.columns.map((c) => [c, t.rows.map((r) => Number(r[c]))]));
};
const twoGroups = (n: number, a: string, b: string): string[] => [
  ...Array.from({ length: n }, () => a),
  ...Array.from({ length: n }, () => b),
];
const amounts = [1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01].flatMap((a) => [a, a, a]);

describe('qPCR vs pcr reference values', () => {
  for (const [file, key, mode] of [
    ['pcr_ct1.csv', 'ct1_ddCt_separate_tube', 'separate-tube'],
    ['pcr_ct2.csv', 'ct2_ddCt_same_tube', 'same-tube'],
  ] as const) {
    it(`${key}: ΔCt, ΔΔCt, fold and interval`, () => {
      const d = csv(file);
      const groups = twoGroups(6, 'brain', 'kidney');
      const rows = groups.map((g, i) => ({ group: g, target: d['c_myc']![i]!, reference: d['GAPDH']![i]! }));
      const res = deltaDeltaCt(rows, 'brain', mode);
      for (const r of res) {
        const e = (ref[key] as Record<string, Record<string, number>>)[r.group]!;
        assertClose(r.meanTarget, e['mean_cmyc']!, TOL, 'mean c-myc');
        assertClose(r.sdTarget, e['sd_cmyc']!, TOL, 'sd c-myc');
        assertClose(r.meanReference, e['mean_gapdh']!, TOL, 'mean GAPDH');
        assertClose(r.dCt, e['dCt']!, TOL, 'dCt');
        assertClose(r.sdDCt, e['sd_dCt']!, TOL, 'sd dCt');
        assertClose(r.ddCt, e['ddCt']!, TOL, 'ddCt', 1e-12);
        assertClose(r.fold, e['fold']!, TOL, 'fold');
        assertClose(r.foldLower, e['fold_lower']!, TOL, 'fold lower');
        assertClose(r.foldUpper, e['fold_upper']!, TOL, 'fold upper');
      }
    });
  }
  it('ct3 standard curves: slope, intercept, R², efficiency (MIQE acceptable)', () => {
    const d = csv('pcr_ct3.csv');
    const e = ref['ct3_standard_curves_Ct_vs_log10_amount'] as Record<string, Record<string, number>>;
    for (const [col, k] of [
      ['c_myc', 'c_myc'],
      ['GAPDH', 'GAPDH'],
    ] as const) {
      const c = standardCurve(amounts, d[col]!);
      assertClose(c.slope, e[k]!['slope']!, TOL, `${k} slope`);
      assertClose(c.intercept, e[k]!['intercept']!, TOL, `${k} intercept`);
      assertClose(c.rSquared, e[k]!['r_squared']!, TOL, `${k} R²`);
      assertClose(c.amplificationFactor, e[k]!['amplification_factor']!, TOL, `${k} E`);
      assertClose(c.efficiencyPercent, e[k]!['efficiency_percent']!, TOL, `${k} efficiency`);
      assert.equal(c.acceptable, true);
    }
    const dct = standardCurve(
      amounts,
      d['c_myc']!.map((v, i) => v - d['GAPDH']![i]!),
    );
    const e2 = ref['ct3_dCt_vs_log10_amount'] as Record<string, number>;
    assertClose(dct.slope, e2['slope']!, TOL, 'ΔCt slope');
    assertClose(dct.rSquared, e2['r_squared']!, TOL, 'ΔCt R²');
  });
  it('ct1 standard-curve method: amounts, normalised, relative to brain', () => {
    const d3 = csv('pcr_ct3.csv');
    const cm = standardCurve(amounts, d3['c_myc']!);
    const gp = standardCurve(amounts, d3['GAPDH']!);
    const d = csv('pcr_ct1.csv');
    const e = ref['ct1_standard_curve_method'] as Record<string, Record<string, number>>;
    const norm: Record<string, number> = {};
    for (const [g, lo] of [
      ['brain', 0],
      ['kidney', 6],
    ] as const) {
      const a = meanSd(d['c_myc']!.slice(lo, lo + 6).map((ct) => quantityFromCt(cm, ct)));
      const b = meanSd(d['GAPDH']!.slice(lo, lo + 6).map((ct) => quantityFromCt(gp, ct)));
      assertClose(a.mean, e[g]!['mean_cmyc_amount']!, TOL, `${g} c-myc amount`);
      assertClose(a.sd, e[g]!['sd_cmyc_amount']!, TOL, `${g} c-myc sd`);
      assertClose(b.mean, e[g]!['mean_gapdh_amount']!, TOL, `${g} GAPDH amount`);
      norm[g] = a.mean / b.mean;
      assertClose(norm[g], e[g]!['normalized']!, TOL, `${g} normalised`);
    }
    assertClose(norm['kidney']! / norm['brain']!, e['kidney']!['relative_to_brain']!, TOL, 'relative');
  });
  it('ct4 Welch t-test on ΔCt (treatment − control)', () => {
    const d = csv('pcr_ct4.csv');
    const dct = d['target']!.map((t, i) => t - d['ref']![i]!);
    const w = welchTTest(dct.slice(12), dct.slice(0, 12));
    const e = ref['ct4_welch_t_test_treatment_minus_control_dCt'] as Record<string, number | number[]>;
    assertClose(w.estimate, e['estimate'] as number, TOL, 'estimate');
    assertClose(w.pValue, e['p_value'] as number, 1e-8, 'p');
    assertClose(w.ci[0], (e['conf_int'] as number[])[0]!, 1e-8, 'CI low');
    assertClose(w.ci[1], (e['conf_int'] as number[])[1]!, 1e-8, 'CI high');
  });
});

describe('qPCR helpers', () => {
  it('Pfaffl with E = 2 equals 2^−ΔΔCt (ct1 kidney fold 5.6372830206)', () => {
    const d = csv('pcr_ct1.csv');
    const m = (v: number[]): number => meanSd(v).mean;
    const r = pfafflRatio(2, 2, {
      targetControl: m(d['c_myc']!.slice(0, 6)),
      targetSample: m(d['c_myc']!.slice(6)),
      referenceControl: m(d['GAPDH']!.slice(0, 6)),
      referenceSample: m(d['GAPDH']!.slice(6)),
    });
    assertClose(r, 5.6372830206, 1e-9, 'Pfaffl');
    assert.throws(
      () =>
        pfafflRatio(0.9, 2, { targetControl: 1, targetSample: 1, referenceControl: 1, referenceSample: 1 }),
      InputError,
    );
  });
  it('copies per cell = target ÷ reference × 2', () => {
    assert.equal(copiesPerCell(5000, 20000), 0.5);
    assert.throws(() => copiesPerCell(1, 0), InputError);
  });
  it('triplicate outlier flag (> 0.5 cycles from the median)', () => {
    const s = summariseReplicates([24.1, 24.2, 25.3]);
    assert.deepEqual(s.flagged, [false, false, true]);
    assert.equal(s.n, 2);
    assertClose(s.mean, 24.15, 1e-12, 'mean');
    const u = summariseReplicates([24.1, Number.NaN, 24.3]);
    assert.deepEqual(u.flagged, [false, true, false]);
  });
});
