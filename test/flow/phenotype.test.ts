/** Phenotyping on a hand-built event table where every subset count is known by construction. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import {
  cd4Cd8Ratio,
  foldChange,
  medianFluorescence,
  memorySubsets,
  senescenceProfile,
} from '../../src/flow/phenotype.js';
import type { FlowEvents } from '../../src/flow/types.js';

// Columns: CD45RA, CCR7, CD95, CD28, CD27, CD57, KLRG1 (threshold 100 for all)
const rows = [
  [500, 500, 10, 500, 500, 10, 10], // naive (RA+ CCR7+ CD95−), 0 senescence markers
  [500, 500, 500, 500, 500, 10, 10], // TSCM
  [10, 500, 500, 500, 10, 10, 10], // TCM, CD27lo
  [10, 10, 500, 10, 10, 500, 10], // TEM, CD28lo CD27lo CD57+
  [10, 10, 500, 10, 10, 500, 500], // TEM, all four
  [500, 10, 500, 10, 10, 500, 500], // TEMRA, all four
  [500, 10, 500, 10, 500, 500, 10], // TEMRA, CD28lo CD57+ (excluded by the parent below)
];
const names = ['CD45RA', 'CCR7', 'CD95', 'CD28', 'CD27', 'CD57', 'KLRG1'];
const events: FlowEvents = {
  parameterNames: names,
  eventCount: rows.length,
  columns: names.map((_, j) => Float64Array.from(rows.map((r) => r[j]!))),
};
const parent = Uint8Array.from([1, 1, 1, 1, 1, 1, 0]);
const m = (c: string): { channel: string; threshold: number } => ({ channel: c, threshold: 100 });

describe('phenotyping', () => {
  it('memory subsets by CD45RA/CCR7/CD45RO as docs/references/assays.md §7 defines them', () => {
    // Column CD95 reused as a CD45RO channel: RO+ on rows 1–6, RO− on row 0.
    const r = memorySubsets(events, null, { CD45RA: m('CD45RA'), CCR7: m('CCR7'), CD45RO: m('CD95') });
    assert.equal(r.scmMarker, 'CD45RO');
    // row0 RA+CCR7+RO− naive; row1 RA+CCR7+RO+ SCM; row2 CM; rows 3–4 EM; rows 5–6 RA+CCR7−RO+ → unclassified
    assert.deepEqual(
      [
        r.naive!.count,
        r.stemCellMemory!.count,
        r.centralMemory.count,
        r.effectorMemory.count,
        r.terminalEffector.count,
        r.unclassified.count,
      ],
      [1, 1, 1, 2, 0, 2],
    );
  });
  it('memory subsets with CD95 (Gattinoni TSCM)', () => {
    const r = memorySubsets(events, parent, { CD45RA: m('CD45RA'), CCR7: m('CCR7'), CD95: m('CD95') });
    assert.equal(r.scmMarker, 'CD95');
    assert.equal(r.parentCount, 6);
    assert.deepEqual(
      [
        r.naive!.count,
        r.stemCellMemory!.count,
        r.centralMemory.count,
        r.effectorMemory.count,
        r.terminalEffector.count,
      ],
      [1, 1, 1, 2, 1],
    );
    assert.equal(r.effectorMemory.percentOfParent, (100 * 2) / 6);
    assert.equal(r.naiveLike.count, 2);
    const noCd95 = memorySubsets(events, null, { CD45RA: m('CD45RA'), CCR7: m('CCR7') });
    assert.equal(noCd95.naive, null);
    assert.equal(noCd95.terminalEffector.count, 2);
  });
  it('senescence markers and the number co-expressed', () => {
    const s = senescenceProfile(events, parent, {
      CD28: m('CD28'),
      CD27: m('CD27'),
      CD57: m('CD57'),
      KLRG1: m('KLRG1'),
    });
    assert.deepEqual(Object.fromEntries(Object.entries(s.markers).map(([k, v]) => [k, v.count])), {
      CD28lo: 3,
      CD27lo: 4,
      'CD57+': 3,
      'KLRG1+': 2,
    });
    assert.deepEqual(
      s.coExpressed.map((c) => c.count),
      [2, 1, 0, 1, 2],
    );
  });
  it('MFI (median), CD4/CD8 ratio, fold change; bad channel refused', () => {
    assert.equal(medianFluorescence(events, parent, 'CD57'), 255);
    assert.equal(cd4Cd8Ratio(300, 150), 2);
    assert.ok(Number.isNaN(cd4Cd8Ratio(0, 0)));
    assert.equal(foldChange(30, 12), 2.5);
    assert.throws(() => foldChange(1, 0), InputError);
    assert.throws(() => memorySubsets(events, null, { CD45RA: m('CD45RA'), CCR7: m('nope') }), InputError);
  });
});
