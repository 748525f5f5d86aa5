/**
 * Label outlines without a full-size mask per label: `projectLabels` gives, for every listed label, the
 * same projection as `projectMask` of the mask `labelMap == label` (every view, a slice, labels 0,
 * negative, fractional and above 65535, a label listed twice, a label not present), and `renderMip` /
 * `renderSlice` with `labelOutlines` draw the same PNG bytes as with one mask per label in `outlines`,
 * whether the labels are projected all at once or a few per pass.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { projectLabels, projectMask, type View } from '../../src/imaging/mip.js';
import type { Volume } from '../../src/imaging/volume.js';
import { renderMip, renderSlice } from '../../src/report/images.js';

const SIZE: [number, number, number] = [9, 7, 11];
const N = SIZE[0] * SIZE[1] * SIZE[2];
const GRID = {
  size: SIZE,
  spacingMm: [2, 3, 2.5] as [number, number, number],
  originLps: [0, 0, 0] as [number, number, number],
  // oblique-free but flipped axes, so the display flips are exercised
  direction: [-1, 0, 0, 0, 0, 1, 0, -1, 0] as Volume['direction'],
};

/** A seeded label map of values 0, 1, 3, -1, 2.5, 70000 in blobs, and an SUV volume. */
function volumes(): { suv: Volume<Float32Array>; labelMap: Float32Array } {
  let s = 7;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const values = [1, 3, -1, 2.5, 70000];
  const labelMap = new Float32Array(N);
  for (const v of values)
    for (let b = 0; b < 3; b++) {
      const [x0, y0, z0] = [rnd() * 7, rnd() * 5, rnd() * 9].map(Math.floor) as [number, number, number];
      for (let z = z0; z < z0 + 3; z++)
        for (let y = y0; y < y0 + 2; y++)
          for (let x = x0; x < x0 + 2; x++) labelMap[x + SIZE[0] * (y + SIZE[1] * z)] = v;
    }
  const suv = Float32Array.from({ length: N }, () => rnd() * 5);
  return { suv: { ...GRID, data: suv, unit: 'SUV' }, labelMap };
}

const LABELS = [1, 3, -1, 2.5, 70000, 0, 3, 42];

test('projectLabels = projectMask(labelMap == label) for every label, view and a slice', () => {
  const { labelMap } = volumes();
  for (const view of ['coronal', 'sagittal', 'axial'] as View[])
    for (const slice of [undefined, 4]) {
      const opts = { view, ...(slice !== undefined ? { slice } : {}) };
      const got = projectLabels(GRID, labelMap, LABELS, opts);
      assert.equal(got.length, LABELS.length);
      LABELS.forEach((l, n) => {
        const mask = Uint8Array.from(labelMap, (x) => (x === l ? 1 : 0));
        assert.deepEqual(got[n], projectMask(GRID, mask, opts), `${view} slice ${slice} label ${l}`);
      });
      assert.ok(got[0]!.some((x) => x === 1) || slice !== undefined, 'label 1 is projected');
      assert.ok(
        got[7]!.every((x) => x === 0),
        'label 42 is not in the map',
      );
    }
});

test('labelOutlines draws the same PNG as one mask per label, all at once or a few labels per pass', () => {
  const { suv, labelMap } = volumes();
  const labels = [1, 3, -1, 2.5, 70000];
  const masks = labels.map((l) => Uint8Array.from(labelMap, (x) => (x === l ? 1 : 0)));
  const extra = Uint8Array.from(labelMap, (x) => (x > 2 ? 1 : 0));
  for (const axis of ['coronal', 'sagittal', 'axial'] as View[]) {
    const base = { axis, windowSuv: [0, 5] as [number, number], pixelMm: 1.3 };
    const want = renderMip(suv, { ...base, outlines: [extra, ...masks] });
    const wantSlice = renderSlice(suv, 3, { ...base, outlines: [extra, ...masks] });
    const pixels = axis === 'coronal' ? 9 * 11 : axis === 'sagittal' ? 7 * 11 : 9 * 7;
    for (const maskBytes of [undefined, pixels, 2 * pixels, 1]) {
      const labelOutlines = { labelMap, labels, ...(maskBytes !== undefined ? { maskBytes } : {}) };
      const got = renderMip(suv, { ...base, outlines: [extra], labelOutlines });
      assert.deepEqual(got.png, want.png, `${axis} MIP, ${maskBytes} bytes of masks`);
      const gotSlice = renderSlice(suv, 3, { ...base, outlines: [extra], labelOutlines });
      assert.deepEqual(gotSlice.png, wantSlice.png, `${axis} slice, ${maskBytes} bytes of masks`);
    }
    // the outlines are there: the picture differs from the one without them
    assert.notDeepEqual(want.rgb, renderMip(suv, base).rgb);
  }
});
