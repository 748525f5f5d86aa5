// The trial report's sections of issue 15 (response, follow-up, CAR T expansion, cytokines vs uptake,
// SUVpeak vs SUVmax, anatomical stations) on the small test study (study-builder.ts): each runs and
// equals its engine on the same inputs (Lugano best response from src/clinical, Clopper–Pearson,
// reverse KM, trapezoid AUC with the edge rules of the R golden, Spearman, clustered Pearson, the
// station mapping), and each goes 'not-run' with a reason when its data are missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { responseSection, followUpSection } from '../../src/analysis/response.js';
import {
  carTExpansion,
  cytokinesUptake,
  patientExpansion,
  DIPLOID_GENOME_PG,
} from '../../src/analysis/car-t-expansion.js';
import {
  anatomicalStations,
  stationOfLabel,
  STATION_TABLE,
  suvPeakVsSuvMax,
} from '../../src/analysis/lesion-sites.js';
import { DAYS_PER_MONTH, deriveOutcomes } from '../../src/analysis/outcomes.js';
import { preCartUptake } from '../../src/analysis/outcomes-uptake.js';
import { tumourData } from '../../src/analysis/lesions.js';
import { clopperPearson } from '../../src/stats/binomial.js';
import { clusteredPearson, spearman, type CorrelationResult } from '../../src/stats/correlation.js';
import { medianFollowUp } from '../../src/stats/survival/index.js';
import type { PatientEvent, StudyData } from '../../src/study/model.js';
import { assertClose } from '../helpers/assert-close.js';
import { buildStudy } from './study-builder.js';

const study = buildStudy({ patients: 12 });
const nonEbv = new Set(study.patients.filter((p) => !/EBV/.test(p.histology)).map((p) => p.patientId));

const event = (
  patientId: string,
  e: PatientEvent['event'],
  day: number,
  extra: Partial<PatientEvent> = {},
): PatientEvent => ({
  patientId,
  event: e,
  day,
  date: null,
  bridgingType: null,
  activityMbq: null,
  scanId: null,
  lugano: null,
  deathCause: null,
  ...extra,
});

test('response: best response per patient from src/clinical, ORR and CR rate with Clopper–Pearson CIs', () => {
  // A patient with a PR and a later progression gets a CR between the two (best: CR); a patient with a
  // progression gets a CR after it (does not count).
  const prog = new Map(
    study.events.filter((e) => e.event === 'progression').map((e) => [e.patientId, e.day]),
  );
  const pr = study.events.find(
    (e) => e.lugano === 'PR' && nonEbv.has(e.patientId) && (prog.get(e.patientId) ?? Infinity) > e.day + 1,
  )!;
  const prIds = new Set(study.events.filter((e) => e.lugano === 'PR').map((e) => e.patientId));
  const other = [...prog.keys()].find((id) => id !== pr.patientId && nonEbv.has(id) && prIds.has(id))!;
  const events = [
    ...study.events,
    event(pr.patientId, 'response', pr.day + 1, { lugano: 'CR' }),
    event(other, 'response', prog.get(other)! + 1, { lugano: 'CR' }),
  ];
  const s: StudyData = { ...study, events };
  const sec = responseSection(s);
  assert.equal(sec.status, 'ok', sec.reason);
  const expected = deriveOutcomes(s).filter((o) => nonEbv.has(o.patientId));
  const patients = sec.results['patients'] as { patientId: string; bestResponse: string | null }[];
  assert.deepEqual(
    patients,
    expected.map((o) => ({ patientId: o.patientId, bestResponse: o.bestResponse })),
  );
  assert.equal(patients.find((p) => p.patientId === pr.patientId)!.bestResponse, 'CR');
  assert.notEqual(patients.find((p) => p.patientId === other)!.bestResponse, 'CR');
  const n = expected.filter((o) => o.bestResponse !== null).length;
  const cr = expected.filter((o) => o.bestResponse === 'CR').length;
  const orr = expected.filter((o) => o.bestResponse === 'CR' || o.bestResponse === 'PR').length;
  assert.deepEqual(sec.results['orr'], clopperPearson(orr, n));
  assert.deepEqual(sec.results['completeResponseRate'], clopperPearson(cr, n));
  assert.ok(!patients.some((p) => p.patientId === 'P01'), 'the EBV+ patient is left out');
  assert.deepEqual(
    sec.tables.map((t) => t.id),
    ['response-rates', 'response-per-patient'],
  );
  assert.equal(sec.figures.length, 1);
});

test('response: not run without a response assessment after infusion', () => {
  const sec = responseSection({ ...study, events: study.events.filter((e) => e.event !== 'response') });
  assert.equal(sec.status, 'not-run');
  assert.match(sec.reason!, /no evaluable patient/);
});

