/**
 * The label look-ups of the whole-volume commands: `presentLabels(labelHistogram(…))` (the label list of
 * `carto matv` / `carto mip` and the default list of `quantifyLabelMap`) equals the sorted distinct nonzero
 * values for every label data type (table values 0…65535, negative and large values in the map); and
 * `matvForLabels` gives the same MATV whether a lesion's label is looked up in the table or in the map.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelHistogram, presentLabels } from '../../src/imaging/voi-stats.js';
import type { LabelData } from '../../src/imaging/voi-stats.js';
import { matvForLabels } from '../../src/imaging/segmentation.js';
import type { Vec3, Volume } from '../../src/imaging/volume.js';

function vol<T extends LabelData>(size: Vec3, data: T): Volume<T> {
  return {
    size,
    spacingMm: [2, 2, 3],
    originLps: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    data,
    unit: 'x',
  };
}

test('presentLabels(labelHistogram): the sorted distinct nonzero values, for every label data type', () => {
  let x = 17;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const size: Vec3 = [7, 5, 6];
  const n = 7 * 5 * 6;
  const pick = (vals: number[]) => vals[Math.floor(rnd() * vals.length)]!;
  const cases: LabelData[] = [
    Uint8Array.from({ length: n }, () => pick([0, 0, 3, 200, 255])),
    Uint16Array.from({ length: n }, () => pick([0, 65535, 7, 1024])),
    Int16Array.from({ length: n }, () => pick([0, -5, 12, -32768])),
    Int32Array.from({ length: n }, () => pick([0, 70000, 4, -1, 65536])),
    Float32Array.from({ length: n }, () => pick([0, 1e6, 65535, -2, 9])),
    Float64Array.from({ length: n }, () => pick([0, 2 ** 40, 1, 65536])),
  ];
  for (const data of cases) {
    const want = [...new Set(Array.from(data))].filter((v) => v !== 0).sort((a, b) => a - b);
    const h = labelHistogram(vol(size, data));
    assert.deepEqual(presentLabels(h), want, data.constructor.name);
    // Slices with a nonzero value.
    for (let k = 0; k < 6; k++) {
      const any = data.subarray(k * 35, (k + 1) * 35).some((v) => v !== 0);
      assert.equal(h.sliceNonzero[k], any ? 1 : 0, `${data.constructor.name} slice ${k}`);
    }
  }
});

test('matvForLabels: labels in the table (≤ 65535) and in the map (70000, −3) give the same MATV as small labels', () => {
  const size: Vec3 = [12, 10, 8];
  const n = 12 * 10 * 8;
  let x = 5;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const suv = vol(
    size,
    Float32Array.from({ length: n }, () => 5 * rnd()),
  );
  const small = new Uint8Array(n);
  for (let q = 0; q < n; q++) {
    const i = q % 12;
    const k = Math.floor(q / 120);
    small[q] = i < 4 ? 1 : i > 7 && k > 2 ? 2 : k === 0 ? 3 : 0;
  }
  const relabel = [0, 70000, -3, 9];
  const big = Float32Array.from(small, (v) => relabel[v]!);
  const want = matvForLabels(suv, { data: small }, [1, 2, 3]);
  const got = matvForLabels(suv, { data: big }, [70000, -3, 9]);
  assert.deepEqual(
    got.lesions.map((l) => [l.voxelCount, l.componentCount, l.suvMax]),
    want.lesions.map((l) => [l.voxelCount, l.componentCount, l.suvMax]),
  );
  assert.deepEqual(got.patient, want.patient);
  assert.ok(want.lesions.every((l) => l.voxelCount > 0));
  // A label listed twice takes its last position, as before (a Map built in order).
  const twice = matvForLabels(suv, { data: small }, [1, 2, 1]);
  assert.equal(twice.lesions[0]!.voxelCount, 0);
  assert.equal(twice.lesions[2]!.voxelCount, want.lesions[0]!.voxelCount);
});
