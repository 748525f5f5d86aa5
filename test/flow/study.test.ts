// phenotypeFlowSample: compensation before phenotyping, gate counts, lab-value names and errors, on a hand-made
// sample whose compensated values are known in closed form (spillover S = [[1, 0.5], [0, 1]]: compensated
// B = raw B − 0.5·raw A, compensated A = raw A).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import type { GatingStrategy } from '../../src/flow/gates.js';
import { phenotypeFlowSample, type FlowStudySettings } from '../../src/flow/study.js';

const events = {
  parameterNames: ['A', 'B'],
  columns: [new Float64Array([100, 10, 50, 200]), new Float64Array([60, 60, 5, 80])],
  eventCount: 4,
};
const spillover = {
  parameterNames: ['A', 'B'],
  values: [
    [1, 0.5],
    [0, 1],
  ],
};
const strategy: GatingStrategy = {
  gates: [
    {
      kind: 'rectangle',
      id: 'T',
      parentId: null,
      dims: [
        {
          dim: { kind: 'parameter', name: 'A', compensationRef: 'FCS', transformRef: null },
          min: 20,
          max: null,
        },
      ],
    },
  ],
  transforms: {},
  ratios: {},
  matrices: {},
  closure: 'min-inclusive',
};
const settings: FlowStudySettings = {
  compensate: true,
  cd4Gate: null,
  cd8Gate: null,
  populations: [{ label: 't', gate: 'T' }],
  markers: { CD57: { channel: 'B', threshold: 30 } },
  mfi: ['CD57'],
};
const sample = { patientId: 'P1', day: 7, file: 's.fcs', events, strategy, spillover };
const value = (labs: { analyte: string; value: number }[], a: string): number | undefined =>
  labs.find((l) => l.analyte === a)?.value;

describe('phenotypeFlowSample', () => {
  it('phenotypes the compensated events when the sample has a spillover matrix', () => {
    const r = phenotypeFlowSample(sample, settings);
    assert.equal(r.compensated, true);
    // T = A ≥ 20: events 0, 2, 3, whose compensated B are 60 − 50 = 10, 5 − 25 = −20, 80 − 100 = −20: none ≥ 30.
    assert.deepEqual(
      r.gates.map((g) => [g.gateId, g.count, g.parentCount]),
      [['T', 3, 4]],
    );
    assert.equal(value(r.labs, 'flow_t_count'), 3);
    assert.equal(value(r.labs, 'flow_t_cd57pos_pct'), 0);
    // median of compensated B over T = median(10, −20, −20) = −20
    assert.equal(value(r.labs, 'flow_t_mfi_cd57'), -20);
    assert.equal(value(r.labs, 'flow_t_senescent2plus_pct'), 0);
  });
  it('uses the raw events when compensation is off', () => {
    const r = phenotypeFlowSample(sample, { ...settings, compensate: false });
    assert.equal(r.compensated, false);
    // raw B over T: 60, 5, 80 → 2 of 3 ≥ 30; median 60
    assert.equal(value(r.labs, 'flow_t_cd57pos_pct'), (100 * 2) / 3);
    assert.equal(value(r.labs, 'flow_t_mfi_cd57'), 60);
  });
  it('CD4/CD8 ratio from two gates; an empty population stores its count but no percentages', () => {
    const s2: GatingStrategy = {
      ...strategy,
      gates: [
        ...strategy.gates,
        {
          kind: 'rectangle',
          id: 'None',
          parentId: null,
          dims: [
            {
              dim: { kind: 'parameter', name: 'A', compensationRef: 'FCS', transformRef: null },
              min: 1e6,
              max: null,
            },
          ],
        },
      ],
    };
    const r = phenotypeFlowSample(
      { ...sample, strategy: s2 },
      { ...settings, cd4Gate: 'T', cd8Gate: 'T', populations: [{ label: 'none', gate: 'None' }] },
    );
    assert.equal(value(r.labs, 'flow_cd4_cd8_ratio'), 1);
    assert.equal(value(r.labs, 'flow_none_count'), 0);
    assert.equal(value(r.labs, 'flow_none_cd57pos_pct'), undefined);
  });
  it('names the file and the setting for an unknown gate or an absent channel', () => {
    assert.throws(
      () => phenotypeFlowSample(sample, { ...settings, populations: [{ label: 'x', gate: 'CD3' }] }),
      (e: unknown) => e instanceof InputError && /s\.fcs.*populations\[0\]\.gate.*CD3/.test(e.message),
    );
    assert.throws(
      () => phenotypeFlowSample(sample, { ...settings, markers: { CD57: { channel: 'Q', threshold: 1 } } }),
      (e: unknown) => e instanceof InputError && /s\.fcs/.test(e.message) && /Q/.test(e.message),
    );
  });
});