test('follow-up: reverse KM on the OS times in months, observed median and range, vein-to-vein', () => {
  const events = [...study.events];
  study.patients.forEach((p, i) => events.push(event(p.patientId, 'apheresis', -25 - i)));
  const sec = followUpSection({ ...study, events });
  assert.equal(sec.status, 'ok', sec.reason);
  const o = deriveOutcomes(study).filter((x) => nonEbv.has(x.patientId));
  const months = o.map((x) => x.os.days / DAYS_PER_MONTH);
  const fu = medianFollowUp(
    months,
    o.map((x) => (x.os.event ? 1 : 0)),
  );
  const r = sec.results['reverseKaplanMeier'] as { median: number; lower: number; upper: number };
  assert.equal(r.median, fu.median);
  assert.equal(r.lower, fu.lower);
  assert.ok(Object.is(r.upper, fu.upper));
  const obs = sec.results['observed'] as { median: number; min: number; max: number };
  const sorted = [...months].sort((a, b) => a - b);
  assert.equal(sorted.length, 11);
  assert.equal(obs.median, sorted[5]);
  assert.equal(obs.min, sorted[0]);
  assert.equal(obs.max, sorted[sorted.length - 1]);
  const v2v = sec.results['veinToVeinDays'] as { min: number; max: number; n: number };
  assert.deepEqual([v2v.n, v2v.min, v2v.max], [11, 26, 36]);
  assert.equal(sec.warnings, undefined);
});

test('follow-up: without apheresis the vein-to-vein time is missing and a warning says so', () => {
  const sec = followUpSection(study);
  assert.equal(sec.status, 'ok');
  assert.equal(sec.results['veinToVeinDays'], null);
  assert.ok(sec.warnings!.some((w) => /vein-to-vein/.test(w)));
});

interface ExpansionGolden {
  day: number[];
  value: number[];
  peak: number;
  peakDay: number;
  auc: number | null;
}
const golden = JSON.parse(
  readFileSync(new URL('../stats/fixtures/trial-report.json', import.meta.url), 'utf8'),
) as { expansion: ExpansionGolden[] };

test('patientExpansion: peak and AUC(0–28) with the edge rules equal the R golden', () => {
  assert.equal(golden.expansion.length, 3);
  for (const g of golden.expansion) {
    const e = patientExpansion(
      'P',
      g.day.map((d, i) => ({ day: d, value: g.value[i]! })),
    );
    assert.equal(e.peak, g.peak);
    assert.equal(e.peakDay, g.peakDay);
    if (g.auc === null) {
      assert.equal(e.auc, null);
      assert.match(e.aucMissing!, /last sample on day 14, before day 28/);
    } else assertClose(e.auc!, g.auc, 1e-13, 'auc');
  }
  const first = patientExpansion('P', [{ day: 7, value: 1 }]);
  assert.equal(first.dayZeroAssumed, true);
  assert.deepEqual(first.days, [0, 7]);
});

test('patientExpansion: two samples on one day or a negative value are refused, naming patient and day', () => {
  assert.throws(
    () =>
      patientExpansion('P07', [
        { day: 7, value: 1 },
        { day: 7, value: 2 },
      ]),
    /P07, day 7: two CAR samples on one day/,
  );
  assert.throws(() => patientExpansion('P07', [{ day: 14, value: -1 }]), /P07, day 14: CAR copies -1/);
});

test('car-t-expansion: copies/µg DNA from copies per cell, Spearman of peak and AUC with pre-CART uptake', () => {
  const sec = carTExpansion(study);
  assert.equal(sec.status, 'ok', sec.reason);
  assert.equal(sec.results['convertedFromCopiesPerCell'], true);
  const uptake = new Map(preCartUptake(study).patients.map((u) => [u.patientId, u.geometricMeanSuvPeak]));
  const f = 1e6 / DIPLOID_GENOME_PG;
  const peaks = [...uptake.keys()].map((id) =>
    Math.max(
      ...study.labs
        .filter((l) => l.patientId === id && l.analyte === 'car_copies_per_cell')
        .map((l) => l.value * f),
    ),
  );
  const expected = spearman(peaks, [...uptake.values()]);
  assert.deepEqual(sec.results['peakVsUptake'], expected);
  assert.ok((sec.results['aucVsUptake'] as CorrelationResult).n === uptake.size);
  // A bundle with copies/µg DNA is used as it is.
  const direct = carTExpansion({
    ...study,
    labs: study.labs.map((l) =>
      l.analyte === 'car_copies_per_cell' ? { ...l, analyte: 'car_copies_per_ug_dna' } : l,
    ),
  });
  assert.equal(direct.results['convertedFromCopiesPerCell'], false);
  const p = (direct.results['patients'] as { peak: number }[])[0]!;
  assertClose(p.peak * f, (sec.results['patients'] as { peak: number }[])[0]!.peak, 1e-12, 'scaled');
});

