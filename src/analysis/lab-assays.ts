/**
 * Report sections of the raw lab assays processed at import (docs/study-bundle.md): cytokine standard curves and
 * back-calculated concentrations, ⁵¹Cr-release cytotoxicity, and flow cytometry gate counts. The per patient-day
 * values themselves are lab values, summarised in the "Laboratory measurements" section; these sections show the
 * quality behind them (curve fits, limits of quantification, flags, QC, compensation). No I/O.
 */
import { notRunSection, type ResultFigure, type SectionBody } from './types.js';
import type { StudyData } from '../study/model.js';
import { formatSig } from './format.js';

const notRun = notRunSection;

/** The lab assays processed at import (src/study/model.ts `StudyData.labAssays`). */
type LabAssays = NonNullable<StudyData['labAssays']>;

/** Results of the cytokine section: standard curves and sample results. */
export interface CytokineResults {
  curves: LabAssays['cytokineCurves'];
  samples: LabAssays['cytokineSamples'];
}

/** Results of the cytotoxicity section: plate QC and % specific lysis per sample. */
export interface CytotoxicityResults {
  plates: LabAssays['lysisPlates'];
  samples: LabAssays['lysisSamples'];
}

/** Results of the flow cytometry section: files read and gate counts. */
export interface FlowResults {
  samples: LabAssays['flowSamples'];
  gates: LabAssays['flowGates'];
}

const patientsOf = (rows: { patientId: string }[]): number => new Set(rows.map((r) => r.patientId)).size;

/** Cytokines: per plate and analyte the log-logistic standard curve and its LLOQ/ULOQ; per sample the result. */
export function cytokineSection(study: StudyData): SectionBody<CytokineResults> {
  const base = {
    description:
      'Per plate and analyte, a log-logistic standard curve of signal on concentration (drc parameterisation ' +
      'c + (d − c)/(1 + (x/e)^b)^f, least squares with several starts), limits of quantification from the ' +
      'standards whose back-calculated recovery is 80–120 % with CV ≤ 20 % (FDA 2018). Sample replicate signals ' +
      'are averaged, back-calculated and multiplied by the dilution; results below the LLOQ or above the ULOQ are ' +
      'flagged and substituted as study.json analysis.cytokineBelowLloq says (default LLOQ/2; above: ULOQ).',
  };
  const a = study.labAssays;
  if (!a || a.cytokineSamples.length === 0)
    return notRun(base, 'the study has no cytokine plates (cytokines.csv)');
  const below = a.cytokineSamples.filter((s) => s.flag === '<LLOQ').length;
  const above = a.cytokineSamples.filter((s) => s.flag === '>ULOQ').length;
  const warnings: string[] = [];
  if (below > 0)
    warnings.push(`${below} sample(s) below the LLOQ: substituted or omitted (see flag column).`);
  if (above > 0)
    warnings.push(`${above} sample(s) above the ULOQ: stored as ULOQ × dilution (a lower bound).`);
  return {
    ...base,
    status: 'ok',
    n: { patients: patientsOf(a.cytokineSamples), observations: a.cytokineSamples.length },
    results: { curves: a.cytokineCurves, samples: a.cytokineSamples },
    findings: [
      `${a.cytokineCurves.length} standard curve(s) on ${new Set(a.cytokineCurves.map((c) => c.plate)).size} plate(s); ` +
        `${a.cytokineSamples.length} sample result(s), ${below} below LLOQ, ${above} above ULOQ.`,
    ],
    ...(warnings.length > 0 ? { warnings } : {}),
    tables: [
      {
        id: 'cytokine-curves',
        title: 'Standard curves',
        columns: [
          'plate',
          'analyte',
          'model',
          'parameters',
          'rse',
          'n_standards',
          'lloq_pg_ml',
          'uloq_pg_ml',
        ],
        rows: a.cytokineCurves.map((c) => ({
          plate: c.plate,
          analyte: c.analyte,
          model: c.model,
          parameters: c.parameterNames.map((p, i) => `${p}=${formatSig(c.estimates[i])}`).join(' '),
          rse: c.residualStandardError,
          n_standards: c.nStandards,
          lloq_pg_ml: c.lloqPgMl,
          uloq_pg_ml: c.uloqPgMl,
        })),
      },
      {
        id: 'cytokine-samples',
        title: 'Samples (replicate means, back-calculated)',
        columns: [
          'patient',
          'day',
          'plate',
          'analyte',
          'n_wells',
          'mean_signal',
          'cv_percent',
          'dilution',
          'concentration_pg_ml',
          'se_pg_ml',
          'flag',
        ],
        rows: a.cytokineSamples.map((s) => ({
          patient: s.patientId,
          day: s.day,
          plate: s.plate,
          analyte: s.analyte,
          n_wells: s.nWells,
          mean_signal: s.meanSignal,
          cv_percent: s.cvPercent,
          dilution: s.dilution,
          concentration_pg_ml: s.concentrationPgMl,
          se_pg_ml: s.sePgMl,
          flag: s.flag,
        })),
      },
    ],
    figures: [recoveryFigure(a.cytokineCurves)],
  };
}

