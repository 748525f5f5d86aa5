/**
 * FlowJo 10 workspace reader on a synthetic .wsp over data1.fcs (no FlowJo workspace with its FCS files is in the
 * shared reference data): counts must equal a direct, independent evaluation of the same gates on the events
 * (rectangle on data units; polygon drawn on a log display scale; AND node; compensation prefix "Comp-").
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { applyGates } from '../../src/flow/gates.js';
import { readFcs } from '../../src/io/fcs/reader.js';
import { parseFlowJoWorkspace, strategyForSample } from '../../src/io/flowjo.js';
import { sharedData } from '../helpers/shared-data.js';

const events = readFcs(sharedData('flow', 'gatingml2-compliance-set1', 'data1.fcs')).events!;
const col = (n: string): Float64Array | Float32Array => events.columns[events.parameterNames.indexOf(n)]!;

const poly: [number, number][] = [
  [2, 2],
  [300, 5],
  [500, 600],
  [5, 200],
];
const wsp = `<?xml version="1.0" encoding="UTF-8"?>
<Workspace version="20.0" xmlns:gating="http://www.isac-net.org/std/Gating-ML/v2.0/gating"
  xmlns:transforms="http://www.isac-net.org/std/Gating-ML/v2.0/transformations"
  xmlns:data-type="http://www.isac-net.org/std/Gating-ML/v2.0/datatypes">
 <Groups><GroupNode name="All Samples"><Group name="All Samples"><SampleRefs><SampleRef sampleID="1"/></SampleRefs></Group></GroupNode>
  <GroupNode name="Day 28"><Group name="Day 28"><SampleRefs><SampleRef sampleID="1"/></SampleRefs></Group></GroupNode></Groups>
 <SampleList><Sample>
  <DataSet uri="file:/data/data1.fcs" sampleID="1"/>
  <Keywords><Keyword name="$FIL" value="B07"/></Keywords>
  <transforms:spilloverMatrix prefix="Comp-" name="Acquisition-defined" id="acq">
   <data-type:parameters><data-type:parameter data-type:name="FL1-H"/><data-type:parameter data-type:name="FL2-H"/></data-type:parameters>
   <transforms:spillover data-type:parameter="FL1-H"><transforms:coefficient data-type:parameter="FL1-H" transforms:value="1"/><transforms:coefficient data-type:parameter="FL2-H" transforms:value="0.2"/></transforms:spillover>
   <transforms:spillover data-type:parameter="FL2-H"><transforms:coefficient data-type:parameter="FL1-H" transforms:value="0"/><transforms:coefficient data-type:parameter="FL2-H" transforms:value="1"/></transforms:spillover>
  </transforms:spilloverMatrix>
  <Transformations>
   <transforms:linear transforms:minRange="0" transforms:maxRange="1024"><data-type:parameter data-type:name="FSC-H"/></transforms:linear>
   <transforms:log transforms:offset="1" transforms:decades="4"><data-type:parameter data-type:name="FL3-H"/></transforms:log>
   <transforms:log transforms:offset="1" transforms:decades="4"><data-type:parameter data-type:name="FL4-H"/></transforms:log>
  </Transformations>
  <SampleNode name="data1.fcs" count="13367" sampleID="1"><Subpopulations>
   <Population name="Cells" count="0"><Gate><gating:RectangleGate gating:id="g1">
     <gating:dimension gating:min="50" gating:max="200"><data-type:fcs-dimension data-type:name="FSC-H"/></gating:dimension>
    </gating:RectangleGate></Gate>
    <Subpopulations>
     <Population name="Poly"><Gate><gating:PolygonGate gating:id="g2">
       <gating:dimension><data-type:fcs-dimension data-type:name="FL3-H"/></gating:dimension>
       <gating:dimension><data-type:fcs-dimension data-type:name="FL4-H"/></gating:dimension>
       ${poly.map(([a, b]) => `<gating:vertex><gating:coordinate data-type:value="${a}"/><gating:coordinate data-type:value="${b}"/></gating:vertex>`).join('')}
     </gating:PolygonGate></Gate></Population>
     <Population name="CompFL1"><Gate><gating:RectangleGate gating:id="g3">
       <gating:dimension gating:min="10"><data-type:fcs-dimension data-type:name="Comp-FL1-H"/></gating:dimension>
      </gating:RectangleGate></Gate></Population>
     <AndNode name="Both"><Dependents><Dependent name="../Poly"/><Dependent name="../CompFL1"/></Dependents></AndNode>
    </Subpopulations>
   </Population>
  </Subpopulations></SampleNode>
 </Sample></SampleList>
</Workspace>`;

function inPoly(x: number, y: number, v: [number, number][]): boolean {
  let c = false;
  for (let i = 0, j = v.length - 1; i < v.length; j = i++) {
    const [xi, yi] = v[i]!;
    const [xj, yj] = v[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}

describe('FlowJo 10 workspace', () => {
  const ws = parseFlowJoWorkspace(wsp, 'synthetic.wsp');
  it('reads samples, groups, keywords and spillover', () => {
    assert.equal(ws.samples.length, 1);
    assert.deepEqual(ws.groups, { 'All Samples': ['1'], 'Day 28': ['1'] });
    assert.equal(ws.samples[0]!.spillover!.prefix, 'Comp-');
    assert.deepEqual(
      ws.samples[0]!.populations.map((p) => p.path),
      ['Cells', 'Cells/Poly', 'Cells/CompFL1', 'Cells/Both'],
    );
  });
  it('gate counts equal an independent evaluation', () => {
    const { strategy, spillover } = strategyForSample(ws, '/tmp/data1.fcs');
    const res = new Map(applyGates(events, strategy, spillover).map((r) => [r.id, r]));
    const fsc = col('FSC-H');
    const fl1 = col('FL1-H');
    const fl2 = col('FL2-H');
    const fl3 = col('FL3-H');
    const fl4 = col('FL4-H');
    // FlowJo log display (offset 1, 4 decades): values ≤ offset sit on the axis at 0
    const lg = (v: number): number => Math.log10(Math.max(v, 1)) / 4;
    const logPoly = poly.map(([a, b]) => [lg(a), lg(b)] as [number, number]);
    let cells = 0;
    let p = 0;
    let c1 = 0;
    let both = 0;
    for (let i = 0; i < events.eventCount; i++) {
      if (!(fsc[i]! >= 50 && fsc[i]! < 200)) continue;
      cells++;
      // compensated FL1 = solve [fl1 fl2] = [c1 c2]·S with S = [[1, .2], [0, 1]] → c1 = fl1
      const comp1 = fl1[i]! - 0 * fl2[i]!;
      const a = inPoly(lg(fl3[i]!), lg(fl4[i]!), logPoly);
      const b = comp1 >= 10;
      if (a) p++;
      if (b) c1++;
      if (a && b) both++;
    }
    assert.equal(res.get('Cells')!.count, cells);
    assert.equal(res.get('Cells/Poly')!.count, p);
    assert.equal(res.get('Cells/CompFL1')!.count, c1);
    assert.equal(res.get('Cells/Both')!.count, both);
    assert.deepEqual(res.get('Cells/Both')!.path, ['Cells', 'Both']);
    assert.ok(cells > 0 && p > 0 && both > 0);
  });
  it('refuses an unknown sample and unsupported gate types', () => {
    assert.throws(() => strategyForSample(ws, 'other.fcs'), InputError);
    const bad = wsp
      .replace('<gating:RectangleGate gating:id="g1">', '<gating:SplineGate gating:id="g1">')
      .replace(
        '</gating:RectangleGate></Gate>\n    <Subpopulations>',
        '</gating:SplineGate></Gate>\n    <Subpopulations>',
      );
    assert.throws(() => parseFlowJoWorkspace(bad), /unsupported FlowJo gate type.*SplineGate/);
  });
});

describe('FlowJo biex axes', () => {
  it('a polygon on biex axes counts as an independent evaluation on the reference lookup table', () => {
    // FL3-H and FL4-H on FlowJo biex (the reference table's parameters); the polygon is drawn on channels.
    const biex =
      '<transforms:biex transforms:pos="4.41854" transforms:neg="1" transforms:width="-7.943282" transforms:maxRange="262144"><data-type:parameter data-type:name="NAME"/></transforms:biex>';
    const biexWsp = wsp
      .replace(
        '<transforms:log transforms:offset="1" transforms:decades="4"><data-type:parameter data-type:name="FL3-H"/></transforms:log>',
        biex.replace('NAME', 'FL3-H'),
      )
      .replace(
        '<transforms:log transforms:offset="1" transforms:decades="4"><data-type:parameter data-type:name="FL4-H"/></transforms:log>',
        biex.replace('NAME', 'FL4-H'),
      );
    const ws2 = parseFlowJoWorkspace(biexWsp, 'b.wsp');
    const { strategy, spillover } = strategyForSample(ws2, '/tmp/data1.fcs');
    const res = new Map(applyGates(events, strategy, spillover).map((r) => [r.id, r]));
    // Independent transform: linear interpolation in the reference LUT file (channels 0 … 4095, 6 digits).
    const lut = readFileSync(
      sharedData('flow', 'fcs-misc', 'flowjo_biex_lut_l256_w-7.943282_n1_m4.418540_r262144.csv'),
      'utf8',
    )
      .trim()
      .split(/\r?\n/)
      .slice(1)
      .map((l) => Number(l.split(',')[1]));
    const channel = (x: number): number => {
      let k = 0;
      while (k < lut.length - 2 && lut[k + 1]! <= x) k++;
      return k + (x - lut[k]!) / (lut[k + 1]! - lut[k]!);
    };
    const chPoly = poly.map(([a, b]) => [channel(a), channel(b)] as [number, number]);
    const fsc = col('FSC-H');
    const fl3 = col('FL3-H');
    const fl4 = col('FL4-H');
    let p = 0;
    for (let i = 0; i < events.eventCount; i++) {
      if (fsc[i]! >= 50 && fsc[i]! < 200 && inPoly(channel(fl3[i]!), channel(fl4[i]!), chPoly)) p++;
    }
    assert.ok(p > 100, `polygon holds ${p} events`);
    assert.equal(res.get('Cells/Poly')!.count, p);
  });
});
