/**
 * Compensation with comp_complete_example.csv on test_comp_example.fcs (FlowKit test data; the file's SPILL names
 * the same detectors): compensation inverts the spill (x_c · S = x_raw to 1e-9 relative: float64 round-off of a 14×14
 * solve), and spillover-from-single-stains reproduces a known matrix (exact medians by construction).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compensate, spilloverFromSingleStains } from '../../src/flow/compensation.js';
import type { FlowEvents } from '../../src/flow/types.js';
import { readCsv } from '../../src/io/csv.js';
import { readFcs } from '../../src/io/fcs/reader.js';
import { assertClose } from '../helpers/assert-close.js';
import { sharedData } from '../helpers/shared-data.js';

describe('compensation', () => {
  const ds = readFcs(sharedData('flow', 'fcs-misc', 'test_comp_example.fcs'));
  const csv = readCsv(sharedData('flow', 'fcs-misc', 'comp_complete_example.csv'));
  const spill = {
    parameterNames: csv.columns,
    values: csv.rows.map((r) => csv.columns.map((c) => Number(r[c]))),
  };
  it('file SPILL names the same 14 detectors as comp_complete_example.csv', () => {
    assert.deepEqual(ds.spillover!.parameterNames, csv.columns);
    assert.equal(ds.spillover!.values.length, 14);
  });
  it('compensated · S reproduces the raw detector values', () => {
    const ev = ds.events!;
    const comp = compensate(ev, spill);
    const idx = spill.parameterNames.map((n) => ev.parameterNames.indexOf(n));
    for (const e of [0, 1, 500, 10702]) {
      idx.forEach((cj, j) => {
        let back = 0;
        idx.forEach((ci, i) => (back += comp.columns[ci]![e]! * spill.values[i]![j]!));
        assertClose(back, ev.columns[cj]![e]!, 1e-9, `event ${e} ${spill.parameterNames[j]}`, 1e-9);
      });
    }
    // scatter and time untouched (same column object)
    assert.equal(comp.columns[0], ev.columns[0]);
  });
  it('spillover from single stains (flowCore median method)', () => {
    const S = [
      [1, 0.2, 0.05],
      [0.1, 1, 0.3],
      [0, 0.02, 1],
    ];
    const names = ['FL1', 'FL2', 'FL3'];
    const base = [10, 20, 30];
    const make = (signal: number[]): FlowEvents => ({
      parameterNames: names,
      eventCount: 3,
      // three events per control; medians are the middle values
      columns: names.map((_, j) => Float64Array.from([signal[j]! - 1, signal[j]!, signal[j]! + 5])),
    });
    const unstained = make(base);
    const controls = names.map((d, i) => ({
      detector: d,
      events: make(base.map((b, j) => b + 1000 * (i + 1) * S[i]![j]!)),
    }));
    const est = spilloverFromSingleStains(controls, unstained);
    est.values.forEach((row, i) =>
      row.forEach((v, j) => assertClose(v, S[i]![j]!, 1e-12, `S[${i}][${j}]`, 1e-12)),
    );
  });
});
