/**
 * SUV scale-factor rules on small synthetic headers (test/fixtures/dicom/*.json, written from
 * docs/references/imaging.md §1–§6). Expected factors are recomputed here in closed form with powers of
 * two (D·2^(−Δt/T½)) rather than the implementation's exp(−λΔt), from the times written in each
 * fixture. Tolerance: 1e-12 relative (double rounding only).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ComputationError, InputError } from '../../src/errors.js';
import {
  bodySize,
  computeSuvFactors as computeTyped,
  expectedDecayFactor as decayTyped,
} from '../../src/imaging/suv.js';
import type { SuvOptions, SuvResult } from '../../src/imaging/suv.js';
import { petSuvHeader, suvComputeOptions } from '../../src/io/dicom/pet-header.js';
import type { DicomHeaderRecord } from '../../src/io/dicom/values.js';
import { projectRoot } from '../helpers/shared-data.js';
import { assertClose } from '../helpers/assert-close.js';

const TOL = 1e-12;
type Header = Record<string, unknown> & { RadiopharmaceuticalInformationSequence: Record<string, unknown>[] };

function fixture(name: string): Header[] {
  const v = JSON.parse(
    readFileSync(join(projectRoot, 'test', 'fixtures', 'dicom', `${name}.json`), 'utf8'),
  ) as Header | Header[];
  return Array.isArray(v) ? v : [v];
}
function one(name: string): Header {
  return fixture(name)[0]!;
}
/** `computeSuvFactors` on the typed headers of header records (src/io/dicom/pet-header.ts). */
function computeSuvFactors(headers: readonly DicomHeaderRecord[], opts: SuvOptions = {}): SuvResult {
  return computeTyped(
    headers.map((h) => petSuvHeader(h)),
    suvComputeOptions(opts),
  );
}
function expectedDecayFactor(h: DicomHeaderRecord): number | null {
  return decayTyped(petSuvHeader(h));
}
function factors(h: DicomHeaderRecord | DicomHeaderRecord[], opts: SuvOptions = {}): number[] {
  return computeSuvFactors(Array.isArray(h) ? h : [h], opts).factors.map((f) => f.scaleFactor);
}
function throwsInput(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    for (const re of patterns) assert.match(err.message, re);
    return true;
  });
}

const F18 = 6586.2;
const ZR89 = 282276;
/** SUVbw factor W[g] / (D · 2^(−uptakeS/T½)). */
const startFactor = (weightKg: number, doseBq: number, uptakeS: number, t12: number): number =>
  (weightKg * 1000) / (doseBq * Math.pow(2, -uptakeS / t12));

