/**
 * Vega-Lite figure specifications of the complete analysis plan (plain JSON; the report renders them).
 * - scatter with a fitted line and its 95 % band (PVC curve, Fig. 4c association, MATV vs uptake);
 * - violin plots (kernel density per group) with the geometric mean and its 95 % CI (Fig. 3d–h);
 * - estimated curves over time with 95 % bands and observed points (Fig. 2f–h, Fig. 4a).
 */
import type { ResultFigure } from './types.js';

type Row = Record<string, unknown>;

const WIDTH = 420;
const HEIGHT = 280;

/** Axis scale: linear or logarithmic. */
export type AxisScale = 'linear' | 'log';

/**
 * Scatter of observed points with a fitted curve and its pointwise band.
 *
 * @param points observed {x, y, group?}
 * @param curve fitted {x, estimate, lower, upper}
 */
export function scatterFitFigure(
  id: string,
  title: string,
  points: { x: number; y: number; group?: string }[],
  curve: { x: number; estimate: number; lower: number; upper: number }[],
  axes: { x: string; y: string; xScale?: AxisScale; yScale?: AxisScale },
  caption?: string,
): ResultFigure {
  const xEnc = {
    field: 'x',
    type: 'quantitative',
    title: axes.x,
    scale: { type: axes.xScale ?? 'linear', zero: false },
  };
  const yScale = { type: axes.yScale ?? 'linear', zero: false };
  return vegaLiteFigure(id, title, caption, {
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: curve as unknown as Row[] },
        mark: { type: 'area', opacity: 0.2, color: '#c0392b' },
        encoding: {
          x: xEnc,
          y: { field: 'lower', type: 'quantitative', title: axes.y, scale: yScale },
          y2: { field: 'upper' },
        },
      },
      {
        data: { values: points as unknown as Row[] },
        mark: { type: 'point', filled: true, opacity: 0.6, size: 30 },
        encoding: {
          x: xEnc,
          y: { field: 'y', type: 'quantitative', title: axes.y, scale: yScale },
          ...(points.some((p) => p.group !== undefined)
            ? { color: { field: 'group', type: 'nominal', title: null } }
            : {}),
        },
      },
      {
        data: { values: curve as unknown as Row[] },
        mark: { type: 'line', color: '#c0392b', strokeWidth: 2 },
        encoding: { x: xEnc, y: { field: 'estimate', type: 'quantitative', scale: yScale } },
      },
    ],
  });
}

/** Geometric mean and CI of one group of a violin figure. */
export interface GroupEstimate {
  group: string;
  estimate: number;
  lower: number;
  upper: number;
}

/**
 * Violin plots (Gaussian kernel density of log values per group, mirrored) with the model's
 * geometric mean (white dot) and 95 % CI (black bar) per group, on a log axis.
 *
 * @param values observed {group, value} (value > 0)
 * @param estimates geometric mean and CI per group
 */
