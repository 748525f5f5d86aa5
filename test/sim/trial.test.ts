import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simulateTrial, SIM_MODEL } from '../../src/sim/trial.js';

test('simulateTrial: deterministic for a seed, different for another seed', () => {
  const a = simulateTrial({ seed: 11, patients: 6 });
  const b = simulateTrial({ seed: 11, patients: 6 });
  const c = simulateTrial({ seed: 12, patients: 6 });
  const strip = (t: ReturnType<typeof simulateTrial>): string =>
    JSON.stringify({
      p: t.patients,
      e: t.events,
      s: t.scans,
      v: t.vois,
      x: t.toxicity,
      l: t.labs,
      b: t.biopsies,
      t: t.truth,
      q: t.acquisitions,
    });
  assert.equal(strip(a), strip(b));
  assert.notEqual(strip(a), strip(c));
});

test('simulateTrial at the trial size (23 patients): cohorts, design and calibration targets', () => {
  const t = simulateTrial({ seed: 5, patients: 23 });
  const byCohort = (c: string): number => t.patients.filter((p) => p.cohort === c).length;
  assert.deepEqual([byCohort('1'), byCohort('2'), byCohort('3')], [7, 8, 8]);
  // Baseline decks reproduce Table 1 of the reference trial (docs/references/trial.md §7) exactly at n = 23.
  const count = <T>(xs: T[], v: T): number => xs.filter((x) => x === v).length;
  assert.equal(
    count(
      t.patients.map((p) => p.sex),
      'M',
    ),
    17,
  );
  assert.equal(
    count(
      t.patients.map((p) => p.histology),
      'EBV+ DLBCL',
    ),
    2,
  );
  assert.equal(
    count(
      t.patients.map((p) => p.bridging),
      'radiotherapy',
    ),
    10,
  );
  assert.equal(
    count(
      t.patients.map((p) => p.cnsInvolvement),
      true,
    ),
    4,
  );
  // Scans: pre + d7 (cohort 1), pre + d5 (cohort 2), pre + d2 + d4 + d7 (cohort 3).
  assert.equal(t.scans.length, 7 * 2 + 8 * 2 + 8 * 4);
  for (const p of t.patients) {
    const tps = t.scans.filter((s) => s.patientId === p.patientId).map((s) => s.timepoint);
    assert.deepEqual(
      tps,
      p.cohort === '1' ? ['pre', 'd7'] : p.cohort === '2' ? ['pre', 'd5'] : ['pre', 'd2', 'd4', 'd7'],
    );
    const ev = t.events.filter((e) => e.patientId === p.patientId);
    assert.equal(ev.filter((e) => e.event === 'infusion').length, 1);
    assert.equal(ev.filter((e) => e.event === 'death' || e.event === 'last_follow_up').length, 1);
    const ld = ev.find((e) => e.event === 'lymphodepletion')!;
    assert.equal(ld.day, -5);
    // Pre-CART scan after bridging and before lymphodepletion; injections 2 days before (cohort 3:
    // one injection at day 0 for the day +2/+4/+7 scans).
    const pre = t.scans.find((s) => s.patientId === p.patientId && s.timepoint === 'pre')!;
    assert.ok(pre.day! < -5);
    const br = ev.find((e) => e.event === 'bridging');
    if (br) assert.ok(br.day < pre.day!);
    const inj = ev.filter((e) => e.event === 'tracer_injection');
    // One row per scan; cohort 3's three post scans share the day-0 injection (same day and activity).
    assert.deepEqual(
      inj.map((e) => e.scanId),
      t.scans.filter((s) => s.patientId === p.patientId).map((s) => s.scanId),
    );
    if (p.cohort === '3') {
      assert.deepEqual(
        inj.slice(1).map((e) => e.day),
        [0, 0, 0],
      );
      assert.equal(new Set(inj.slice(1).map((e) => e.activityMbq)).size, 1);
    }
    for (const i of inj) assert.ok(i.activityMbq! > 30 && i.activityMbq! < 44);
    for (const a of t.acquisitions.filter((q) => q.patientId === p.patientId)) {
      const uptakeH = (a.seriesMs - a.injectionMs) / 3.6e6;
      // Scan time = injection + whole days ± 60 min 59 s of jitter.
      const expectH = 24 * (p.cohort === '3' && a.timepoint !== 'pre' ? a.day : 2);
      assert.ok(Math.abs(uptakeH - expectH) <= 1.02, `${a.scanId} uptake ${uptakeH} h`);
    }
  }
  // Lesions: ≤ 30 per patient, stable ids, volumes shrink on average, sites as the seed.
  const perPatient = new Map<string, number>();
  for (const l of t.truth.lesions) perPatient.set(l.patientId, (perPatient.get(l.patientId) ?? 0) + 1);
  for (const n of perPatient.values()) assert.ok(n >= 1 && n <= 30);
  const nLes = t.truth.lesions.length;
  assert.ok(nLes > 120 && nLes < 420, `total lesions ${nLes} (trial 251)`);
  const nodal = t.truth.lesions.filter((l) => l.site === 'nodal').length / nLes;
  assert.ok(nodal > 0.5 && nodal < 0.85, `nodal fraction ${nodal}`);
  const diam = t.truth.lesions.map((l) => l.scans[0]!.diameterCm).sort((a, b) => a - b);
  const med = diam[Math.floor(diam.length / 2)]!;
  assert.ok(med > 1.4 && med < 2.4, `median diameter ${med} cm (trial 1.8)`);
  // Every lesion has a VOI on every scan of its patient, with the same lesion_id and mask label.
  for (const l of t.truth.lesions) {
    const v = t.vois.filter((x) => x.lesionId === l.lesionId);
    assert.equal(v.length, t.scans.filter((s) => s.patientId === l.patientId).length);
    assert.ok(v.every((x) => x.maskLabel === l.maskLabel));
  }
  // The sample pre → post GM ratios are near the population truth (lesion noise + patient shifts).
  for (const [tp, r] of Object.entries(t.truth.preToPostGmRatioSample)) {
    const truthR = SIM_MODEL.lesion.gmRatio[tp as 'd2'];
    assert.ok(Math.abs(Math.log(r / truthR)) < 0.4, `${tp}: sample ${r} vs truth ${truthR}`);
  }
  assert.equal(t.truth.logHrTtpPerLogGmSuvPeak, SIM_MODEL.outcome.logHrPerLogGmSuvPeak);
});

