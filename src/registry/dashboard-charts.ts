/**
 * Vega-Lite specifications of the programme dashboard's figures, rendered to SVG on the server by the
 * report's renderer (src/report/figures.ts `vegaLiteToSvg`; GET /api/dashboard/figures/{name}.svg).
 * Each spec carries a `description` (the chart's accessible name) and its data inline.
 */
import type { KmResult } from '../stats/survival/km.js';

/** A Vega-Lite spec (the subset of keys used here; the compiler validates the rest). */
export type VlSpec = Record<string, unknown>;

const WIDTH = 420;

/** Step points of a Kaplan–Meier curve: (0, 1) then one point per distinct time. */
export function kmSteps(km: KmResult): { day: number; survival: number; lower: number; upper: number }[] {
  const out = [{ day: 0, survival: 1, lower: 1, upper: 1 }];
  for (const r of km.table)
    out.push({
      day: r.time,
      survival: r.surv,
      lower: Number.isFinite(r.lower) ? r.lower : 0,
      upper: Number.isFinite(r.upper) ? r.upper : 1,
    });
  return out;
}

/** Kaplan–Meier curves by product (step lines with a 95% band). */
export function kmSpec(title: string, curves: { product: string; km: KmResult }[]): VlSpec {
  const values = curves.flatMap((c) => kmSteps(c.km).map((p) => ({ ...p, product: c.product })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `${title}: Kaplan–Meier curves by product`,
    width: WIDTH,
    height: 240,
    data: { values },
    encoding: {
      x: { field: 'day', type: 'quantitative', title: 'Days after infusion' },
      color: { field: 'product', type: 'nominal', title: 'Product' },
    },
    layer: [
      {
        mark: { type: 'area', interpolate: 'step-after', opacity: 0.15 },
        encoding: { y: { field: 'lower', type: 'quantitative' }, y2: { field: 'upper' } },
      },
      {
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          y: {
            field: 'survival',
            type: 'quantitative',
            title: `${title} probability`,
            scale: { domain: [0, 1] },
          },
        },
      },
    ],
  };
}

/** Histogram of vein-to-vein times (days). */
export function veinToVeinSpec(daysList: number[]): VlSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `Vein-to-vein time of ${daysList.length} infused patients (days, histogram)`,
    width: WIDTH,
    height: 200,
    data: { values: daysList.map((d) => ({ days: d })) },
    mark: 'bar',
    encoding: {
      x: {
        field: 'days',
        type: 'quantitative',
        bin: { maxbins: 20 },
        title: 'Vein-to-vein time (days)',
        axis: { format: 'd' },
      },
      y: { aggregate: 'count', type: 'quantitative', title: 'Patients' },
    },
  };
}

const GRADES = ['not observed', 'grade 0', 'grade 1', 'grade 2', 'grade 3', 'grade 4', 'grade 5'];
const GRADE_COLOURS = ['#bdbdbd', '#fee8c8', '#fdbb84', '#fc8d59', '#e34a33', '#b30000', '#4d0000'];

/** Maximum CRS and ICANS grade per infused patient, as percentages. */
export function gradeSpec(maxCrs: Record<string, number>, maxIcans: Record<string, number>): VlSpec {
  const rows = (tox: string, counts: Record<string, number>) => {
    const n = Object.values(counts).reduce((a, b) => a + b, 0);
    return Object.entries(counts).map(([grade, count]) => ({
      toxicity: tox,
      grade: grade === 'not-observed' ? GRADES[0] : `grade ${grade}`,
      percent: n ? (100 * count) / n : 0,
      count,
    }));
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: 'Maximum CRS and ICANS grade per infused patient (percent of infused patients)',
    width: WIDTH,
    height: 160,
    data: { values: [...rows('CRS', maxCrs), ...rows('ICANS', maxIcans)] },
    mark: 'bar',
    encoding: {
      y: { field: 'toxicity', type: 'nominal', title: null },
      x: { field: 'percent', type: 'quantitative', stack: 'normalize', title: 'Share of infused patients' },
      color: {
        field: 'grade',
        type: 'ordinal',
        title: 'Maximum grade',
        scale: { domain: GRADES, range: GRADE_COLOURS },
      },
      order: { field: 'grade', sort: 'ascending' },
      tooltip: [{ field: 'grade' }, { field: 'count' }, { field: 'percent', format: '.1f' }],
    },
  };
}