/** QC figure: back-calculated recovery of every standard level, per plate and analyte, with the 80–120 % band. */
function recoveryFigure(curves: NonNullable<StudyData['labAssays']>['cytokineCurves']): ResultFigure {
  const values = curves.flatMap((c) =>
    c.recoveries
      .filter((r) => r.recoveryPercent !== null)
      .map((r) => ({
        curve: `${c.analyte} · ${c.plate}`,
        concentration: r.concentrationPgMl,
        recovery: r.recoveryPercent,
        used:
          r.concentrationPgMl >= c.lloqPgMl && r.concentrationPgMl <= c.uloqPgMl ? 'within LOQ' : 'outside',
      })),
  );
  const ys = values.map((v) => v.recovery!);
  const yDomain = [Math.min(60, ...ys.map((y) => y - 5)), Math.max(140, ...ys.map((y) => y + 5))];
  return {
    id: 'cytokine-recovery',
    title: 'Standard recovery (back-calculated ÷ nominal)',
    caption:
      'Each standard level of each plate and analyte; the grey band is 80–120 %, the acceptance range that sets ' +
      'the limits of quantification (with CV ≤ 20 %).',
    source: {
      kind: 'vega-lite',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        width: 420,
        height: 240,
        layer: [
          {
            data: { values: [{ lo: 80, hi: 120 }] },
            mark: { type: 'rect', color: '#dddddd', opacity: 0.6 },
            encoding: {
              y: { field: 'lo', type: 'quantitative', scale: { domain: yDomain } },
              y2: { field: 'hi' },
            },
          },
          {
            data: { values },
            mark: { type: 'line', point: true, strokeWidth: 1 },
            encoding: {
              x: {
                field: 'concentration',
                type: 'quantitative',
                scale: { type: 'log', nice: false, padding: 8 },
                title: 'nominal concentration (pg/mL)',
              },
              y: {
                field: 'recovery',
                type: 'quantitative',
                title: 'recovery (%)',
                scale: { domain: yDomain },
              },
              color: { field: 'curve', type: 'nominal', title: 'analyte · plate' },
              shape: { field: 'used', type: 'nominal', title: 'standard' },
            },
          },
        ],
      },
    },
  };
}