test('simulateTrial: higher pre-CART uptake means longer TTP (pooled over seeds, n = 230)', () => {
  // Pool 10 seeds; compare event rates above and below the median of the true covariate.
  let evLow = 0;
  let evHigh = 0;
  let timeLow = 0;
  let timeHigh = 0;
  for (let seed = 100; seed < 110; seed++) {
    const t = simulateTrial({ seed, patients: 23 });
    const xs = t.truth.patients.map((p) => p.logGmSuvPeakPreTrue).sort((a, b) => a - b);
    const median = xs[11]!;
    for (const p of t.truth.patients) {
      if (p.logGmSuvPeakPreTrue < median) {
        evLow += p.ttp.event ? 1 : 0;
        timeLow += p.ttp.days;
      } else {
        evHigh += p.ttp.event ? 1 : 0;
        timeHigh += p.ttp.days;
      }
    }
  }
  // Exponential-rate ratio (events / person-time) of high vs low: expected ≈ exp(−1.5 × 0.8) ≈ 0.3.
  const ratio = evHigh / timeHigh / (evLow / timeLow);
  assert.ok(ratio < 0.6, `high/low progression rate ratio ${ratio}`);
  assert.ok(evLow + evHigh > 40, `events ${evLow + evHigh}`);
});

test('simulateTrial with fdg: one FDG scan per patient before lymphodepletion; the CD8 trial is unchanged', () => {
  const plain = simulateTrial({ seed: 9, patients: 6 });
  const t = simulateTrial({ seed: 9, patients: 6, fdg: true });
  const fdg = t.scans.filter((s) => s.tracer === 'FDG');
  assert.equal(fdg.length, 6);
  for (const s of fdg) {
    assert.equal(s.format, 'nifti-suv');
    assert.equal(s.timepoint, 'pre-ld');
    assert.ok(s.day! < -5, 'before lymphodepletion');
    const lesions = t.truth.lesions.filter((l) => l.patientId === s.patientId);
    const v = t.vois.filter((x) => x.scanId === s.scanId);
    assert.equal(v.length, lesions.length, 'one lesion VOI per lesion, no organ VOIs');
    assert.ok(v.every((x) => x.kind === 'lesion'));
    // True MATV = volume of the lesions whose FDG SUV ≥ 2.5.
    const expected = lesions
      .map((l) => l.scans.find((x) => x.scanId === s.scanId)!)
      .filter((x) => x.suvPeakTrue >= 2.5)
      .reduce((a, x) => a + x.volumeMl, 0);
    const p = t.truth.patients.find((x) => x.patientId === s.patientId)!;
    assert.ok(Math.abs(p.matvTrueMl! - expected) < 1e-3, `${p.patientId} MATV`);
  }
  // Without the FDG rows and lesion entries the trial is the same draw.
  const cd8 = (x: ReturnType<typeof simulateTrial>): string =>
    JSON.stringify({
      p: x.patients,
      e: x.events,
      s: x.scans.filter((s) => s.tracer !== 'FDG'),
      o: x.truth.patients.map((q) => ({ ...q, matvTrueMl: null })),
      l: x.truth.lesions.map((l) => ({ ...l, scans: l.scans.filter((q) => q.timepoint !== 'pre-ld') })),
    });
  assert.equal(cd8(t), cd8(plain));
});

