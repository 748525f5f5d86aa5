// Analysis v1 outcomes vs R (fixtures/v1-outcomes.R → v1-outcomes.json): per-patient geometric mean
// of lesion SUVpeak, median split, TTP/PFS/OS derivation (docs/references/clinical.md §6), KM medians with log CIs and
// log-rank χ²/p. Tolerance 1e-8 relative (the bar for KM and log-rank; both sides do the same
// arithmetic in double precision, R prints 15 significant digits).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseCsv } from '../../src/io/csv.js';
import type { PatientEvent, QuantifiedVoi, StudyData } from '../../src/study/model.js';
import { outcomesByUptake } from '../../src/analysis/outcomes-uptake.js';
import { derivePatientOutcome } from '../../src/analysis/outcomes.js';
import { matvSection, patientUptakeOutcomes } from '../../src/analysis/outcomes-hr.js';
import { assertAllClose, assertClose } from '../helpers/assert-close.js';

const TOL = 1e-8;
const fx = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

interface Endpoint {
  groups: string[];
  n: number[];
  events: number[];
  median: (number | null)[];
  medianLower: (number | null)[];
  medianUpper: (number | null)[];
  chisq: number;
  p: number;
  observed: number[];
  expected: number[];
  days: number[];
  event: number[];
}
interface Golden {
  patients: string[];
  geometricMean: number[];
  median: number;
  group: string[];
  ttp: Endpoint;
  pfs: Endpoint;
  os: Endpoint;
}
const golden = JSON.parse(fx('v1-outcomes.json')) as Golden;

function event(
  patientId: string,
  kind: PatientEvent['event'],
  day: number,
  extra: Partial<PatientEvent> = {},
): PatientEvent {
  return {
    patientId,
    event: kind,
    day,
    date: null,
    bridgingType: null,
    activityMbq: null,
    scanId: null,
    lugano: null,
    deathCause: null,
    ...extra,
  };
}

function studyFromFixtures(): StudyData {
  const les = parseCsv(fx('v1-lesions.csv')).rows;
  const ev = parseCsv(fx('v1-events.csv')).rows;
  const events: PatientEvent[] = [];
  for (const r of ev) {
    const id = r['patient_id']!;
    events.push(event(id, 'infusion', 0));
    if (r['progression_day']) events.push(event(id, 'progression', Number(r['progression_day'])));
    if (r['death_day']) {
      events.push(
        event(id, 'death', Number(r['death_day']), { deathCause: r['death_cause'] as 'lymphoma' | 'other' }),
      );
    }
    events.push(event(id, 'last_follow_up', Number(r['last_follow_up_day'])));
  }
  const vois: QuantifiedVoi[] = les.map((r) => {
    const suv = Number(r['suvpeak']);
    return {
      voiId: `${r['patient_id']}:${r['lesion_id']}`,
      scanId: `${r['patient_id']}-pre`,
      kind: 'lesion',
      label: r['lesion_id']!,
      lesionId: r['lesion_id']!,
      site: 'nodal',
      irradiated: false,
      maskPath: '',
      maskLabel: 1,
      roiName: null,
      patientId: r['patient_id']!,
      timepoint: 'pre',
      tracer: 'CD8',
      voxelCount: 10,
      volumeMl: 1,
      suvMin: suv,
      suvMax: suv,
      suvMean: suv,
      suvMedian: suv,
      suvSd: 0,
      suvPeakLocal: suv,
      suvPeakGlobal: suv,
      matvMl: 0,
    };
  });
  return {
    name: 'fixture',
    tracer: { name: 'CD8', nuclide: '89Zr', halfLifeS: 282276 },
    settings: { suvPeak: 'global', excludeEbvPositive: true, matvThresholdSuv: 2.5 },
    patients: ev.map((r) => ({
      patientId: r['patient_id']!,
      cohort: '1',
      age: 60,
      sex: 'M',
      weightKg: null,
      histology: 'DLBCL',
      stage: null,
      cnsInvolvement: null,
      ecog: null,
      previousLines: null,
      primaryRefractory: null,
      priorAsct: null,
      bridging: 'none',
      product: null,
    })),
    events,
    scans: [],
    vois,
    toxicity: [],
    labs: [],
    biopsies: [],
  };
}