describe('SUVbw from BQML, DecayCorrection START', () => {
  test('series time as reference (injection 09:15, scan 10:15)', () => {
    const r = computeSuvFactors(fixture('bqml-start'));
    assertClose(r.factors[0]!.scaleFactor, startFactor(80, 350e6, 3600, F18), TOL, 'factor');
    assert.equal(r.meta.referenceTimeRule, 'series-time');
    assert.equal(r.factors[0]!.referenceTime, '2025-03-01T10:15:00.000');
    assert.equal(r.meta.conversion, 'activity');
  });

  test('a series gives one factor per instance (independent of each slice rescale slope)', () => {
    const r = computeSuvFactors(fixture('bqml-start-series'));
    assert.equal(r.factors.length, 3);
    for (const f of r.factors) assertClose(f.scaleFactor, startFactor(80, 350e6, 3600, F18), TOL, 'factor');
    assert.deepEqual(
      r.factors.map((f) => f.sopInstanceUid),
      ['1.2.826.0.1.3680043.10.1.1', '1.2.826.0.1.3680043.10.1.2', '1.2.826.0.1.3680043.10.1.3'],
    );
  });

  test('GE: SeriesTime after AcquisitionTime → (0009,100D) scan start (lower-case tag accepted)', () => {
    const r = computeSuvFactors(fixture('ge-private'));
    assert.equal(r.meta.referenceTimeRule, 'ge-private');
    assertClose(r.factors[0]!.scaleFactor, startFactor(80, 350e6, 3600, F18), TOL, 'factor');
  });

  test('GE (0009,100D) is read only when the rule reaches it: malformed and unused passes, malformed and used is refused', () => {
    // SeriesTime not after AcquisitionTime: the series-time rule applies and the GE tag is never read
    const unused = { ...one('ge-private'), SeriesTime: '101500.000000', '0009100d': 'not-a-date' };
    assert.equal(computeSuvFactors([unused]).meta.referenceTimeRule, 'series-time');
    // SeriesTime after AcquisitionTime: the rule needs the GE tag and refuses the malformed value
    const used = { ...one('ge-private'), '0009100d': 'not-a-date' };
    throwsInput(() => computeSuvFactors([used]), /0009,?100D|GE PET scan/i, /not-a-date/);
  });

  test('Siemens (0071,1022) decay correction date-time wins over a rewritten SeriesTime', () => {
    const r = computeSuvFactors(fixture('siemens-private'));
    assert.equal(r.meta.referenceTimeRule, 'siemens-private');
    assertClose(r.factors[0]!.scaleFactor, startFactor(80, 350e6, 3600, F18), TOL, 'factor');
  });

  test('SeriesTime after AcquisitionTime, no vendor tag → back-computed from frame timing', () => {
    const h = one('back-computed');
    const r = computeSuvFactors([h]);
    assert.equal(r.meta.referenceTimeRule, 'back-computed');
    // t_ref = t_acq + T_ave − FRT, T_ave = (1/λ)·ln(λT/(1 − 2^(−T/T½))) (PS3.3 C.8.9.4.1.5).
    const lambda = Math.log(2) / F18;
    const T = 180;
    const tAve = Math.log((lambda * T) / (1 - Math.pow(2, -T / F18))) / lambda;
    const uptakeS = 3600 + tAve - 120;
    assertClose(r.factors[0]!.scaleFactor, startFactor(80, 350e6, uptakeS, F18), 1e-10, 'factor');
    // Without ActualFrameDuration the reference time cannot be found (IBSI DRO_error_3_2).
    const noAfd = { ...h };
    delete noAfd['ActualFrameDuration'];
    throwsInput(() => computeSuvFactors([noAfd]), /ActualFrameDuration/);
  });

  test('RadiopharmaceuticalStartTime only: placed on the series date', () => {
    const r = computeSuvFactors(fixture('time-only'));
    assertClose(r.factors[0]!.scaleFactor, startFactor(80, 350e6, 3600, F18), TOL, 'factor');
    assert.equal(r.meta.injectionTime, '2025-03-01T09:15:00.000');
  });

  test('midnight: injection 23:30, scan 00:30 the next day → 1 h uptake', () => {
    const r = computeSuvFactors(fixture('midnight'));
    assertClose(r.factors[0]!.scaleFactor, startFactor(80, 350e6, 3600, F18), TOL, 'factor');
    assert.equal(r.meta.injectionTime, '2025-03-01T23:30:00.000');
    assert.ok(r.meta.warnings.some((w) => /previous day/.test(w)));
  });

  test('dose written in MBq (350) is read as 3.5e8 Bq and reported', () => {
    const r = computeSuvFactors(fixture('dose-mbq'));
    assertClose(r.factors[0]!.scaleFactor, startFactor(80, 350e6, 3600, F18), TOL, 'factor');
    assert.ok(r.meta.warnings.some((w) => /MBq/.test(w)));
  });

  test('weight written in grams (80000) is read as 80 kg and reported', () => {
    const h = { ...one('bqml-start'), PatientWeight: 80000 };
    const r = computeSuvFactors([h]);
    assertClose(r.factors[0]!.scaleFactor, startFactor(80, 350e6, 3600, F18), TOL, 'factor');
    assert.ok(r.meta.warnings.some((w) => /grams/.test(w)));
  });
});

describe('DecayCorrection ADMIN and NONE', () => {
  test('ADMIN: no decay of the dose', () => {
    const r = computeSuvFactors(fixture('admin'));
    assertClose(r.factors[0]!.scaleFactor, 80000 / 350e6, TOL, 'factor');
    assert.equal(r.meta.referenceTimeRule, 'injection');
    assert.equal(r.factors[0]!.referenceTime, '2025-03-01T09:15:00.000');
  });

  test('NONE: per-instance decay to the frame start and frame-average correction', () => {
    const r = computeSuvFactors(fixture('none'));
    const T = 180;
    const avg = (T * Math.log(2)) / F18 / (1 - Math.pow(2, -T / F18));
    const exp1 = (80000 / 350e6) * avg * Math.pow(2, 3600 / F18);
    const exp2 = (80000 / 350e6) * avg * Math.pow(2, 3780 / F18);
    assertClose(r.factors[0]!.scaleFactor, exp1, TOL, 'instance 1');
    assertClose(r.factors[1]!.scaleFactor, exp2, TOL, 'instance 2');
    assert.equal(r.factors[1]!.referenceTime, '2025-03-01T10:18:00.000');
  });
});

