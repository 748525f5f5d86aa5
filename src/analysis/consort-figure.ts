/**
 * The CONSORT flow diagram (the paper's Fig. 1a) as a Vega-Lite specification (plain JSON; the report
 * renders it to SVG with <title> and <desc>): boxes with counts down the main column (assessed,
 * included, infused, evaluable, and the evaluable patients per cohort), arrows between them, and beside
 * each step a box with the patients who left there and why. Coordinates are pixels (scales off).
 */
import type { ConsortFlowResults } from './descriptive.js';
import type { ResultFigure } from './types.js';

const MAIN_X = 20;
const MAIN_W = 260;
const SIDE_X = 330;
const SIDE_W = 320;
const BOX_H = 34;
const LINE_H = 14;
const PAD = 8;
const GAP = 34;
const WIDTH = SIDE_X + SIDE_W + 10;

interface Box {
  x: number;
  x2: number;
  y: number;
  y2: number;
  /** Text lines joined by '\n'. */
  text: string;
  align: 'center' | 'left';
  /** Text anchor x. */
  tx: number;
  fill: string;
}
interface Segment {
  x: number;
  y: number;
  x2: number;
  y2: number;
}
interface Head {
  x: number;
  y: number;
  shape: 'triangle-down' | 'triangle-right';
}

const sideHeight = (lines: number): number => lines * LINE_H + 2 * PAD;

/**
 * The flow diagram of a `consort-flow` result.
 * @param r the section's results (counts per step and drop-out reasons)
 * @param cohorts the cohort labels, in order
 * @returns a figure `consort-flow-diagram` whose caption spells out every box (the SVG's <desc>)
 */
export function consortDiagramFigure(r: ConsortFlowResults, cohorts: readonly string[]): ResultFigure {
  const [assessed, included, infused, , evaluable] = r.flow;
  const reasons = (stages: readonly string[]): string[] =>
    r.dropoutReasons.filter((d) => stages.includes(d.stage)).map((d) => `• ${d.reason} (n = ${d.n})`);
  const steps: { label: string; n: number; side: { head: string; lines: string[] } | null }[] = [
    { label: 'Assessed for eligibility', n: assessed!.all, side: null },
    { label: 'Included', n: included!.all, side: null },
    { label: 'Infused (day 0)', n: infused!.all, side: null },
    { label: 'Evaluable (pre- and post-CART scan)', n: evaluable!.all, side: null },
  ];
  const notIncluded = assessed!.all - included!.all;
  const notInfused = included!.all - infused!.all;
  if (notIncluded > 0)
    steps[0]!.side = { head: `Not included (n = ${notIncluded})`, lines: reasons(['referred']) };
  if (notInfused > 0)
    steps[1]!.side = {
      head: `Included, not infused (n = ${notInfused})`,
      lines: reasons(['accepted', 'apheresed']),
    };
  if (r.infusedNotEvaluable > 0)
    steps[2]!.side = {
      head: `Not evaluable (n = ${r.infusedNotEvaluable})`,
      lines: ['• no pre-CART or no post-CART scan'],
    };

  const boxes: Box[] = [];
  const segments: Segment[] = [];
  const heads: Head[] = [];
  const mid = MAIN_X + MAIN_W / 2;
  const mainBox = (y: number, text: string, x = MAIN_X, w = MAIN_W): Box => ({
    x,
    x2: x + w,
    y,
    y2: y + BOX_H,
    text,
    align: 'center',
    tx: x + w / 2,
    fill: '#eef3fb',
  });
  const arrowDown = (x: number, y: number, y2: number): void => {
    segments.push({ x, y, x2: x, y2: y2 - 4 });
    heads.push({ x, y: y2 - 4, shape: 'triangle-down' });
  };
  let y = 10;
  steps.forEach((s, i) => {
    boxes.push(mainBox(y, `${s.label} (n = ${s.n})`));
    const bottom = y + BOX_H;
    const gap = s.side ? Math.max(GAP, sideHeight(1 + s.side.lines.length) + 16) : GAP;
    if (s.side) {
      const lines = [s.side.head, ...s.side.lines];
      const top = bottom + (gap - sideHeight(lines.length)) / 2;
      boxes.push({
        x: SIDE_X,
        x2: SIDE_X + SIDE_W,
        y: top,
        y2: top + sideHeight(lines.length),
        text: lines.join('\n'),
        align: 'left',
        tx: SIDE_X + PAD,
        fill: '#ffffff',
      });
      const yMid = top + sideHeight(lines.length) / 2;
      segments.push({ x: mid, y: yMid, x2: SIDE_X - 4, y2: yMid });
      heads.push({ x: SIDE_X - 4, y: yMid, shape: 'triangle-right' });
    }
    if (i < steps.length - 1) arrowDown(mid, bottom, bottom + gap);
    y = bottom + gap;
  });
  // The evaluable patients per cohort, side by side under the last step.
  const cohortW = Math.min(
    150,
    (WIDTH - 2 * MAIN_X - 10 * (cohorts.length - 1)) / Math.max(1, cohorts.length),
  );
  const rowW = cohorts.length * cohortW + 10 * (cohorts.length - 1);
  const yCohort = y;
  cohorts.forEach((c, k) => {
    const x = Math.max(MAIN_X, mid - rowW / 2) + k * (cohortW + 10);
    boxes.push(mainBox(yCohort, `Cohort ${c} (n = ${evaluable!.cohorts[c] ?? 0})`, x, cohortW));
    segments.push({ x: mid, y: yCohort - GAP / 2, x2: x + cohortW / 2, y2: yCohort - GAP / 2 });
    arrowDown(x + cohortW / 2, yCohort - GAP / 2, yCohort);
  });
  if (cohorts.length > 0) segments.push({ x: mid, y: yCohort - GAP, x2: mid, y2: yCohort - GAP / 2 });
  // The last main step's own arrow was not drawn (no next step): the connector above replaces it.
  const height = yCohort + BOX_H + 10;

  const caption =
    'CONSORT flow diagram. ' +
    steps
      .map(
        (s) =>
          `${s.label}: ${s.n}` +
          (s.side ? `; ${s.side.head}: ${s.side.lines.map((l) => l.slice(2)).join(', ')}` : ''),
      )
      .join('. ') +
    '. Evaluable per cohort: ' +
    cohorts.map((c) => `cohort ${c} ${evaluable!.cohorts[c] ?? 0}`).join(', ') +
    '.';
  return {
    id: 'consort-flow-diagram',
    title: 'CONSORT flow diagram',
    caption,
    source: { kind: 'vega-lite', spec: diagramSpec(boxes, segments, heads, height, caption) },
  };
}

