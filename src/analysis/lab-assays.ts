/**
 * Report sections of the raw lab assays processed at import (docs/study-bundle.md): cytokine standard curves and
 * back-calculated concentrations, ⁵¹Cr-release cytotoxicity, and flow cytometry gate counts. The per patient-day
 * values themselves are lab values, summarised in the "Laboratory measurements" section; these sections show the
 * quality behind them (curve fits, limits of quantification, flags, QC, compensation). No I/O.
 */
import { notRunSection, type AnalysisSection, type ResultFigure } from './types.js';
import type { StudyData } from '../study/model.js';
import { formatSig } from './format.js';

const notRun = notRunSection;

const patientsOf = (rows: { patientId: string }[]): number => new Set(rows.map((r) => r.patientId)).size;

/** Cytokines: per plate and analyte the log-logistic standard curve and its LLOQ/ULOQ; per sample the result. */
export function cytokineSection(study: StudyData): AnalysisSection {
  const base = {
    id: 'cytokines',
    title: 'Cytokines: standard curves and concentrations',
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
    figures: [],
  };
}

/** ⁵¹Cr-release cytotoxicity: plate QC and % specific lysis per patient, day, target and E:T ratio. */
export function cytotoxicitySection(study: StudyData): AnalysisSection {
  const base = {
    id: 'cytotoxicity',
    title: 'Cytotoxicity (⁵¹Cr release)',
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
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
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
export function flowSection(study: StudyData): AnalysisSection {
  const base = {
    id: 'flow',
    title: 'Flow cytometry: gates and phenotypes',
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
    figures: [],
  };
}
