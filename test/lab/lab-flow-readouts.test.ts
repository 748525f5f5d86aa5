/**
 * The flow readout kinds of experiment.json `assays.flow.readouts` (beadCount, viability, proliferation,
 * percentPositive; docs/experiment-bundle.md): a small constructed experiment of four FCS files whose per-sample
 * values must equal the pure assay functions (src/flow/*) run directly on the same events, and the bead count a
 * hand calculation; bad input names file, field and value.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { markerPositivity, thresholdFromControl } from '../../src/flow/markers.js';
import {
  fitDyeDilution,
  proliferationIndices,
  undividedPeakFromControl,
} from '../../src/flow/proliferation.js';
import { parameterIndex, type FlowEvents } from '../../src/flow/types.js';
import { viabilityQuadrants } from '../../src/flow/viability.js';
import { readFcs } from '../../src/io/fcs/reader.js';
import { writeFcs } from '../../src/io/fcs/writer.js';
import { readExperiment } from '../../src/lab/read.js';
import { dyeDilutionValues } from '../../src/sim/flow.js';

const CHANNELS = ['FSC-A', 'Bead-A', 'CFSE-A', 'AnnexinV-A', '7AAD-A', 'PD1-A'];
/** Cells per generation of each sample; U1 (unstimulated, undivided) is also the undivided and FMO control. */
const GENERATIONS: Record<string, number[]> = {
  U1: [400],
  U2: [380, 20],
  C1: [100, 80, 90, 60, 40, 20],
  C2: [50, 60, 100, 80, 50, 30, 10],
};
const BEADS: Record<string, number> = { U1: 100, U2: 120, C1: 90, C2: 110 };
const SAMPLES = [
  ['U1', 'ctrl', 1],
  ['U2', 'ctrl', 2],
  ['C1', 'car', 1],
  ['C2', 'car', 2],
] as const;

const GATING =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<gating:Gating-ML xmlns:gating="http://www.isac-net.org/std/Gating-ML/v2.0/gating"' +
  ' xmlns:data-type="http://www.isac-net.org/std/Gating-ML/v2.0/datatypes">\n' +
  '  <gating:RectangleGate gating:id="Cells"><gating:dimension gating:compensation-ref="uncompensated" gating:min="1000">' +
  '<data-type:fcs-dimension data-type:name="FSC-A"/></gating:dimension></gating:RectangleGate>\n' +
  '  <gating:RectangleGate gating:id="Beads"><gating:dimension gating:compensation-ref="uncompensated" gating:min="10000">' +
  '<data-type:fcs-dimension data-type:name="Bead-A"/></gating:dimension></gating:RectangleGate>\n' +
  '  <gating:RectangleGate gating:id="NoBeads"><gating:dimension gating:compensation-ref="uncompensated" gating:min="200000">' +
  '<data-type:fcs-dimension data-type:name="Bead-A"/></gating:dimension></gating:RectangleGate>\n' +
  '</gating:Gating-ML>\n';

/** Columns of one sample: cells (FSC 5000, dye dilution, deterministic Annexin V / 7-AAD / PD-1), then beads. */
function sampleColumns(id: string): number[][] {
  const cfse = dyeDilutionValues(GENERATIONS[id]!, { undividedIntensity: 50000, sdLog2: 0.2 });
  const cols: number[][] = CHANNELS.map(() => []);
  cfse.forEach((v, i) => {
    const pd1 = id === 'U1' ? (i % 100) * 10 : ((i * 17) % 200) * 10;
    [5000, 10, v, ((i * 37) % 100) * 100, ((i * 53) % 100) * 100, pd1].forEach((x, k) => cols[k]!.push(x));
  });
  for (let b = 0; b < BEADS[id]!; b++) [100, 50000, 1, 1, 1, 1].forEach((x, k) => cols[k]!.push(x));
  return cols;
}

