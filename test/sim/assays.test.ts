// Raw lab assays of the virtual trial (src/sim/assays.ts): the wells carry the true values of
// truth.json within the noise the model puts on them. Each check recomputes the measurement from the
// wells independently (OLS, the true 4PL inverted, % specific lysis) and states its tolerance.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simulateTrial } from '../../src/sim/trial.js';
import { ASSAY_MODEL, simulateLabAssays } from '../../src/sim/assays.js';
import { SIM_MODEL } from '../../src/sim/trial-params.js';

const trial = simulateTrial({ seed: 5, patients: 23 });
const T = trial.truth.assays;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const key = (...p: (string | number | null)[]): string => p.join('|');

function group<T>(rows: T[], k: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const g = m.get(k(r));
    if (g) g.push(r);
    else m.set(k(r), [r]);
  }
  return m;
}

test('qpcr.csv: standards 10¹–10⁶ in triplicate per plate and target; samples give the true CD8 copies per cell', () => {
  const Q = ASSAY_MODEL.qpcr;
  const wells = trial.qpcrWells;
  const plates = [...new Set(wells.map((w) => w.plate))];
  // One sample per patient on each blood-sample day (0, +7, +28) up to the last follow-up, 10 per plate.
  const expected = trial.truth.patients.reduce(
    (n, p) => n + SIM_MODEL.labs.cd8SampleDays.filter((d) => d <= p.os.days).length,
    0,
  );
  assert.equal(T.qpcr.samples.length, expected);
  assert.equal(plates.length, Math.ceil(T.qpcr.samples.length / Q.samplesPerPlate));
  // Per plate and target: OLS of Ct on log10 copies (the standard curve).
  const curves = new Map<string, { a: number; s: number; n: number }>();
  for (const [k, std] of group(
    wells.filter((w) => w.role === 'standard'),
    (w) => key(w.plate, w.target),
  )) {
    assert.equal(std.length, 18, `${k}: 6 levels × 3`);
    const x = std.map((w) => Math.log10(w.quantity!));
    const y = std.map((w) => w.ct);
    const mx = mean(x);
    const my = mean(y);
    const sxx = x.reduce((a, v) => a + (v - mx) ** 2, 0);
    const s = x.reduce((a, v, i) => a + (v - mx) * (y[i]! - my), 0) / sxx;
    curves.set(k, { a: my - s * mx, s, n: std.length });
    const tc = T.qpcr.curves.find((c) => key(c.plate, c.target) === k)!;
    // Slope SE = 0.1/√sxx ≈ 0.014; intercept SE ≈ 0.1·√(1/18 + 3.5²/52.5) ≈ 0.05 → 4 SE.
    assert.ok(Math.abs(s - tc.slope) < 0.06, `${k} slope ${s} vs ${tc.slope}`);
    assert.ok(Math.abs(my - s * mx - tc.interceptCt) < 0.2, `${k} intercept`);
    // Realistic curve: efficiency 10^(−1/s) − 1 within 90–110 %.
    const eff = 10 ** (-1 / s) - 1;
    assert.ok(eff > 0.9 && eff < 1.1, `${k} efficiency ${eff}`);
  }
  const samples = group(
    wells.filter((w) => w.role === 'sample'),
    (w) => key(w.plate, w.patientId, w.day),
  );
  assert.equal(samples.size, T.qpcr.samples.length);
  const logErr: number[] = [];
  for (const ts of T.qpcr.samples) {
    const ws = samples.get(key(ts.plate, ts.patientId, ts.day))!;
    const copies = (target: string): number => {
      const r = ws.filter((w) => w.target === target);
      assert.equal(r.length, 3);
      const c = curves.get(key(ts.plate, target))!;
      return 10 ** ((mean(r.map((w) => w.ct)) - c.a) / c.s);
    };
    const perCell = (2 * copies(Q.target)) / copies(Q.referenceTarget);
    // ln error SD: per target Ct SD √(0.1²/3 + 0.031²) (triplicate mean + curve at the sample) = 0.066
    // cycles → 0.066/3.35·ln 10 = 0.045; ratio of two targets √2 × → 0.064. Tolerance 4 SD.
    const e = Math.log(perCell / ts.cd8CopiesPerCell);
    assert.ok(Math.abs(e) < 4 * 0.064, `${ts.patientId} day ${ts.day}: ${perCell} vs ${ts.cd8CopiesPerCell}`);
    logErr.push(e);
    // Truth is self-consistent: CD8 copies per cell = 2 × CD8 / GATA2 copies/µL.
    assert.ok(Math.abs((2 * ts.cd8CopiesPerUl) / ts.gata2CopiesPerUl / ts.cd8CopiesPerCell - 1) < 1e-6);
    assert.ok(ts.cd8CopiesPerUl > 10 && ts.gata2CopiesPerUl < 1e6, 'inside the standard range');
  }
  // No bias: mean ln error within 4 SE (0.064/√69 ≈ 0.008; curve errors are shared per plate → ×2).
  assert.ok(Math.abs(mean(logErr)) < 4 * 0.016, `mean ln error ${mean(logErr)}`);
  // The true values are the trial's: the blood-sample days 0, +7 and +28 of every patient while followed.
  for (const p of trial.truth.patients)
    assert.deepEqual(
      T.qpcr.samples
        .filter((q) => q.patientId === p.patientId)
        .map((q) => q.day)
        .sort((a, b) => a - b),
      [0, 7, 28].filter((d) => d <= p.os.days),
      p.patientId,
    );
  assert.ok(!trial.labs.some((l) => l.analyte === 'cd8_copies_per_cell' || l.analyte === 'il6_pg_ml'));
});