test('car-t-expansion and cytokines-uptake: not run without their lab values', () => {
  const none = { ...study, labs: study.labs.filter((l) => l.analyte === 'cd8_copies_per_cell') };
  const car = carTExpansion(none);
  assert.equal(car.status, 'not-run');
  assert.match(car.reason!, /car_copies_per_ug_dna or car_copies_per_cell/);
  const cyt = cytokinesUptake(none);
  assert.equal(cyt.status, 'not-run');
  assert.match(cyt.reason!, /no cytokine lab values/);
});

test('cytokines-uptake: one row per analyte and day, Spearman with pre-CART uptake', () => {
  const sec = cytokinesUptake(study);
  assert.equal(sec.status, 'ok', sec.reason);
  const rows = sec.results['byAnalyteDay'] as { analyte: string; day: number; n: number; rho: number }[];
  assert.deepEqual(
    rows.map((r) => `${r.analyte}@${r.day}`),
    ['ifng_pg_ml@0', 'ifng_pg_ml@7', 'ifng_pg_ml@28', 'il6_pg_ml@0', 'il6_pg_ml@7', 'il6_pg_ml@28'],
  );
  const uptake = new Map(preCartUptake(study).patients.map((u) => [u.patientId, u.geometricMeanSuvPeak]));
  const il6 = study.labs.filter((l) => l.analyte === 'il6_pg_ml' && l.day === 7 && uptake.has(l.patientId));
  const r = spearman(
    il6.map((l) => l.value),
    il6.map((l) => uptake.get(l.patientId)!),
  );
  assert.equal(rows[4]!.rho, r.r);
  assert.equal(rows[4]!.n, il6.length);
});

test('suvpeak-suvmax: clustered Pearson over every pre-CART lesion (EBV+ included)', () => {
  const sec = suvPeakVsSuvMax(study);
  assert.equal(sec.status, 'ok', sec.reason);
  const pre = tumourData(study).rows.filter((r) => r.timepoint === 'pre');
  assert.ok(pre.some((r) => r.ebvPositive));
  assert.deepEqual(
    sec.results['clustered'],
    clusteredPearson(
      pre.map((r) => r.suvMax),
      pre.map((r) => r.suvPeak),
      pre.map((r) => r.patientId),
    ),
  );
  const two = suvPeakVsSuvMax({ ...study, patients: study.patients.slice(0, 2) });
  assert.equal(two.status, 'not-run');
  assert.match(two.reason!, /only 2 patient/);
});

test('stationOfLabel: whole-word terms, longest first, lesion code ignored; null when nothing matches', () => {
  assert.equal(stationOfLabel('L03 axillary')?.station, 'axillary');
  assert.equal(stationOfLabel('L1 Para-aortic')?.station, 'para-aortic');
  assert.equal(stationOfLabel('L2 para-iliac node')?.station, 'iliac');
  assert.equal(stationOfLabel('L4 soft tissue')?.station, 'soft tissue');
  assert.equal(stationOfLabel('L5 Brain')?.region, 'brain');
  assert.equal(stationOfLabel('L6 ribbon'), null, 'rib only as a whole word');
  assert.equal(stationOfLabel('L7'), null);
  const terms = STATION_TABLE.flatMap((s) => s.terms);
  assert.equal(new Set(terms).size, terms.length, 'each term names one station');
});

test('anatomical-stations: counts per station, nodal and all-station models; unmapped labels warned', () => {
  const vois = study.vois.map((v, i) =>
    v.kind === 'lesion' && v.lesionId === 'L2' && v.patientId === 'P03'
      ? { ...v, label: `L2 nowhere ${i}` }
      : v,
  );
  const sec = anatomicalStations({ ...study, vois });
  assert.equal(sec.status, 'ok', sec.reason);
  const results = sec.results as { counts: { station: string; lesions: number }[]; unmapped: unknown[] };
  const counts = results.counts;
  const pre = tumourData(study).rows.filter((r) => r.timepoint === 'pre' && nonEbv.has(r.patientId));
  assert.equal(
    counts.reduce((a, c) => a + c.lesions, 0),
    pre.length - 1,
  );
  assert.deepEqual(
    counts.map((c) => c.station).sort(),
    ['axillary', 'bone', 'cervical', 'iliac', 'liver', 'mediastinal', 'spleen'].filter((s) =>
      counts.some((c) => c.station === s),
    ),
  );
  assert.ok(sec.warnings!.some((w) => /1 lesion\(s\) whose label names no station/.test(w)));
  assert.ok(sec.tables.some((t) => t.id === 'anatomical-stations-nodal'));
  assert.ok(sec.tables.some((t) => t.id === 'anatomical-stations-all'));
  assert.equal(results.unmapped.length, 1);
});

test('anatomical-stations: not run when no label names a station', () => {
  const vois = study.vois.map((v) => (v.kind === 'lesion' ? { ...v, label: 'lesion' } : v));
  const sec = anatomicalStations({ ...study, vois });
  assert.equal(sec.status, 'not-run');
  assert.match(sec.reason!, /no pre-CART lesion label names a station/);
});