const READOUTS = [
  { id: 'cells_pct', gate: 'Cells' },
  {
    id: 'cells_per_ul',
    kind: 'beadCount',
    cellGate: 'Cells',
    beadGate: 'Beads',
    beadsPerTest: 50000,
    volumeUl: 50,
  },
  {
    id: 'early_apoptotic_pct',
    kind: 'viability',
    gate: 'Cells',
    annexin: { channel: 'AnnexinV-A', threshold: 5000 },
    dead: { channel: '7AAD-A', threshold: 7000 },
    fraction: 'earlyApoptotic',
  },
  {
    id: 'pct_divided',
    kind: 'proliferation',
    gate: 'Cells',
    channel: 'CFSE-A',
    index: 'percentDivided',
    undividedControl: 'U1',
  },
  {
    id: 'division_index',
    kind: 'proliferation',
    gate: 'Cells',
    channel: 'CFSE-A',
    index: 'divisionIndex',
    undividedControl: 'U1',
  },
  { id: 'pd1_pct', kind: 'percentPositive', gate: 'Cells', channel: 'PD1-A', threshold: 1500 },
  { id: 'pd1_fmo_pct', kind: 'percentPositive', gate: 'Cells', channel: 'PD1-A', fmoSample: 'U1' },
];

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'carto-lab-flow-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Writes the bundle with `readouts` (default READOUTS) into its own folder. */
function bundle(name: string, readouts: unknown[] = READOUTS): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'fcs'), { recursive: true });
  const experiment = {
    name: 'flow readouts',
    factors: [{ name: 'condition', levels: ['ctrl', 'car'] }],
    replicates: 2,
    assays: { flow: { file: 'flow.csv', compensate: false, readouts } },
  };
  writeFileSync(join(dir, 'experiment.json'), JSON.stringify(experiment, null, 2));
  writeFileSync(
    join(dir, 'samples.csv'),
    'sample,condition,replicate\n' + SAMPLES.map((s) => s.join(',')).join('\n') + '\n',
  );
  writeFileSync(join(dir, 'gating.xml'), GATING);
  writeFileSync(
    join(dir, 'flow.csv'),
    'sample,file,gating\n' + SAMPLES.map(([s]) => `${s},fcs/${s}.fcs,gating.xml`).join('\n') + '\n',
  );
  for (const [s] of SAMPLES)
    writeFcs(join(dir, 'fcs', `${s}.fcs`), {
      parameters: CHANNELS.map((name) => ({ name })),
      columns: sampleColumns(s),
    });
  return dir;
}

const inputError = (fn: () => unknown): InputError => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    return e;
  }
  assert.fail('no error thrown');
};

/** The events of a sample's FCS file as written, and its cell gate computed here (FSC-A ≥ 1000). */
function eventsOf(dir: string, s: string): { events: FlowEvents; cells: Uint8Array } {
  const events = readFcs(join(dir, 'fcs', `${s}.fcs`)).events!;
  const fsc = events.columns[parameterIndex(events, 'FSC-A')]!;
  return { events, cells: Uint8Array.from(fsc, (v) => (v >= 1000 ? 1 : 0)) };
}

