/**
 * `carto mip --mask` with a label map of several labels: each label's outline in its own colour (the
 * VOI colours in ascending label order, cycling after 8), touching labels each keeping their border, a
 * label nested in another drawn over it, the inside in the SUV grey. Pixel values are asserted at known
 * positions, and the whole PNG by its sha256.
 *
 * The sha256 values were recorded from the code before the label outlines were projected in one pass
 * (commit 9d0cf4e, which built one full-size mask per label: `Uint8Array.from(volume.data, x => x === l)`):
 * this test ran there with placeholder hashes, and the actual hashes its failures printed were copied in
 * (the pixel assertions passed there as they stand); the one-pass code must give the same bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { mipCommand } from '../../src/cli/commands/imaging.js';
import type { Volume } from '../../src/imaging/volume.js';
import { writeNifti } from '../../src/io/nifti.js';
import { VOI_COLOURS_RGB } from '../../src/report/voi-colours.js';

const [NX, NY, NZ] = [16, 6, 12];
const at = (x: number, y: number, z: number) => x + NX * (y + NY * z);
const grid = {
  size: [NX, NY, NZ] as [number, number, number],
  spacingMm: [1, 1, 1] as [number, number, number],
  originLps: [0, 0, 0] as [number, number, number],
  direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as Volume['direction'],
};

/** SUV 1 everywhere, 3 at one voxel inside label 3; labels 1 (a box), 3 (inside 1), 2 (touching 1),
 * 20…25 (single voxels in a row), 200 (one voxel). */
function volumes(): { suv: Volume<Float32Array>; labels: Volume<Uint8Array> } {
  const suv = new Float32Array(NX * NY * NZ).fill(1);
  suv[at(4, 2, 4)] = 3;
  const lab = new Uint8Array(NX * NY * NZ);
  const box = (v: number, x0: number, x1: number, y0: number, y1: number, z0: number, z1: number) => {
    for (let z = z0; z <= z1; z++)
      for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) lab[at(x, y, z)] = v;
  };
  box(1, 1, 8, 1, 4, 1, 9);
  box(3, 3, 6, 2, 3, 3, 6);
  box(2, 9, 13, 1, 4, 1, 9);
  for (let k = 0; k < 6; k++) lab[at(1 + k, 0, 11)] = 20 + k;
  lab[at(14, 5, 10)] = 200;
  return { suv: { ...grid, data: suv, unit: 'SUV' }, labels: { ...grid, data: lab, unit: 'label' } };
}

const GREY_SUV1 = [191, 191, 191]; // window 0…4: 255·(1 − 1/4) rounded
const GREY_SUV3 = [64, 64, 64]; // 255·(1 − 3/4) rounded
const colour = (n: number) => [...VOI_COLOURS_RGB[n % VOI_COLOURS_RGB.length]!];
// Labels in ascending order: 1, 2, 3, 20, 21, 22, 23, 24, 25, 200 → colours 0…9 (cycling after 8).

/** Runs `carto mip` on the two volumes; the PNG's sha256 and its pixel at (row, column). */
async function mip(extra: { slice?: string; axis: 'coronal' | 'axial' | 'sagittal'; pixelMm?: string }) {
  const tmp = mkdtempSync(join(tmpdir(), 'carto-mip-labels-'));
  try {
    const { suv, labels } = volumes();
    writeNifti(suv, join(tmp, 'suv.nii'));
    writeNifti(labels, join(tmp, 'labels.nii'));
    const out = join(tmp, 'mip.png');
    const r = await mipCommand(join(tmp, 'suv.nii'), {
      out,
      window: '0,4',
      mask: join(tmp, 'labels.nii'),
      ...extra,
    });
    const bytes = readFileSync(out);
    const png = decode(bytes);
    assert.equal(png.width, r.widthPx);
    const px = (row: number, col: number) => {
      const o = 3 * (row * png.width + col);
      return [png.data[o]!, png.data[o + 1]!, png.data[o + 2]!];
    };
    return {
      sha256: createHash('sha256').update(bytes).digest('hex'),
      px,
      width: png.width,
      height: png.height,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

test('carto mip --mask, coronal MIP of 10 labels: outline colours, touching and nested labels, same PNG bytes', async () => {
  const m = await mip({ axis: 'coronal' });
  assert.deepEqual([m.width, m.height], [NX, NZ]);
  // coronal: column = x (patient right on the left), row = NZ − 1 − z (head up)
  const p = (x: number, z: number) => m.px(NZ - 1 - z, x);
  assert.deepEqual(p(0, 0), GREY_SUV1, 'background');
  assert.deepEqual(p(1, 1), colour(0), 'label 1 corner');
  assert.deepEqual(p(1, 5), colour(0), 'label 1 left edge');
  assert.deepEqual(p(2, 2), GREY_SUV1, 'inside label 1');
  assert.deepEqual(p(8, 5), colour(0), 'label 1 where it touches label 2');
  assert.deepEqual(p(9, 5), colour(1), 'label 2 where it touches label 1');
  assert.deepEqual(p(11, 5), GREY_SUV1, 'inside label 2');
  assert.deepEqual(p(3, 3), colour(2), 'label 3 (inside label 1) corner, drawn over label 1');
  assert.deepEqual(p(6, 6), colour(2), 'label 3 opposite corner');
  assert.deepEqual(p(4, 4), GREY_SUV3, 'inside label 3: the hot voxel');
  assert.deepEqual(p(5, 5), GREY_SUV1, 'inside label 3');
  for (let k = 0; k < 6; k++) assert.deepEqual(p(1 + k, 11), colour(3 + k), `label ${20 + k}`);
  assert.deepEqual(p(6, 11), colour(0), 'label 25 is the 9th label: the colours cycle');
  assert.deepEqual(p(14, 10), colour(9), 'label 200');
  assert.equal(m.sha256, '348c9b389a41ee502a75ff2218defc14ec24400b21c178862df43ef1ea5a2905');
});

test('carto mip --mask --slice, axial slice through the nested label: a ring around it', async () => {
  const m = await mip({ axis: 'axial', slice: '4' });
  assert.deepEqual([m.width, m.height], [NX, NY]);
  // axial: column = x, row = y (anterior up)
  const p = (x: number, y: number) => m.px(y, x);
  assert.deepEqual(p(0, 0), GREY_SUV1, 'background');
  assert.deepEqual(p(2, 2), colour(0), 'label 1 beside the hole label 3 makes in it');
  assert.deepEqual(p(4, 2), colour(2), 'label 3 (all border on this slice), over the hot voxel');
  assert.deepEqual(p(9, 2), colour(1), 'label 2 touching label 1');
  assert.deepEqual(p(11, 2), GREY_SUV1, 'inside label 2');
  assert.equal(m.sha256, 'e303b9f8e1d6ccc075d439940bcb3697ad1abe2475191e868df819e756c8cdda');
});

test('carto mip --mask, sagittal MIP at 0.7 mm display pixels (outlines in display pixels): same PNG bytes', async () => {
  const m = await mip({ axis: 'sagittal', pixelMm: '0.7' });
  assert.deepEqual([m.width, m.height], [Math.round(NY / 0.7), Math.round(NZ / 0.7)]);
  assert.equal(m.sha256, '2b39c8395c10ab8a3c8f60150997cd66fec0f10ff4c5f59e882250e35fd558c3');
});
