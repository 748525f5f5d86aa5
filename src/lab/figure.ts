/**
 * The figure of one readout in the style of Towers et al. 2024 (Figs. 1–3; GraphPad Prism's look): bars at
 * the group means with ± SD (or ± SEM) error bars, every replicate as a point, and comparison brackets with
 * the stars of the adjusted p-values; over time (strata by day), mean ± SD per condition with the replicates,
 * and the stars of each comparison at its day. A Vega-Lite spec (rendered to SVG by src/report/figures.ts).
 */
import type { ReadoutStatistics } from './statistics.js';

const PALETTE = ['#4d4d4d', '#2e7d32', '#1565c0', '#c62828', '#6a1b9a', '#ef6c00', '#00838f', '#8d6e63'];

/**
 * Vega-Lite spec of a readout's figure.
 * @param title y-axis title (readout and unit)
 * @param levels the compared factor's levels in design order
 * @param errorBars 'sd' or 'sem'
 * @param time the time column when the readout has strata by time only (a line plot over time), else null
 */
export function readoutFigureSpec(
  s: ReadoutStatistics,
  title: string,
  levels: string[],
  errorBars: 'sd' | 'sem',
  time: string | null,
): Record<string, unknown> {
  const grouping = s.posthoc?.grouping ?? s.columns[1]!;
  const present = levels.filter((l) => s.groups.some((g) => g.level === l));
  const err = (g: { sd: number; sem: number }): number => (errorBars === 'sd' ? g.sd : g.sem) || 0;
  if (time !== null) return timeSpec(s, title, present, err, time, grouping);
  // x positions: the levels within each stratum (cell of the other factors), strata side by side
  const key = (level: string, stratum: string | null): string =>
    stratum === null ? level : `${level} | ${stratum}`;
  const strata = [...new Set(s.groups.map((g) => g.stratum))];
  const keys = strata.flatMap((st) =>
    present.filter((l) => s.groups.some((g) => g.level === l && g.stratum === st)).map((l) => key(l, st)),
  );
  const index = new Map(keys.map((k, i) => [k, i]));
  const groups = s.groups.map((g) => {
    const i = index.get(key(g.level, g.stratum))!;
    return {
      x: i,
      x0: i - 0.32,
      x1: i + 0.32,
      mean: g.mean,
      lo: g.mean - err(g),
      hi: g.mean + err(g),
      n: g.n,
    };
  });
  const stratumOf = (r: Record<string, string | number>): string | null => {
    const g = s.groups.find(
      (x) =>
        x.level === String(r[grouping]) &&
        x.stratum !== null &&
        x.stratum.split(', ').every((kv) => {
          const [c, v] = kv.split('=');
          return String(r[c!]) === v;
        }),
    );
    return g?.stratum ?? null;
  };
  const counts = new Map<string, number>();
  const points = s.values.map((r) => {
    const k0 = key(String(r[grouping]), strata[0] === null ? null : stratumOf(r));
    const k = counts.get(k0) ?? 0;
    counts.set(k0, k + 1);
    const n = groups.find((g) => g.x === index.get(k0))?.n ?? 1;
    return { x: index.get(k0)! + (n > 1 ? -0.18 + (0.36 * k) / (n - 1) : 0), value: Number(r['value']) };
  });
  const top = Math.max(...groups.map((g) => g.hi), ...points.map((p) => p.value));
  const bottom = Math.min(0, ...groups.map((g) => g.lo), ...points.map((p) => p.value));
  const step = (top - bottom) * 0.09 || 1;
  const comparisons = (s.posthoc?.comparisons ?? []).filter(
    (c) => s.posthoc!.family === 'against control' || c.pAdjusted <= 0.05,
  );
  const brackets = comparisons.map((c, k) => {
    const xa = index.get(key(c.a, c.stratum))!;
    const xb = index.get(key(c.b, c.stratum))!;
    const y = top + step * (k + 1);
    return {
      x0: Math.min(xa, xb),
      x1: Math.max(xa, xb),
      y,
      tick: y - step * 0.3,
      mid: (xa + xb) / 2,
      stars: c.stars,
    };
  });
  const yMax = top + step * (brackets.length + 1.2);
  const x = (field: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    field,
    type: 'quantitative',
    scale: { domain: [-0.6, keys.length - 0.4] },
    ...extra,
  });
  const y = (field: string): Record<string, unknown> => ({
    field,
    type: 'quantitative',
    scale: { domain: [bottom, yMax], nice: false },
  });
  const labelExpr = `${JSON.stringify(keys)}[datum.value] || ''`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: Math.max(180, 60 * keys.length),
    height: 260,
    layer: [
      {
        data: { values: groups },
        mark: { type: 'rect', color: '#d9d9d9', stroke: '#333333', strokeWidth: 1 },
        encoding: {
          x: x('x0', {
            title: grouping,
            axis: {
              values: keys.map((_, i) => i),
              labelExpr,
              labelAngle: keys.length > 3 ? -30 : 0,
              labelOverlap: false,
              labelLimit: 160,
              grid: false,
            },
          }),
          x2: { field: 'x1' },
          y: { ...y('mean'), title },
          y2: { datum: 0 },
        },
      },
      {
        data: { values: groups },
        mark: { type: 'rule', color: '#000000' },
        encoding: { x: x('x'), y: y('lo'), y2: { field: 'hi' } },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, color: '#000000', size: 22, opacity: 0.85 },
        encoding: { x: x('x'), y: y('value') },
      },
      {
        data: { values: brackets },
        mark: { type: 'rule', color: '#000000' },
        encoding: { x: x('x0'), x2: { field: 'x1' }, y: y('y') },
      },
      {
        data: {
          values: brackets.flatMap((b) => [
            { x: b.x0, y: b.y, y0: b.tick },
            { x: b.x1, y: b.y, y0: b.tick },
          ]),
        },
        mark: { type: 'rule', color: '#000000' },
        encoding: { x: x('x'), y: y('y0'), y2: { field: 'y' } },
      },
      {
        data: { values: brackets },
        mark: { type: 'text', baseline: 'bottom', dy: -1, fontSize: 11 },
        encoding: { x: x('mid'), y: y('y'), text: { field: 'stars' } },
      },
    ],
    config: { view: { stroke: null }, axis: { domainColor: '#000000', tickColor: '#000000' } },
  };
}