/** ⁵¹Cr-release cytotoxicity: plate QC and % specific lysis per patient, day, target and E:T ratio. */
export function cytotoxicitySection(study: StudyData): SectionBody<CytotoxicityResults> {
  const base = {
    description:
      '% specific lysis = 100 × (experimental − mean spontaneous) / (mean maximum − mean spontaneous) per well, ' +
      'averaged over replicate wells per patient, day, target and effector:target ratio. A plate whose ' +
      'spontaneous release exceeds 30 % of maximum fails QC (values kept, flagged).',
  };
  const a = study.labAssays;
  if (!a || a.lysisSamples.length === 0)
    return notRun(base, 'the study has no cytotoxicity wells (cytotoxicity.csv)');
  const failed = a.lysisPlates.filter((p) => !p.qcPassed);
  const figure: ResultFigure = {
    id: 'cytotoxicity-curves',
    title: '% specific lysis by effector:target ratio',
    caption: 'One line per patient and day; mean of replicate wells.',
    source: {
      kind: 'vega-lite',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        width: 420,
        height: 260,
        data: {
          values: a.lysisSamples.map((s) => ({
            series: `${s.patientId} d${s.day} ${s.target}`,
            et: s.effectorToTarget,
            lysis: s.meanPercent,
          })),
        },
        mark: { type: 'line', point: true, strokeWidth: 1 },
        encoding: {
          x: {
            field: 'et',
            type: 'quantitative',
            scale: { type: 'log', nice: false, padding: 12 },
            axis: {
              values: [...new Set(a.lysisSamples.map((s) => s.effectorToTarget))].sort((p, q) => p - q),
            },
            title: 'effector : target ratio',
          },
          y: { field: 'lysis', type: 'quantitative', title: '% specific lysis' },
          detail: { field: 'series', type: 'nominal' },
          color: { value: '#4c78a8' },
          opacity: { value: 0.6 },
        },
      },
    },
  };
  return {
    ...base,
    status: 'ok',
    n: { patients: patientsOf(a.lysisSamples), observations: a.lysisSamples.length },
    results: { plates: a.lysisPlates, samples: a.lysisSamples },
    findings: [
      `${a.lysisPlates.length} plate-target(s), ${failed.length} failing spontaneous-release QC; ` +
        `${a.lysisSamples.length} patient-day × E:T result(s).`,
    ],
    ...(failed.length > 0
      ? {
          warnings: failed.map(
            (p) =>
              `plate ${p.plate}, ${p.target}: spontaneous release ${formatSig(p.spontaneousPercentOfMaximum)} % of maximum (> 30 %)`,
          ),
        }
      : {}),
    tables: [
      {
        id: 'cytotoxicity-plates',
        title: 'Plate controls',
        columns: ['plate', 'target', 'spontaneous_cpm', 'maximum_cpm', 'spontaneous_percent', 'qc_passed'],
        rows: a.lysisPlates.map((p) => ({
          plate: p.plate,
          target: p.target,
          spontaneous_cpm: p.spontaneousMeanCpm,
          maximum_cpm: p.maximumMeanCpm,
          spontaneous_percent: p.spontaneousPercentOfMaximum,
          qc_passed: p.qcPassed,
        })),
      },
      {
        id: 'cytotoxicity-samples',
        title: '% specific lysis',
        columns: [
          'patient',
          'day',
          'target',
          'et_ratio',
          'n_wells',
          'mean_percent',
          'sd_percent',
          'qc_passed',
        ],
        rows: a.lysisSamples.map((s) => ({
          patient: s.patientId,
          day: s.day,
          target: s.target,
          et_ratio: s.effectorToTarget,
          n_wells: s.nWells,
          mean_percent: s.meanPercent,
          sd_percent: s.sdPercent,
          qc_passed: s.qcPassed,
        })),
      },
    ],
    figures: [figure],
  };
}

