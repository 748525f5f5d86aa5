/**
 * FlowJo `EllipsoidGate` (two foci and four edge points on the plot's 256 × 256 display grid) as a Gating-ML
 * ellipsoid: the geometry against a hand calculation, and a workspace gate over data1.fcs against an independent
 * evaluation on the display grid (no FlowJo workspace with an ellipse and its FCS file is in the shared data).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { applyGates, ellipseFromFociAndEdge, type GatingStrategy } from '../../src/flow/gates.js';
import { readFcs } from '../../src/io/fcs/reader.js';
import { parseFlowJoWorkspace, strategyForSample } from '../../src/io/flowjo.js';
import { sharedData } from '../helpers/shared-data.js';

type P = [number, number];

/** An ellipse: centre c, semi-axes a (along angle θ) and b; its foci and edge points at parameter angles. */
function ellipse(c: P, a: number, b: number, thetaDeg: number) {
  const th = (thetaDeg * Math.PI) / 180;
  const u: P = [Math.cos(th), Math.sin(th)];
  const v: P = [-u[1], u[0]];
  const at = (s: number, t: number): P => [c[0] + s * u[0] + t * v[0], c[1] + s * u[1] + t * v[1]];
  const f = Math.sqrt(a * a - b * b);
  const onEdge = (deg: number): P =>
    at(a * Math.cos((deg * Math.PI) / 180), b * Math.sin((deg * Math.PI) / 180));
  return { at, foci: [at(-f, 0), at(f, 0)] as [P, P], onEdge };
}

const close = (x: number, y: number, what: string): void =>
  assert.ok(Math.abs(x - y) < 1e-9, `${what}: ${x} ≠ ${y}`);

describe('ellipse from foci and edge points', () => {
  // centre (5, 3), a = 4 along 30°, b = 2: Σ = a²uuᵀ + b²vvᵀ = [[16·¾ + 4·¼, 12·(√3/4)], [·, 16·¼ + 4·¾]]
  //                                                              = [[13, 3√3], [3√3, 7]]
  const E = ellipse([5, 3], 4, 2, 30);

  it('gives the mean and covariance of the hand calculation, from any four edge points', () => {
    for (const angles of [
      [20, 110, 200, 290],
      [0, 90, 180, 270], // the axes' ends
    ]) {
      const g = ellipseFromFociAndEdge(E.foci, angles.map(E.onEdge), { gate: 'E' });
      close(g.mean[0], 5, 'mean x');
      close(g.mean[1], 3, 'mean y');
      close(g.covariance[0]![0]!, 13, 'Σxx');
      close(g.covariance[0]![1]!, 3 * Math.sqrt(3), 'Σxy');
      close(g.covariance[1]![0]!, 3 * Math.sqrt(3), 'Σyx');
      close(g.covariance[1]![1]!, 7, 'Σyy');
      assert.equal(g.distanceSquare, 1);
    }
  });

  it('puts points inside and outside as s²/16 + t²/4 ≤ 1', () => {
    const g = ellipseFromFociAndEdge(E.foci, [20, 110, 200, 290].map(E.onEdge), { gate: 'E' });
    const pts: [P, boolean][] = [
      [E.at(3.9, 0), true], // 0.951
      [E.at(0, 2.1), false], // 1.1025
      [E.at(3, 1.2), true], // 0.5625 + 0.36 = 0.9225
      [E.at(3, 1.4), false], // 0.5625 + 0.49 = 1.0525
      [E.at(-3, -1.2), true],
      [[5, 3], true],
      [[9, 3], false], // (4, 0) in data units: s = 2√3, t = −2 → 0.75 + 1 = 1.75
    ];
    const strategy: GatingStrategy = {
      gates: [
        {
          kind: 'ellipsoid',
          id: 'E',
          parentId: null,
          dims: ['X', 'Y'].map((name) => ({
            kind: 'parameter' as const,
            name,
            compensationRef: 'uncompensated',
            transformRef: null,
          })),
          ...g,
        },
      ],
      transforms: {},
      ratios: {},
      matrices: {},
      closure: 'min-inclusive',
    };
    const events = {
      parameterNames: ['X', 'Y'],
      columns: [Float64Array.from(pts.map((p) => p[0][0])), Float64Array.from(pts.map((p) => p[0][1]))],
      eventCount: pts.length,
    };
    const r = applyGates(events, strategy, null)[0]!;
    assert.equal(r.count, pts.filter((p) => p[1]).length);
  });

  it('a circle (coinciding foci) and refusals naming the gate', () => {
    const c = ellipseFromFociAndEdge(
      [
        [1, 1],
        [1, 1],
      ],
      [
        [3, 1],
        [1, 3],
        [-1, 1],
        [1, -1],
      ],
      { gate: 'C' },
    );
    close(c.covariance[0]![0]!, 4, 'circle Σxx');
    close(c.covariance[0]![1]!, 0, 'circle Σxy');
    close(c.covariance[1]![1]!, 4, 'circle Σyy');
    const isGate = (e: unknown) =>
      e instanceof InputError && e.location.field === 'EllipsoidGate' && /EllipsoidGate W/.test(e.message);
    // points off any ellipse around these foci
    const off: P[] = [E.onEdge(20), E.onEdge(110), [5 + 9, 3], E.onEdge(290)];
    assert.throws(() => ellipseFromFociAndEdge(E.foci, off, { gate: 'W' }), isGate);
    // all edge points on the axis through the foci: b undetermined
    assert.throws(() => ellipseFromFociAndEdge(E.foci, [E.at(4, 0), E.at(-4, 0)], { gate: 'W' }), isGate);
  });
});

