/**
 * Gating-ML 2.0 compliance set 1 (shared/data/flow/gatingml2-compliance-set1): every gate's per-event
 * membership must equal truth/Results_<id>.txt exactly, and the counts expected_counts.json.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { applyGates } from '../../src/flow/gates.js';
import { readFcs } from '../../src/io/fcs/reader.js';
import { parseGatingMl, readGatingMl } from '../../src/io/gatingml.js';
import { sharedData } from '../helpers/shared-data.js';

const dir = sharedData('flow', 'gatingml2-compliance-set1');
const events = readFcs(join(dir, 'data1.fcs')).events!;
const expected = JSON.parse(readFileSync(join(dir, 'expected_counts.json'), 'utf8')) as {
  gate_truth_counts: Record<string, { in_gate: number }>;
};
/** Truth files named differently from the gate id. */
const truthName: Record<string, string> = { ParRectangle1: 'ParQuadRect' };
const truth = (name: string): Uint8Array =>
  Uint8Array.from(
    readFileSync(join(dir, 'truth', `Results_${name}.txt`), 'utf8')
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '')
      .map(Number),
  );

describe('Gating-ML 2.0 compliance set 1 (exact per-event membership)', () => {
  const checked = new Set<string>();
  for (const f of readdirSync(join(dir, 'gml')).sort()) {
    it(f, () => {
      const strategy = readGatingMl(join(dir, 'gml', f));
      const results = applyGates(events, strategy, null);
      let compared = 0;
      for (const r of results) {
        const name = truthName[r.id] ?? r.id;
        if (!(name in expected.gate_truth_counts)) continue;
        const t = truth(name);
        assert.equal(r.membership.length, t.length);
        let diff = 0;
        for (let i = 0; i < t.length; i++) if (r.membership[i] !== t[i]) diff++;
        assert.equal(diff, 0, `${f} gate ${r.id}: ${diff} events differ from truth`);
        assert.equal(r.count, expected.gate_truth_counts[name]!.in_gate, `${r.id} count`);
        checked.add(name);
        compared++;
      }
      assert.ok(compared > 0 || f === 'gml_ellipse2_gate.xml', `${f}: no gate compared`);
    });
  }
  it('covers every gate in expected_counts.json', () => {
    const missing = Object.keys(expected.gate_truth_counts).filter((k) => !checked.has(k));
    assert.deepEqual(missing, []);
  });
});

describe('Gating-ML bad input', () => {
  it('a gate naming an absent parameter is a clear InputError', () => {
    const xml = `<?xml version="1.0"?><gating:Gating-ML xmlns:gating="http://www.isac-net.org/std/Gating-ML/v2.0/gating"
      xmlns:data-type="http://www.isac-net.org/std/Gating-ML/v2.0/datatypes">
      <gating:RectangleGate gating:id="R"><gating:dimension gating:compensation-ref="uncompensated" gating:min="1">
      <data-type:fcs-dimension data-type:name="CD999-PE" /></gating:dimension></gating:RectangleGate></gating:Gating-ML>`;
    assert.throws(
      () => applyGates(events, parseGatingMl(xml, 'bad.xml')),
      (e: unknown) =>
        e instanceof InputError && /not in the data/.test(e.message) && e.message.includes('CD999-PE'),
    );
  });
  it('a boolean gate referring to an unknown gate is refused', () => {
    const xml = `<Gating-ML><BooleanGate id="B"><and><gateReference ref="X"/><gateReference ref="Y"/></and></BooleanGate></Gating-ML>`;
    assert.throws(() => applyGates(events, parseGatingMl(xml)), /unknown gate/);
  });
});

describe('Gating-ML: FlowKit 8-colour ICS strategy (fcs-misc/8color_ICS_gatingml.xml)', () => {
  it('parses the gate hierarchy, transforms and the spectrum matrix (= 8color_den_comp.csv to its 6 decimals)', () => {
    const s = readGatingMl(sharedData('flow', 'fcs-misc', '8color_ICS_gatingml.xml'));
    assert.deepEqual(
      s.gates.map((g) => `${g.id}<${g.parentId ?? ''}`),
      [
        'TimeGate<',
        'Singlets<TimeGate',
        'aAmine-<Singlets',
        'CD3-pos<aAmine-',
        'CD4-pos<CD3-pos',
        'CD8-pos<CD3-pos',
      ],
    );
    assert.deepEqual(Object.keys(s.transforms).sort(), ['Time', 'logicle-default', 'scatter-lin']);
    const m = s.matrices['Acquisition-defined']!;
    const csv = readFileSync(sharedData('flow', 'fcs-misc', '8color_den_comp.csv'), 'utf8')
      .trim()
      .split(/\r?\n/);
    assert.deepEqual(csv[0]!.replace(/^#\s*/, '').split(','), m.detectors);
    csv
      .slice(1)
      .forEach((line, i) =>
        line
          .split(',')
          .forEach((v, j) => assert.ok(Math.abs(Number(v) - m.values[i]![j]!) <= 5e-7, `S[${i}][${j}]`)),
      );
  });
});
