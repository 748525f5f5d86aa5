/**
 * Cytokine plates (cytokines.csv wells) → standard curves, LOQs, sample concentrations and lab values.
 * The wells are generated here from known log-logistic curves without noise, so the expected
 * concentrations are the ones the wells were made from (closed-form inverse of the curve), and the
 * expected LLOQ/ULOQ are the lowest/highest standards (all recover 100 %), or the next ones where a
 * level's replicates are given a CV above 20 % on purpose. Replicates spread symmetrically around the
 * true signal leave the least-squares solution at the true curve (SSE = Σ nₖ(ȳₖ − f(xₖ))² + const.).
 * Tolerance 1e-6 relative on concentrations and parameters: Levenberg–Marquardt converges on exact
 * data to its stopping tolerance (≈1e-8 relative in the parameters), not to the last digit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cytokineAnalyteName,
  cytokineConcentrations,
  type CytokineWell,
} from '../../src/assays/cytokine-study.js';
import type { CurveParams } from '../../src/assays/curves.js';
import { InputError } from '../../src/errors.js';
import { assertClose } from '../helpers/assert-close.js';

const TOL = 1e-6;

/** Log-logistic f(x) = c + (d − c)/(1 + (x/e)^b)^f, written out here independently of src. */
const signalAt = (p: CurveParams, x: number): number =>
  x === 0 ? (p.b < 0 ? p.c : p.d) : p.c + (p.d - p.c) / (1 + (x / p.e) ** p.b) ** p.f;

// Rising sandwich-ELISA curve (drc convention d > c, b < 0), OD units.
const RISING: CurveParams = { b: -1.2, c: 0.05, d: 3.0, e: 400, f: 1 };
// Eight 2-fold standards 5000 … 39.0625 pg/mL.
const LEVELS = Array.from({ length: 8 }, (_, k) => 5000 / 2 ** k);
const LOWEST = 5000 / 2 ** 7;

type Spec = Omit<CytokineWell, 'row'>;
const std = (plate: string, analyte: string, conc: number, signal: number): Spec => ({
  plate,
  role: 'standard',
  analyte,
  concentrationPgMl: conc,
  patientId: null,
  day: null,
  dilution: 1,
  signal,
});
const smp = (
  plate: string,
  analyte: string,
  patientId: string,
  day: number,
  signal: number,
  dilution = 1,
): Spec => ({
  plate,
  role: 'sample',
  analyte,
  concentrationPgMl: null,
  patientId,
  day,
  dilution,
  signal,
});
/** Blank and duplicate standards; `spread[conc]` gives replicates signal·(1 ± spread) instead of exact ones. */
const standards = (
  plate: string,
  analyte: string,
  p: CurveParams,
  spread: Record<number, number> = {},
): Spec[] => [
  std(plate, analyte, 0, signalAt(p, 0)),
  std(plate, analyte, 0, signalAt(p, 0)),
  ...LEVELS.flatMap((x) => {
    const s = spread[x] ?? 0;
    return [
      std(plate, analyte, x, signalAt(p, x) * (1 + s)),
      std(plate, analyte, x, signalAt(p, x) * (1 - s)),
    ];
  }),
];
const numbered = (specs: Spec[]): CytokineWell[] => specs.map((s, i) => ({ ...s, row: i + 1 }));

const find = <T extends { patientId: string; day: number }>(rows: T[], patientId: string, day: number): T => {
  const r = rows.find((x) => x.patientId === patientId && x.day === day);
  assert.ok(r, `no row for ${patientId} day ${day}`);
  return r;
};

const rejects = (fn: () => unknown, re: RegExp): void =>
  assert.throws(fn, (e: unknown) => e instanceof InputError && re.test(e.message));

describe('cytokine analyte names', () => {
  it('lower case, runs of other characters → _, suffix _pg_ml', () => {
    assert.equal(cytokineAnalyteName('IL-6'), 'il_6_pg_ml');
    assert.equal(cytokineAnalyteName('IFNg'), 'ifng_pg_ml');
    assert.equal(cytokineAnalyteName('IFN-γ'), 'ifn_pg_ml');
    assert.equal(cytokineAnalyteName('TNFa'), 'tnfa_pg_ml');
    assert.equal(cytokineAnalyteName(' IL 2 (sR) '), 'il_2_sr_pg_ml');
    assert.throws(() => cytokineAnalyteName('γ'), InputError);
  });
});