test('cytokines.csv: 8 standards + blank in duplicate; sample ODs invert the true 4PL to the true concentration', () => {
  const C = ASSAY_MODEL.cytokines;
  const wells = trial.cytokineWells;
  for (const [k, std] of group(
    wells.filter((w) => w.role === 'standard'),
    (w) => key(w.plate, w.analyte),
  )) {
    assert.equal(std.length, 2 * C.standardsPgMl.length, k);
    assert.deepEqual([...new Set(std.map((w) => w.concentration))], C.standardsPgMl);
    // Monotone in concentration (OD noise 3 % vs ≥ 25 % steps between 2-fold standards).
    const byConc = group(std, (w) => String(w.concentration));
    const od = C.standardsPgMl.map((c) => mean(byConc.get(String(c))!.map((w) => w.signal)));
    for (let i = 1; i < od.length; i++) assert.ok(od[i]! < od[i - 1]!, `${k} OD decreasing with dilution`);
    assert.ok(od[0]! > 2 && od[0]! < 3.2 && od[od.length - 1]! < 0.07, `${k} OD range ${od[0]}–${od.at(-1)}`);
  }
  const samples = group(
    wells.filter((w) => w.role === 'sample'),
    (w) => key(w.plate, w.analyte, w.patientId, w.day),
  );
  assert.equal(samples.size, T.cytokines.samples.length);
  let checked = 0;
  for (const ts of T.cytokines.samples) {
    const ws = samples.get(key(ts.plate, ts.analyte, ts.patientId, ts.day))!;
    assert.equal(ws.length, 2);
    assert.ok(ws.every((w) => w.dilution === ts.dilution));
    assert.equal(ts.dilution, ts.concentrationPgMl > Math.max(...C.standardsPgMl) ? 10 : 1);
    const p = T.cytokines.curves.find((c) => c.plate === ts.plate && c.analyte === ts.analyte)!;
    const y = mean(ws.map((w) => w.signal));
    const x = ts.concentrationPgMl / ts.dilution;
    const yTrue = p.c + (p.d - p.c) / (1 + (x / p.e) ** p.b);
    // Delta method: SD(ln x̂) = SD(ln ȳ) · |d ln x / d ln y|, SD(ln ȳ) = 0.03/√2 (duplicate wells);
    // d ln x / d ln y = y (d − c) / (|b| (y − c)(d − y)). Tolerance 4 SD, on wells inside the working range.
    const slope = (yTrue * (p.d - p.c)) / (Math.abs(p.b) * (yTrue - p.c) * (p.d - yTrue));
    const sd = (0.03 / Math.SQRT2) * slope;
    // Between the lowest and the top standard (below it the curve is flat in the noise: <LLOQ).
    if (x < Math.min(...C.standardsPgMl.filter((c) => c > 0))) continue;
    const xHat = p.e * ((p.d - p.c) / (y - p.c) - 1) ** (1 / p.b);
    assert.ok(
      Math.abs(Math.log(xHat / x)) < 4 * sd,
      `${ts.analyte} ${ts.patientId} d${ts.day}: ${xHat} vs ${x}`,
    );
    checked++;
  }
  // The high-sensitivity range (down to 0.98 pg/mL) covers most baseline samples (IL-6 median 8, IFN-γ 6 pg/mL).
  assert.ok(
    checked > 0.8 * T.cytokines.samples.length,
    `${checked} of ${T.cytokines.samples.length} in range`,
  );
  // IL-6 stays related to CRS: day-7 IL-6 higher with CRS ≥ 2 (log-normal medians 60 vs 8 pg/mL).
  const crs = new Map(trial.toxicity.map((t) => [t.patientId, t.crsGrade]));
  const il6d7 = T.cytokines.samples.filter((s) => s.analyte === 'IL6' && s.day === 7);
  const hi = il6d7.filter((s) => crs.get(s.patientId)! >= 2).map((s) => Math.log(s.concentrationPgMl));
  const lo = il6d7.filter((s) => crs.get(s.patientId)! < 2).map((s) => Math.log(s.concentrationPgMl));
  assert.ok(hi.length > 3 && lo.length > 3 && mean(hi) - mean(lo) > 1, 'IL-6 day 7 by CRS');
});

