/**
 * Report sections on blood measurements against tumour uptake (docs/references/trial.md §10; the
 * paper's secondary endpoints and Supplementary Fig. 11):
 * - `car-t-expansion`: CAR T expansion per patient — peak and area under the curve of CAR transgene
 *   copies/µg DNA over days 0–28 by the trapezoid rule (statistics.md §15) — and its Spearman
 *   correlation (statistics.md §16) with the plan's pre-specified uptake measure, the per-patient
 *   geometric mean of pre-CART volume-corrected lesion SUVpeak (src/analysis/outcomes-uptake.ts `preCartUptake`);
 * - `cytokines-uptake`: cytokine courses (lab analytes `*_pg_ml`) by pre-CART uptake (median split, as
 *   the outcome analyses) with the Spearman correlation of each day's concentration with uptake.
 */
import { trapezoidAuc } from '../stats/auc.js';
import { spearman, type CorrelationResult } from '../stats/correlation.js';
import type { LabValue, StudyData } from '../study/model.js';
import { vegaLiteFigure } from './figures.js';
import { formatPEquals, formatSig, median } from './format.js';
import { notRunSection, type ResultFigure, type SectionBody } from './types.js';
import type { PatientUptake } from './outcomes-uptake.js';
import { preCartUptake } from './outcomes-uptake.js';

/** Lab analyte of CAR copies per µg genomic DNA (used as it is). */
export const CAR_PER_UG_ANALYTE = 'car_copies_per_ug_dna';
/** Lab analyte of CAR copies per cell (qPCR target ÷ GATA2 × 2; docs/references/assays.md §1). */
export const CAR_PER_CELL_ANALYTE = 'car_copies_per_cell';
/**
 * Mass of one diploid human genome, pg: copies/µg DNA = copies per cell × 10⁶ / 6.6 (about 151,500
 * diploid genomes per µg). Source: Dolezel J et al., Cytometry A 2003;51:127 (1 pg DNA ≈ 978 Mbp; a
 * diploid human genome of ~6.4 Gbp weighs ~6.6 pg); docs/references/trial.md §10.
 */
export const DIPLOID_GENOME_PG = 6.6;
/** The expansion window, days from infusion (the paper's blood samples: days 0, +7, +28). */
export const EXPANSION_WINDOW_DAYS: readonly [number, number] = [0, 28];

/** One patient's CAR T expansion over the window. */
export interface PatientExpansion {
  patientId: string;
  /** The course used, days ascending (copies/µg DNA), with the assumed day-0 point when there was none. */
  days: number[];
  copiesPerUgDna: number[];
  /** True when day 0 was not measured and 0 copies were assumed (no CAR T cells before infusion). */
  dayZeroAssumed: boolean;
  peak: number;
  peakDay: number;
  /** AUC over days 0–28 (copies/µg DNA × days); null when the last sample is before day 28. */
  auc: number | null;
  /** Why there is no AUC (null when there is one). */
  aucMissing: string | null;
}

/** The CAR lab values in copies/µg DNA, and which analyte they came from. */
function carValues(study: StudyData): { values: LabValue[]; analyte: string; converted: boolean } | null {
  const direct = study.labs.filter((l) => l.analyte === CAR_PER_UG_ANALYTE);
  if (direct.length > 0) return { values: direct, analyte: CAR_PER_UG_ANALYTE, converted: false };
  const perCell = study.labs.filter((l) => l.analyte === CAR_PER_CELL_ANALYTE);
  if (perCell.length === 0) return null;
  const f = 1e6 / DIPLOID_GENOME_PG;
  return {
    values: perCell.map((l) => ({ ...l, value: l.value * f })),
    analyte: CAR_PER_CELL_ANALYTE,
    converted: true,
  };
}

/**
 * Peak and trapezoid AUC of one patient's CAR course (copies/µg DNA) over days 0–28. Rules (the R
 * golden applies the same): samples before day 0 or after day 28 are not used; when day 0 was not
 * measured, 0 copies at day 0 are assumed (blood before the infusion carries no CAR transgene);
 * nothing is interpolated or extrapolated, so a patient whose last sample is before day 28 has a
 * peak but no AUC (`aucMissing` says why).
 * @param samples the patient's samples {day, value}, value ≥ 0
 * @throws Error naming the patient and day for two samples on one day or a negative/non-finite value
 */