describe('cytokine concentrations from exact 4PL plates', () => {
  // Plate A: IL6 standards and samples; concentrations in the well (pg/mL) and dilutions chosen here.
  const wells = numbered([
    ...standards('A', 'IL6', RISING),
    smp('A', 'IL6', 'P01', 7, signalAt(RISING, 100) * 1.02),
    smp('A', 'IL6', 'P01', 7, signalAt(RISING, 100) * 0.98),
    smp('A', 'IL6', 'P01', 14, signalAt(RISING, 250), 10), // 250 pg/mL in the well × 10
    smp('A', 'IL6', 'P01', 14, signalAt(RISING, 250), 10),
    smp('A', 'IL6', 'P02', 7, signalAt(RISING, 3000)),
    smp('A', 'IL6', 'P02', 0, signalAt(RISING, 20), 2), // below the lowest standard, inside the curve
    smp('A', 'IL6', 'P02', 1, 0.01), // below the lower asymptote
    smp('A', 'IL6', 'P03', 7, signalAt(RISING, 8000), 4), // above the highest standard, inside the curve
    smp('A', 'IL6', 'P03', 14, 3.5), // above the upper asymptote
  ]);
  const res = cytokineConcentrations(wells, { model: '4pl', belowLloq: 'half-lloq' });

  it('recovers the curve parameters, the standard count and the LOQs', () => {
    assert.equal(res.curves.length, 1);
    const c = res.curves[0]!;
    assert.deepEqual([c.plate, c.analyte, c.model], ['A', 'IL6', '4pl']);
    assert.deepEqual(c.parameterNames, ['b', 'c', 'd', 'e']);
    [RISING.b, RISING.c, RISING.d, RISING.e].forEach((v, i) =>
      assertClose(c.estimates[i]!, v, TOL, `param ${i}`),
    );
    assert.equal(c.nStandards, 18);
    assert.equal(c.lloqPgMl, LOWEST);
    assert.equal(c.uloqPgMl, 5000);
  });

  it('back-calculates the samples × dilution, with replicate CV', () => {
    const d7 = find(res.samples, 'P01', 7);
    assert.equal(d7.flag, 'ok');
    assert.equal(d7.nWells, 2);
    assertClose(d7.meanSignal, signalAt(RISING, 100), 1e-12, 'mean signal');
    assertClose(d7.concentrationPgMl!, 100, TOL, 'P01 d7');
    // two wells s·(1 ± 0.02): SD = 0.02·s·√2, CV = 2√2 %
    assertClose(d7.cvPercent!, 2 * Math.SQRT2, 1e-9, 'CV');
    const d14 = find(res.samples, 'P01', 14);
    assert.equal(d14.dilution, 10);
    assertClose(d14.concentrationPgMl!, 2500, TOL, 'P01 d14 × 10');
    assert.equal(d14.cvPercent, 0);
    assert.ok(d14.sePgMl !== null && d14.sePgMl >= 0);
    const p2 = find(res.samples, 'P02', 7);
    assert.equal(p2.cvPercent, null, 'single well has no CV');
    assertClose(p2.concentrationPgMl!, 3000, TOL, 'P02 d7');
  });

  it('flags <LLOQ (LLOQ/2 × dilution) and >ULOQ (ULOQ × dilution), outside the curve too', () => {
    const below = find(res.samples, 'P02', 0);
    assert.equal(below.flag, '<LLOQ');
    assert.equal(below.concentrationPgMl, (LOWEST / 2) * 2);
    assert.equal(below.sePgMl, null);
    const belowCurve = find(res.samples, 'P02', 1);
    assert.equal(belowCurve.flag, '<LLOQ');
    assert.equal(belowCurve.concentrationPgMl, LOWEST / 2);
    const above = find(res.samples, 'P03', 7);
    assert.equal(above.flag, '>ULOQ');
    assert.equal(above.concentrationPgMl, 5000 * 4);
    const aboveCurve = find(res.samples, 'P03', 14);
    assert.equal(aboveCurve.flag, '>ULOQ');
    assert.equal(aboveCurve.concentrationPgMl, 5000);
  });

  it('stores lab values il6_pg_ml, sorted by patient and day', () => {
    assert.deepEqual(
      res.labs.map((l) => [l.patientId, l.day, l.analyte]),
      [
        ['P01', 7, 'il6_pg_ml'],
        ['P01', 14, 'il6_pg_ml'],
        ['P02', 0, 'il6_pg_ml'],
        ['P02', 1, 'il6_pg_ml'],
        ['P02', 7, 'il6_pg_ml'],
        ['P03', 7, 'il6_pg_ml'],
        ['P03', 14, 'il6_pg_ml'],
      ],
    );
    for (const l of res.labs) assert.equal(l.value, find(res.samples, l.patientId, l.day).concentrationPgMl);
  });

  it('below-LLOQ rules: lloq stores LLOQ × dilution, omit stores nothing', () => {
    const lloq = cytokineConcentrations(wells, { model: '4pl', belowLloq: 'lloq' });
    assert.equal(find(lloq.samples, 'P02', 0).concentrationPgMl, LOWEST * 2);
    assert.equal(find(lloq.samples, 'P02', 1).concentrationPgMl, LOWEST);
    assert.equal(find(lloq.samples, 'P03', 7).concentrationPgMl, 5000 * 4, '>ULOQ unaffected');
    const omit = cytokineConcentrations(wells, { model: '4pl', belowLloq: 'omit' });
    const o = find(omit.samples, 'P02', 0);
    assert.equal(o.flag, '<LLOQ');
    assert.equal(o.concentrationPgMl, null);
    assert.equal(omit.labs.length, res.labs.length - 2);
    assert.ok(!omit.labs.some((l) => l.patientId === 'P02' && (l.day === 0 || l.day === 1)));
  });

  it('output order does not depend on input order', () => {
    const shuffled = [...wells].reverse();
    const again = cytokineConcentrations(shuffled, { model: '4pl', belowLloq: 'half-lloq' });
    assert.deepEqual(
      again.samples.map((s) => [s.patientId, s.day]),
      [
        ['P01', 7],
        ['P01', 14],
        ['P02', 0],
        ['P02', 1],
        ['P02', 7],
        ['P03', 7],
        ['P03', 14],
      ],
    );
  });
});