/** The Vega-Lite layers of the diagram: arrows (rules and triangle heads), boxes, and their text. */
function diagramSpec(
  boxes: readonly Box[],
  segments: readonly Segment[],
  heads: readonly Head[],
  height: number,
  caption: string,
): Record<string, unknown> {
  const px = (field: string): Record<string, unknown> => ({ field, type: 'quantitative', scale: null });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    description: caption,
    width: WIDTH,
    height,
    autosize: { type: 'none' },
    padding: 0,
    config: { view: { stroke: null }, text: { font: 'sans-serif', fontSize: 11 } },
    layer: [
      {
        data: { values: segments },
        mark: { type: 'rule', color: '#333333', strokeWidth: 1.2 },
        encoding: { x: px('x'), y: px('y'), x2: { field: 'x2' }, y2: { field: 'y2' } },
      },
      {
        data: { values: heads },
        mark: { type: 'point', filled: true, color: '#333333', size: 50, opacity: 1 },
        encoding: { x: px('x'), y: px('y'), shape: { field: 'shape', type: 'nominal', scale: null } },
      },
      {
        data: { values: boxes },
        mark: { type: 'rect', stroke: '#333333', strokeWidth: 1 },
        encoding: {
          x: px('x'),
          x2: { field: 'x2' },
          y: px('y'),
          y2: { field: 'y2' },
          fill: { field: 'fill', type: 'nominal', scale: null },
        },
      },
      ...(['center', 'left'] as const).map((align) => ({
        data: { values: boxes.filter((b) => b.align === align) },
        transform: [
          { calculate: `datum.y + ${align === 'center' ? (BOX_H - LINE_H) / 2 + 1 : PAD}`, as: 'ty' },
        ],
        mark: {
          type: 'text',
          align,
          baseline: 'top',
          lineBreak: '\n',
          lineHeight: LINE_H,
          color: '#111111',
        },
        encoding: { x: px('tx'), y: px('ty'), text: { field: 'text', type: 'nominal' } },
      })),
    ],
  };
}