/** Flow cytometry: files read, compensation, and every gate's count and % of parent. */
export function flowSection(study: StudyData): SectionBody<FlowResults> {
  const base = {
    description:
      'Each FCS file is compensated with its own spillover matrix (when it has one and study.json flow.compensate ' +
      'is true) and gated with its Gating-ML 2.0 or FlowJo 10 gates; counts and % of parent per gate below. ' +
      'Phenotypes per patient and day (memory subsets by CD45RA/CCR7/CD45RO, senescence markers CD28lo, CD27lo, ' +
      'CD57+, KLRG1+, CD4/CD8 ratio, median fluorescence intensities) are lab values flow_…, in the laboratory ' +
      'section.',
  };
  const a = study.labAssays;
  if (!a || a.flowSamples.length === 0)
    return notRun(base, 'the study has no flow cytometry files (flow.csv)');
  const uncompensated = a.flowSamples.filter((s) => !s.compensated).length;
  return {
    ...base,
    status: 'ok',
    n: { patients: patientsOf(a.flowSamples), observations: a.flowSamples.length },
    results: { samples: a.flowSamples, gates: a.flowGates },
    findings: [
      `${a.flowSamples.length} FCS file(s), ${a.flowSamples.reduce((s, f) => s + f.eventCount, 0)} events; ` +
        `${a.flowSamples.length - uncompensated} compensated, ${uncompensated} not.`,
    ],
    tables: [
      {
        id: 'flow-samples',
        title: 'Files',
        columns: ['patient', 'day', 'file', 'events', 'compensated'],
        rows: a.flowSamples.map((s) => ({
          patient: s.patientId,
          day: s.day,
          file: s.file,
          events: s.eventCount,
          compensated: s.compensated,
        })),
      },
      {
        id: 'flow-gates',
        title: 'Gate counts',
        columns: ['patient', 'day', 'gate', 'path', 'count', 'parent_count', 'percent_of_parent'],
        rows: a.flowGates.map((g) => ({
          patient: g.patientId,
          day: g.day,
          gate: g.gateId,
          path: g.path,
          count: g.count,
          parent_count: g.parentCount,
          percent_of_parent: Number.isFinite(g.percentOfParent) ? g.percentOfParent : null,
        })),
      },
    ],
    figures: memorySubsetFigure(study),
  };
}

const SUBSETS: [string, string][] = [
  ['naive', 'naive'],
  ['naive_like', 'naive-like (RA+CCR7+)'],
  ['scm', 'stem-cell memory'],
  ['cm', 'central memory'],
  ['em', 'effector memory'],
  ['te', 'terminal effector'],
];

/** Mean memory-subset composition per phenotyped population and day (lab values flow_<label>_<subset>_pct). */
function memorySubsetFigure(study: StudyData): ResultFigure[] {
  const re = /^flow_([a-z0-9_]+?)_(naive_like|naive|scm|cm|em|te)_pct$/;
  const sums = new Map<string, { population: string; day: number; subset: string; sum: number; n: number }>();
  for (const l of study.labs) {
    const m = re.exec(l.analyte);
    if (!m) continue;
    const k = `${m[1]}\u0000${l.day}\u0000${m[2]}`;
    const e = sums.get(k) ?? { population: m[1]!, day: l.day, subset: m[2]!, sum: 0, n: 0 };
    e.sum += l.value;
    e.n++;
    sums.set(k, e);
  }
  if (sums.size === 0) return [];
  const order = new Map(SUBSETS.map(([k], i) => [k, i]));
  const values = [...sums.values()].map((e) => ({
    population: e.population,
    day: `day ${e.day}`,
    dayNum: e.day,
    subset: SUBSETS.find(([k]) => k === e.subset)![1],
    order: order.get(e.subset)!,
    percent: e.sum / e.n,
    patients: e.n,
  }));
  return [
    {
      id: 'flow-memory-subsets',
      title: 'Memory subsets by population and day',
      caption:
        'Mean % of the population over patients (n per bar in the tooltip data); subsets by CD45RA/CCR7/CD45RO.',
      source: {
        kind: 'vega-lite',
        spec: {
          $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
          data: { values },
          facet: { column: { field: 'population', type: 'nominal', title: null } },
          spec: {
            width: 200,
            height: 220,
            mark: 'bar',
            encoding: {
              x: {
                field: 'day',
                type: 'ordinal',
                sort: { field: 'dayNum' },
                title: null,
                axis: { labelAngle: 0 },
              },
              y: { field: 'percent', type: 'quantitative', stack: 'zero', title: '% of population' },
              color: {
                field: 'subset',
                type: 'nominal',
                sort: SUBSETS.map(([, t]) => t),
                scale: { scheme: 'tableau10' },
                title: 'subset',
              },
              order: { field: 'order', type: 'quantitative' },
            },
          },
        },
      },
    },
  ];
}