describe('cytokine LOQs, curve direction, other models, several plates', () => {
  it('a level with replicate CV > 20 % is not a LOQ: the next standards are', () => {
    // lowest and highest levels with replicates ±30 % (CV 42 %), all others exact
    const wells = numbered([
      ...standards('A', 'IL2', RISING, { [LOWEST]: 0.3, 5000: 0.3 }),
      smp('A', 'IL2', 'P01', 1, signalAt(RISING, 60)),
      smp('A', 'IL2', 'P01', 2, signalAt(RISING, 4000), 3),
      smp('A', 'IL2', 'P01', 3, signalAt(RISING, 1000)),
      smp('A', 'IL2', 'P02', 3, signalAt(RISING, 1000), 10),
    ]);
    const r = cytokineConcentrations(wells, { model: '4pl', belowLloq: 'half-lloq' });
    const c = r.curves[0]!;
    assert.equal(c.lloqPgMl, 2 * LOWEST);
    assert.equal(c.uloqPgMl, 2500);
    const bad = c.recoveries.filter((x) => !x.ok).map((x) => x.concentrationPgMl);
    assert.deepEqual(bad, [LOWEST, 5000]);
    assert.ok(c.residualStandardError > 0);
    [RISING.b, RISING.c, RISING.d, RISING.e].forEach((v, i) =>
      assertClose(c.estimates[i]!, v, TOL, `param ${i}`),
    );
    assert.equal(find(r.samples, 'P01', 1).flag, '<LLOQ');
    assert.equal(find(r.samples, 'P01', 1).concentrationPgMl, LOWEST);
    assert.equal(find(r.samples, 'P01', 2).flag, '>ULOQ');
    assert.equal(find(r.samples, 'P01', 2).concentrationPgMl, 2500 * 3);
    const one = find(r.samples, 'P01', 3);
    const ten = find(r.samples, 'P02', 3);
    assertClose(one.concentrationPgMl!, 1000, TOL, 'P01 d3');
    assertClose(ten.concentrationPgMl!, 10000, TOL, 'P02 d3');
    // same well signal: the SE scales with the dilution like the concentration
    assert.ok(one.sePgMl! > 0);
    assertClose(ten.sePgMl!, 10 * one.sePgMl!, 1e-12, 'SE × dilution');
  });

  it('a falling (competitive) curve: signal above the top asymptote is <LLOQ, below the bottom >ULOQ', () => {
    const FALLING: CurveParams = { b: 1.5, c: 0.1, d: 2.5, e: 300, f: 1 };
    const wells = numbered([
      ...standards('A', 'IL10', FALLING),
      smp('A', 'IL10', 'P01', 1, 2.6),
      smp('A', 'IL10', 'P01', 2, 0.05),
      smp('A', 'IL10', 'P01', 3, signalAt(FALLING, 700)),
    ]);
    const r = cytokineConcentrations(wells, { model: '4pl', belowLloq: 'lloq' });
    assert.equal(find(r.samples, 'P01', 1).flag, '<LLOQ');
    assert.equal(find(r.samples, 'P01', 1).concentrationPgMl, LOWEST);
    assert.equal(find(r.samples, 'P01', 2).flag, '>ULOQ');
    assert.equal(find(r.samples, 'P01', 2).concentrationPgMl, 5000);
    assertClose(find(r.samples, 'P01', 3).concentrationPgMl!, 700, TOL, 'falling curve');
  });

  it('5PL and 3PL plates recover their concentrations', () => {
    const FIVE: CurveParams = { b: -1.1, c: 0.08, d: 2.8, e: 500, f: 0.7 };
    const THREE: CurveParams = { b: -1.3, c: 0, d: 12000, e: 800, f: 1 };
    const r5 = cytokineConcentrations(
      numbered([...standards('A', 'TNFa', FIVE), smp('A', 'TNFa', 'P01', 1, signalAt(FIVE, 321), 5)]),
      { model: '5pl', belowLloq: 'half-lloq' },
    );
    assert.deepEqual(r5.curves[0]!.parameterNames, ['b', 'c', 'd', 'e', 'f']);
    assertClose(r5.samples[0]!.concentrationPgMl!, 321 * 5, TOL, '5PL');
    const r3 = cytokineConcentrations(
      numbered([...standards('A', 'IFNg', THREE), smp('A', 'IFNg', 'P01', 1, signalAt(THREE, 1234))]),
      { model: '3pl', belowLloq: 'half-lloq' },
    );
    assert.deepEqual(r3.curves[0]!.parameterNames, ['b', 'd', 'e']);
    assertClose(r3.samples[0]!.concentrationPgMl!, 1234, TOL, '3PL');
    assert.equal(r3.labs[0]!.analyte, 'ifng_pg_ml');
  });

  it('curves per plate and analyte, sorted; each sample uses its own plate and analyte curve', () => {
    const OTHER: CurveParams = { b: -0.9, c: 0.2, d: 4.0, e: 1500, f: 1 };
    const wells = numbered([
      smp('B', 'IL6', 'P02', 7, signalAt(OTHER, 900)),
      ...standards('B', 'IL6', OTHER),
      ...standards('A', 'IL6', RISING),
      ...standards('A', 'IFNg', OTHER),
      smp('A', 'IL6', 'P01', 7, signalAt(RISING, 900)),
      smp('A', 'IFNg', 'P01', 7, signalAt(OTHER, 450)),
    ]);
    const r = cytokineConcentrations(wells, { model: '4pl', belowLloq: 'half-lloq' });
    assert.deepEqual(
      r.curves.map((c) => `${c.plate}/${c.analyte}`),
      ['A/IFNg', 'A/IL6', 'B/IL6'],
    );
    assert.deepEqual(
      r.samples.map((s) => `${s.plate}/${s.analyte}/${s.patientId}`),
      ['A/IFNg/P01', 'A/IL6/P01', 'B/IL6/P02'],
    );
    assertClose(r.samples[0]!.concentrationPgMl!, 450, TOL, 'A IFNg');
    assertClose(r.samples[1]!.concentrationPgMl!, 900, TOL, 'A IL6');
    assertClose(r.samples[2]!.concentrationPgMl!, 900, TOL, 'B IL6');
    assert.deepEqual(
      r.labs.map((l) => `${l.patientId}/${l.analyte}`),
      ['P01/ifng_pg_ml', 'P01/il6_pg_ml', 'P02/il6_pg_ml'],
    );
  });
});

