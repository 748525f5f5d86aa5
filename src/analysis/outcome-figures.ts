/**
 * Vega-Lite figure specifications of the outcome analyses (Kaplan–Meier with numbers at risk, uptake strip plot) (plain JSON; the report renders them to SVG).
 * - Kaplan–Meier step curves with censoring ticks and a numbers-at-risk table beneath.
 * - Per-patient lesion SUVpeak strip plot on a log axis with each patient's geometric mean (docs/references/trial.md §5,
 *   Fig. 3a).
 */
import type { ResultFigure } from './types.js';
import { formatPEquals } from './format.js';

/** The part of a Kaplan–Meier stratum a figure needs. */
export interface KmCurve {
  group: string;
  n: number;
  table: { time: number; nRisk: number; nEvent: number; nCensor: number; surv: number }[];
}

/** Number at risk at time t: subjects with time ≥ t (the first table row at or after t). */
export function numberAtRisk(curve: KmCurve, t: number): number {
  for (const row of curve.table) if (row.time >= t) return row.nRisk;
  return 0;
}

/** Evenly spaced "nice" time ticks from 0 to at least `maxTime`. */
export function riskTableTimes(maxTime: number, count = 6): number[] {
  if (!(maxTime > 0)) return [0];
  const raw = maxTime / (count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 3, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = 0; t <= maxTime + 1e-9; t += step) out.push(Number(t.toFixed(10)));
  return out;
}

/**
 * Kaplan–Meier figure: one step curve per group starting at S(0) = 1, '+' ticks at censoring times,
 * and the numbers at risk under the x axis.
 */
export function kmFigure(id: string, title: string, strata: KmCurve[], pValue: number | null): ResultFigure {
  const curve: Record<string, unknown>[] = [];
  const censor: Record<string, unknown>[] = [];
  let maxTime = 0;
  for (const s of strata) {
    curve.push({ group: s.group, time: 0, surv: 1 });
    let last = 1;
    for (const r of s.table) {
      maxTime = Math.max(maxTime, r.time);
      if (r.nEvent > 0) curve.push({ group: s.group, time: r.time, surv: r.surv });
      last = r.surv;
      if (r.nCensor > 0) censor.push({ group: s.group, time: r.time, surv: r.surv });
    }
    const end = s.table.length > 0 ? s.table[s.table.length - 1]!.time : 0;
    curve.push({ group: s.group, time: end, surv: last });
  }
  const ticks = riskTableTimes(maxTime);
  const risk: Record<string, unknown>[] = [];
  for (const s of strata)
    for (const t of ticks) risk.push({ group: s.group, time: t, n: numberAtRisk(s, t) });
  const x = {
    field: 'time',
    type: 'quantitative',
    title: 'Months from infusion',
    scale: { domain: [0, ticks[ticks.length - 1]] },
  };
  const color = { field: 'group', type: 'nominal', title: 'Group', scale: { scheme: 'category10' } };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: pValue === null ? '' : `log-rank ${formatPEquals(pValue)}` },
    vconcat: [
      {
        width: 420,
        height: 260,
        layer: [
          {
            data: { values: curve },
            mark: { type: 'line', interpolate: 'step-after' },
            encoding: {
              x,
              y: { field: 'surv', type: 'quantitative', title: 'Probability', scale: { domain: [0, 1] } },
              color,
            },
          },
          {
            data: { values: censor },
            mark: { type: 'point', shape: 'cross', size: 40, filled: true },
            encoding: { x, y: { field: 'surv', type: 'quantitative' }, color },
          },
        ],
      },
      {
        width: 420,
        height: 18 * Math.max(1, strata.length),
        title: { text: 'Number at risk', fontSize: 11, anchor: 'start' },
        data: { values: risk },
        mark: { type: 'text', fontSize: 11 },
        encoding: {
          x: { ...x, axis: null },
          y: {
            field: 'group',
            type: 'nominal',
            title: null,
            axis: { labelPadding: 14, ticks: false, domain: false },
          },
          text: { field: 'n', type: 'quantitative' },
          color: { ...color, legend: null },
        },
      },
    ],
  };
  return { id, title, source: { kind: 'vega-lite', spec } };
}

/**
 * Strip plot of pre-CART lesion SUVpeak per patient (log axis), patients ordered by their geometric
 * mean, with the geometric mean as a black tick and the median of geometric means as a dashed rule.
 */
export function stripPlotFigure(
  lesions: { patientId: string; suvPeak: number }[],
  uptake: { patientId: string; geometricMeanSuvPeak: number }[],
  medianGeoMean: number,
  metric: 'corrected' | 'measured',
): ResultFigure {
  const order = [...uptake]
    .sort((a, b) => a.geometricMeanSuvPeak - b.geometricMeanSuvPeak)
    .map((u) => u.patientId);
  const include = new Set(order);
  const points = lesions
    .filter((l) => include.has(l.patientId))
    .map((l) => ({ patient: l.patientId, suvPeak: l.suvPeak }));
  const means = uptake.map((u) => ({ patient: u.patientId, suvPeak: u.geometricMeanSuvPeak }));
  const x = { field: 'patient', type: 'nominal', sort: order, title: 'Patient (ordered by geometric mean)' };
  const y = {
    field: 'suvPeak',
    type: 'quantitative',
    scale: { type: 'log' },
    title: `Pre-CART lesion SUVpeak${metric === 'corrected' ? ', volume-corrected' : ''} (g/mL)`,
  };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: Math.max(300, 22 * order.length),
    height: 260,
    layer: [
      {
        data: { values: points },
        mark: { type: 'point', opacity: 0.7, color: '#3a6ea5' },
        encoding: { x, y },
      },
      { data: { values: means }, mark: { type: 'tick', color: 'black', thickness: 2 }, encoding: { x, y } },
      {
        data: { values: [{ m: medianGeoMean }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#b03030' },
        encoding: { y: { field: 'm', type: 'quantitative' } },
      },
    ],
  };
  return {
    id: 'lesion-suvpeak-strip',
    title: 'Pre-CART lesion SUVpeak per patient',
    caption:
      'Each dot is a lesion; black ticks are per-patient geometric means; the dashed line is their median ' +
      '(the split used for the outcome analyses).',
    source: { kind: 'vega-lite', spec },
  };
}
