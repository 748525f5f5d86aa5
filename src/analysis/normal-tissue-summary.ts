/**
 * Normal-tissue uptake per organ and timepoint (docs/references/trial.md §5, Fig. 2): descriptive SUVmean
 * (g/mL) summaries of the organ VOIs — n, mean, SD (n − 1), median, min, max — per organ × timepoint.
 * The mixed-model time-course analysis builds on these data (analysis plan).
 */
import type { StudyData } from '../study/model.js';
import { median } from './format.js';
import type { ResultTable, SectionBody } from './types.js';

/** Timepoints in clinical order: 'pre' first, then post-CART days ascending ('d2' < 'd5' < 'd7'). */
export function timepointOrder(a: string, b: string): number {
  const key = (t: string): number => {
    if (t === 'pre') return -1e9;
    const m = /^d\+?(-?\d+(\.\d+)?)$/.exec(t);
    return m ? Number(m[1]) : 1e9;
  };
  const d = key(a) - key(b);
  return d !== 0 ? d : a.localeCompare(b);
}

/** One organ and timepoint: SUVmean (g/mL) summary over the scans. */
export interface NormalTissueSummaryRow {
  organ: string;
  timepoint: string;
  n: number;
  mean: number;
  sd: number;
  median: number;
  min: number;
  max: number;
}

function summarise(organ: string, timepoint: string, values: number[]): NormalTissueSummaryRow {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  return {
    organ,
    timepoint,
    n,
    mean,
    sd,
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/** Results of the normal-tissue summary: one row per organ and timepoint. */
export interface NormalTissueSummaryResults {
  summaries: NormalTissueSummaryRow[];
}

/** Descriptive normal-tissue SUVmean per organ × timepoint. */
export function normalTissueSummary(study: StudyData): SectionBody<NormalTissueSummaryResults> {
  const organs = study.vois.filter((v) => v.kind === 'organ');
  const base = {
    description:
      'SUVmean (g/mL) of each organ VOI, summarised per organ and timepoint: n scans, mean, SD (n − 1), ' +
      'median and range. Untransformed, as the analysis plan analyses normal tissue.',
  };
  if (organs.length === 0) {
    return {
      ...base,
      status: 'not-run',
      reason: 'the study has no organ VOIs',
      results: {},
      tables: [],
      figures: [],
    };
  }
  const names = [...new Set(organs.map((v) => v.label))].sort();
  const tps = [...new Set(organs.map((v) => v.timepoint))].sort(timepointOrder);
  const rows: NormalTissueSummaryRow[] = [];
  for (const o of names) {
    for (const t of tps) {
      const vals = organs.filter((v) => v.label === o && v.timepoint === t).map((v) => v.suvMean);
      if (vals.length > 0) rows.push(summarise(o, t, vals));
    }
  }
  const table: ResultTable = {
    id: 'normal-tissue-summary',
    title: 'Normal-tissue SUVmean (g/mL) per organ and timepoint',
    columns: ['organ', 'timepoint', 'n', 'mean', 'sd', 'median', 'min', 'max'],
    rows: rows.map((r) => ({ ...r })),
  };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: organs.map((v) => ({ organ: v.label, timepoint: v.timepoint, suvMean: v.suvMean })) },
    facet: { field: 'organ', type: 'nominal', title: null },
    columns: 4,
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 140,
      height: 120,
      layer: [
        {
          mark: { type: 'point', opacity: 0.5 },
          encoding: {
            x: { field: 'timepoint', type: 'ordinal', sort: tps, title: 'Timepoint' },
            y: { field: 'suvMean', type: 'quantitative', title: 'SUVmean (g/mL)' },
          },
        },
        {
          mark: { type: 'line', color: 'black' },
          encoding: {
            x: { field: 'timepoint', type: 'ordinal', sort: tps },
            y: { aggregate: 'mean', field: 'suvMean', type: 'quantitative' },
          },
        },
      ],
    },
  };
  return {
    ...base,
    status: 'ok',
    n: {
      scans: new Set(organs.map((v) => v.scanId)).size,
      patients: new Set(organs.map((v) => v.patientId)).size,
    },
    results: { summaries: rows },
    tables: [table],
    figures: [
      {
        id: 'normal-tissue-by-timepoint',
        title: 'Normal-tissue SUVmean by timepoint',
        caption: 'Dots: organ VOIs; line: mean per timepoint.',
        source: { kind: 'vega-lite', spec },
      },
    ],
  };
}