describe('cytokine bad input', () => {
  const opts = { model: '4pl', belowLloq: 'half-lloq' } as const;
  const base = standards('A', 'IL6', RISING);
  const nBase = base.length;

  it('samples of a plate-analyte without standards: file, row and field analyte', () => {
    const wells = numbered([...base, smp('A', 'IL6', 'P01', 1, 1), smp('B', 'IL6', 'P01', 2, 1)]);
    rejects(
      () => cytokineConcentrations(wells, opts, 'bundle/cytokines.csv'),
      new RegExp(
        `^bundle/cytokines\\.csv, row ${nBase + 2}, field analyte: no standard wells for analyte IL6 on plate B`,
      ),
    );
  });

  it('a flat standard curve: InputError naming plate and analyte with the fitting message', () => {
    const flat = numbered([
      ...LEVELS.map((x) => std('P7', 'IL2', x, 1.5)),
      ...LEVELS.map((x) => std('P7', 'IL2', x, 1.5)),
    ]);
    rejects(
      () => cytokineConcentrations(flat, opts),
      /^cytokines\.csv, row 1, field signal: standard curve of IL2 on plate P7: .*flat/,
    );
  });

  it('no standard meeting the LOQ criteria: InputError naming plate and analyte', () => {
    const spread = Object.fromEntries(LEVELS.map((x) => [x, 0.4]));
    const wells = numbered(standards('A', 'IL6', RISING, spread));
    rejects(
      () => cytokineConcentrations(wells, opts),
      /^cytokines\.csv, row 1, field concentration: standard curve of IL6 on plate A: no standard meets/,
    );
  });

  it('differing dilutions inside one patient-day: row of the odd well, field dilution', () => {
    const wells = numbered([...base, smp('A', 'IL6', 'P01', 1, 1, 2), smp('A', 'IL6', 'P01', 1, 1, 4)]);
    rejects(
      () => cytokineConcentrations(wells, opts),
      new RegExp(`^cytokines\\.csv, row ${nBase + 2}, field dilution: `),
    );
  });

  it('the same patient, day and analyte on two plates: field plate', () => {
    const wells = numbered([
      ...base,
      ...standards('B', 'IL6', RISING),
      smp('A', 'IL6', 'P01', 1, 1),
      smp('B', 'IL6', 'P01', 1, 1),
    ]);
    rejects(
      () => cytokineConcentrations(wells, opts),
      new RegExp(
        `^cytokines\\.csv, row ${2 * nBase + 2}, field plate: IL6 of patient P01, day 1 is measured on two plates`,
      ),
    );
  });

  it('two analyte spellings with one lab name for the same patient-day: field analyte', () => {
    const wells = numbered([
      ...base,
      ...standards('A', 'IL 6', RISING),
      smp('A', 'IL6', 'P01', 1, 1),
      smp('A', 'IL 6', 'P01', 1, 1),
      smp('A', 'IL-6', 'P01', 1, 1),
    ]);
    // 'IL6' → il6 but 'IL 6' and 'IL-6' → il_6: IL-6 has no standards, yet the clash is found first
    rejects(
      () => cytokineConcentrations(wells, opts),
      /field analyte: analytes IL 6 \(row \d+\) and IL-6 both give lab analyte il_6_pg_ml/,
    );
  });

  it('bad wells: signal, dilution, standard concentration, sample patient and day', () => {
    const bad = (s: Partial<Spec>, role: 'standard' | 'sample' = 'sample'): CytokineWell[] =>
      numbered([
        ...base,
        { ...(role === 'sample' ? smp('A', 'IL6', 'P01', 1, 1) : std('A', 'IL6', 10, 1)), ...s },
      ]);
    const row = nBase + 1;
    rejects(
      () => cytokineConcentrations(bad({ signal: NaN }), opts),
      new RegExp(`row ${row}, field signal:`),
    );
    rejects(
      () => cytokineConcentrations(bad({ dilution: 0.5 }), opts),
      new RegExp(`row ${row}, field dilution:`),
    );
    rejects(
      () => cytokineConcentrations(bad({ concentrationPgMl: null }, 'standard'), opts),
      new RegExp(`row ${row}, field concentration:`),
    );
    rejects(
      () => cytokineConcentrations(bad({ concentrationPgMl: -1 }, 'standard'), opts),
      new RegExp(`row ${row}, field concentration:`),
    );
    rejects(
      () => cytokineConcentrations(bad({ patientId: null }), opts),
      new RegExp(`row ${row}, field patient_id:`),
    );
    rejects(() => cytokineConcentrations(bad({ day: null }), opts), new RegExp(`row ${row}, field day:`));
    rejects(
      () => cytokineConcentrations(bad({ analyte: 'γ' }), opts),
      new RegExp(`row ${row}, field analyte:`),
    );
  });
});
