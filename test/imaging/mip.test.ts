/**
 * MIP and slice pictures: display convention (patient right on the image left, head up), the SUV
 * window, the same picture from every storage orientation, outlines, and a decodable PNG.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors.js';
import { decode } from 'fast-png';
import { renderMip, renderSlice } from '../../src/report/images.js';
import type { Volume } from '../../src/imaging/volume.js';
import { allOrientations, reorient } from './orientations.js';

function phantom(): Volume<Float32Array> {
  const size: [number, number, number] = [10, 8, 12];
  const data = new Float32Array(10 * 8 * 12);
  // A hot voxel at the patient's left (high i), superior (high k); a warm one at the right, inferior.
  data[8 + 10 * (3 + 8 * 10)] = 10;
  data[1 + 10 * (5 + 8 * 2)] = 2.5;
  return {
    size,
    spacingMm: [2, 2, 2],
    originLps: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    data,
    unit: 'SUV',
  };
}

test('coronal MIP: patient left on the image right, head up; window [0, 5] maps 10 → black, 2.5 → mid grey', () => {
  const p = renderMip(phantom(), { axis: 'coronal', windowSuv: [0, 5] });
  assert.equal(p.widthPx, 10);
  assert.equal(p.heightPx, 12);
  const px = (r: number, c: number) => p.rgb[3 * (r * p.widthPx + c)]!;
  assert.equal(px(12 - 1 - 10, 8), 0, 'hot voxel: column 8 (left side on the right), row from top = 1');
  assert.equal(px(12 - 1 - 2, 1), 128, 'warm voxel grey = 255·(1 − 0.5) rounded');
  assert.equal(px(0, 0), 255, 'background white');
  const img = decode(p.png);
  assert.equal(img.width, 10);
  assert.equal(img.channels, 3);
  assert.deepEqual(Array.from(img.data), Array.from(p.rgb));
});

test('the same picture from all 48 storage orientations (coronal, sagittal, axial MIPs)', () => {
  const ref = phantom();
  for (const axis of ['coronal', 'sagittal', 'axial'] as const) {
    const want = renderMip(ref, { axis, windowSuv: [0, 5] });
    for (const dir of allOrientations()) {
      const got = renderMip(reorient(ref, dir), { axis, windowSuv: [0, 5] });
      assert.equal(got.widthPx, want.widthPx);
      assert.deepEqual(got.rgb, want.rgb, `${axis} ${dir.join(',')}`);
    }
  }
});

test('slices and outlines: an outlined 3×3 square has a coloured border and a grey centre; bad slice index refused', () => {
  const v = phantom();
  const mask = new Uint8Array(v.data.length);
  for (let j = 2; j <= 4; j++) for (let i = 2; i <= 4; i++) mask[i + 10 * (j + 8 * 6)] = 1;
  const s = renderSlice(v, 6, { windowSuv: [0, 5], outlines: [mask] });
  assert.equal(s.widthPx, 10);
  assert.equal(s.heightPx, 8);
  const at = (r: number, c: number) => Array.from(s.rgb.subarray(3 * (r * 10 + c), 3 * (r * 10 + c) + 3));
  assert.deepEqual(at(2, 2), [230, 25, 75]);
  assert.deepEqual(at(3, 3), [255, 255, 255]);
  assert.throws(
    () => renderSlice(v, 12),
    (e: unknown) => e instanceof InputError && /field slice/.test(e.message),
  );
});
