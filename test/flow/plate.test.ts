/** Plate QC and `carto fcs plate` (issue 16 item 5): planted unstable flow and margin events, results, bad input. */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { register as registerFcs } from '../../src/cli/commands/fcs.js';
import { register as registerPlate } from '../../src/cli/commands/fcs-plate.js';
import { normalizeWell, wellFromFileName } from '../../src/flow/plate.js';
import { marginEvents, timeStability, upperLimitScaled } from '../../src/flow/qc.js';
import { writeFcs } from '../../src/io/fcs/writer.js';
import { flowGatingMl, PLATE_RANGE, renderPlateWell, type PlateWellPlan } from '../../src/sim/flow.js';
import { runInProcess } from '../helpers/cli-in-process.js';
import { sharedData } from '../helpers/shared-data.js';

const carto = (...args: string[]) =>
  runInProcess((p) => {
    registerFcs(p);
    registerPlate(p);
  }, args);

const UNSTABLE: PlateWellPlan = {
  events: 6000,
  unstable: { startFraction: 0.4, endFraction: 0.55, rateFactor: 0.2 },
};

describe('plate QC rules', () => {
  it('time stability flags a planted slow segment and nothing in a steady file', () => {
    const steady = renderPlateWell(7, 'A01', { events: 6000 });
    const s = timeStability(steady.columns.at(-1)!);
    assert.equal(s.flaggedBins, 0, JSON.stringify(s.bins.filter((b) => b.flagged)));
    assert.equal(s.timeStep, 1); // 0.01 s ticks, unscaled here
    const slow = renderPlateWell(7, 'A02', UNSTABLE);
    const time = slow.columns.at(-1)!;
    const u = timeStability(time);
    assert.ok(u.flaggedBins > 0 && !u.stable);
    // every flagged bin lies within the planted segment (events 2400 … 3300), give or take one bin
    const t0 = time[2400]!;
    const t1 = time[3299]!;
    const w = u.bins[0]!.end - u.bins[0]!.start;
    for (const b of u.bins.filter((x) => x.flagged))
      assert.ok(b.start >= t0 - w && b.end <= t1 + w, `bin ${b.start}`);
    // the planted segment is ~36 % of the acquisition time: most of its bins are flagged
    const inside = u.bins.filter((b) => b.start >= t0 && b.end <= t1);
    assert.ok(inside.filter((b) => b.flagged).length >= 0.8 * inside.length);
    // a time reset is reported
    const reset = Float64Array.from(time);
    reset[4000] = 0;
    assert.equal(timeStability(reset).timeResets, 1);
  });
  it('margin events: at $PnR − 1 after scaling, per channel', () => {
    const w = renderPlateWell(7, 'A03', { events: 5000, marginFraction: 0.04 });
    const params = w.parameters.map((p) => ({
      name: p.name,
      range: p.range,
      logDecades: 0,
      logOffset: 0,
      gain: 1,
    }));
    const ev = { parameterNames: params.map((p) => p.name), columns: w.columns, eventCount: 5000 };
    const m = marginEvents(ev, params);
    const fsc = m.perChannel.find((c) => c.channel === 'FSC-A')!;
    const planted = w.columns[0]!.filter((v) => v === PLATE_RANGE - 1).length;
    assert.equal(fsc.count, planted);
    assert.ok(fsc.percent > 3 && fsc.percent < 5);
    assert.ok(!m.perChannel.some((c) => c.channel === 'Time'));
    assert.equal(
      upperLimitScaled({ name: 'FL1', range: 1024, logDecades: 4, logOffset: 1, gain: 1 }),
      10 ** ((4 * 1023) / 1024),
    );
    assert.equal(upperLimitScaled({ name: 'FSC', range: 1024, logDecades: 0, logOffset: 0, gain: 2 }), 511.5);
  });
  it('wells from names and labels', () => {
    assert.equal(wellFromFileName('Specimen_001_B7_031.fcs'), 'B07');
    assert.equal(wellFromFileName('/x/plate1-H12.fcs'), 'H12');
    assert.equal(wellFromFileName('sample.fcs'), null);
    assert.equal(normalizeWell(' c03 '), 'C03');
    assert.equal(normalizeWell('Z1'), null);
  });
});

