/**
 * `gateFcsFile` (src/io/fcs/gate-file.ts): an FCS file gated block by block gives the counts of
 * `applyGates(readFcs(file).events)` — on the Gating-ML 2.0 compliance set (integer data, pre-processed) and on
 * a float32 file of several blocks with a `$SPILLOVER` (one and two threads) — and refuses a file that ends
 * inside DATA.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../../src/errors.js';
import { gateFcsFile } from '../../../src/io/fcs/gate-file.js';
import { applyGates, type Dimension, type GatingStrategy } from '../../../src/flow/gates.js';
import { readFcs } from '../../../src/io/fcs/reader.js';
import { writeFcs } from '../../../src/io/fcs/writer.js';
import { readGatingMl } from '../../../src/io/gatingml.js';
import { sharedData } from '../../helpers/shared-data.js';

const counts = (gates: { id: string; count: number; parentCount: number }[]) =>
  gates.map((g) => [g.id, g.count, g.parentCount]);

describe('gateFcsFile', () => {
  const set1 = sharedData('flow', 'gatingml2-compliance-set1');
  const expected = JSON.parse(readFileSync(join(set1, 'expected_counts.json'), 'utf8')) as {
    gate_truth_counts: Record<string, { in_gate: number }>;
  };

  it('compliance set 1: the counts of applyGates(readFcs) and of the truth, for every Gating-ML file', () => {
    const file = join(set1, 'data1.fcs');
    const events = readFcs(file).events!;
    const ds = readFcs(file, { textOnly: true });
    let truthCompared = 0;
    for (const f of readdirSync(join(set1, 'gml')).sort()) {
      const strategy = readGatingMl(join(set1, 'gml', f));
      const streamed = gateFcsFile(ds, strategy, null);
      assert.equal(streamed.eventCount, 13367);
      assert.deepEqual(counts(streamed.gates), counts(applyGates(events, strategy, null)), f);
      for (const g of streamed.gates) {
        const truth = expected.gate_truth_counts[g.id];
        if (truth) {
          assert.equal(g.count, truth.in_gate, `${f} ${g.id}`);
          truthCompared++;
        }
      }
    }
    assert.ok(truthCompared > 20, `${truthCompared} gates compared with the truth`);
  });

  // A float32 file of 100 000 events (4 blocks) with a $SPILLOVER; gates on compensated, raw and
  // logicle-scaled dimensions, with parents and booleans.
  const dir = mkdtempSync(join(tmpdir(), 'carto-gate-file-'));
  const big = join(dir, 'big.fcs');
  const N = 100_000;
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
  const names = ['FSC-A', 'SSC-A', 'FL1-A', 'FL2-A', 'FL3-A', 'Time'];
  const columns = names.map((_, p) =>
    Float64Array.from({ length: N }, (__, i) => (p === 5 ? i : Math.fround(rnd() * 10000 - 500))),
  );
  writeFcs(big, {
    parameters: names.map((name) => ({ name })),
    columns,
    spillover: {
      parameterNames: ['FL1-A', 'FL2-A', 'FL3-A'],
      values: [
        [1, 0.1, 0.02],
        [0.05, 1, 0.1],
        [0, 0.03, 1],
      ],
    },
    keywords: { $TIMESTEP: '0.01' },
  });
  const dim = (name: string, comp = 'FCS', transformRef: string | null = null): Dimension => ({
    kind: 'parameter',
    name,
    compensationRef: comp,
    transformRef,
  });
  const strategy: GatingStrategy = {
    gates: [
      {
        kind: 'polygon',
        id: 'cells',
        parentId: null,
        dims: [dim('FSC-A', 'uncompensated'), dim('SSC-A', 'uncompensated')],
        vertices: [
          [0, 0],
          [9000, 1000],
          [8000, 9000],
          [500, 7000],
        ],
      },
      {
        kind: 'rectangle',
        id: 'fl1',
        parentId: 'cells',
        dims: [{ dim: dim('FL1-A'), min: 2000, max: null }],
      },
      {
        kind: 'rectangle',
        id: 'fl2',
        parentId: 'fl1',
        dims: [
          { dim: dim('FL2-A'), min: null, max: 6000 },
          { dim: dim('Time', 'uncompensated'), min: 100, max: 900 },
        ],
      },
      {
        kind: 'ellipsoid',
        id: 'ell',
        parentId: 'cells',
        dims: [dim('FL2-A'), dim('FL3-A')],
        mean: [4000, 4000],
        covariance: [
          [4e6, 1e6],
          [1e6, 4e6],
        ],
        distanceSquare: 1,
      },
      {
        kind: 'quadrant',
        id: 'q',
        parentId: 'cells',
        dims: [
          { dim: dim('FL1-A'), lo: 3000, hi: Infinity },
          { dim: dim('FL3-A'), lo: -Infinity, hi: 3000 },
        ],
      },
      {
        kind: 'rectangle',
        id: 'lg',
        parentId: null,
        dims: [{ dim: dim('FL3-A', 'FCS', 'l'), min: 0.5, max: 0.9 }],
      },
      {
        kind: 'boolean',
        id: 'or',
        parentId: null,
        op: 'or',
        operands: [
          { ref: 'ell', complement: false },
          { ref: 'q', complement: true },
        ],
      },
      {
        kind: 'boolean',
        id: 'not',
        parentId: 'cells',
        op: 'not',
        operands: [{ ref: 'fl1', complement: false }],
      },
    ],
    transforms: { l: { kind: 'logicle', T: 262144, W: 0.5, M: 4.5, A: 0 } },
    ratios: {},
    matrices: {},
    closure: 'closed',
  };

  it('a float32 file of 4 blocks with $SPILLOVER: the counts of applyGates(readFcs), one and two threads', () => {
    const ds = readFcs(big, { textOnly: true });
    const whole = readFcs(big);
    const want = counts(applyGates(whole.events!, strategy, whole.spillover));
    assert.ok(
      want.every(([, c]) => (c as number) > 0 && (c as number) < N),
      JSON.stringify(want),
    );
    for (const threads of [1, 2]) {
      const got = gateFcsFile(ds, strategy, ds.spillover, {}, { threads });
      assert.equal(got.eventCount, N);
      assert.deepEqual(counts(got.gates), want, `${threads} thread(s)`);
    }
    // read options as readFcs takes them: fewer events, float64 columns
    const some = readFcs(big, { maxEvents: 70_001, precision: 64 });
    const got = gateFcsFile(ds, strategy, ds.spillover, { maxEvents: 70_001, precision: 64 }, { threads: 2 });
    assert.equal(got.eventCount, 70_001);
    assert.deepEqual(counts(got.gates), counts(applyGates(some.events!, strategy, ds.spillover)));
  });

  it('a file cut short after its TEXT was read: InputError naming the file and DATA', () => {
    const ds = readFcs(big, { textOnly: true });
    truncateSync(big, ds.dataBeginBytes + 50_000 * 24);
    assert.throws(
      () => gateFcsFile(ds, strategy, ds.spillover),
      (e: unknown) =>
        e instanceof InputError &&
        /ends inside DATA/.test(e.message) &&
        e.location.file === big &&
        e.location.field === 'DATA',
    );
  });
});