describe('FlowJo workspace EllipsoidGate', () => {
  const events = readFcs(sharedData('flow', 'gatingml2-compliance-set1', 'data1.fcs')).events!;
  const col = (n: string) => events.columns[events.parameterNames.indexOf(n)]!;
  // on the display grid: x = FSC-H on a linear axis 0 … 1024, y = FL3-H on FlowJo log (offset 1, 4 decades)
  const E = ellipse([40, 120], 30, 15, 20);
  const vertex = (p: P) =>
    `<gating:vertex><gating:coordinate data-type:value="${p[0]}"/><gating:coordinate data-type:value="${p[1]}"/></gating:vertex>`;
  const wsp = (foci: P[], edge: P[]) => `<?xml version="1.0" encoding="UTF-8"?>
<Workspace version="20.0" xmlns:gating="http://www.isac-net.org/std/Gating-ML/v2.0/gating"
  xmlns:transforms="http://www.isac-net.org/std/Gating-ML/v2.0/transformations"
  xmlns:data-type="http://www.isac-net.org/std/Gating-ML/v2.0/datatypes">
 <SampleList><Sample>
  <DataSet uri="file:/data/data1.fcs" sampleID="1"/>
  <Transformations>
   <transforms:linear transforms:minRange="0" transforms:maxRange="1024"><data-type:parameter data-type:name="FSC-H"/></transforms:linear>
   <transforms:log transforms:offset="1" transforms:decades="4"><data-type:parameter data-type:name="FL3-H"/></transforms:log>
  </Transformations>
  <SampleNode name="data1.fcs" sampleID="1"><Subpopulations>
   <Population name="Ellipse"><Gate><gating:EllipsoidGate gating:id="e1">
     <gating:dimension><data-type:fcs-dimension data-type:name="FSC-H"/></gating:dimension>
     <gating:dimension><data-type:fcs-dimension data-type:name="FL3-H"/></gating:dimension>
     <gating:foci>${foci.map(vertex).join('')}</gating:foci>
     <gating:edge>${edge.map(vertex).join('')}</gating:edge>
   </gating:EllipsoidGate></Gate></Population>
  </Subpopulations></SampleNode>
 </Sample></SampleList>
</Workspace>`;

  it('counts as an independent evaluation on the display grid', () => {
    const ws = parseFlowJoWorkspace(wsp(E.foci, [15, 105, 195, 285].map(E.onEdge)), 'ellipse.wsp');
    const { strategy, spillover } = strategyForSample(ws, 'data1.fcs');
    const r = applyGates(events, strategy, spillover)[0]!;
    const th = (20 * Math.PI) / 180;
    const fsc = col('FSC-H');
    const fl3 = col('FL3-H');
    let inside = 0;
    for (let i = 0; i < events.eventCount; i++) {
      const gx = (fsc[i]! / 1024) * 256 - 40;
      const gy = (Math.log10(Math.max(fl3[i]!, 1)) / 4) * 256 - 120;
      const s = gx * Math.cos(th) + gy * Math.sin(th);
      const t = -gx * Math.sin(th) + gy * Math.cos(th);
      if ((s * s) / 900 + (t * t) / 225 <= 1) inside++;
    }
    assert.ok(inside > 100 && inside < events.eventCount - 100, `ellipse holds ${inside} events`);
    assert.equal(r.count, inside);
    assert.equal(ws.samples[0]!.populations[0]!.path, 'Ellipse');
  });

  it('an ellipse without its foci or with too few edge points is refused naming the gate', () => {
    for (const bad of [wsp([E.foci[0]], [15, 105, 195, 285].map(E.onEdge)), wsp(E.foci, [E.onEdge(15)])])
      assert.throws(
        () => parseFlowJoWorkspace(bad, 'bad.wsp'),
        (e: unknown) =>
          e instanceof InputError &&
          e.location.file === 'bad.wsp' &&
          e.location.field === 'EllipsoidGate' &&
          e.location.value === 'Ellipse',
      );
  });
});
