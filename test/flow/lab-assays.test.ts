/** Lab flow assays (issue 16 item 2): bead counts, folds, killing, viability, proliferation, markers, senescence. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { absoluteCountPerUl, expansionFolds, killingKinetics } from '../../src/flow/counts.js';
import { markerPositivity, senescenceByMemorySubset, thresholdFromControl } from '../../src/flow/markers.js';
import { memorySubsets, senescenceProfile } from '../../src/flow/phenotype.js';
import {
  fitDyeDilution,
  proliferationIndices,
  undividedPeakFromControl,
} from '../../src/flow/proliferation.js';
import type { FlowEvents } from '../../src/flow/types.js';
import { viabilityQuadrants } from '../../src/flow/viability.js';
import { dyeDilutionValues } from '../../src/sim/flow.js';

const close = (a: number, b: number, rel: number, what: string): void =>
  assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b}`);

function events(cols: Record<string, number[]>): FlowEvents {
  const names = Object.keys(cols);
  return {
    parameterNames: names,
    columns: names.map((n) => Float64Array.from(cols[n]!)),
    eventCount: cols[names[0]!]!.length,
  };
}

describe('absolute counts from beads', () => {
  it('equals the hand calculation (Trucount: 50 000 beads per test, 50 µL blood)', () => {
    // 12 345 CD3+ events, 4 000 bead events: 12 345 / 4 000 × 50 000 / 50 = 3 086.25 cells/µL
    assert.equal(
      absoluteCountPerUl({ cellEvents: 12345, beadEvents: 4000, beadsPerTest: 50000, sampleVolumeUl: 50 }),
      3086.25,
    );
    // CountBright: 50 µL of 1 030 beads/µL added to 100 µL of a 1:4 dilution; 2 500 cells, 1 250 beads
    // 2 500 / 1 250 × 51 500 / 100 × 4 = 4 120 cells/µL
    assert.equal(
      absoluteCountPerUl({
        cellEvents: 2500,
        beadEvents: 1250,
        beadsPerTest: 1030 * 50,
        sampleVolumeUl: 100,
        dilutionFactor: 4,
      }),
      4120,
    );
  });
  it('refuses no beads and a zero volume, naming the field', () => {
    assert.throws(
      () => absoluteCountPerUl({ cellEvents: 10, beadEvents: 0, beadsPerTest: 50000, sampleVolumeUl: 50 }),
      (e: unknown) => e instanceof InputError && /beadEvents.*no bead events/.test(e.message),
    );
    assert.throws(
      () => absoluteCountPerUl({ cellEvents: 10, beadEvents: 5, beadsPerTest: 50000, sampleVolumeUl: 0 }),
      /sampleVolumeUl/,
    );
  });
});

describe('expansion folds and killing kinetics', () => {
  it('folds against the earliest time or a chosen reference', () => {
    const pts = [
      { time: 7, count: 900 },
      { time: 0, count: 100 },
      { time: 2, count: 250 },
    ];
    assert.deepEqual(
      expansionFolds(pts).map((p) => [p.time, p.fold]),
      [
        [0, 1],
        [2, 2.5],
        [7, 9],
      ],
    );
    assert.deepEqual(
      expansionFolds(pts, 2).map((p) => p.fold),
      [0.4, 1, 3.6],
    );
    assert.throws(() => expansionFolds(pts, 5), /reference time is not in the series.*5/);
    assert.throws(() => expansionFolds([...pts, { time: 2, count: 1 }]), /time point given twice.*2/);
  });
  it('% lysis against the target-alone control and cumulative loss against the initial targets', () => {
    const pts = [
      { time: 0, targetCount: 1000, controlCount: 1000 },
      { time: 24, targetCount: 600, controlCount: 1200 },
      { time: 48, targetCount: 1500, controlCount: 1500 },
    ];
    assert.deepEqual(
      killingKinetics(pts, 'control').map((p) => p.percentKilled),
      [0, 50, 0],
    );
    // against the initial 1000: 0, 40 % lost, −50 % (targets grew)
    assert.deepEqual(
      killingKinetics(pts, 'initial').map((p) => p.percentKilled),
      [0, 40, -50],
    );
    assert.throws(
      () => killingKinetics([{ time: 1, targetCount: 5 }], 'control'),
      /time 1: the target-alone control count must be > 0/,
    );
  });
});

describe('viability quadrants', () => {
  it('live / early / late apoptotic / necrotic on a constructed sample (threshold inclusive)', () => {
    // 10 events: annexin ≥ 100 positive, 7-AAD ≥ 50 positive; last event outside the parent
    const ev = events({
      AnnV: [10, 20, 100, 150, 300, 120, 5, 8, 99, 500],
      AAD: [0, 10, 10, 49, 50, 400, 60, 200, 49.9, 0],
    });
    const parent = Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    const v = viabilityQuadrants(ev, parent, {
      annexinV: { channel: 'AnnV', threshold: 100 },
      deadDye: { channel: 'AAD', threshold: 50 },
    });
    assert.equal(v.parentCount, 9);
    assert.deepEqual(
      [v.live.count, v.earlyApoptotic.count, v.lateApoptotic.count, v.necrotic.count],
      [3, 2, 2, 2],
    );
    close(v.live.percentOfParent, (100 * 3) / 9, 1e-12, 'live %');
    assert.throws(
      () =>
        viabilityQuadrants(ev, null, {
          annexinV: { channel: 'PE-A', threshold: 1 },
          deadDye: { channel: 'AAD', threshold: 1 },
        }),
      /annexinV: viability channel is not in the data.*PE-A/,
    );
  });
});

describe('proliferation (dye dilution)', () => {
  // Known cells per generation; original cells N_g/2^g: 1000, 400, 300, 200, 50 (sum 1950, divided 950);
  // divisions Σ g·N_g/2^g = 0 + 400 + 600 + 600 + 200 = 1800; cells 5400 (divided 4400).
  const counts = [1000, 800, 1200, 1600, 800];
  const hand = {
    percentDivided: (100 * 950) / 1950,
    divisionIndex: 1800 / 1950,
    proliferationIndex: 1800 / 950,
    expansionIndex: 5400 / 1950,
    replicationIndex: 4400 / 950,
  };
  it('indices from counts per generation equal the hand-computed values', () => {
    const ix = proliferationIndices(counts);
    for (const [k, v] of Object.entries(hand)) close(ix[k as keyof typeof hand], v, 1e-14, k);
    // FlowJo's FAQ example: half of the cells divided exactly 3 times → PI 3, DI 1.5
    const faq = proliferationIndices([100, 0, 0, 800]);
    assert.equal(faq.proliferationIndex, 3);
    assert.equal(faq.divisionIndex, 1.5);
    assert.equal(faq.percentDivided, 50);
    const none = proliferationIndices([500]);
    assert.equal(none.divisionIndex, 0);
    assert.ok(Number.isNaN(none.proliferationIndex));
    assert.throws(() => proliferationIndices([10, -1]), /generation 1: count must be/);
  });
  it('the fitted peaks give the known counts back, with the undivided peak fitted or from a control', () => {
    const values = dyeDilutionValues(counts, { undividedIntensity: 40000, sdLog2: 0.12 });
    const control = dyeDilutionValues([3000], { undividedIntensity: 40000, sdLog2: 0.12 });
    const peak = undividedPeakFromControl(control, null);
    close(peak.meanLog2, Math.log2(40000), 1e-3, 'control mean');
    close(peak.sdLog2, 0.12, 0.02, 'control sd');
    for (const fit of [fitDyeDilution(values, null), fitDyeDilution(values, null, { undividedPeak: peak })]) {
      close(fit.undividedMeanLog2, Math.log2(40000), 1e-3, 'undivided peak');
      close(fit.sdLog2, 0.12, 0.005, 'peak width');
      fit.generations.slice(0, counts.length).forEach((g, k) => close(g.count, counts[k]!, 1e-4, `gen ${k}`));
      for (const g of fit.generations.slice(counts.length))
        assert.ok(g.count < 1, `empty gen ${g.generation}`);
      for (const [k, v] of Object.entries(hand)) close(fit.indices[k as keyof typeof hand], v, 1e-5, k);
      close(fit.generations[1]!.peakIntensity, 20000, 0.002, 'gen 1 peak');
    }
  });
  it('a parent gate restricts the fit; too few values is an error', () => {
    const values = dyeDilutionValues([2000, 2000], { undividedIntensity: 8000, sdLog2: 0.1 });
    const parent = new Uint8Array(values.length);
    parent.fill(1, 0, 2000); // undivided only
    const fit = fitDyeDilution(values, parent);
    close(fit.indices.percentDivided + 1, 1, 0.01, '% divided ≈ 0');
    assert.throws(() => fitDyeDilution(values.subarray(0, 10), null), /too few positive dye values.*10/);
  });
});

describe('surface markers and senescence within memory subsets', () => {
  it('%-positive with a given threshold and with an FMO threshold (99th percentile)', () => {
    const fmo = events({ PE: Array.from({ length: 100 }, (_, i) => i) }); // 0 … 99
    assert.equal(thresholdFromControl({ events: fmo, parent: null }, 'PE'), 98); // ⌈0.99·100⌉ = 99th value
    const s = events({ PE: [5, 50, 98, 99, 200, 300, 1000, 7], APC: [1, 2, 3, 4, 5, 6, 7, 8] });
    const [pdl1, icam] = markerPositivity({ events: s, parent: null }, [
      { marker: 'PD-L1', channel: 'PE', control: { events: fmo, parent: null } },
      { marker: 'ICAM-1', channel: 'APC', threshold: 6 },
    ]);
    assert.equal(pdl1!.threshold, 98);
    assert.equal(pdl1!.thresholdSource, 'control');
    assert.equal(pdl1!.positiveCount, 5); // 98, 99, 200, 300, 1000
    assert.equal(pdl1!.percentPositive, 62.5);
    assert.equal(pdl1!.mfiPositive, 200);
    assert.equal(icam!.percentPositive, 37.5);
    assert.equal(icam!.mfi, 4.5);
    assert.throws(
      () =>
        markerPositivity({ events: s, parent: null }, [{ marker: 'HLA-DR', channel: 'BV421', threshold: 1 }]),
      /marker HLA-DR: channel is not in the data.*BV421/,
    );
    assert.throws(
      () => markerPositivity({ events: s, parent: null }, [{ marker: 'PD-1', channel: 'PE' }]),
      /PD-1: give either a threshold or a control/,
    );
  });
  it('senescence profiles within each memory subset add up to the global one', () => {
    // CD45RA, CCR7, CD45RO, CD28, CD57 positive at ≥ 1
    const rows = [
      [1, 1, 0, 1, 0], // naive, CD28+
      [1, 1, 1, 0, 1], // scm, CD28lo CD57+
      [0, 1, 1, 0, 0], // cm, CD28lo
      [0, 1, 1, 1, 0], // cm
      [0, 0, 1, 0, 1], // em, CD28lo CD57+
      [1, 0, 0, 0, 1], // te, CD28lo CD57+
      [1, 0, 0, 1, 1], // te, CD57+
      [0, 0, 0, 1, 0], // unclassified (RA− RO−)
    ];
    const names = ['RA', 'CCR7', 'RO', 'CD28', 'CD57'];
    const ev = events(Object.fromEntries(names.map((n, j) => [n, rows.map((r) => r[j]!)])));
    const t = (channel: string) => ({ channel, threshold: 1 });
    const memory = { CD45RA: t('RA'), CCR7: t('CCR7'), CD45RO: t('RO') };
    const sen = { CD28: t('CD28'), CD57: t('CD57') };
    const r = senescenceByMemorySubset(ev, null, memory, sen);
    const sub = r.subsets;
    assert.deepEqual(Object.keys(sub), [
      'naive',
      'stemCellMemory',
      'centralMemory',
      'effectorMemory',
      'terminalEffector',
    ]);
    assert.deepEqual(
      Object.values(sub).map((p) => p.parentCount),
      [1, 1, 2, 1, 2],
    );
    assert.equal(sub['terminalEffector']!.markers['CD57+']!.count, 2);
    assert.equal(sub['terminalEffector']!.coExpressed[2]!.count, 1); // CD28lo CD57+
    assert.equal(sub['centralMemory']!.markers['CD28lo']!.percentOfParent, 50);
    assert.deepEqual(r.global, senescenceProfile(ev, null, sen));
    // the subset sizes agree with memorySubsets
    const ms = memorySubsets(ev, null, memory);
    assert.equal(ms.centralMemory.count, sub['centralMemory']!.parentCount);
    assert.equal(ms.unclassified.count, 1);
  });
});