test('cytotoxicity.csv: controls per plate, products at E:T 40/20/10/5; % lysis recovers the true curve', () => {
  const X = ASSAY_MODEL.cytotoxicity;
  const wells = trial.cytotoxicityWells;
  assert.equal(T.cytotoxicity.samples.length, 23, 'one product per infused patient');
  for (const pl of T.cytotoxicity.plates) {
    const ctl = (role: string): number[] =>
      wells.filter((w) => w.plate === pl.plate && w.role === role).map((w) => w.cpm);
    const s = ctl('spontaneous');
    const m = ctl('maximum');
    assert.equal(s.length, 3);
    assert.equal(m.length, 3);
    const frac = pl.spontaneousCpm / pl.maximumCpm;
    assert.ok(frac >= 0.1 && frac <= 0.15, `${pl.plate} spontaneous ${frac} of maximum`);
    for (const ts of T.cytotoxicity.samples.filter((x) => x.plate === pl.plate)) {
      assert.equal(ts.day, -5);
      for (const et of X.effectorTargetRatios) {
        const e = wells
          .filter((w) => w.plate === pl.plate && w.patientId === ts.patientId && w.effectorTargetRatio === et)
          .map((w) => w.cpm);
        assert.equal(e.length, 3);
        const S = mean(s);
        const M = mean(m);
        const lysis = (100 * (mean(e) - S)) / (M - S);
        const truth = ts.lysisPercent[String(et)]!;
        assert.ok(Math.abs(truth - (ts.maxLysisPercent * et) / (et + ts.ec50EffectorTarget)) < 1e-3);
        // Delta method with the model's well variance v(μ) = μ + (0.03 μ)², means of 3 wells:
        // Var(L) = (100/(M−S))² [v(E)/3 + (1−f)² v(S)/3 + f² v(M)/3], f = L/100. Tolerance 4 SD.
        const v = (mu: number): number => (mu + (0.03 * mu) ** 2) / 3;
        const f = truth / 100;
        const mu = pl.spontaneousCpm + f * (pl.maximumCpm - pl.spontaneousCpm);
        const sd =
          (100 / (pl.maximumCpm - pl.spontaneousCpm)) *
          Math.sqrt(v(mu) + (1 - f) ** 2 * v(pl.spontaneousCpm) + f ** 2 * v(pl.maximumCpm));
        assert.ok(
          Math.abs(lysis - truth) < 4 * sd,
          `${ts.patientId} E:T ${et}: ${lysis} vs ${truth} (SD ${sd})`,
        );
      }
      // Saturating: lysis increases with E:T.
      const l = X.effectorTargetRatios.map((et) => ts.lysisPercent[String(et)]!);
      for (let i = 1; i < l.length; i++) assert.ok(l[i]! < l[i - 1]!);
    }
  }
});

test('simulateLabAssays: deterministic for a seed; refuses a true value that is not > 0', () => {
  const input = [
    {
      patientId: 'P1',
      crsGrade: 2,
      cd8CopiesPerCell: [{ day: 2, value: 0.3 }],
      il6PgMl: [{ day: 7, value: 2500 }],
    },
  ];
  const a = simulateLabAssays(3, input);
  assert.deepEqual(simulateLabAssays(3, input), a);
  assert.notDeepEqual(simulateLabAssays(4, input).qpcr, a.qpcr);
  // Above the top standard → diluted 10-fold.
  assert.equal(a.cytokines.find((w) => w.analyte === 'IL6' && w.role === 'sample')!.dilution, 10);
  assert.throws(
    () => simulateLabAssays(3, [{ ...input[0]!, cd8CopiesPerCell: [{ day: 2, value: 0 }] }]),
    /must be > 0/,
  );
  assert.throws(
    () => simulateLabAssays(3, [{ ...input[0]!, il6PgMl: [{ day: 7, value: NaN }] }]),
    /must be > 0/,
  );
});