function timeSpec(
  s: ReadoutStatistics,
  title: string,
  present: string[],
  err: (g: { sd: number; sem: number }) => number,
  time: string,
  grouping: string,
): Record<string, unknown> {
  const tOf = (stratum: string | null): number => Number(/=(-?[0-9.eE+-]+)$/.exec(stratum ?? '')?.[1] ?? NaN);
  const groups = s.groups.map((g) => ({
    t: tOf(g.stratum),
    group: g.level,
    mean: g.mean,
    lo: g.mean - err(g),
    hi: g.mean + err(g),
  }));
  const points = s.values.map((r) => ({
    t: Number(r[time]),
    group: String(r[grouping]),
    value: Number(r['value']),
  }));
  const stars = (s.posthoc?.comparisons ?? []).map((c) => {
    const g = groups.find((x) => x.group === c.a && x.t === tOf(c.stratum));
    return { t: tOf(c.stratum), group: c.a, y: g ? g.hi : 0, stars: c.stars };
  });
  const color = {
    field: 'group',
    type: 'nominal',
    title: grouping,
    scale: { domain: present, range: PALETTE.slice(0, Math.max(present.length, 1)) },
    sort: present,
  };
  const xEnc = { field: 't', type: 'quantitative', title: time, axis: { grid: false } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 360,
    height: 260,
    layer: [
      {
        data: { values: groups },
        mark: { type: 'line', point: true },
        encoding: { x: xEnc, y: { field: 'mean', type: 'quantitative', title }, color },
      },
      {
        data: { values: groups },
        mark: { type: 'rule' },
        encoding: { x: xEnc, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color },
      },
      {
        data: { values: points },
        mark: { type: 'point', size: 14, opacity: 0.6 },
        encoding: { x: xEnc, y: { field: 'value', type: 'quantitative' }, color },
      },
      {
        data: { values: stars },
        mark: { type: 'text', baseline: 'bottom', dy: -3, fontSize: 10 },
        encoding: { x: xEnc, y: { field: 'y', type: 'quantitative' }, text: { field: 'stars' }, color },
      },
    ],
    config: { view: { stroke: null } },
  };
}