describe('Philips CNTS', () => {
  test('SUV scale factor (7053,1000) gives SUVbw directly', () => {
    const r = computeSuvFactors(fixture('philips-cnts-suv'));
    assert.equal(r.factors[0]!.scaleFactor, 0.000612);
    assert.equal(r.meta.conversion, 'philips-suv-factor');
    assert.equal(r.factors[0]!.referenceTime, null);
  });

  test('SUV scale factor with --suv-type lbm: × LBM/W (James 128, male)', () => {
    const lbmKg = 1.1 * 80 - 128 * (80 / 180) ** 2;
    assertClose(
      factors(fixture('philips-cnts-suv'), { suvType: 'lbm' })[0]!,
      (0.000612 * lbmKg) / 80,
      TOL,
      'lbm',
    );
  });

  test('activity concentration factor (7053,1009, given as text) → Bq/mL, then as BQML', () => {
    const r = computeSuvFactors(fixture('philips-cnts-acsf'));
    assert.equal(r.meta.conversion, 'philips-activity-factor');
    assertClose(r.factors[0]!.scaleFactor, 1.83 * startFactor(80, 350e6, 3600, F18), TOL, 'factor');
  });

  test('explicit weight override: the activity factor path is used, not the scanner SUV factor', () => {
    const r = computeSuvFactors(fixture('philips-cnts-suv'), { weightKg: 90 });
    assert.equal(r.meta.conversion, 'philips-activity-factor');
    assertClose(r.factors[0]!.scaleFactor, 1.83 * startFactor(90, 350e6, 3600, F18), TOL, 'factor');
  });

  test('CNTS without either factor is refused (IBSI DRO_error_2_6)', () => {
    const h = { ...one('philips-cnts-acsf') };
    delete h['70531009'];
    throwsInput(() => computeSuvFactors([h]), /7053,1009/);
  });
});

describe('89Zr: days of uptake', () => {
  test('RadiopharmaceuticalStartDateTime two days before the scan → 48 h uptake', () => {
    const r = computeSuvFactors(fixture('zr89-datetime'));
    assertClose(r.factors[0]!.scaleFactor, startFactor(80, 74e6, 48 * 3600, ZR89), TOL, 'factor');
    assert.equal(r.meta.halfLifeS, ZR89);
  });

  test('time only (no date) with a long half-life is refused (IBSI DRO_error_4_1)', () => {
    throwsInput(
      () => computeSuvFactors(fixture('zr89-time-only')),
      /RadiopharmaceuticalStartDateTime/,
      /24 h/,
    );
  });

  test('…but an explicit injection date-time makes it work', () => {
    const f = factors(fixture('zr89-time-only'), { injectionDateTime: '2025-02-27T10:15:00' });
    assertClose(f[0]!, startFactor(80, 74e6, 48 * 3600, ZR89), TOL, 'factor');
  });

  test('18F with an anonymised scan date: uptake from the times of day, with a warning (IBSI v3 DRO_4_4)', () => {
    const h = { ...one('bqml-start'), SeriesDate: '19000101', AcquisitionDate: '19000101' };
    const r = computeSuvFactors([h]);
    assertClose(r.factors[0]!.scaleFactor, startFactor(80, 350e6, 3600, F18), TOL, 'factor');
    assert.ok(r.meta.warnings.some((w) => /anonymised date/.test(w)));
  });

  test('anonymised start date (1900) is refused (IBSI DRO_error_4_2)', () => {
    const h = one('zr89-datetime');
    h.RadiopharmaceuticalInformationSequence[0]!['RadiopharmaceuticalStartDateTime'] = '19000101101500';
    throwsInput(() => computeSuvFactors([h]), /implausible uptake/, /RadiopharmaceuticalStartDateTime/);
  });

  test('a half-life that contradicts the 89Zr code is refused', () => {
    const h = one('zr89-datetime');
    h.RadiopharmaceuticalInformationSequence[0]!['RadionuclideHalfLife'] = 6586.2;
    throwsInput(() => computeSuvFactors([h]), /RadionuclideHalfLife/, /89Zr/);
  });
});

describe('explicit overrides', () => {
  test('weight, net dose and injection time replace the header, and are reported', () => {
    const r = computeSuvFactors(fixture('bqml-start'), {
      weightKg: 72.5,
      doseBq: 3.1e8,
      injectionDateTime: '2025-03-01T09:45:00',
    });
    assertClose(r.factors[0]!.scaleFactor, startFactor(72.5, 3.1e8, 1800, F18), TOL, 'factor');
    assert.deepEqual(r.meta.overrides, ['weightKg', 'doseBq', 'injectionDateTime']);
  });

  test('a dose override that looks like MBq is refused, not guessed', () => {
    throwsInput(() => computeSuvFactors(fixture('bqml-start'), { doseBq: 350 }), /doseBq/);
  });
});