export function patientExpansion(
  patientId: string,
  samples: readonly { day: number; value: number }[],
): PatientExpansion {
  const [from, to] = EXPANSION_WINDOW_DAYS;
  const inWindow = samples.filter((s) => s.day >= from && s.day <= to).sort((a, b) => a.day - b.day);
  for (let i = 0; i < inWindow.length; i++) {
    const s = inWindow[i]!;
    if (!(Number.isFinite(s.value) && s.value >= 0))
      throw new Error(`${patientId}, day ${s.day}: CAR copies ${s.value} is not a number ≥ 0`);
    if (i > 0 && inWindow[i - 1]!.day === s.day)
      throw new Error(`${patientId}, day ${s.day}: two CAR samples on one day`);
  }
  const dayZeroAssumed = inWindow[0]?.day !== from;
  const course = dayZeroAssumed ? [{ day: from, value: 0 }, ...inWindow] : inWindow;
  const days = course.map((s) => s.day);
  const values = course.map((s) => s.value);
  let k = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[k]!) k = i;
  const last = days[days.length - 1]!;
  return {
    patientId,
    days,
    copiesPerUgDna: values,
    dayZeroAssumed,
    peak: values[k]!,
    peakDay: days[k]!,
    auc: last === to ? trapezoidAuc(days, values) : null,
    aucMissing: last === to ? null : `last sample on day ${last}, before day ${to}`,
  };
}

type SpearmanResult = ReturnType<typeof spearman>;

function corrRow(measure: string, r: SpearmanResult | null, n: number) {
  return {
    measure,
    n,
    rho: r?.r ?? null,
    s: r?.statistic ?? null,
    p: r?.p ?? null,
    p_method: r?.pMethod ?? null,
  };
}

function trySpearman(x: number[], y: number[]): SpearmanResult | null {
  try {
    return x.length >= 3 ? spearman(x, y) : null;
  } catch {
    return null;
  }
}

/** Scatter on log–log axes (illustration of a rank correlation). */
function logScatter(
  id: string,
  title: string,
  pts: { x: number; y: number }[],
  x: string,
  y: string,
): ResultFigure {
  return vegaLiteFigure(id, title, 'Spearman correlation; axes logarithmic.', {
    width: 380,
    height: 260,
    data: { values: pts.filter((p) => p.x > 0 && p.y > 0) },
    mark: { type: 'point', filled: true, size: 40, opacity: 0.7 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: x, scale: { type: 'log' } },
      y: { field: 'y', type: 'quantitative', title: y, scale: { type: 'log' } },
    },
  });
}

/** Results of the CAR T expansion section. */
export interface CarTExpansionResults {
  /** The lab analyte used (copies/µg DNA, or copies per cell converted). */
  analyte: string;
  convertedFromCopiesPerCell: boolean;
  /** pg DNA per diploid cell used for the conversion; null when none was needed. */
  diploidGenomePg: number | null;
  windowDays: readonly [number, number];
  uptakeMetric: 'corrected' | 'measured';
  patients: (PatientExpansion & { geometricMeanSuvPeak: number | null })[];
  peakVsUptake: CorrelationResult | null;
  aucVsUptake: CorrelationResult | null;
  medianPeak: number;
  medianAuc: number;
}

/**
 * CAR T expansion (peak, AUC days 0–28) per patient and its Spearman correlation with pre-CART
 * uptake. Not run without CAR lab values, or without patients who have both a course and uptake.
 */