test('per-patient geometric means, median and split equal R', () => {
  const s = outcomesByUptake(studyFromFixtures(), { metric: 'measured' });
  assert.equal(s.status, 'ok');
  assertClose(s.results['medianGeometricMeanSuvPeak'], golden.median, TOL, 'median');
  const pts = s.results['patients'] as { patientId: string; geometricMeanSuvPeak: number; group: string }[];
  assert.deepEqual(
    pts.map((p) => p.patientId),
    golden.patients,
  );
  assertAllClose(
    pts.map((p) => p.geometricMeanSuvPeak),
    golden.geometricMean,
    TOL,
    'geometric means',
  );
  assert.deepEqual(
    pts.map((p) => p.group),
    golden.group,
  );
});

for (const ep of ['ttp', 'pfs', 'os'] as const) {
  test(`${ep.toUpperCase()}: derived times and events, KM medians and log-rank equal R`, () => {
    const s = outcomesByUptake(studyFromFixtures(), { metric: 'measured' });
    const pts = s.results['patients'] as unknown as Record<string, number | boolean>[];
    const g = golden[ep];
    assert.deepEqual(
      pts.map((p) => p[`${ep}Days`]),
      g.days,
    );
    assert.deepEqual(
      pts.map((p) => (p[`${ep}Event`] ? 1 : 0)),
      g.event,
    );
    const r = s.results[ep] as {
      km: {
        group: string;
        n: number;
        events: number;
        median: number;
        medianLower: number;
        medianUpper: number;
      }[];
      logRank: { chisq: number; p: number; observed: number[]; expected: number[]; groups: string[] };
    };
    assert.deepEqual(
      r.km.map((k) => k.group),
      g.groups,
    );
    r.km.forEach((k, i) => {
      assert.equal(k.n, g.n[i]);
      assert.equal(k.events, g.events[i]);
      for (const key of ['median', 'medianLower', 'medianUpper'] as const) {
        const want = g[key][i];
        if (want === null || want === undefined)
          assert.ok(!Number.isFinite(k[key]), `${key}[${i}] should be NA`);
        else assertClose(k[key], want, TOL, `${key}[${i}]`);
      }
    });
    assertClose(r.logRank.chisq, g.chisq, TOL, 'chisq');
    assertClose(r.logRank.p, g.p, TOL, 'p');
    assertAllClose(r.logRank.observed, g.observed, TOL, 'observed');
    assertAllClose(r.logRank.expected, g.expected, TOL, 'expected');
  });
}

test('outcome rules: TTP censors deaths from other causes; events after follow-up are ignored', () => {
  const e = [
    event('A', 'infusion', 0),
    event('A', 'death', 120, { deathCause: 'other' }),
    event('A', 'progression', 200),
    event('A', 'last_follow_up', 100),
  ];
  const o = derivePatientOutcome('A', e);
  assert.deepEqual(o.ttp, { days: 120, event: false });
  assert.deepEqual(o.pfs, { days: 120, event: true });
  assert.deepEqual(o.os, { days: 120, event: true });
  const b = derivePatientOutcome('B', [
    event('B', 'infusion', 0),
    event('B', 'response', 28, { lugano: 'PR' }),
    event('B', 'response', 90, { lugano: 'CR' }),
    event('B', 'last_follow_up', 300),
  ]);
  assert.deepEqual(b.ttp, { days: 300, event: false });
  assert.equal(b.bestResponse, 'CR');
});

test('not run, with a reason, when fewer than two patients have pre-CART lesions', () => {
  const st = studyFromFixtures();
  const one = { ...st, vois: st.vois.filter((v) => v.patientId === 'P01') };
  const s = outcomesByUptake(one);
  assert.equal(s.status, 'not-run');
  assert.match(s.reason ?? '', /only 1 patient/);
});

test('by default the volume-corrected SUVpeak is used, the same per-patient values as the hazard-ratio section', () => {
  const st = studyFromFixtures();
  // Lesion volumes spread over 0.5–20 mL so that the 4-knot spline can be fitted.
  st.vois.forEach((v, i) => {
    v.volumeMl = 0.5 + ((i * 7) % 39) / 2;
  });
  const s = outcomesByUptake(st);
  assert.equal(s.status, 'ok');
  assert.equal(s.results['metric'], 'corrected');
  const hr = patientUptakeOutcomes(st);
  assert.ok(typeof hr !== 'string', typeof hr === 'string' ? hr : '');
  const mine = new Map(
    (s.results['patients'] as { patientId: string; geometricMeanSuvPeak: number }[]).map((p) => [
      p.patientId,
      p.geometricMeanSuvPeak,
    ]),
  );
  for (const r of hr.rows) assertClose(mine.get(r.patientId)!, r.geometricMeanSuvPeak, 1e-12, r.patientId);
  assertClose(s.results['medianGeometricMeanSuvPeak'], hr.median, 1e-12, 'median');
});