export function violinFigure(
  id: string,
  title: string,
  values: { group: string; value: number }[],
  estimates: GroupEstimate[],
  yTitle: string,
  caption?: string,
): ResultFigure {
  const y = { field: 'value', type: 'quantitative', title: yTitle, scale: { type: 'log' } };
  const groups = estimates.map((e) => e.group);
  const rows: Row[] = [
    ...values.map((v) => ({ kind: 'obs', group: v.group, value: v.value, logValue: Math.log(v.value) })),
    ...estimates.map((e) => ({
      kind: 'est',
      group: e.group,
      estimate: e.estimate,
      lower: e.lower,
      upper: e.upper,
    })),
  ];
  const logScale = { type: 'log' };
  return vegaLiteFigure(id, title, caption, {
    data: { values: rows },
    facet: { column: { field: 'group', type: 'nominal', title: null, sort: groups } },
    spec: {
      width: 110,
      height: HEIGHT,
      layer: [
        {
          transform: [
            { filter: "datum.kind === 'obs'" },
            {
              density: 'logValue',
              groupby: ['group'],
              as: ['logValue', 'density'],
              extent: logExtent(values),
            },
            { calculate: 'exp(datum.logValue)', as: 'value' },
          ],
          mark: { type: 'area', orient: 'horizontal', opacity: 0.5 },
          encoding: {
            y,
            x: { field: 'density', type: 'quantitative', stack: 'center', axis: null, title: null },
            color: { field: 'group', type: 'nominal', legend: null },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'est'" }],
          mark: { type: 'rule', color: 'black', strokeWidth: 2 },
          encoding: {
            y: { field: 'lower', type: 'quantitative', scale: logScale },
            y2: { field: 'upper' },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'est'" }],
          mark: { type: 'point', filled: true, color: 'white', stroke: 'black', size: 60 },
          encoding: { y: { field: 'estimate', type: 'quantitative', scale: logScale } },
        },
      ],
    },
    resolve: { scale: { y: 'shared' } },
  });
}

function logExtent(values: { value: number }[]): [number, number] {
  const l = values.map((v) => Math.log(v.value));
  const lo = Math.min(...l);
  const hi = Math.max(...l);
  const pad = (hi - lo) * 0.1 + 0.05;
  return [lo - pad, hi + pad];
}

/**
 * Estimated curves over time (one per series) with 95 % bands and observed points.
 *
 * @param curves {series, day, estimate, lower, upper}
 * @param points observed {series, day, value}
 */
export function timeCourseFigure(
  id: string,
  title: string,
  curves: { series: string; day: number; estimate: number; lower: number; upper: number }[],
  points: { series: string; day: number; value: number }[],
  yTitle: string,
  yScale: AxisScale = 'linear',
  caption?: string,
): ResultFigure {
  const x = { field: 'day', type: 'quantitative', title: 'Day relative to CAR T infusion' };
  const ys = { type: yScale, zero: false };
  return vegaLiteFigure(id, title, caption, {
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: curves as unknown as Row[] },
        mark: { type: 'area', opacity: 0.2 },
        encoding: {
          x,
          y: { field: 'lower', type: 'quantitative', title: yTitle, scale: ys },
          y2: { field: 'upper' },
          color: { field: 'series', type: 'nominal', title: null },
        },
      },
      {
        data: { values: curves as unknown as Row[] },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x,
          y: { field: 'estimate', type: 'quantitative', scale: ys },
          color: { field: 'series', type: 'nominal', title: null },
        },
      },
      {
        data: { values: points as unknown as Row[] },
        mark: { type: 'point', opacity: 0.5, size: 20 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', scale: ys },
          color: { field: 'series', type: 'nominal', title: null },
        },
      },
    ],
  });
}

/**
 * Point estimates with 95 % CIs per category (e.g. geometric mean SUVpeak per timepoint), log or
 * linear axis.
 */
export function estimateFigure(
  id: string,
  title: string,
  estimates: { label: string; estimate: number; lower: number; upper: number; series?: string }[],
  yTitle: string,
  yScale: AxisScale = 'linear',
  caption?: string,
): ResultFigure {
  const xs = { field: 'label', type: 'nominal', title: null, sort: estimates.map((e) => e.label) };
  const ys = { type: yScale, zero: false };
  return vegaLiteFigure(id, title, caption, {
    width: WIDTH,
    height: HEIGHT,
    data: { values: estimates as unknown as Row[] },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: {
          x: xs,
          y: { field: 'lower', type: 'quantitative', title: yTitle, scale: ys },
          y2: { field: 'upper' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 70 },
        encoding: { x: xs, y: { field: 'estimate', type: 'quantitative', scale: ys } },
      },
    ],
  });
}

/** A Vega-Lite figure (schema v6) with the section's id, title and optional caption. */
export function vegaLiteFigure(
  id: string,
  title: string,
  caption: string | undefined,
  spec: Record<string, unknown>,
): ResultFigure {
  return {
    id,
    title,
    ...(caption ? { caption } : {}),
    source: {
      kind: 'vega-lite',
      spec: { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', ...spec },
    },
  };
}