test('simulateTrial: bad options are refused', () => {
  assert.throws(() => simulateTrial({ patients: 2 }), /patients/);
  assert.throws(() => simulateTrial({ voxelMm: 0.5 }), /voxelMm/);
  assert.throws(() => simulateTrial({ seed: 1.5 }), /seed/);
});

test('simulateTrial calibration (issue 15 item 6): pooled over 10 seeds × 23 patients, near the paper (docs/references/trial.md §11)', () => {
  const trials = Array.from({ length: 10 }, (_, k) =>
    simulateTrial({ seed: 100 + k, patients: 23, fdg: true }),
  );
  const med = (v: number[]): number => {
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const perPatient: number[] = [];
  const followUp: number[] = [];
  let patients = 0;
  let icans = 0;
  let steroids = 0;
  let bulkyMatv = 0;
  for (const t of trials) {
    for (const p of t.patients)
      perPatient.push(t.truth.lesions.filter((l) => l.patientId === p.patientId).length);
    for (const p of t.truth.patients) {
      followUp.push(p.os.days / 30.4375);
      if ((p.matvTrueMl ?? 0) >= 480) bulkyMatv++;
    }
    patients += t.patients.length;
    icans += t.toxicity.filter((x) => x.icansGrade >= 2).length;
    steroids += t.toxicity.filter((x) => x.steroids).length;
    // CAR transgene qPCR on days 0, +7 and +28 only (the paper, Methods; docs/references/trial.md §1).
    const carDays = new Set(t.labs.filter((l) => l.analyte === 'car_copies_per_cell').map((l) => l.day));
    assert.deepEqual(
      [...carDays].sort((a, b) => a - b),
      [0, 7, 28],
    );
  }
  const m = med(perPatient);
  assert.ok(m >= 9 && m <= 13, `median lesions per patient ${m} (trial 11)`);
  assert.ok(Math.max(...perPatient) <= 30);
  const mean = perPatient.reduce((a, b) => a + b, 0) / patients;
  assert.ok(mean > 8.5 && mean < 12.5, `mean lesions per patient ${mean} (trial 251 / 23 = 10.9)`);
  const fu = med(followUp);
  assert.ok(fu > 6.5 && fu < 11, `median follow-up ${fu} months (trial 8.8)`);
  assert.ok(Math.max(...followUp) <= 31, `longest follow-up ${Math.max(...followUp)} months (trial 30.0)`);
  const icansPct = icans / patients;
  assert.ok(icansPct > 0.28 && icansPct < 0.52, `ICANS ≥ 2 ${icansPct} (target ~0.40)`);
  const sterPct = steroids / patients;
  assert.ok(sterPct > 0.55 && sterPct < 0.78, `steroids ${sterPct} (trial 14/21 = 0.67)`);
  const bulkyPct = bulkyMatv / patients;
  assert.ok(
    bulkyPct > 0.05 && bulkyPct < 0.35,
    `MATV ≥ 480 mL in ${bulkyPct} of patients (part of the cohort)`,
  );
});

test('simulateTrial: no progression or death before the last CD8 scan (evaluable patients), over 40 seeds', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const t = simulateTrial({ seed, patients: 23 });
    for (const p of t.patients) {
      const mine = t.events.filter((e) => e.patientId === p.patientId);
      const lastScan = Math.max(...t.scans.filter((s) => s.patientId === p.patientId).map((s) => s.day ?? 0));
      for (const e of mine.filter((x) => x.event === 'progression' || x.event === 'death'))
        assert.ok(
          e.day > lastScan,
          `seed ${seed} ${p.patientId}: ${e.event} on day ${e.day}, last scan day ${lastScan}`,
        );
      const death = mine.find((e) => e.event === 'death');
      if (death) assert.equal(mine.at(-1), death, `seed ${seed} ${p.patientId}: nothing after death`);
    }
  }
});