describe('carto fcs plate', () => {
  let dir = '';
  let plate = '';
  let gating = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'carto-plate-'));
    plate = join(dir, 'plate');
    mkdirSync(plate);
    const plans: [string, PlateWellPlan][] = [
      ['A01', { events: 6000 }],
      ['A02', UNSTABLE],
      ['A03', { events: 6000, marginFraction: 0.04 }],
      ['B01', { events: 6000 }],
    ];
    for (const [well, plan] of plans) {
      const w = renderPlateWell(11, well, plan);
      writeFcs(join(plate, `exp1_${well}.fcs`), { ...w, fileName: `exp1_${well}.fcs` });
    }
    gating = join(dir, 'gates.xml');
    writeFileSync(gating, flowGatingMl());
  });

  it('QC flags only the planted wells; one row per well × population matching `fcs gate`', async () => {
    const r = await carto('fcs', 'plate', plate, '--gating', gating, '--mfi', 'BV605-A', '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as {
      wells: { well: string; qc: { pass: boolean; flags: string[]; events: number } }[];
      results: { well: string; gate: string; count: number; percentOfParent: number; mfi_BV605_A?: number }[];
    };
    assert.deepEqual(
      j.wells.map((w) => [w.well, w.qc.pass]),
      [
        ['A01', true],
        ['A02', false],
        ['A03', false],
        ['B01', true],
      ],
    );
    assert.match(j.wells[1]!.qc.flags.join(), /unstable flow/);
    assert.match(j.wells[2]!.qc.flags.join(), /margin events.*FSC-A/);
    assert.equal(j.results.length, 4 * 4);
    const g = await carto('fcs', 'gate', join(plate, 'exp1_B01.fcs'), '--gating', gating, '--json');
    const gates = (JSON.parse(g.out) as { gates: { id: string; count: number; percentOfParent: number }[] })
      .gates;
    for (const x of gates) {
      const row = j.results.find((q) => q.well === 'B01' && q.gate === x.id)!;
      assert.equal(row.count, x.count);
      assert.equal(row.percentOfParent, x.percentOfParent);
    }
    const cd8 = j.results.find((q) => q.well === 'B01' && q.gate === 'CD8') as Record<string, unknown>;
    assert.equal(typeof cd8['mfi_BV605-A'], 'number');
  });

  it('two worker threads give the same results as one', async () => {
    const one = await carto(
      'fcs',
      'plate',
      plate,
      '--gating',
      gating,
      '--mfi',
      'PE-A',
      '--json',
      '--threads',
      '1',
    );
    const two = await carto(
      'fcs',
      'plate',
      plate,
      '--gating',
      gating,
      '--mfi',
      'PE-A',
      '--json',
      '--threads',
      '2',
    );
    assert.equal(two.code, 0, two.err);
    assert.deepEqual(JSON.parse(two.out), JSON.parse(one.out));
  });

  it('a layout CSV keeps its columns; --out writes results.csv, qc.csv and results.json', async () => {
    const csv = join(dir, 'layout.csv');
    writeFileSync(csv, 'well,file,condition\nA1,plate/exp1_A01.fcs,MSC\nB1,plate/exp1_B01.fcs,control\n');
    const out = join(dir, 'out');
    const r = await carto('fcs', 'plate', csv, '--gating', gating, '--out', out);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /2 wells, 8 population rows; QC failed in 0 well/);
    const results = readFileSync(join(out, 'results.csv'), 'utf8').split('\n');
    assert.equal(results[0], 'well,condition,file,gate,population,count,parentCount,percentOfParent');
    assert.match(results[1]!, /^A01,MSC,/);
    assert.ok(existsSync(join(out, 'qc.csv')) && existsSync(join(out, 'results.json')));
    // an earlier plate output is replaced; a folder of other files is refused (exit 2) and left as it was
    assert.equal((await carto('fcs', 'plate', csv, '--gating', gating, '--out', out)).code, 0);
    const foreign = join(dir, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    const refused = await carto('fcs', 'plate', csv, '--gating', gating, '--out', foreign);
    assert.equal(refused.code, 2);
    assert.deepEqual(readFileSync(join(foreign, 'notes.txt'), 'utf8'), 'mine');
  });

  it('bad input: a gate naming an absent channel, a well without its FCS file (exit 2, clear message)', async () => {
    const bad = join(dir, 'bad.xml');
    writeFileSync(bad, flowGatingMl().replace('"BV510-A"', '"BV999-A"'));
    const g = await carto('fcs', 'plate', plate, '--gating', bad, '--threads', '2'); // the error crosses a thread
    assert.equal(g.code, 2);
    assert.match(
      g.err,
      /exp1_A01\.fcs, field gate CD4: gate "CD4" names channel "BV999-A", which is not in the file/,
    );
    const csv = join(dir, 'missing.csv');
    writeFileSync(csv, 'well,file\nA1,plate/exp1_A01.fcs\nA2,plate/nope.fcs\n');
    const m = await carto('fcs', 'plate', csv, '--gating', gating, '--out', join(dir, 'never'));
    assert.equal(m.code, 2);
    assert.match(
      m.err,
      /missing\.csv, row 2, field file: the FCS file of well A02 does not exist \(value: "plate\/nope\.fcs"\)/,
    );
    assert.ok(!existsSync(join(dir, 'never')));
    writeFileSync(csv, 'well,file\nA1,plate/exp1_A01.fcs\na01,plate/exp1_A02.fcs\n');
    const d = await carto('fcs', 'plate', csv, '--gating', gating);
    assert.equal(d.code, 2);
    assert.match(d.err, /row 2, field well: well given twice \(first on row 1\)/);
  });

  it("a FlowJo workspace: --sample applies one sample's gates (with its spillover) to every file", async () => {
    const wdir = join(dir, 'wsp');
    mkdirSync(wdir);
    const data1 = sharedData('flow', 'gatingml2-compliance-set1', 'data1.fcs');
    copyFileSync(data1, join(wdir, 'run_C01.fcs'));
    copyFileSync(data1, join(wdir, 'run_C02.fcs'));
    const ws = join(dir, 'template.wsp');
    writeFileSync(
      ws,
      `<?xml version="1.0" encoding="UTF-8"?>
<Workspace version="20.0" xmlns:gating="http://www.isac-net.org/std/Gating-ML/v2.0/gating"
  xmlns:transforms="http://www.isac-net.org/std/Gating-ML/v2.0/transformations"
  xmlns:data-type="http://www.isac-net.org/std/Gating-ML/v2.0/datatypes">
 <SampleList><Sample>
  <DataSet uri="file:/data/data1.fcs" sampleID="1"/>
  <transforms:spilloverMatrix prefix="Comp-" name="Acq" id="acq">
   <data-type:parameters><data-type:parameter data-type:name="FL1-H"/><data-type:parameter data-type:name="FL2-H"/></data-type:parameters>
   <transforms:spillover data-type:parameter="FL1-H"><transforms:coefficient data-type:parameter="FL1-H" transforms:value="1"/><transforms:coefficient data-type:parameter="FL2-H" transforms:value="0.2"/></transforms:spillover>
   <transforms:spillover data-type:parameter="FL2-H"><transforms:coefficient data-type:parameter="FL1-H" transforms:value="0"/><transforms:coefficient data-type:parameter="FL2-H" transforms:value="1"/></transforms:spillover>
  </transforms:spilloverMatrix>
  <SampleNode name="data1.fcs" count="13367" sampleID="1"><Subpopulations>
   <Population name="Cells"><Gate><gating:RectangleGate gating:id="g1">
     <gating:dimension gating:min="50" gating:max="200"><data-type:fcs-dimension data-type:name="FSC-H"/></gating:dimension>
    </gating:RectangleGate></Gate>
    <Subpopulations>
     <Population name="CompFL1"><Gate><gating:RectangleGate gating:id="g3">
       <gating:dimension gating:min="10"><data-type:fcs-dimension data-type:name="Comp-FL1-H"/></gating:dimension>
      </gating:RectangleGate></Gate></Population>
    </Subpopulations>
   </Population>
  </Subpopulations></SampleNode>
 </Sample></SampleList>
</Workspace>`,
    );
    const r = await carto('fcs', 'plate', wdir, '--gating', ws, '--sample', 'data1.fcs', '--json');
    assert.equal(r.code, 0, r.err);
    const rows = (JSON.parse(r.out) as { results: { well: string; population: string; count: number }[] })
      .results;
    const g = await carto('fcs', 'gate', data1, '--gating', ws, '--json');
    const gates = (JSON.parse(g.out) as { gates: { path: string; count: number }[] }).gates;
    assert.deepEqual(
      rows.map((x) => [x.well, x.population, x.count]),
      ['C01', 'C02'].flatMap((w) => gates.map((x) => [w, x.path.slice(1), x.count])),
    );
    assert.ok(gates[1]!.count > 0 && gates[1]!.count < gates[0]!.count);
    // without --sample the files (run_C01.fcs …) match no workspace sample
    const miss = await carto('fcs', 'plate', wdir, '--gating', ws);
    assert.equal(miss.code, 2);
    assert.match(miss.err, /template\.wsp, option --sample: no sample in the workspace matches/);
    const gml = await carto('fcs', 'plate', wdir, '--gating', gating, '--sample', 'x');
    assert.equal(gml.code, 2);
    assert.match(gml.err, /--sample chooses a sample of a FlowJo workspace/);
  });
});