export function carTExpansion(study: StudyData): SectionBody<CarTExpansionResults> {
  const base = {
    description:
      'Per patient, the CAR transgene course in blood (copies/µg genomic DNA; copies per cell × 10⁶/6.6 when the ' +
      `bundle gives copies per cell) over days ${EXPANSION_WINDOW_DAYS[0]}–${EXPANSION_WINDOW_DAYS[1]}: the peak, its day, and the area under the ` +
      'curve by the trapezoid rule on the samples (no interpolation or extrapolation). Day 0 without a sample ' +
      'counts as 0 copies (no CAR T cells before infusion); a patient whose last sample is before day 28 has no ' +
      'AUC. Secondary endpoint; related to the per-patient geometric mean of pre-CART volume-corrected ' +
      'lesion SUVpeak by Spearman rank correlation (R cor.test: AS 89 exact / Edgeworth p without ties, t approximation with ties).',
    formula: 'cor.test(peak, geomean_suvpeak, method = "spearman"); AUC = trapz(day, copies)',
  };
  const car = carValues(study);
  if (car === null)
    return notRunSection(base, `no lab values of analyte ${CAR_PER_UG_ANALYTE} or ${CAR_PER_CELL_ANALYTE}`);
  const byPatient = new Map<string, { day: number; value: number }[]>();
  for (const l of car.values) byPatient.set(l.patientId, [...(byPatient.get(l.patientId) ?? []), l]);
  const expansions: PatientExpansion[] = [];
  for (const p of study.patients) {
    const s = byPatient.get(p.patientId);
    if (!s) continue;
    const e = patientExpansion(p.patientId, s);
    if (e.days.length > 1 || !e.dayZeroAssumed) expansions.push(e);
  }
  if (expansions.length === 0) return notRunSection(base, 'no patient with a CAR sample within days 0–28');
  const pre = preCartUptake(study);
  const uptake = new Map(pre.patients.map((u) => [u.patientId, u.geometricMeanSuvPeak]));
  const withUptake = expansions.filter((e) => uptake.has(e.patientId));
  const withAuc = withUptake.filter((e) => e.auc !== null);
  const peakCorr = trySpearman(
    withUptake.map((e) => e.peak),
    withUptake.map((e) => uptake.get(e.patientId)!),
  );
  const aucCorr = trySpearman(
    withAuc.map((e) => e.auc!),
    withAuc.map((e) => uptake.get(e.patientId)!),
  );
  const warnings = [...pre.warnings];
  if (car.converted)
    warnings.push(
      `copies/µg DNA derived from ${CAR_PER_CELL_ANALYTE} with ${DIPLOID_GENOME_PG} pg DNA per diploid cell`,
    );
  const noAuc = expansions.filter((e) => e.auc === null);
  if (noAuc.length > 0)
    warnings.push(`no AUC for ${noAuc.map((e) => `${e.patientId} (${e.aucMissing})`).join(', ')}`);
  if (peakCorr === null)
    warnings.push(`peak vs uptake: fewer than 3 patients or no variation (n = ${withUptake.length})`);
  if (aucCorr === null)
    warnings.push(`AUC vs uptake: fewer than 3 patients or no variation (n = ${withAuc.length})`);
  const corrFinding = (what: string, r: CorrelationResult | null, n: number) =>
    r
      ? `${what} vs pre-CART uptake: Spearman ρ = ${formatSig(r.r)}, ${formatPEquals(r.p)}, n = ${n}.`
      : `${what} vs pre-CART uptake: not computed (n = ${n}).`;
  return {
    ...base,
    status: 'ok',
    n: { patients: expansions.length, observations: car.values.length },
    results: {
      analyte: car.analyte,
      convertedFromCopiesPerCell: car.converted,
      diploidGenomePg: car.converted ? DIPLOID_GENOME_PG : null,
      windowDays: EXPANSION_WINDOW_DAYS,
      uptakeMetric: pre.metric,
      patients: expansions.map((e) => ({ ...e, geometricMeanSuvPeak: uptake.get(e.patientId) ?? null })),
      peakVsUptake: peakCorr,
      aucVsUptake: aucCorr,
      medianPeak: median(expansions.map((e) => e.peak)),
      medianAuc: medianAuc(expansions),
    },
    findings: [
      `CAR T expansion in ${expansions.length} patients: median peak ${formatSig(median(expansions.map((e) => e.peak)))} copies/µg DNA; ` +
        `median AUC(0–28) ${formatSig(medianAuc(expansions))} copies/µg DNA × days (${expansions.length - noAuc.length} with a day-28 sample).`,
      corrFinding('Peak', peakCorr, withUptake.length),
      corrFinding('AUC(0–28)', aucCorr, withAuc.length),
    ],
    tables: [
      {
        id: 'car-t-expansion-per-patient',
        title: 'CAR T expansion per patient (copies/µg DNA; AUC in copies/µg DNA × days)',
        columns: [
          'patient',
          'samples',
          'day0_assumed',
          'peak',
          'peak_day',
          'auc_0_28',
          'auc_missing',
          'geomean_suvpeak',
        ],
        rows: expansions.map((e) => ({
          patient: e.patientId,
          samples: e.days.length - (e.dayZeroAssumed ? 1 : 0),
          day0_assumed: e.dayZeroAssumed,
          peak: e.peak,
          peak_day: e.peakDay,
          auc_0_28: e.auc,
          auc_missing: e.aucMissing,
          geomean_suvpeak: uptake.get(e.patientId) ?? null,
        })),
      },
      {
        id: 'car-t-expansion-uptake',
        title: 'Spearman correlation of CAR T expansion with pre-CART uptake',
        columns: ['measure', 'n', 'rho', 's', 'p', 'p_method'],
        rows: [
          corrRow('peak', peakCorr, withUptake.length),
          corrRow('AUC days 0–28', aucCorr, withAuc.length),
        ],
      },
    ],
    figures: [
      vegaLiteFigure(
        'car-t-expansion-courses',
        'CAR transgene in blood, days 0–28',
        'Day-0 points at 0 copies (assumed) are not drawn on the log axis.',
        {
          width: 420,
          height: 280,
          data: {
            values: expansions.flatMap((e) =>
              e.days
                .map((d, i) => ({ patient: e.patientId, day: d, copies: e.copiesPerUgDna[i]! }))
                .filter((r) => r.copies > 0),
            ),
          },
          mark: { type: 'line', point: true, opacity: 0.7 },
          encoding: {
            x: { field: 'day', type: 'quantitative', title: 'Day relative to CAR T infusion' },
            y: { field: 'copies', type: 'quantitative', title: 'CAR copies/µg DNA', scale: { type: 'log' } },
            detail: { field: 'patient', type: 'nominal' },
          },
        },
      ),
      logScatter(
        'car-t-expansion-uptake',
        'Peak CAR T expansion vs pre-CART tumour uptake',
        withUptake.map((e) => ({ x: uptake.get(e.patientId)!, y: e.peak })),
        'Geometric mean SUVpeak (pre-CART)',
        'Peak CAR copies/µg DNA',
      ),
    ],
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

function medianAuc(expansions: PatientExpansion[]): number {
  const a = expansions.filter((e) => e.auc !== null).map((e) => e.auc!);
  return a.length > 0 ? median(a) : NaN;
}

/** One analyte and day of the cytokine-uptake section. */
export type CytokineUptakeRow = {
  analyte: string;
  day: number;
  n: number;
  /** Median concentration (pg/mL) in the high and low uptake groups; null when the group has none. */
  median_high: number | null;
  median_low: number | null;
  /** Spearman ρ, its S statistic, p and p method; null when not computed. */
  rho: number | null;
  s: number | null;
  p: number | null;
  p_method: 'exact' | 'edgeworth' | 't-approximation' | null;
};

/** Results of the cytokine-uptake section. */
export interface CytokinesUptakeResults {
  uptakeMetric: 'corrected' | 'measured';
  medianGeometricMeanSuvPeak: number;
  analytes: string[];
  byAnalyteDay: CytokineUptakeRow[];
  patients: (PatientUptake & { group: 'high' | 'low' })[];
}

/**
 * Cytokine courses (every lab analyte ending in `_pg_ml`) against pre-CART uptake: per analyte and day,
 * the median concentration in the high and low uptake groups (median split of the per-patient geometric
 * mean SUVpeak, high = above the median) and the Spearman correlation of concentration with uptake.
 * Not run without cytokine values or without patients who have both.
 */
export function cytokinesUptake(study: StudyData): SectionBody<CytokinesUptakeResults> {
  const base = {
    description:
      'Serum cytokines (pg/mL; lab analytes *_pg_ml) at each sampling day against the per-patient geometric mean ' +
      'of pre-CART volume-corrected lesion SUVpeak: medians in the high and low uptake groups (split at the median, ' +
      'high = above) and the Spearman rank correlation of the concentration with uptake per analyte and day ' +
      '(R cor.test: AS 89 exact / Edgeworth p without ties, t approximation with ties). Descriptive (Supplementary Fig. 11); no multiplicity correction.',
    formula: 'cor.test(concentration[analyte, day], geomean_suvpeak, method = "spearman")',
  };
  const cyto = study.labs.filter((l) => l.analyte.endsWith('_pg_ml'));
  if (cyto.length === 0) return notRunSection(base, 'no cytokine lab values (analytes ending in _pg_ml)');
  const pre = preCartUptake(study);
  const uptake = new Map(pre.patients.map((u) => [u.patientId, u.geometricMeanSuvPeak]));
  const used = cyto.filter((l) => uptake.has(l.patientId));
  if (used.length === 0 || uptake.size < 2)
    return notRunSection(
      base,
      `no patient with both cytokine values and pre-CART lesions (${uptake.size} with lesions)`,
    );
  const med = median([...uptake.values()]);
  const group = (id: string): 'high' | 'low' => (uptake.get(id)! > med ? 'high' : 'low');
  const keys = [...new Set(used.map((l) => `${l.analyte}\u0000${l.day}`))]
    .map((k) => k.split('\u0000') as [string, string])
    .sort((a, b) => a[0].localeCompare(b[0]) || Number(a[1]) - Number(b[1]));
  const rows = keys.map(([analyte, dayText]): CytokineUptakeRow => {
    const day = Number(dayText);
    const obs = used.filter((l) => l.analyte === analyte && l.day === day);
    const hi = obs.filter((l) => group(l.patientId) === 'high').map((l) => l.value);
    const lo = obs.filter((l) => group(l.patientId) === 'low').map((l) => l.value);
    const r = trySpearman(
      obs.map((l) => l.value),
      obs.map((l) => uptake.get(l.patientId)!),
    );
    return {
      analyte,
      day,
      n: obs.length,
      median_high: hi.length > 0 ? median(hi) : null,
      median_low: lo.length > 0 ? median(lo) : null,
      rho: r?.r ?? null,
      s: r?.statistic ?? null,
      p: r?.p ?? null,
      p_method: r?.pMethod ?? null,
    };
  });
  const analytes = [...new Set(keys.map((k) => k[0]))];
  return {
    ...base,
    status: 'ok',
    n: { patients: new Set(used.map((l) => l.patientId)).size, observations: used.length },
    results: {
      uptakeMetric: pre.metric,
      medianGeometricMeanSuvPeak: med,
      analytes,
      byAnalyteDay: rows,
      patients: pre.patients.map((u) => ({ ...u, group: group(u.patientId) })),
    },
    findings: rows
      .filter((r) => r.rho !== null)
      .map(
        (r) =>
          `${r.analyte} day ${r.day}: Spearman ρ = ${formatSig(r.rho)}, ${formatPEquals(r.p)} (n = ${r.n}).`,
      ),
    tables: [
      {
        id: 'cytokines-uptake',
        title:
          'Cytokines by day: medians by pre-CART uptake group (pg/mL) and Spearman correlation with uptake',
        columns: ['analyte', 'day', 'n', 'median_high', 'median_low', 'rho', 's', 'p', 'p_method'],
        rows,
      },
    ],
    figures: [
      vegaLiteFigure(
        'cytokines-uptake-courses',
        'Cytokine courses by pre-CART tumour uptake',
        `Uptake groups split at the median geometric mean SUVpeak ${formatSig(med)}; log axis.`,
        {
          data: {
            values: used
              .filter((l) => l.value > 0)
              .map((l) => ({
                analyte: l.analyte,
                patient: l.patientId,
                day: l.day,
                value: l.value,
                uptake: group(l.patientId),
              })),
          },
          facet: { field: 'analyte', type: 'nominal', title: null },
          columns: 2,
          spec: {
            width: 260,
            height: 200,
            mark: { type: 'line', point: true, opacity: 0.6 },
            encoding: {
              x: { field: 'day', type: 'quantitative', title: 'Day relative to CAR T infusion' },
              y: { field: 'value', type: 'quantitative', title: 'pg/mL', scale: { type: 'log' } },
              color: { field: 'uptake', type: 'nominal', title: 'Pre-CART uptake' },
              detail: { field: 'patient', type: 'nominal' },
            },
          },
        },
      ),
    ],
    ...(pre.warnings.length > 0 ? { warnings: pre.warnings } : {}),
  };
}