describe('body-size normalisations', () => {
  const body = (w: number, hCm: number, sex: 'M' | 'F' | 'O') => ({
    weightKg: () => w,
    heightCm: () => hCm,
    sex: () => sex,
  });
  test('James, Janmahasatian, IBW, Du Bois BSA against their published formulas', () => {
    assertClose(
      bodySize('lbm', body(80, 180, 'M')),
      (1.1 * 80 - 128 * (80 / 180) ** 2) * 1000,
      TOL,
      'James M',
    );
    assertClose(
      bodySize('lbm', body(60, 165, 'F')),
      (1.07 * 60 - 148 * (60 / 165) ** 2) * 1000,
      TOL,
      'James F',
    );
    const bmi = 80 / 1.8 ** 2;
    assertClose(
      bodySize('lbm-janma', body(80, 180, 'M')),
      ((9270 * 80) / (6680 + 216 * bmi)) * 1000,
      TOL,
      'Janma M',
    );
    const o = ((9270 * 80) / (6680 + 216 * bmi) + (9270 * 80) / (8780 + 244 * bmi)) / 2;
    assertClose(bodySize('lbm-janma', body(80, 180, 'O')), o * 1000, TOL, 'Janma O = mean');
    assertClose(bodySize('ibw', body(80, 180, 'M')), (48 + 1.06 * 28) * 1000, TOL, 'IBW M');
    assertClose(bodySize('bsa', body(80, 180, 'M')), 0.007184 * 180 ** 0.725 * 80 ** 0.425 * 1e4, TOL, 'BSA');
  });

  test('GML stored as SUVibw / SUV "LBM" (James 120) converts to SUVbw; sex and size are required', () => {
    const gml = (extra: Record<string, unknown>): Record<string, unknown> => ({
      ...one('bqml-start'),
      Units: 'GML',
      ...extra,
    });
    const ibwM = 48 + 1.06 * (180 - 152);
    assertClose(factors(gml({ SUVType: 'IBW' }))[0]!, 80 / ibwM, TOL, 'IBW → BW');
    const james120 = 1.1 * 80 - 120 * (80 / 180) ** 2;
    assertClose(factors(gml({ SUVType: 'LBM' }))[0]!, 80 / james120, TOL, 'LBM (James 120) → BW');
    assert.equal(factors(gml({ SUVType: 'IBW' }), { suvType: 'ibw' })[0], 1);
    const noSex = gml({ SUVType: 'IBW' });
    delete noSex['PatientSex'];
    throwsInput(() => computeSuvFactors([noSex]), /PatientSex/); // IBSI DRO_error_2_2
    throwsInput(() => computeSuvFactors([gml({ SUVType: 'IBW', PatientSex: 'U' })]), /PatientSex/); // 2_3
    throwsInput(() => computeSuvFactors([gml({ SUVType: 'IBW', PatientSize: 0 })]), /PatientSize/); // 2_5
    throwsInput(() => computeSuvFactors([gml({ SUVType: 'XYZ' })]), /SUVType/);
    throwsInput(() => computeSuvFactors([gml({ Units: 'CM2ML', SUVType: 'BW' })]), /SUVType/);
  });

  test('James LBM ≤ 0 (very high BMI) is a ComputationError, not a negative SUV', () => {
    assert.throws(() => bodySize('lbm', body(200, 150, 'F')), ComputationError);
  });

  test('SUVibw needs PatientSex (M/F/O) and PatientSize (IBSI DRO_error_2_2…2_5)', () => {
    const noSex = { ...one('bqml-start') };
    delete noSex['PatientSex'];
    throwsInput(() => computeSuvFactors([noSex], { suvType: 'ibw' }), /PatientSex/);
    throwsInput(
      () => computeSuvFactors([{ ...one('bqml-start'), PatientSex: 'X' }], { suvType: 'ibw' }),
      /PatientSex/,
    );
    const noSize = { ...one('bqml-start') };
    delete noSize['PatientSize'];
    throwsInput(() => computeSuvFactors([noSize], { suvType: 'ibw' }), /PatientSize/);
    throwsInput(
      () => computeSuvFactors([{ ...one('bqml-start'), PatientSize: 0 }], { suvType: 'ibw' }),
      /PatientSize/,
    );
    // SUVbw does not need them.
    assert.equal(factors(noSex).length, 1);
  });
});