test('when the correction cannot be fitted the measured SUVpeak is used, and a warning says so', () => {
  const s = outcomesByUptake(studyFromFixtures());
  assert.equal(s.results['metric'], 'measured');
  assert.ok((s.warnings ?? []).some((w) => /partial-volume correction could not be fitted/.test(w)));
});

// MATV ≥ 480 mL vs TTP (matvSection) vs R: fixtures/matv.R → matv.json (survfit, survdiff and the
// independent R Firth implementation). KM and log-rank to 1e-8 as above; Firth estimate 1e-6 and its
// profile CI 1e-5 (the R reference maximises numerically, Richardson-extrapolated derivatives).
interface MatvGolden {
  patients: string[];
  group: string[];
  km: {
    groups: string[];
    n: number[];
    events: number[];
    median: (number | null)[];
    medianLower: (number | null)[];
  };
  logrank: { chisq: number; p: number };
  firth: { coef: number; hr: number; lower: number; upper: number; p: number };
}

test('MATV ≥ 480 mL vs TTP: groups, KM, log-rank and Firth HR equal R', () => {
  const g = JSON.parse(fx('matv.json')) as MatvGolden;
  const st = studyFromFixtures();
  st.vois.forEach((v, i) => {
    v.volumeMl = 0.5 + ((i * 7) % 39) / 2;
  });
  // One FDG PET per patient on day −6 with one lesion VOI carrying the patient's MATV.
  for (const r of parseCsv(fx('v1-matv.csv')).rows) {
    const pid = r['patient_id']!;
    st.scans.push({
      scanId: `${pid}-fdg`,
      patientId: pid,
      tracer: 'FDG',
      timepoint: 'pre-ld',
      day: -6,
      path: '',
      format: 'nifti-suv',
    });
    const base = st.vois.find((v) => v.patientId === pid)!;
    st.vois.push({
      ...base,
      voiId: `${pid}-fdg:L1`,
      scanId: `${pid}-fdg`,
      tracer: 'FDG',
      timepoint: 'pre-ld',
      matvMl: Number(r['matv_ml']),
    });
  }
  const s = matvSection(st);
  assert.equal(s.status, 'ok', s.reason);
  const pts = s.results['patients'] as { patientId: string; group: string }[];
  const groupOf = new Map(pts.map((p) => [p.patientId, p.group]));
  assert.deepEqual(
    g.patients.map((p) => groupOf.get(p)),
    g.group,
  );
  const ttp = s.results['ttp'] as {
    km: { group: string; n: number; events: number; median: number; medianLower: number }[];
    logRank: { chisq: number; p: number };
    firthHr: { logHr: number; hr: number; lower: number; upper: number; p: number };
  };
  assert.deepEqual(
    ttp.km.map((k) => k.group),
    g.km.groups,
  );
  ttp.km.forEach((k, i) => {
    assert.equal(k.n, g.km.n[i]);
    assert.equal(k.events, g.km.events[i]);
    assertClose(k.median, g.km.median[i]!, TOL, `median[${i}]`);
    assertClose(k.medianLower, g.km.medianLower[i]!, TOL, `medianLower[${i}]`);
  });
  assertClose(ttp.logRank.chisq, g.logrank.chisq, TOL, 'chisq');
  assertClose(ttp.logRank.p, g.logrank.p, TOL, 'p');
  assertClose(ttp.firthHr.logHr, g.firth.coef, 1e-6, 'Firth log HR');
  assertClose(ttp.firthHr.lower, g.firth.lower, 1e-5, 'Firth lower');
  assertClose(ttp.firthHr.upper, g.firth.upper, 1e-5, 'Firth upper');
  assertClose(ttp.firthHr.p, g.firth.p, 1e-5, 'Firth p');
});