describe('lab flow readout kinds', () => {
  it('each readout equals the assay function on the same events (bead count by hand)', () => {
    const dir = bundle('ok');
    const exp = readExperiment(dir);
    const value = (id: string, s: string): number => exp.readouts.find((r) => r.id === id)!.values.get(s)!;
    const unit = (id: string): string => exp.readouts.find((r) => r.id === id)!.unit;
    assert.equal(unit('cells_per_ul'), 'cells/µL');
    assert.equal(unit('cells_pct'), '% of parent');
    const u1 = eventsOf(dir, 'U1');
    const cfseU1 = u1.events.columns[parameterIndex(u1.events, 'CFSE-A')]!;
    const undividedPeak = undividedPeakFromControl(cfseU1, u1.cells);
    const fmo = thresholdFromControl({ events: u1.events, parent: u1.cells }, 'PD1-A', 0.99);
    for (const [s] of SAMPLES) {
      const cellsN = GENERATIONS[s]!.reduce((a, b) => a + b, 0);
      const beadsN = BEADS[s]!;
      assert.equal(value('cells_pct', s), (100 * cellsN) / (cellsN + beadsN), s);
      // 50 000 beads per test in 50 µL: cells/µL = cells / beads × 50 000 / 50
      assert.ok(Math.abs(value('cells_per_ul', s) - (cellsN / beadsN) * 1000) < 1e-9, s);
      const { events, cells } = eventsOf(dir, s);
      const q = viabilityQuadrants(events, cells, {
        annexinV: { channel: 'AnnexinV-A', threshold: 5000 },
        deadDye: { channel: '7AAD-A', threshold: 7000 },
      });
      assert.equal(value('early_apoptotic_pct', s), q.earlyApoptotic.percentOfParent, s);
      const cfse = events.columns[parameterIndex(events, 'CFSE-A')]!;
      assert.equal(
        value('pct_divided', s),
        fitDyeDilution(cfse, cells, { undividedPeak }).indices.percentDivided,
        s,
      );
      assert.equal(
        value('division_index', s),
        fitDyeDilution(cfse, cells, { undividedPeak }).indices.divisionIndex,
        s,
      );
      const [given, control] = markerPositivity({ events, parent: cells }, [
        { marker: 'PD-1', channel: 'PD1-A', threshold: 1500 },
        { marker: 'PD-1', channel: 'PD1-A', threshold: fmo },
      ]);
      assert.equal(value('pd1_pct', s), given!.percentPositive, s);
      assert.equal(value('pd1_fmo_pct', s), control!.percentPositive, s);
    }
    // the readouts are not trivially equal: dividing samples differ from the undivided control
    assert.ok(value('pct_divided', 'C2') > 50 && value('pct_divided', 'U1') < 5);
    // U1's PD-1 is 0, 10, … 990 four times each: its 0.99 quantile is the 396th value, 980, and 8 of 400 are ≥ 980
    assert.equal(value('pd1_fmo_pct', 'U1'), 2);
    assert.ok(value('pd1_fmo_pct', 'C1') > 40);
  });

  it('proliferation without an undivided control: the free fit of fitDyeDilution, its generations recovered', () => {
    const free = (index: string): Record<string, unknown> => ({
      id: `free_${index.toLowerCase()}`,
      kind: 'proliferation',
      gate: 'Cells',
      channel: 'CFSE-A',
      index,
      generations: 8,
    });
    const exp = readExperiment(
      bundle('free-fit', [free('percentDivided'), free('divisionIndex'), free('proliferationIndex')]),
    );
    const value = (id: string, s: string): number | undefined =>
      exp.readouts.find((r) => r.id === id)!.values.get(s);
    for (const s of ['C1', 'C2']) {
      const { events, cells } = eventsOf(exp.dir, s);
      const cfse = events.columns[parameterIndex(events, 'CFSE-A')]!;
      const fit = fitDyeDilution(cfse, cells, { generations: 8 });
      // the bundle's value is the free fit's, bit for bit
      assert.equal(value('free_percentdivided', s), fit.indices.percentDivided, s);
      assert.equal(value('free_divisionindex', s), fit.indices.divisionIndex, s);
      assert.equal(value('free_proliferationindex', s), fit.indices.proliferationIndex, s);
      // and the closed-form sample's known generations come back without a control to place the peak
      assert.ok(Math.abs(fit.undividedMeanLog2 - Math.log2(50000)) < 0.05, `${s} undivided peak`);
      const truth = proliferationIndices(GENERATIONS[s]!);
      assert.ok(Math.abs(fit.indices.percentDivided - truth.percentDivided) < 1, `${s} % divided`);
      assert.ok(Math.abs(fit.indices.divisionIndex - truth.divisionIndex) < 0.05, `${s} division index`);
    }
  });

  it('an unknown kind names the field, the value and the nearest kind', () => {
    const e = inputError(() =>
      readExperiment(bundle('kind', [{ id: 'x', kind: 'beadcount', cellGate: 'Cells', beadGate: 'Beads' }])),
    );
    assert.match(String(e.location.file), /experiment\.json$/);
    assert.equal(e.location.field, 'assays.flow.readouts[0].kind');
    assert.equal(e.location.value, 'beadcount');
    assert.match(e.message, /beadCount/);
  });

  it('a channel not in the FCS file names the FCS file, the readout field and the channel', () => {
    const e = inputError(() =>
      readExperiment(
        bundle('channel', [{ id: 'x', kind: 'percentPositive', channel: 'PD-1-A', threshold: 1 }]),
      ),
    );
    assert.match(String(e.location.file), /U1\.fcs$/);
    assert.equal(e.location.field, 'assays.flow.readouts[0].channel');
    assert.equal(e.location.value, 'PD-1-A');
    assert.match(e.message, /PD1-A/);
  });

  it('a bead gate without events names the FCS file and the bead gate', () => {
    const e = inputError(() =>
      readExperiment(
        bundle('nobeads', [
          {
            id: 'x',
            kind: 'beadCount',
            cellGate: 'Cells',
            beadGate: 'NoBeads',
            beadsPerTest: 1000,
            volumeUl: 50,
          },
        ]),
      ),
    );
    assert.match(String(e.location.file), /U1\.fcs$/);
    assert.equal(e.location.field, 'assays.flow.readouts[0].beadGate');
    assert.equal(e.location.value, 'NoBeads');
  });

  it('a percentPositive readout with both threshold and fmoSample is refused', () => {
    const e = inputError(() =>
      readExperiment(
        bundle('both', [
          { id: 'x', kind: 'percentPositive', channel: 'PD1-A', threshold: 1, fmoSample: 'U1' },
        ]),
      ),
    );
    assert.equal(e.location.field, 'assays.flow.readouts[0].threshold');
  });

  it('an undivided control without an FCS file names the field and the sample', () => {
    const e = inputError(() =>
      readExperiment(
        bundle('ctl', [
          {
            id: 'x',
            kind: 'proliferation',
            channel: 'CFSE-A',
            index: 'divisionIndex',
            undividedControl: 'U9',
          },
        ]),
      ),
    );
    assert.equal(e.location.field, 'assays.flow.readouts[0].undividedControl');
    assert.equal(e.location.value, 'U9');
  });
});