describe('refusals name the tag (IBSI v3 error cases and §5.2)', () => {
  const base = (): Header => one('bqml-start');
  const rp = (h: Header): Record<string, unknown> => h.RadiopharmaceuticalInformationSequence[0]!;

  test('PatientWeight missing or 0 (DRO_error_2_0, 2_1)', () => {
    const h = base();
    delete h['PatientWeight'];
    throwsInput(() => computeSuvFactors([h]), /PatientWeight/);
    throwsInput(() => computeSuvFactors([{ ...base(), PatientWeight: 0 }]), /PatientWeight/);
  });

  test('Units PROPCNTS and unknown units (DRO_error_2_7)', () => {
    throwsInput(() => computeSuvFactors([{ ...base(), Units: 'PROPCNTS' }]), /Units/, /PROPCNTS/);
    throwsInput(() => computeSuvFactors([{ ...base(), Units: 'CPS' }]), /Units/);
    const noUnits = base();
    delete noUnits['Units'];
    throwsInput(() => computeSuvFactors([noUnits]), /Units/);
  });

  test('RadionuclideTotalDose absent or negative (DRO_error_3_0, 3_1)', () => {
    const h = base();
    delete rp(h)['RadionuclideTotalDose'];
    throwsInput(() => computeSuvFactors([h]), /RadionuclideTotalDose/);
    const n = base();
    rp(n)['RadionuclideTotalDose'] = -3.5e8;
    throwsInput(() => computeSuvFactors([n]), /RadionuclideTotalDose/);
  });

  test('both injection time attributes absent (DRO_error_4_0)', () => {
    const h = base();
    delete rp(h)['RadiopharmaceuticalStartDateTime'];
    delete rp(h)['RadiopharmaceuticalStartTime'];
    throwsInput(
      () => computeSuvFactors([h]),
      /RadiopharmaceuticalStartDateTime/,
      /RadiopharmaceuticalStartTime/,
    );
  });

  test('RadionuclideHalfLife absent (DRO_error_5_0)', () => {
    const h = base();
    delete rp(h)['RadionuclideHalfLife'];
    throwsInput(() => computeSuvFactors([h]), /RadionuclideHalfLife/);
  });

  test('no ATTN, or no DECY with START', () => {
    throwsInput(
      () => computeSuvFactors([{ ...base(), CorrectedImage: ['DECY', 'SCAT'] }]),
      /ATTN/,
      /CorrectedImage/,
    );
    throwsInput(
      () => computeSuvFactors([{ ...base(), CorrectedImage: ['ATTN', 'SCAT'] }]),
      /DECY/,
      /CorrectedImage/,
    );
    const none = base();
    delete none['CorrectedImage'];
    throwsInput(() => computeSuvFactors([none]), /CorrectedImage/);
  });

  test('a non-PET object', () => {
    throwsInput(() => computeSuvFactors([{ ...base(), Modality: 'RTSTRUCT' }]), /Modality/, /RTSTRUCT/);
  });

  test('a reprojection (MIP) series', () => {
    throwsInput(
      () => computeSuvFactors([{ ...base(), SeriesType: ['WHOLE BODY', 'REPROJECTION'] }]),
      /SeriesType/,
      /REPROJECTION/,
    );
  });

  test('RescaleIntercept ≠ 0', () => {
    throwsInput(() => computeSuvFactors([{ ...base(), RescaleIntercept: -12 }]), /RescaleIntercept/);
  });

  test('injection after the scan', () => {
    const h = base();
    rp(h)['RadiopharmaceuticalStartDateTime'] = '20250301111500';
    rp(h)['RadiopharmaceuticalStartTime'] = '111500';
    throwsInput(() => computeSuvFactors([h]), /injection after the decay reference time/);
  });

  test('series-level values that differ between instances', () => {
    const s = fixture('bqml-start-series');
    s[2]!['PatientWeight'] = 81;
    throwsInput(() => computeSuvFactors(s), /PatientWeight differs/);
  });

  test('malformed times name the tag', () => {
    throwsInput(() => computeSuvFactors([{ ...base(), SeriesTime: '25:99' }]), /SeriesTime/);
    const h = base();
    rp(h)['RadiopharmaceuticalStartDateTime'] = '2025-03-01 09:15';
    throwsInput(() => computeSuvFactors([h]), /RadiopharmaceuticalStartDateTime/);
  });
});

describe('DecayFactor consistency', () => {
  test('2^(FRT/T½)', () => {
    const h = { ...one('bqml-start'), FrameReferenceTime: 1048858 };
    assertClose(expectedDecayFactor(h)!, Math.exp((Math.LN2 * 1048.858) / F18), TOL, 'decay factor');
  });
});
